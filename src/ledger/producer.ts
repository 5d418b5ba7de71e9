import type { Behaviour, GossipTarget } from "../behaviour/behaviour";
import type { Signer } from "../chain/keys";
import { proposerScore } from "../chain/proposer";
import type { Block, BlockId, Entry, EntryId } from "../chain/types";
import type { Decisions } from "../consensus/consensus";
import type { Ledger } from "./ledger";

/**
 * How long each rank of a height's proposer order waits at least for the ones before it to
 * propose, before it proposes itself (ms). @default 50
 */
export const PROPOSER_WINDOW_MS = 50;
/** The longest window, whatever the round trips: a leader that is gone costs a rank at most this. */
export const MAX_PROPOSER_WINDOW_MS = 1000;
/** Round trips a window spans: the forward to the leader, its building the block, the block's way back. */
const WINDOW_ROUND_TRIPS = 3;

/**
 * Each rank's window for the network's smoothed query round trip (ms; undefined before any
 * answer): long enough for a forward and a gossip, which on a saturated machine take hundreds of
 * ms. A fixed 50 ms let the next ranks propose rivals of a leader's block that was merely slow
 * (measured at saturation: 6.9 rejected blocks per accepted 1.8 a second, each ~1,000 entries
 * every peer decodes and hashes; 2.3 with a 250 ms window, and 40 % more entries accepted).
 * avalanchego's windower (vms/proposervm/proposer/windower.go) uses 5 s windows, sized for a
 * WAN; ours follow what the network shows. It only matters when the leader is gone or slow.
 */
export function proposerWindowMs(smoothedRttMs: number | undefined): number {
  if (smoothedRttMs === undefined || !Number.isFinite(smoothedRttMs)) return PROPOSER_WINDOW_MS;
  return Math.min(MAX_PROPOSER_WINDOW_MS, Math.max(PROPOSER_WINDOW_MS, WINDOW_ROUND_TRIPS * smoothedRttMs));
}
/**
 * A block comes at least this long after its parent (by the parent's timestamp, waiting at most
 * this long whatever the proposer's clock says), as Snowman++'s minimum block delay: at light load
 * entries of several submits share one block, which costs the network one decision instead of
 * several; full blocks are still 20 a second. @default 50
 */
export const MIN_BLOCK_INTERVAL_MS = 50;
/** Most entries, and entry bytes, sent to a leader in one forward. */
const MAX_FORWARD_ENTRIES = 2_000;
const MAX_FORWARD_BYTES = 4 * 1024 * 1024;
/** Entries remembered as forwarded (each once per leader) before the memory is reset. */
const MAX_FORWARDED_REMEMBERED = 200_000;

export interface ProducerOptions {
  /** This peer's identity: proposals are signed with it, and its node id ranks it in the proposer order. */
  readonly signer: Signer;
  /** Most undecided heights this peer builds on before it waits for decisions. */
  readonly maxProcessingHeights: number;
  /** Each rank's wait for the ones before it now (ms), asked at each step. @default () => PROPOSER_WINDOW_MS */
  readonly windowMs?: () => number;
}

export interface ProducerDeps {
  readonly ledger: Ledger;
  readonly behaviour: Behaviour;
  readonly now: () => number;
  /** Members that answer, by node id: the proposer order of a height ranks them (and this peer). */
  readonly liveMemberIds: () => readonly string[];
  readonly neighbours: () => readonly GossipTarget[];
  /** Sends a block to one neighbour; failures are the neighbour's problem, not the proposal's. */
  readonly send: (to: GossipTarget, block: Block) => void;
  /** Hands pending entries to the member that leads the next height; failures only cost the fallback. */
  readonly forward: (leader: string, entries: readonly Entry[]) => void;
  /** New undecided blocks: polls should run. */
  readonly kick: () => void;
}

/**
 * When and what this peer proposes, Snowman++-style (avalanchego vms/proposervm/proposer/windower.go,
 * with windows of milliseconds instead of seconds): each height has a proposer order, the node ids
 * ranked by proposerScore(height, id) — the order its initial preference follows too. The first
 * member of it that answers, the *leader*, proposes at once, a block of every entry it holds; the
 * others forward their pending entries to it and propose themselves only if their window (rank ×
 * PROPOSER_WINDOW_MS) passes and nobody proposed at that height yet. So one block per height
 * carries everyone's entries, instead of every peer proposing its own and all but one losing.
 * Entries stay pending (and journaled) where they were acknowledged until they are accepted: a
 * leader that crashes or drops them costs a window, never an entry. Safety never depends on any
 * of this: Snowball decides between whatever is proposed. What the blocks are and who hears of them
 * is the Behaviour's.
 */
