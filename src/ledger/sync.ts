import type { Logger } from "pino";
import type { Block } from "../chain/types";
import type { NodeId } from "../consensus/types";
import type { Metrics } from "../metrics/metrics";
import type { Ledger } from "./ledger";

const RETRY_MS = 1000;

/** How a sync reaches other members (p2p's PeerNetwork implements it). */
export interface SyncPeers {
  /** Up to `n` live members, at random. */
  sampleLive(n: number): readonly NodeId[];
  /** A member's last accepted height. */
  height(member: NodeId): Promise<number>;
  /** A member's accepted blocks in [from, to] (it may return fewer), shape-checked and with their ids derived. */
  fetchRange(member: NodeId, fromHeight: number, toHeight: number, timeoutMs: number): Promise<Block[]>;
}

export interface SyncOptions {
  /** Most blocks asked for in one fetch. */
  readonly batch: number;
  /** Behind by more than this many heights, a peer syncs instead of waiting for queries. */
  readonly lag: number;
  /** How many peers are asked for their height. @default 3 */
  readonly fanout?: number;
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
 * Catch-up: a peer that starts late, restarts, or was paused learns the tip from several peers,
 * fetches the accepted blocks it lacks in bounded ranges, verifies every one, stores them and
 * resumes polling on top. It runs when some peer is seen further ahead than `lag`.
 */
export class Sync {
  private running: Promise<void> | undefined;
  private bestSeen = 0;
  private stopped = false;
  /** After a sync that got nowhere, wait before the next one instead of retrying on every answer. */
  private notBefore = 0;

  constructor(
    private readonly opts: SyncOptions,
    private readonly deps: SyncDeps,
  ) {}

  get active(): boolean {
    return this.running !== undefined;
  }

  /** Highest last-accepted height heard from any peer. */
  get networkHeight(): number {
    return this.bestSeen;
  }

  /** Every answer, ping and handshake reports a peer's height; a big enough gap starts a sync. */
  observe(height: number): void {
    if (height > this.bestSeen) this.bestSeen = height;
    const { ledger } = this.deps;
    // Far behind, or behind with nothing undecided here (an idle network sends no queries that
    // would carry the missing blocks): fetch them.
    const behind = height - ledger.lastAcceptedHeight;
    if (behind > this.opts.lag || (behind > 0 && ledger.consensus.processingCount() === 0)) this.start();
  }

  start(): void {
    if (this.running || this.stopped || Date.now() < this.notBefore) return;
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
    for (let rounds = 0; !this.stopped; rounds++) {
      const sources = await this.tallest();
      const target = sources[0]?.height ?? 0;
      const ours = ledger.lastAcceptedHeight;
      if (target <= ours) break;
      let progressed = false;
      for (const { member } of sources.filter((s) => s.height > ours)) {
        const blocks = await this.fetch(member, ours + 1, Math.min(target, ours + this.opts.batch));
        if (blocks.length === 0) continue;
        const before = ledger.consensus;
        try {
          await ledger.adoptAccepted(blocks);
        } catch (err) {
          const first = blocks.find((b) => b.height === ours + 1);
          if (first && first.parentId !== ledger.acceptedAt(ours)?.id) {
            // Both sides accepted a block at `ours`, and not the same one: nothing can undo that.
            this.deps.metrics?.sync.conflicts.inc();
            this.deps.log.error({ peer: member, height: ours, ours: ledger.acceptedAt(ours)?.id, theirs: first.parentId }, "fork: this peer and another accepted different blocks");
          } else {
            this.deps.log.warn({ peer: member, err }, "fetched blocks failed verification");
          }
          continue;
        } finally {
          // Even a failed adoption may have restarted the consensus (see adoptAccepted).
          if (ledger.consensus !== before) this.deps.onAdopted();
        }
        this.deps.metrics?.sync.blocksFetched.inc(blocks.length);
        progressed = ledger.lastAcceptedHeight > ours;
        if (progressed) break;
      }
      if (!progressed) break;
    }
    this.deps.log.info({ from: startHeight, to: ledger.lastAcceptedHeight }, "sync finished");
  }

  /** Asks a few live members for their height; tallest first. */
  private async tallest(): Promise<{ member: NodeId; height: number }[]> {
    const asked = this.deps.peers.sampleLive(this.opts.fanout ?? 3);
    const answers = await Promise.all(
      asked.map(async (member) => {
        try {
          return { member, height: await this.deps.peers.height(member) };
        } catch {
          return undefined;
        }
      }),
    );
    return answers.filter((a): a is { member: NodeId; height: number } => a !== undefined).sort((a, b) => b.height - a.height);
  }

  private async fetch(member: NodeId, from: number, to: number): Promise<Block[]> {
    try {
      return await this.deps.peers.fetchRange(member, from, to, this.opts.timeoutMs);
    } catch (err) {
      this.deps.log.debug({ peer: member, err: (err as Error).message }, "fetch failed");
      return [];
    }
  }
}
