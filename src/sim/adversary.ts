import type { Behaviour, LedgerView } from "../behaviour/behaviour";
import { HonestBehaviour } from "../behaviour/honest";
import { answeringBehaviour } from "../behaviour/liars";
import { SplitEstimate } from "../behaviour/split-estimate";
import type { Block, BlockId } from "../chain/types";

/**
 * How the simulator's byzantine nodes answer; each is the peers' own Behaviour (behaviour/liars.ts).
 * - silent: never answers.
 * - random: a random candidate at each undecided height.
 * - contrarian: a candidate other than its own preference.
 * - balancing: the least supported candidate, each balancer by what the queries it received
 *   told it (a balancing peer, BEHAVIOUR=balancing).
 * - balancing-pooled: the same, with every balancer pooling what they were asked (one
 *   adversary running all of them: Kniep et al.'s simple adversary).
 * - balancing-full: every balancer sees every honest node's current preference (Kniep et al.'s
 *   adversary "given additional information about the state of the network").
 */
export const BYZANTINE_STRATEGIES = ["silent", "random", "contrarian", "balancing", "balancing-pooled", "balancing-full"] as const;
export type ByzantineStrategy = (typeof BYZANTINE_STRATEGIES)[number];

/** The byzantine nodes of one run and what they share. */
export class Adversary {
  /** The estimate every balancer shares (pooled and full); undefined when each keeps its own. */
  private readonly shared: SplitEstimate | undefined;

  constructor(readonly strategy: ByzantineStrategy) {
    // Full information: every honest node is remembered, however many there are.
    if (strategy === "balancing-full") this.shared = new SplitEstimate(Number.MAX_SAFE_INTEGER);
    else if (strategy === "balancing-pooled") this.shared = new SplitEstimate();
  }

  /** The behaviour of one byzantine node over its view. */
  behaviour(view: LedgerView, random: () => number): Behaviour {
    const name = this.strategy === "balancing-pooled" || this.strategy === "balancing-full" ? "balancing" : this.strategy;
    return answeringBehaviour(name, view, random, this.shared);
  }

  /** Whether balancers learn from the queries they get (the full-information one knows already). */
  get observesQueries(): boolean {
    return this.strategy === "balancing" || this.strategy === "balancing-pooled";
  }

  /** Whether the simulator must tell the adversary every honest node's preference (observeHonest). */
  get fullInformation(): boolean {
    return this.strategy === "balancing-full";
  }

  /** Full information: honest node `member` now prefers `chain` (its preferred chain). */
  observeHonest(member: string, chain: readonly Block[]): void {
    if (this.shared === undefined || chain.length === 0) return;
    const byHeight = new Map<number, BlockId>();
    for (const b of chain) byHeight.set(b.height, b.id);
    this.shared.observe(member, byHeight);
  }

  /** Every honest node accepted `height`: nothing to balance there any more. */
  decided(height: number): void {
    if (this.fullInformation) this.shared?.prune(height);
  }
}

/** An honest node's behaviour (answers truthfully). */
export function honestBehaviour(view: LedgerView): Behaviour {
  return new HonestBehaviour(view);
}
