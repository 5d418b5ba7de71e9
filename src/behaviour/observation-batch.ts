import type { BlockId } from "../chain/types";
import { COLLUSION_LIMITS, type MemberObservation } from "./fellow-report";

/**
 * What changed in a balancer's own observations since its last report, per member: a member
 * that changes its mind twice between flushes is sent once, at its latest preference. Bounded:
 * at most maxPendingMembers members (the oldest is dropped) and maxHeightsPerObservation heights
 * each (the lowest, soonest decided, go first).
 */
export class ObservationBatch {
  private readonly pending = new Map<string, Map<number, BlockId>>();

  get size(): number {
    return this.pending.size;
  }

  add(member: string, changed: ReadonlyMap<number, BlockId>): void {
    let mine = this.pending.get(member);
    if (!mine) {
      if (this.pending.size >= COLLUSION_LIMITS.maxPendingMembers) this.pending.delete(this.pending.keys().next().value as string);
      this.pending.set(member, (mine = new Map()));
    }
    for (const [h, id] of changed) mine.set(h, id);
    if (mine.size > COLLUSION_LIMITS.maxHeightsPerObservation) {
      const keep = [...mine.keys()].sort((a, b) => b - a).slice(0, COLLUSION_LIMITS.maxHeightsPerObservation);
      for (const h of [...mine.keys()]) if (!keep.includes(h)) mine.delete(h);
    }
  }

  /** Up to `max` members' changes above `floor` (decided heights are nothing to balance), oldest first; taken out. */
  take(floor: number, max: number = COLLUSION_LIMITS.maxObservationsPerReport): MemberObservation[] {
    const out: MemberObservation[] = [];
    for (const [member, mine] of this.pending) {
      if (out.length >= max) break;
      this.pending.delete(member);
      const chain = new Map([...mine].filter(([h]) => h > floor));
      if (chain.size > 0) out.push({ member, chain });
    }
    return out;
  }
}
