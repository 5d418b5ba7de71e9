import type { Logger } from "pino";
import type { AcceptedReport } from "../behaviour/behaviour";
import type { Block, BlockId } from "../chain/types";
import type { NodeId } from "../consensus/types";
import type { Metrics } from "../metrics/metrics";
import type { Ledger } from "./ledger";

const RETRY_MS = 1000;
/** Members asked in each sync round. @default 5 */
const DEFAULT_SAMPLE = 5;

/** How a sync reaches other members (p2p's PeerNetwork implements it). */
export interface SyncPeers {
  /** Up to `n` live members, at random. */
  sampleLive(n: number): readonly NodeId[];
  /** What a member says it accepted: its tip, and its block at `height`. */
  accepted(member: NodeId, height: number): Promise<AcceptedReport>;
  /** A member's accepted blocks in [from, to] (it may return fewer), shape-checked and with their ids derived. */
  fetchRange(member: NodeId, fromHeight: number, toHeight: number, timeoutMs: number): Promise<Block[]>;
}

export interface SyncOptions {
  /** Most blocks asked for in one fetch. */
  readonly batch: number;
  /** Behind by more than this many heights, a peer syncs instead of waiting for queries. */
  readonly lag: number;
  /** How many live members each round asks. @default 5 */
  readonly sample?: number;
  readonly timeoutMs: number;
}

export interface SyncDeps {
  readonly ledger: Ledger;
  readonly peers: SyncPeers;
  readonly log: Logger;
  readonly metrics?: Metrics;
  /** The consensus was replaced: polls restart on the new one. */
  readonly onAdopted: () => void;
}

/**
 * Catch-up: a peer that starts late, restarts, or was paused fetches the accepted blocks it lacks
 * in bounded ranges, verifies every one, stores them and resumes polling on top. It runs when a
 * member is seen further ahead than `lag`.
 *
 * It trusts a majority, never one peer (avalanchego's snow/consensus/snowman/bootstrapper/majority.go):
 * each round samples live members and asks what they accepted; it aims only as high as more than
 * half of the sample has accepted, fetches a range from one of them, and adopts it only when more
 * than half of the sample reports the fetched range's last block as the one it accepted at that
 * height. Blocks name their parents by hash, so that one block vouches for the whole range. A
 * member that lies about its chain (a higher tip, fabricated blocks) can waste a round, never
 * make this peer adopt its chain; members that disagree are counted and logged, and nothing is
 * adopted. Weights are equal (no stake): the majority is of members sampled, answering or not.
 */
export class Sync {
  private running: Promise<void> | undefined;
  private bestSeen = 0;
  private stopped = false;
  /** Syncs wait until this peer has joined: before, the members it knows may be one liar. */
  private enabled = false;
  /** After a sync that got nowhere, wait before the next one instead of retrying on every answer. */
  private notBefore = 0;

  constructor(
    private readonly opts: SyncOptions,
    private readonly deps: SyncDeps,
  ) {}

  get active(): boolean {
    return this.running !== undefined;
  }

  /** Highest last-accepted height heard from any member (a claim: a liar may say anything). */
  get networkHeight(): number {
    return this.bestSeen;
  }

  /** Every answer, ping and handshake reports a member's height; a big enough gap starts a sync. */
  observe(height: number): void {
    if (height > this.bestSeen) this.bestSeen = height;
    const { ledger } = this.deps;
    // Far behind, or behind with nothing undecided here (an idle network sends no queries that
    // would carry the missing blocks): fetch them.
    const behind = height - ledger.lastAcceptedHeight;
    if (behind > this.opts.lag || (behind > 0 && ledger.consensus.processingCount() === 0)) this.start();
  }

  /**
   * This peer has joined the network (its seeds answered, peer lists exchanged): from now on a
   * sync may run. Before, the first member to answer a handshake would be the whole sample, and
   * a majority of one is no majority.
   */
  enable(): void {
    this.enabled = true;
    this.observe(this.bestSeen);
  }

