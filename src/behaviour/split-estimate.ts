import type { BlockId } from "../chain/types";

/** Members whose preference is remembered: bounds memory whatever a flood of askers does. */
const MAX_VOTERS = 4096;

/**
 * What a balancing adversary knows of the network's split: each member's latest preferred chain,
 * as its queries (and its fellow adversaries' reports) show it, counted per height and block.
 */
export class SplitEstimate {
  /** member → its preferred block per height */
  private readonly preferences = new Map<string, Map<number, BlockId>>();
  /** height → block → members preferring it */
  private readonly counts = new Map<number, Map<BlockId, number>>();
  /** Heights at or below this one were pruned already: prune() walks every member, once per height. */
  private prunedTo = -1;

  /** @param maxVoters members remembered at most (a simulator's full-information adversary remembers every honest node) */
  constructor(private readonly maxVoters = MAX_VOTERS) {}

  /**
   * `member` prefers these blocks (height → id): replaces what it preferred before at those
   * heights. Returns the heights where that changed what was known of it.
   */
  observe(member: string, chain: ReadonlyMap<number, BlockId>): Map<number, BlockId> {
    const changed = new Map<number, BlockId>();
    let mine = this.preferences.get(member);
    if (!mine) {
      if (this.preferences.size >= this.maxVoters) this.forget(this.preferences.keys().next().value as string);
      this.preferences.set(member, (mine = new Map()));
    }
    for (const [height, id] of chain) {
      const before = mine.get(height);
      if (before === id) continue;
      if (before !== undefined) this.add(height, before, -1);
      mine.set(height, id);
      this.add(height, id, 1);
      changed.set(height, id);
    }
    return changed;
  }

  /** Whether `member`'s preference was ever observed here (and not forgotten for newer members). */
  knows(member: string): boolean {
    return this.preferences.has(member);
  }

  /** Members seen to prefer `id` at `height`. */
  supporters(height: number, id: BlockId): number {
    return this.counts.get(height)?.get(id) ?? 0;
  }

  /** Heights at or below `height` are decided: nothing to balance there any more. */
  prune(height: number): void {
    if (height <= this.prunedTo) return;
    this.prunedTo = height;
    for (const h of [...this.counts.keys()]) if (h <= height) this.counts.delete(h);
    for (const mine of this.preferences.values()) for (const h of [...mine.keys()]) if (h <= height) mine.delete(h);
  }

  private forget(member: string): void {
    const mine = this.preferences.get(member);
    this.preferences.delete(member);
    for (const [h, id] of mine ?? []) this.add(h, id, -1);
  }

  private add(height: number, id: BlockId, delta: number): void {
    let at = this.counts.get(height);
    if (!at) this.counts.set(height, (at = new Map()));
    const n = (at.get(id) ?? 0) + delta;
    if (n <= 0) at.delete(id);
    else at.set(id, n);
  }
}
