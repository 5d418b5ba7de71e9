import type { BlockId } from "../chain/types";
import { ErrorCode, SnowchainError } from "../errors";
import type { FellowActions, LedgerView } from "./behaviour";
import { COLLUSION_LIMITS, type FellowReport } from "./fellow-report";
import { Fellows } from "./fellows";
import { ObservationBatch } from "./observation-batch";
import { SenderRate } from "./sender-rate";
import type { SplitEstimate } from "./split-estimate";

export interface CollusionDeps {
  /** BYZANTINE_GROUP: only reports of this group are sent and taken. */
  readonly group: string;
  readonly view: LedgerView;
  /** The estimate fellows' observations go into, beside the balancer's own. */
  readonly split: SplitEstimate;
  readonly now: () => number;
}

/**
 * A balancing peer's side of a BYZANTINE_GROUP: what it observes itself goes to its fellows,
 * batched (only what changed, at most one report per fellow per flush, one in flight each), and
 * what they observed comes into its SplitEstimate, so each balances on what all of them saw. Only
 * a balancer's own observations are sent on: a fellow's are never relayed (no echo between
 * fellows), and one that came from a fellow makes the same observation of its own no news.
 */
export class Collusion {
  private readonly fellows = new Fellows();
  private readonly batch = new ObservationBatch();
  private readonly rate = new SenderRate();

  constructor(private readonly deps: CollusionDeps) {}

  /** This peer saw `member` change its preference at these heights (what SplitEstimate.observe said changed). */
  observed(member: string, changed: ReadonlyMap<number, BlockId>): void {
    if (changed.size > 0) this.batch.add(member, changed);
  }

  /** Sends what changed to the fellows and to members due a try; returns how many reports went. */
  flush(actions: FellowActions): number {
    if (this.batch.size === 0) return 0;
    const targets = this.fellows.due(actions.members(), this.deps.now());
    if (targets.length === 0) return 0; // kept (bounded) until someone may hear it
    const observations = this.batch.take(this.deps.view.lastAcceptedHeight);
    if (observations.length === 0) return 0;
    const report: FellowReport = { group: this.deps.group, observations };
    for (const to of targets) {
      this.fellows.sending(to.nodeId);
      void actions.report(to, report).then(
        (outcome) => this.fellows.answered(to.nodeId, outcome, this.deps.now()),
        () => this.fellows.answered(to.nodeId, "failed", this.deps.now()),
      );
    }
    return targets.length;
  }

  /**
   * A report from `sender` (its session named it): refused for another group (WRONG_GROUP) or
   * past the sender's rate (OVERLOADED); else its observations at undecided heights this peer
   * could answer about go into the estimate. Returns how many observations were merged.
   */
  take(sender: string, report: FellowReport): number {
    if (report.group !== this.deps.group) {
      throw new SnowchainError(ErrorCode.WRONG_GROUP, `a report for byzantine group ${JSON.stringify(report.group.slice(0, 64))}: not this peer's group`, { group: report.group });
    }
    this.rate.take(sender, this.deps.now());
    this.fellows.heardFrom(sender);
    const floor = this.deps.view.lastAcceptedHeight;
    const top = floor + COLLUSION_LIMITS.maxHeightsPerObservation;
    this.deps.split.prune(floor);
    let merged = 0;
    for (const o of report.observations.slice(0, COLLUSION_LIMITS.maxObservationsPerReport)) {
      const chain = new Map([...o.chain].filter(([h]) => h > floor && h <= top));
      if (chain.size === 0) continue;
      this.deps.split.observe(o.member, chain);
      merged++;
    }
    return merged;
  }

  isFellow(nodeId: string): boolean {
    return this.fellows.isFellow(nodeId);
  }
}
