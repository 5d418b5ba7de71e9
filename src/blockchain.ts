import type { Logger } from "pino";
import { makeBlock, makeEntry } from "./chain/hash";
import type { Mempool } from "./chain/mempool";
import type { MempoolJournal } from "./chain/mempool-journal";
import type { BlockStore } from "./chain/store";
import type { Block, BlockId, Entry, EntryId } from "./chain/types";
import { validateBlock, validateEntryData, type BlockLimits } from "./chain/validate";
import { Consensus, type Decisions } from "./consensus/consensus";
import type { SnowballParams } from "./consensus/types";
import { ErrorCode, SnowchainError } from "./errors";
import type { Metrics } from "./metrics/metrics";

export interface BlockchainOptions {
  readonly nodeId: string;
  readonly snowball: SnowballParams;
  readonly limits: BlockLimits;
  /** Most undecided heights this peer builds on. */
  readonly maxProcessingHeights: number;
  /** How far in the future a block's timestamp may be. @default 10000 */
  readonly maxClockSkewMs?: number;
}

export interface BlockchainDeps {
  readonly store: BlockStore;
  readonly mempool: Mempool;
  readonly journal: MempoolJournal;
  readonly now: () => number;
  readonly log: Logger;
  readonly metrics?: Metrics;
}

export type EntryState =
  | { readonly state: "accepted"; readonly height: number; readonly blockId: BlockId; readonly entry: Entry }
  | { readonly state: "pending"; readonly entry: Entry }
  | { readonly state: "unknown" };

export interface LearnResult {
  readonly added: Block[];
  /** Blocks whose parent is not known here: the caller fetches it, or syncs when far behind. */
  readonly orphans: Block[];
}

type AcceptedListener = (blocks: readonly Block[]) => void;

/** Most heights one query may ask about: bounds the work a remote can ask for. */
export const MAX_QUERY_HEIGHTS = 64;

/**
 * The chain this peer holds: accepted blocks (the store), undecided blocks (the consensus tree)
 * and pending entries (the mempool and its journal). It validates what it learns, proposes
 * blocks, answers queries and applies decisions; the engine (who polls whom) and the network
 * are elsewhere.
 */
export class Blockchain {
  private consensusState: Consensus;
  /** Accepted but not yet durable: answered from here until the store has them. */
  private readonly acceptedPending = new Map<number, Block>();
  private readonly pendingEntries = new Map<EntryId, number>();
  /** Parents this peer already proposed on: one proposal per parent. */
  private readonly proposedOn = new Set<BlockId>();
  private readonly listeners = new Set<AcceptedListener>();
  /** Submits waiting for their entry's acceptance, by entry id. */
  private readonly waiters = new Map<EntryId, Set<(height: number) => void>>();
  /** Entry ids of processing blocks, computed once per block. */
  private readonly entryIdsOf = new WeakMap<Block, ReadonlySet<EntryId>>();
  /** Store appends run one after another, in acceptance order. */
  private writes: Promise<void> = Promise.resolve();
  private failed: Error | undefined;
  /** Syncs storing fetched blocks right now; while > 0, acceptances are deferred. */
  private adopting = 0;
  /** Blocks the consensus accepted while a sync was storing: decided again after it. */
  private deferred: Block[] = [];
  private readonly maxClockSkewMs: number;

  constructor(
    private readonly opts: BlockchainOptions,
    private readonly deps: BlockchainDeps,
    private readonly onStoreFailure: (err: Error) => void,
  ) {
    const last = deps.store.lastBlock();
    this.consensusState = new Consensus(opts.snowball, { id: last.id, height: last.height });
    this.maxClockSkewMs = opts.maxClockSkewMs ?? 10_000;
  }

  get consensus(): Consensus {
    return this.consensusState;
  }

  get lastAcceptedHeight(): number {
    return this.consensusState.lastAcceptedHeight;
  }

  get lastAcceptedId(): BlockId {
    return this.consensusState.lastAcceptedId;
  }

  /** Durable accepted height (what a restart would find). */
  get durableHeight(): number {
    return this.deps.store.height();
  }

  genesis(): Block {
    return this.deps.store.genesis();
  }

  acceptedAt(height: number): Block | undefined {
    return this.deps.store.get(height) ?? this.acceptedPending.get(height);
  }

  /** An accepted or processing block by id. */
  blockById(id: BlockId): Block | undefined {
    return this.deps.store.getById(id) ?? this.consensusState.get(id) ?? this.pendingById(id);
  }

  /** Durable accepted blocks in [from, to]. */
  acceptedRange(fromHeight: number, toHeight: number): Block[] {
    return this.deps.store.range(fromHeight, toHeight);
  }