export class Producer {
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  /** Parents this peer already proposed on, in the consensus of `epoch`. */
  private proposedOn = new Set<BlockId>();
  private epoch: number;
  /** The parent this peer waits on (its leader has its entries), since when. */
  private waiting: { parentId: BlockId; sinceMs: number } | undefined;
  /** Entries already forwarded, to which leader: each goes to a leader once. */
  private readonly forwarded = new Map<EntryId, string>();
  private lastOrder: { key: string; order: string[] } | undefined;

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
    if (this.timer) clearTimeout(this.timer);
  }

  /** What a poll decided: proposals on decided parents may go again; accepted entries are done. */
  onDecisions(d: Decisions): void {
    for (const b of [...d.accepted, ...d.rejected]) this.proposedOn.delete(b.parentId);
    for (const b of d.accepted) for (const e of b.entries) this.forwarded.delete(e.id);
    if (d.accepted.length > 0 || d.rejected.length > 0) this.soon();
  }

  /** Proposes (or forwards) shortly, batched: submits of one tick share one block. */
  soon(): void {
    if (this.scheduled || !this.active) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.active) this.step();
    });
  }

  /** The node ids of this height's proposer order, first first (this peer and the members that answer). */
  order(height: number): string[] {
    const ids = [this.opts.signer.nodeId, ...this.deps.liveMemberIds()];
    const key = `${height}|${ids.join()}`;
    // Asked once per proposal step: the order only changes with the height or the live members.
    if (this.lastOrder?.key !== key) {
      const order = ids.map((id) => ({ id, score: proposerScore(height, id) })).sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : 0)).map((x) => x.id);
      this.lastOrder = { key, order };
    }
    return this.lastOrder.order;
  }

  private step(): void {
    const { ledger } = this.deps;
    if (ledger.epoch !== this.epoch) {
      this.epoch = ledger.epoch;
      this.proposedOn = new Set();
    }
    const parent = ledger.proposalParent(this.opts.maxProcessingHeights);
    if (!parent || this.proposedOn.has(parent.id)) return;
    const order = this.order(parent.height + 1);
    const rank = order.indexOf(this.opts.signer.nodeId);
    if (rank === 0 || !this.deps.behaviour.waitsItsTurn) {
      const early = Math.min(MIN_BLOCK_INTERVAL_MS, parent.timestampMs + MIN_BLOCK_INTERVAL_MS - this.deps.now());
      if (early > 0 && this.deps.behaviour.waitsItsTurn) this.later(early);
      else this.propose(parent);
      return;
    }
    // Not the leader: the leader gets our entries, and we wait our window on this parent.
    if (this.waiting?.parentId !== parent.id) this.waiting = { parentId: parent.id, sinceMs: this.deps.now() };
    this.forwardTo(order[0]!, parent);
    const left = this.waiting.sinceMs + rank * (this.opts.windowMs?.() ?? PROPOSER_WINDOW_MS) - this.deps.now();
    if (left <= 0) {
      // Nobody before us proposed on this parent in time (else it would not be the preferred tip).
      this.propose(parent);
      return;
    }
    this.later(left);
  }

  /** Steps again in `ms` (one timer: a later call replaces it). */
  private later(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.active) this.step();
    }, ms);
  }

  private propose(parent: Block): void {
    const { ledger, behaviour } = this.deps;
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
    this.waiting = undefined;
    this.deps.kick();
    for (const { block, to } of behaviour.gossip(added, this.deps.neighbours())) {
      for (const n of to) this.deps.send(n, block);
    }
  }

  /** Pending entries the leader was not sent yet, in batches it can take. */
  private forwardTo(leader: string, parent: Block): void {
    const fresh: Entry[] = [];
    // Entries accepted by a sync never pass onDecisions: a bound keeps the memory of them finite.
    if (this.forwarded.size > MAX_FORWARDED_REMEMBERED) this.forwarded.clear();
    for (const e of this.deps.ledger.entriesFor(parent, MAX_FORWARD_ENTRIES, MAX_FORWARD_BYTES)) {
      if (this.forwarded.get(e.id) === leader) continue;
      fresh.push(e);
      this.forwarded.set(e.id, leader);
    }
    if (fresh.length > 0) this.deps.forward(leader, fresh);
  }
}