  start(): void {
    if (!this.enabled || this.running || this.stopped || Date.now() < this.notBefore) return;
    this.deps.metrics?.sync.active.set(1);
    const from = this.deps.ledger.lastAcceptedHeight;
    this.running = this.run()
      .then(() => {
        if (this.deps.ledger.lastAcceptedHeight === from) this.notBefore = Date.now() + RETRY_MS;
      })
      .catch((err: unknown) => {
        this.notBefore = Date.now() + RETRY_MS;
        this.deps.log.warn({ err }, "sync failed; will retry when behind again");
      })
      .finally(() => {
        this.running = undefined;
        this.deps.metrics?.sync.active.set(0);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async run(): Promise<void> {
    const { ledger } = this.deps;
    const startHeight = ledger.lastAcceptedHeight;
    this.deps.log.info({ from: startHeight, seen: this.bestSeen }, "sync started");
    while (!this.stopped && (await this.round())) {
      // each round adopted a range; go on while a majority is still ahead
    }
    this.deps.log.info({ from: startHeight, to: ledger.lastAcceptedHeight }, "sync finished");
  }

  /** One round: sample, aim, fetch, vote, adopt. Returns whether it adopted anything. */
  private async round(): Promise<boolean> {
    const { ledger, peers } = this.deps;
    const sample = peers.sampleLive(this.opts.sample ?? DEFAULT_SAMPLE);
    if (sample.length === 0) return false;
    const majority = Math.floor(sample.length / 2) + 1;
    const ours = ledger.lastAcceptedHeight;
    const tips = await this.ask(sample, 0);
    // The highest height that a majority of the sample has reached: one liar's claim cannot raise it.
    const heights = sample.map((m) => tips.get(m)?.lastAcceptedHeight ?? -1).sort((a, b) => b - a);
    const reached = heights[majority - 1]!;
    if (reached <= ours) return false;
    const top = Math.min(reached, ours + this.opts.batch);
    // Fetch from members that say they have it, tallest claim last (the tallest is the likeliest liar).
    const sources = sample.filter((m) => (tips.get(m)?.lastAcceptedHeight ?? -1) >= top).sort((a, b) => tips.get(a)!.lastAcceptedHeight - tips.get(b)!.lastAcceptedHeight);
    for (const source of sources) {
      const blocks = await this.fetch(source, ours + 1, top);
      const last = blocks[blocks.length - 1];
      if (last === undefined) continue;
      const votes = await this.ask(sample, last.height);
      const agree = sample.filter((m) => votes.get(m)?.idAtHeight === last.id).length;
      if (agree < majority) {
        this.disagreement(source, last, votes, agree, sample.length);
        continue;
      }
      if (await this.adopt(source, ours, blocks)) return true;
    }
    return false;
  }

  /** Asks every sampled member what it accepted; members that fail are simply absent (they count against a majority). */
  private async ask(sample: readonly NodeId[], height: number): Promise<Map<NodeId, AcceptedReport>> {
    const answers = await Promise.all(
      sample.map(async (m) => {
        try {
          return [m, await this.deps.peers.accepted(m, height)] as const;
        } catch {
          return undefined;
        }
      }),
    );
    return new Map(answers.filter((a): a is readonly [NodeId, AcceptedReport] => a !== undefined));
  }

  private disagreement(source: NodeId, last: Block, votes: ReadonlyMap<NodeId, AcceptedReport>, agree: number, sampled: number): void {
    this.deps.metrics?.sync.disagreements.inc();
    const reported: Record<string, BlockId | null> = {};
    for (const [m, r] of votes) reported[m] = r.idAtHeight ?? null;
    this.deps.log.warn(
      { peer: source, height: last.height, fetched: last.id, agree, sampled, reported },
      "sync: the sampled members do not agree that the fetched block was accepted; not adopted",
    );
  }

  /** Stores a range the majority vouched for. Returns whether it moved the accepted height. */
  private async adopt(source: NodeId, ours: number, blocks: readonly Block[]): Promise<boolean> {
    const { ledger } = this.deps;
    const before = ledger.consensus;
    try {
      await ledger.adoptAccepted(blocks);
    } catch (err) {
      const first = blocks.find((b) => b.height === ours + 1);
      if (first && first.parentId !== ledger.acceptedAt(ours)?.id) {
        // The majority accepted a block at `ours`, and not the one this peer accepted: nothing can undo that.
        this.deps.metrics?.sync.conflicts.inc();
        this.deps.log.error({ peer: source, height: ours, ours: ledger.acceptedAt(ours)?.id, theirs: first.parentId }, "fork: this peer and another accepted different blocks");
      } else {
        this.deps.log.warn({ peer: source, err }, "fetched blocks failed verification");
      }
      return false;
    } finally {
      // Even a failed adoption may have restarted the consensus (see adoptAccepted).
      if (ledger.consensus !== before) this.deps.onAdopted();
    }
    this.deps.metrics?.sync.blocksFetched.inc(blocks.length);
    return ledger.lastAcceptedHeight > ours;
  }

  private async fetch(member: NodeId, from: number, to: number): Promise<Block[]> {
    try {
      const blocks = await this.deps.peers.fetchRange(member, from, to, this.opts.timeoutMs);
      // Only a contiguous run from `from` can continue this chain; the vote is on its last block.
      const run: Block[] = [];
      for (const b of blocks) {
        if (b.height !== from + run.length || b.height > to) break;
        run.push(b);
      }
      return run;
    } catch (err) {
      this.deps.log.debug({ peer: member, err: (err as Error).message }, "fetch failed");
      return [];
    }
  }
}
