import type { Behaviour, GossipTarget } from "../behaviour/behaviour";
import type { Signer } from "../chain/keys";
import { proposerRank } from "../chain/proposer";
import type { Block, BlockId } from "../chain/types";
import type { Decisions } from "../consensus/consensus";
import type { Ledger } from "./ledger";

/** Under contention, how much later each rank of the proposer order proposes. @default 5 */
const PROPOSER_WINDOW_MS = 5;
/** How long after a rejection proposals stay staggered. @default 2000 */
const CONTENTION_MEMORY_MS = 2_000;

export interface ProducerOptions {
  /** This peer's identity: proposals are signed with it, and its node id ranks it in the proposer order. */
  readonly signer: Signer;
  /** Most undecided heights this peer builds on before it waits for decisions. */
  readonly maxProcessingHeights: number;
}

export interface ProducerDeps {
  readonly ledger: Ledger;
  readonly behaviour: Behaviour;
  readonly now: () => number;
  /** Members by node id (the proposer order ranks them) and the neighbours proposals are gossiped to. */
  readonly memberIds: () => readonly string[];
  readonly neighbours: () => readonly GossipTarget[];
  /** Sends a block to one neighbour; failures are the neighbour's problem, not the proposal's. */
  readonly send: (to: GossipTarget, block: Block) => void;
  /** New undecided blocks: polls should run. */
  readonly kick: () => void;
}

/**
 * When and what this peer proposes. Submits arriving in the same tick share one block, and one
 * block is proposed per parent. Under contention (blocks were rejected lately: several peers
 * propose at the same heights and all but one lose) a peer waits its rank in the height's
 * proposer order times a short window, so the first-ranked peer's block usually reaches the
 * others before they propose a rival and they build on top of it instead; without contention
 * there is no wait. Safety never depends on this: Snowball decides between whatever is proposed.
 * What the blocks are and who hears of them is the Behaviour's.
 */
export class Producer {
  private scheduled = false;
  private active = false;
  private lastRejectionMs = Number.NEGATIVE_INFINITY;
  /** Parents this peer already proposed on, in the consensus of `epoch`. */
  private proposedOn = new Set<BlockId>();
  private epoch: number;

  constructor(
    private readonly opts: ProducerOptions,
    private readonly deps: ProducerDeps,
  ) {
    this.epoch = deps.ledger.epoch;
  }

  /** Proposals start once this peer has reached the network (before, it would decide alone). */
  start(): void {
    this.active = true;
    this.soon();
  }

  stop(): void {
    this.active = false;
  }

  /** What a poll decided: proposals on decided parents may go again, and rejections mean contention. */
  onDecisions(d: Decisions): void {
    if (d.rejected.length > 0) this.lastRejectionMs = this.deps.now();
    for (const b of [...d.accepted, ...d.rejected]) this.proposedOn.delete(b.parentId);
    if (d.accepted.length > 0) this.soon();
  }

  /** Proposes shortly (batched), if there is something to propose. */
  soon(): void {
    if (this.scheduled || !this.active) return;
    this.scheduled = true;
    const delay = this.delayMs();
    const run = (): void => {
      this.scheduled = false;
      if (this.active) this.propose();
    };
    if (delay > 0) setTimeout(run, delay);
    else setImmediate(run);
  }

  private propose(): void {
    const { ledger, behaviour } = this.deps;
    if (ledger.epoch !== this.epoch) {
      this.epoch = ledger.epoch;
      this.proposedOn = new Set();
    }
    const parent = ledger.proposalParent(this.opts.maxProcessingHeights);
    if (!parent || this.proposedOn.has(parent.id)) return;
    const entries = ledger.entriesFor(parent);
    if (entries.length === 0) return;
    const blocks = behaviour.propose({
      parent,
      entries,
      signer: this.opts.signer,
      timestampMs: Math.max(this.deps.now(), parent.timestampMs),
    });
    const added = blocks.filter((b) => ledger.addOwn(b));
    if (added.length === 0) return;
    this.proposedOn.add(parent.id);
    this.deps.kick();
    for (const { block, to } of behaviour.gossip(added, this.deps.neighbours())) {
      for (const n of to) this.deps.send(n, block);
    }
  }

  private delayMs(): number {
    if (this.deps.now() - this.lastRejectionMs > CONTENTION_MEMORY_MS) return 0;
    const chain = this.deps.ledger.preferredChain();
    const height = (chain.length > 0 ? chain[chain.length - 1]!.height : this.deps.ledger.lastAcceptedHeight) + 1;
    return proposerRank(height, this.opts.signer.nodeId, this.deps.memberIds()) * PROPOSER_WINDOW_MS;
  }
}
