import type { GossipTarget } from "./behaviour";
import { COLLUSION_LIMITS, type ReportOutcome } from "./fellow-report";

interface FellowState {
  /** It took a report (or sent one): a fellow. */
  accepted: boolean;
  /** Not tried before this (refused or failed). */
  retryAtMs: number;
  inFlight: boolean;
}

/**
 * Which members are fellows, found by trying: nobody says who colludes, so a balancer sends its
 * reports to members it has not tried, remembers who accepted (and keeps sending to them) and
 * who refused (an honest peer answers UNIMPLEMENTED; another group, FAILED_PRECONDITION), trying
 * those again only rarely. At most COLLUSION_LIMITS.maxFellowsRemembered members are remembered.
 */
export class Fellows {
  private readonly states = new Map<string, FellowState>();

  /** Whom the next report goes to: fellows first, then members due a try; one report in flight each. */
  due(members: readonly GossipTarget[], nowMs: number, max: number = COLLUSION_LIMITS.maxReportsPerFlush): GossipTarget[] {
    const fellows: GossipTarget[] = [];
    const tries: GossipTarget[] = [];
    for (const m of members) {
      const s = this.states.get(m.nodeId);
      if (s?.inFlight) continue;
      if (s?.accepted) fellows.push(m);
      else if (s === undefined || nowMs >= s.retryAtMs) tries.push(m);
    }
    return [...fellows, ...tries].slice(0, max);
  }

  sending(nodeId: string): void {
    this.state(nodeId).inFlight = true;
  }

  answered(nodeId: string, outcome: ReportOutcome, nowMs: number): void {
    const s = this.state(nodeId);
    s.inFlight = false;
    s.accepted = outcome === "accepted";
    if (outcome === "refused") s.retryAtMs = nowMs + COLLUSION_LIMITS.retryRefusedMs;
    if (outcome === "failed") s.retryAtMs = nowMs + COLLUSION_LIMITS.retryFailedMs;
  }

  /** A member sent a report of this group: a fellow, without trying. */
  heardFrom(nodeId: string): void {
    this.state(nodeId).accepted = true;
  }

  isFellow(nodeId: string): boolean {
    return this.states.get(nodeId)?.accepted ?? false;
  }

  private state(nodeId: string): FellowState {
    let s = this.states.get(nodeId);
    if (!s) {
      if (this.states.size >= COLLUSION_LIMITS.maxFellowsRemembered) this.states.delete(this.states.keys().next().value as string);
      this.states.set(nodeId, (s = { accepted: false, retryAtMs: 0, inFlight: false }));
    }
    return s;
  }
}
