import type { BlockId } from "../chain/types";
import type { Behaviour, BehaviourActions, BehaviourName, FellowActions, FellowReport, LedgerView } from "./behaviour";
import { Collusion } from "./collusion";
import { COLLUSION_LIMITS } from "./fellow-report";
import { HonestBehaviour } from "./honest";
import { balancingAnswer, contrarianAnswer, randomAnswer, type AnswerStrategy } from "./strategies";
import { SplitEstimate } from "./split-estimate";

/** A peer that votes by a strategy (strategies.ts) instead of its preference; honest in all else. */
export class StrategyBehaviour extends HonestBehaviour {
  constructor(
    readonly name: BehaviourName,
    view: LedgerView,
    private readonly strategy: AnswerStrategy,
  ) {
    super(view);
  }

  override answer(fromHeight: number, toHeight: number): (BlockId | undefined)[] {
    return this.strategy(this.view, fromHeight, toHeight);
  }
}

export function randomBehaviour(view: LedgerView, random: () => number): Behaviour {
  return new StrategyBehaviour("random", view, randomAnswer(random));
}

export function contrarianBehaviour(view: LedgerView, random: () => number): Behaviour {
  return new StrategyBehaviour("contrarian", view, contrarianAnswer(random));
}

/** What a balancer shares with its fellows: their BYZANTINE_GROUP, and a clock for its bounds. */
export interface BalancingGroup {
  readonly group: string;
  readonly now: () => number;
}

/**
 * Balancing: learns each asker's preferred chain from its query's tip, then votes for whichever
 * candidate fewest members prefer. Balancers that share one SplitEstimate (the simulator's, or
 * peers of one process) see what all of them saw; those of one BYZANTINE_GROUP (`collude`) tell
 * each other over the Collusion service (collusion.ts).
 */
export class BalancingBehaviour extends StrategyBehaviour {
  private readonly collusion: Collusion | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Set only with a group: without one this peer serves no Collusion. */
  readonly takeReport?: (sender: string, report: FellowReport) => number;

  constructor(
    view: LedgerView,
    random: () => number,
    readonly split: SplitEstimate = new SplitEstimate(),
    collude?: BalancingGroup,
  ) {
    super("balancing", view, balancingAnswer(split, random));
    const c = (this.collusion = collude && new Collusion({ ...collude, view, split }));
    if (c) this.takeReport = (sender, report) => c.take(sender, report);
  }

  observeQuery(asker: string, tipId: BlockId | undefined): void {
    if (tipId === undefined) return;
    const chain = new Map<number, BlockId>();
    const floor = this.view.lastAcceptedHeight;
    for (let b = this.view.blockById(tipId); b && b.height > floor; b = this.view.blockById(b.parentId)) chain.set(b.height, b.id);
    if (chain.size === 0) return;
    this.split.prune(floor);
    const changed = this.split.observe(asker, chain);
    this.collusion?.observed(asker, changed);
  }

  /** Sends what changed since the last flush to its fellows (start does, every flushMs); returns how many reports went. */
  flushReports(actions: FellowActions): number {
    return this.collusion?.flush(actions) ?? 0;
  }

  start(actions: BehaviourActions): void {
    if (this.collusion) this.timer = setInterval(() => this.flushReports(actions), COLLUSION_LIMITS.flushMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Whether `nodeId` took one of this peer's reports or sent one of its group. */
  isFellow(nodeId: string): boolean {
    return this.collusion?.isFellow(nodeId) ?? false;
  }
}

/** Silent: a member that answers no query, proposes nothing and serves no sync (but answers pings: it stays in the sample). */
export class SilentBehaviour extends HonestBehaviour {
  override readonly name: BehaviourName = "silent";

  override answer(): undefined {
    return undefined;
  }

  override propose(): [] {
    return [];
  }

  override serveRange(): undefined {
    return undefined;
  }

  override serveAccepted(): undefined {
    return undefined;
  }
}

/** The behaviours that differ from an honest peer only in how they answer queries. */
export const ANSWERING_BEHAVIOURS = ["silent", "random", "contrarian", "balancing"] as const;
export type AnsweringBehaviourName = (typeof ANSWERING_BEHAVIOURS)[number];

/**
 * One of the answering liars, as the peers (registry.ts) and the simulator's adversary build it;
 * balancers given one `split` pool what each of them was asked.
 */
export function answeringBehaviour(name: AnsweringBehaviourName, view: LedgerView, random: () => number, split?: SplitEstimate): Behaviour {
  switch (name) {
    case "silent":
      return new SilentBehaviour(view);
    case "random":
      return randomBehaviour(view, random);
    case "contrarian":
      return contrarianBehaviour(view, random);
    case "balancing":
      return new BalancingBehaviour(view, random, split);
  }
}