  get mempoolSize(): number {
    return this.deps.mempool.size;
  }

  /** Called with accepted blocks once they are durable, in height order. */
  onAccepted(listener: AcceptedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  entryState(id: EntryId): EntryState {
    const height = this.deps.store.entryHeight(id);
    if (height !== undefined) {
      const block = this.deps.store.get(height)!;
      return { state: "accepted", height, blockId: block.id, entry: block.entries.find((e) => e.id === id)! };
    }
    const entry = this.deps.mempool.get(id);
    return entry ? { state: "pending", entry } : { state: "unknown" };
  }

  /**
   * A client's entry: validated, made durable in the journal, then pending. Resolves once it is
   * durable (the acknowledgement), or at once when it is known already.
   */
  async submit(data: Buffer): Promise<EntryState> {
    if (this.failed) throw new SnowchainError(ErrorCode.UNAVAILABLE, "the store failed; this peer is stopping");
    validateEntryData(data, this.opts.limits);
    const entry = makeEntry(data);
    const known = this.entryState(entry.id);
    if (known.state !== "unknown" || this.pendingEntries.has(entry.id)) {
      return known.state === "unknown" ? { state: "pending", entry } : known;
    }
    // Checks the bound before the journal write, so a refused entry is not journaled.
    this.deps.mempool.add(entry);
    try {
      await this.deps.journal.append([entry]);
    } catch (err) {
      this.deps.mempool.remove([entry.id]);
      throw err;
    }
    this.deps.metrics?.chain.entriesSubmitted.inc();
    this.deps.metrics?.chain.mempoolEntries.set(this.deps.mempool.size);
    return { state: "pending", entry };
  }

  /**
   * Validates and adds blocks learned from a peer (gossip, a query, a fetch), lowest first.
   * Invalid blocks are skipped and reported through `invalid`; blocks with unknown parents are
   * returned as orphans.
   */
  learn(blocks: readonly Block[], invalid: (block: Block, err: unknown) => void = () => {}): LearnResult {
    const added: Block[] = [];
    const orphans: Block[] = [];
    const sorted = [...blocks].sort((a, b) => a.height - b.height);
    for (const block of sorted) {
      const c = this.consensusState;
      if (block.height <= c.lastAcceptedHeight || c.has(block.id)) continue;
      const parent = c.get(block.parentId) ?? (block.parentId === c.lastAcceptedId ? this.acceptedAt(c.lastAcceptedHeight) : undefined);
      if (!parent) {
        orphans.push(block);
        continue;
      }
      try {
        validateBlock(block, {
          parent,
          entryInAncestry: (id) => this.entryInAncestry(id, parent),
          limits: this.opts.limits,
          nowMs: this.deps.now(),
          maxClockSkewMs: this.maxClockSkewMs,
        });
      } catch (err) {
        invalid(block, err);
        continue;
      }
      if (c.add(block) === "added") added.push(block);
    }
    this.updateGauges();
    return { added, orphans };
  }

  /**
   * This peer's answer to a query: the accepted id at each decided height, then its preferred
   * chain (a vote for a block is a vote for its undecided ancestors, so answers are consistent
   * chains); heights past the preferred tip get no opinion.
   */
  answer(fromHeight: number, toHeight: number): (BlockId | undefined)[] {
    const c = this.consensusState;
    const top = Math.min(toHeight, fromHeight + MAX_QUERY_HEIGHTS - 1);
    const ids: (BlockId | undefined)[] = [];
    let chain: Block[] | undefined;
    for (let h = fromHeight; h <= top; h++) {
      if (h <= c.lastAcceptedHeight) {
        ids.push(this.acceptedAt(h)?.id);
        continue;
      }
      chain ??= c.preferredChain();
      const block = chain[h - c.lastAcceptedHeight - 1];
      if (block === undefined) break;
      ids.push(block.id);
    }
    return ids;
  }

  /**
   * Proposes a block of pending entries on top of the preferred chain, unless this peer already
   * proposed on that parent or the chain of undecided blocks is long enough.
   */
  propose(): Block | undefined {
    if (this.failed || this.deps.mempool.size === 0) return undefined;
    const c = this.consensusState;
    const chain = c.preferredChain();
    if (chain.length >= this.opts.maxProcessingHeights) return undefined;
    const parent = chain.length > 0 ? chain[chain.length - 1]! : this.acceptedAt(c.lastAcceptedHeight)!;
    if (this.proposedOn.has(parent.id)) return undefined;
    const picked = this.deps.mempool.pick(this.opts.limits.maxBlockEntries, this.opts.limits.maxBlockBytes, (id) =>
      this.entryInAncestry(id, parent),
    );
    if (picked.length === 0) return undefined;
    const block = makeBlock({
      height: parent.height + 1,
      parentId: parent.id,
      proposer: this.opts.nodeId,
      timestampMs: Math.max(this.deps.now(), parent.timestampMs),
      entries: picked.map((e) => e.data),
    });
    if (c.add(block) !== "added") return undefined;
    this.proposedOn.add(parent.id);
    this.updateGauges();
    return block;
  }

  /**
   * Applies what a poll decided: accepted blocks go to the store (in order, durable before
   * listeners hear of them), their entries leave the mempool, and entries of rejected blocks
   * come back to it so every acknowledged entry is accepted exactly once.
   */
  applyDecisions(consensus: Consensus, d: Decisions): void {
    if (consensus !== this.consensusState) return; // a poll of a consensus replaced by a sync
    if (this.adopting > 0) {
      // A sync is storing blocks: keep these as candidates for the consensus that replaces this one.
      this.deferred.push(...d.accepted);
      if (d.rejected.length > 0) this.returnEntries(d.rejected);
      return;
    }
    const m = this.deps.metrics;
    for (const b of d.accepted) {
      this.deps.log.debug({ height: b.height, block: b.id, parent: b.parentId, proposer: b.proposer }, "accepted");
      this.acceptedPending.set(b.height, b);
      for (const e of b.entries) this.pendingEntries.set(e.id, b.height);
      this.proposedOn.delete(b.parentId);
    }
    if (d.accepted.length > 0) {
      this.deps.mempool.remove(d.accepted.flatMap((b) => b.entries.map((e) => e.id)));
      this.persist(d.accepted);
      if (m) {
        const now = this.deps.now();
        m.consensus.blocksAccepted.inc(d.accepted.length);
        m.chain.entriesAccepted.inc(d.accepted.reduce((n, b) => n + b.entries.length, 0));
        for (const b of d.accepted) m.consensus.finality.observe(Math.max(0, now - b.timestampMs) / 1000);
        m.consensus.lastAcceptedHeight.set(consensus.lastAcceptedHeight);
      }
    }
    if (d.rejected.length > 0) {
      this.returnEntries(d.rejected);
      for (const b of d.rejected) this.proposedOn.delete(b.parentId);
      m?.consensus.blocksRejected.inc(d.rejected.length);
    }
    if (d.preferenceChanges > 0) m?.consensus.preferenceChanges.inc(d.preferenceChanges);
    this.updateGauges();
  }

  /**
   * Blocks the network accepted, fetched by a sync: verified like any block, stored, and the
   * consensus restarted on top of them (undecided blocks that still fit are kept).
   *
   * From the call until the new consensus is in place, the old one's acceptances are not stored
   * (they would race these blocks into the store); they are kept as candidates and decided again
   * on top of the adopted chain. Throws when the blocks do not continue the stored chain.
   */
  async adoptAccepted(blocks: readonly Block[]): Promise<Consensus> {
    this.adopting++;
    try {
      await this.writes; // acceptances applied before the call are durable; no new ones are queued
      let parent = this.deps.store.lastBlock();
      const verified: Block[] = [];
      const verifiedEntries = new Set<EntryId>();
      try {
        for (const block of blocks) {
          if (block.height <= parent.height) continue;
          validateBlock(block, {
            parent,
            entryInAncestry: (id) => this.deps.store.entryHeight(id) !== undefined || verifiedEntries.has(id),
            limits: this.opts.limits,
            nowMs: this.deps.now(),
            maxClockSkewMs: Number.MAX_SAFE_INTEGER, // accepted long ago, perhaps by a peer whose clock is ahead
          });
          verified.push(block);
          for (const e of block.entries) verifiedEntries.add(e.id);
          parent = block;
        }
        if (verified.length > 0) {
          this.deps.log.debug({ from: verified[0]!.height, to: parent.height }, "adopting accepted blocks");
          await this.deps.store.append(verified);
        }
      } finally {
        // Also after a failure: the old consensus may have accepted blocks that were not stored.
        if (verified.length > 0 || this.consensusState.lastAcceptedHeight !== this.deps.store.height()) {
          this.restartConsensus(verified);
        }
      }
      return this.consensusState;
    } finally {
      this.adopting--;
    }
  }

  /** A new consensus on the stored tip; the old one's undecided (and unstored) blocks are offered to it. */
  private restartConsensus(adopted: readonly Block[]): void {
    const old = this.consensusState;
    const tip = this.deps.store.lastBlock();
    const candidates = [...this.deferred, ...old.preferredChain()];
    this.deferred = [];
    const next = new Consensus(this.opts.snowball, { id: tip.id, height: tip.height });
    this.consensusState = next;
    this.proposedOn.clear();
    this.deps.mempool.remove(adopted.flatMap((b) => b.entries.map((e) => e.id)));
    this.learn(candidates);
    this.returnEntries(candidates.filter((b) => !next.has(b.id)));
    this.deps.metrics?.consensus.lastAcceptedHeight.set(tip.height);
    this.deps.metrics?.chain.entriesAccepted.inc(adopted.reduce((n, b) => n + b.entries.length, 0));
    if (adopted.length > 0) this.notify(adopted);
    this.updateGauges();
  }

  /** Rewrites the journal with only what is still pending (at start, and when it has grown). */
  async compactJournal(): Promise<void> {
    // Accepted but not yet durable entries have left the mempool; until the store has them the
    // journal is still what keeps them.
    const notDurable = [...this.acceptedPending.values()].flatMap((b) => b.entries);
    await this.deps.journal.compact([...this.deps.mempool, ...notDurable]);
  }

  get journalBytes(): number {
    return this.deps.journal.bytes;
  }

  /** Waits until every accepted block is durable. */
  flush(): Promise<void> {
    return this.writes;
  }

  private persist(blocks: readonly Block[]): void {
    this.writes = this.writes.then(async () => {
      if (this.failed) return;
      try {
        await this.deps.store.append(blocks);
      } catch (err) {
        this.failed = err as Error;
        this.deps.log.fatal({ err }, "could not store accepted blocks");
        this.onStoreFailure(err as Error);
        return;
      }
      for (const b of blocks) {
        this.acceptedPending.delete(b.height);
        for (const e of b.entries) this.pendingEntries.delete(e.id);
      }
      this.notify(blocks);
    });
  }

  /**
   * Calls `done` with the height once the entry is in a durable accepted block (at once if it
   * is already). Returns a function that cancels the wait.
   */
  whenAccepted(id: EntryId, done: (height: number) => void): () => void {
    const now = this.deps.store.entryHeight(id);
    if (now !== undefined) {
      done(now);
      return () => {};
    }
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(done);
    return () => {
      set.delete(done);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
    };
  }

  private notify(blocks: readonly Block[]): void {
    // Waiters are indexed by entry id: one lookup per accepted entry, however many wait.
    if (this.waiters.size > 0) {
      for (const b of blocks) {
        for (const e of b.entries) {
          const set = this.waiters.get(e.id);
          if (!set) continue;
          this.waiters.delete(e.id);
          for (const done of set) done(b.height);
        }
      }
    }
    for (const l of this.listeners) {
      try {
        l(blocks);
      } catch (err) {
        this.deps.log.error({ err }, "accepted-block listener failed");
      }
    }
  }

  /** Entries of blocks that will never be accepted go back to the mempool unless accepted. */
  private returnEntries(blocks: readonly Block[]): void {
    const back = blocks.flatMap((b) => b.entries).filter((e) => !this.isAccepted(e.id));
    if (back.length > 0) this.deps.mempool.restore(back);
  }

  private isAccepted(id: EntryId): boolean {
    return this.deps.store.entryHeight(id) !== undefined || this.pendingEntries.has(id);
  }

  /** Is the entry in the accepted chain or in a processing ancestor of (and including) `parent`? */
  private entryInAncestry(id: EntryId, parent: Block): boolean {
    if (this.isAccepted(id)) return true;
    const c = this.consensusState;
    for (let b: Block | undefined = parent; b && b.height > c.lastAcceptedHeight; b = c.get(b.parentId)) {
      if (this.entryIds(b).has(id)) return true;
    }
    return false;
  }

  private entryIds(block: Block): ReadonlySet<EntryId> {
    let ids = this.entryIdsOf.get(block);
    if (!ids) {
      ids = new Set(block.entries.map((e) => e.id));
      this.entryIdsOf.set(block, ids);
    }
    return ids;
  }

  private pendingById(id: BlockId): Block | undefined {
    for (const b of this.acceptedPending.values()) if (b.id === id) return b;
    return undefined;
  }

  private updateGauges(): void {
    const m = this.deps.metrics;
    if (!m) return;
    const c = this.consensusState;
    m.consensus.processingBlocks.set(c.processingCount());
    m.consensus.confidence.set(c.confidenceAt(c.lastAcceptedHeight + 1));
    m.chain.mempoolEntries.set(this.deps.mempool.size);
  }
}
