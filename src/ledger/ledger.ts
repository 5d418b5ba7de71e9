import type { Logger } from "pino";
import { makeEntry } from "../chain/hash";
import { proposerScore } from "../chain/proposer";
import type { Block, BlockId, Entry, EntryId } from "../chain/types";
import { validateBlock, validateEntryData, type BlockLimits } from "../chain/validate";
import { Consensus, type Decisions } from "../consensus/consensus";
import type { NodeId, SnowballParams } from "../consensus/types";
import { ErrorCode, SnowchainError } from "../errors";
import type { Metrics } from "../metrics/metrics";
import type { AcceptanceEvents, AcceptedListener } from "./acceptance-events";
import type { AcceptedChain } from "./accepted-chain";
import { SenderQuota } from "./sender-quota";
import { EquivocationDetector, type Equivocation } from "./equivocation";
import type { PendingEntries } from "./pending-entries";

export type { Equivocation };

export interface LedgerOptions {
  readonly snowball: SnowballParams;
  readonly limits: BlockLimits;
  /** How far in the future a block's timestamp may be. @default 10000 */
  readonly maxClockSkewMs?: number;
}

export interface LedgerDeps {
  readonly chain: AcceptedChain;
  readonly entries: PendingEntries;
  readonly events: AcceptanceEvents;
  readonly now: () => number;
  readonly log: Logger;
  readonly metrics?: Metrics;
  /** Evidence of an equivocating proposer (tests and the lab listen). */
  readonly onEquivocation?: (evidence: Equivocation) => void;
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

const DEFAULT_MAX_CLOCK_SKEW_MS = 10_000;

/**
 * Before any poll chose among a height's candidates, the one whose proposer ranks first in the
 * height's proposer order is preferred: an order the block's content cannot grind (see
 * chain/proposer.ts), the same at every peer, and — blocks being signed — not claimable by
 * anyone but the key's holder.
 */
const CONSENSUS_OPTIONS = { initialOrder: (b: Block): string => proposerScore(b.height, b.proposer) };

/**
 * The chain this peer holds, in one place: accepted blocks (AcceptedChain), the undecided ones
 * (the consensus tree, one Snowball per height) and pending entries (PendingEntries). It
 * validates what it learns, applies what polls decide, and adopts what a sync verified. Who
 * polls whom (the engine), when to propose (the Producer), how to answer (the Behaviour) and the
 * network are elsewhere.
 */
export class Ledger {
  private state: Consensus;
  /** Bumped whenever a sync replaces the consensus: peers must be sent its blocks again. */
  private generation = 0;
  /** Entry ids of processing blocks, computed once per block. */
  private readonly entryIdsOf = new WeakMap<Block, ReadonlySet<EntryId>>();
  /** Syncs storing fetched blocks right now; while > 0, acceptances are deferred. */
  private adopting = 0;
  /** Blocks the consensus accepted while a sync was storing: decided again after it. */
  private deferred: Block[] = [];
  private readonly equivocations: EquivocationDetector;
  private readonly quota = new SenderQuota();
  private readonly maxClockSkewMs: number;

  constructor(
    private readonly opts: LedgerOptions,
    private readonly deps: LedgerDeps,
  ) {
    const last = deps.chain.lastDurable();
    this.state = new Consensus(opts.snowball, { id: last.id, height: last.height }, CONSENSUS_OPTIONS);
    this.maxClockSkewMs = opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    this.equivocations = new EquivocationDetector(deps);
    // Accepted entries leave the mempool but stay in the journal until it is rewritten.
    deps.events.onAccepted(() => {
      deps.entries
        .compactWhenGrown(() => deps.chain.entriesNotDurable())
        ?.catch((err: unknown) => deps.log.error({ err }, "journal compaction failed"));
    });
  }

  /** The consensus over the undecided blocks; a sync replaces it (see `epoch`). */
  get consensus(): Consensus {
    return this.state;
  }

  /** Which consensus this is: changes when a sync replaced it. */
  get epoch(): number {
    return this.generation;
  }

  get lastAcceptedHeight(): number {
    return this.state.lastAcceptedHeight;
  }

  get lastAcceptedId(): BlockId {
    return this.state.lastAcceptedId;
  }

  /** Durable accepted height (what a restart would find). */
  get durableHeight(): number {
    return this.deps.chain.durableHeight;
  }

  get failed(): boolean {
    return this.deps.chain.failed !== undefined;
  }

  genesis(): Block {
    return this.deps.chain.genesis();
  }

  acceptedAt(height: number): Block | undefined {
    return this.deps.chain.at(height);
  }

  /** Durable accepted blocks in [from, to]. */
  acceptedRange(fromHeight: number, toHeight: number): Block[] {
    return this.deps.chain.range(fromHeight, toHeight);
  }

  /** An accepted or processing block by id. */
  blockById(id: BlockId): Block | undefined {
    return this.deps.chain.byId(id) ?? this.state.get(id);
  }

  /** The preference at each undecided height, as a chain on the last accepted block. */
  preferredChain(): Block[] {
    return this.state.preferredChain();
  }

  /** The processing candidates at an undecided height. */
  candidatesAt(height: number): BlockId[] {
    return this.state.candidatesAt(height);
  }

  get mempoolSize(): number {
    return this.deps.entries.size;
  }

  get journalBytes(): number {
    return this.deps.entries.journalBytes;
  }

  /** Called with accepted blocks once they are durable, in height order. */
  onAccepted(listener: AcceptedListener): () => void {
    return this.deps.events.onAccepted(listener);
  }

  entryState(id: EntryId): EntryState {
    const height = this.deps.chain.durableEntryHeight(id);
    if (height !== undefined) {
      const block = this.deps.chain.at(height)!;
      return { state: "accepted", height, blockId: block.id, entry: block.entries.find((e) => e.id === id)! };
    }
    const entry = this.deps.entries.get(id);
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
    if (known.state !== "unknown") return known;
    // Accepted already, not durable yet: as good as pending for the caller.
    if (this.deps.chain.isAccepted(entry.id)) return { state: "pending", entry };
    await this.deps.entries.add(entry);
    return { state: "pending", entry };
  }

  /**
   * Calls `done` with the height once the entry is in a durable accepted block (at once if it
   * is already). Returns a function that cancels the wait.
   */
  whenAccepted(id: EntryId, done: (height: number) => void): () => void {
    const now = this.deps.chain.durableEntryHeight(id);
    if (now !== undefined) {
      done(now);
      return () => {};
    }
    return this.deps.events.waitFor(id, done);
  }

  /**
   * Validates and adds blocks learned from a peer (gossip, a query, a fetch), lowest first.
   * Invalid blocks are skipped and reported through `invalid`, as are blocks past the undecided
   * data `from` may make this peer hold (SenderQuota); blocks with unknown parents are returned
   * as orphans.
   */
  learn(blocks: readonly Block[], invalid: (block: Block, err: unknown) => void = () => {}, from?: NodeId): LearnResult {
    const added: Block[] = [];
    const orphans: Block[] = [];
    const sorted = [...blocks].sort((a, b) => a.height - b.height);
    for (const block of sorted) {
      const c = this.state;
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
      const over = from === undefined ? undefined : this.quota.check(from, block, (id) => c.has(id));
      if (over !== undefined) {
        invalid(block, new SnowchainError(ErrorCode.OVERLOADED, `block ${block.id.slice(0, 16)}… refused: ${over}`));
        continue;
      }
      if (c.add(block) === "added") {
        added.push(block);
        if (from !== undefined) this.quota.record(from, block);
        this.equivocations.check(block);
      }
    }
    this.updateGauges();
    return { added, orphans };
  }

  /**
   * Where a proposal would go now: the preferred tip, unless `maxHeights` undecided heights are
   * already built (then this peer waits for decisions) or the store failed.
   */
  proposalParent(maxHeights: number): Block | undefined {
    if (this.failed || this.deps.entries.size === 0) return undefined;
    const chain = this.state.preferredChain();
    if (chain.length >= maxHeights) return undefined;
    return chain.length > 0 ? chain[chain.length - 1]! : this.acceptedAt(this.state.lastAcceptedHeight)!;
  }

  /** The oldest pending entries that fit in a block on `parent` (or in the given bounds) and are not in its ancestry. */
  entriesFor(parent: Block, maxEntries = this.opts.limits.maxBlockEntries, maxBytes = this.opts.limits.maxBlockBytes): Entry[] {
    // The accepted chain is not asked: the mempool never holds an accepted entry (each way in
    // checks, and acceptance and adoption take them out), and its index of every entry ever
    // accepted was the hottest lookup of a saturated peer (asked of the mempool at each step).
    return this.deps.entries.pick(maxEntries, maxBytes, (id) => this.inProcessingAncestry(id, parent));
  }

  /**
   * Entries a member forwarded because this peer leads the next height: pending here too, in
   * memory only (the member that acknowledged them keeps them journaled until they are
   * accepted), as far as the mempool's bounds allow. Each is checked as a submit is.
   * Returns how many were new here.
   */
  takeForwarded(data: readonly Buffer[]): number {
    if (this.failed) return 0;
    let taken = 0;
    for (const d of data) {
      validateEntryData(d, this.opts.limits);
      const entry = makeEntry(d);
      // The mempool first: a forward mostly repeats what an earlier leader was sent, and the
      // accepted chain's index is far larger.
      if (this.deps.entries.get(entry.id) || this.deps.chain.isAccepted(entry.id)) continue;
      if (!this.deps.entries.hold(entry)) break;
      taken++;
    }
    return taken;
  }

  /** This peer's own proposal joins the undecided blocks (it was built valid). */
  addOwn(block: Block): boolean {
    const added = this.state.add(block) === "added";
    if (added) this.equivocations.check(block);
    this.updateGauges();
    return added;
  }

  /**
   * Applies what a poll decided: accepted blocks go to the accepted chain (durable before
   * anyone hears of them), their entries leave the mempool, and entries of rejected blocks come
   * back to it so every acknowledged entry is accepted exactly once.
   */
  applyDecisions(consensus: Consensus, d: Decisions): void {
    if (consensus !== this.state) return; // a poll of a consensus replaced by a sync
    const { entries, metrics: m } = this.deps;
    if (this.adopting > 0) {
      // A sync is storing blocks: keep these as candidates for the consensus that replaces this one.
      this.deferred.push(...d.accepted);
      if (d.rejected.length > 0) entries.returnFrom(d.rejected);
      return;
    }
    if (d.accepted.length > 0) {
      for (const b of d.accepted) this.deps.log.debug({ height: b.height, block: b.id, parent: b.parentId, proposer: b.proposer }, "accepted");
      this.deps.chain.accept(d.accepted);
      entries.removeAccepted(d.accepted);
      if (m) {
        const now = this.deps.now();
        m.consensus.blocksAccepted.inc(d.accepted.length);
        m.chain.entriesAccepted.inc(countEntries(d.accepted));
        for (const b of d.accepted) m.consensus.finality.observe(Math.max(0, now - b.timestampMs) / 1000);
        m.consensus.lastAcceptedHeight.set(consensus.lastAcceptedHeight);
      }
    }
    if (d.rejected.length > 0) {
      entries.returnFrom(d.rejected);
      m?.consensus.blocksRejected.inc(d.rejected.length);
    }
    if (d.preferenceChanges > 0) m?.consensus.preferenceChanges.inc(d.preferenceChanges);
    this.equivocations.decidedUpTo(consensus.lastAcceptedHeight);
    this.updateGauges();
  }

  /**
   * Blocks the network accepted, fetched by a sync: verified like any block, stored, and the
   * consensus restarted on top of them (undecided blocks that still fit are kept).
   *
   * From the call until the new consensus is in place, the old one's acceptances are not stored
   * (they would race these blocks into the store); they are kept as candidates and decided again
   * on top of the adopted chain. Throws when the blocks do not continue the stored chain; then
   * nothing of them is stored.
   */
  async adoptAccepted(blocks: readonly Block[]): Promise<Consensus> {
    this.adopting++;
    try {
      await this.deps.chain.flush(); // acceptances applied before the call are durable; no new ones are queued
      let stored: Block[] = [];
      try {
        const verified = this.verifyContinuation(blocks);
        if (verified.length > 0) {
          this.deps.log.debug({ from: verified[0]!.height, to: verified[verified.length - 1]!.height }, "adopting accepted blocks");
          await this.deps.chain.adopt(verified);
          stored = verified;
        }
      } finally {
        // Also after a failure: the old consensus may have accepted (deferred) blocks that were not stored.
        if (stored.length > 0 || this.state.lastAcceptedHeight !== this.deps.chain.durableHeight) this.restart(stored);
      }
      return this.state;
    } finally {
      this.adopting--;
    }
  }

  /** Rewrites the journal with only what is still pending (at start, and when it has grown). */
  compactJournal(): Promise<void> {
    return this.deps.entries.compact(this.deps.chain.entriesNotDurable());
  }

  /** Waits until every accepted block is durable. */
  flush(): Promise<void> {
    return this.deps.chain.flush();
  }

  /** The blocks that continue the durable chain, each validated on its parent. @throws on the first invalid one */
  private verifyContinuation(blocks: readonly Block[]): Block[] {
    let parent = this.deps.chain.lastDurable();
    const verified: Block[] = [];
    const verifiedEntries = new Set<EntryId>();
    for (const block of blocks) {
      if (block.height <= parent.height) continue;
      validateBlock(block, {
        parent,
        entryInAncestry: (id) => this.deps.chain.isAccepted(id) || verifiedEntries.has(id),
        limits: this.opts.limits,
        nowMs: this.deps.now(),
        maxClockSkewMs: Number.MAX_SAFE_INTEGER, // accepted long ago, perhaps by a peer whose clock is ahead
      });
      verified.push(block);
      for (const e of block.entries) verifiedEntries.add(e.id);
      parent = block;
    }
    return verified;
  }

  /** A new consensus on the durable tip; the old one's undecided (and deferred) blocks are offered to it. */
  private restart(adopted: readonly Block[]): void {
    const old = this.state;
    const tip = this.deps.chain.lastDurable();
    const deferred = this.deferred;
    this.deferred = [];
    const next = new Consensus(this.opts.snowball, { id: tip.id, height: tip.height }, CONSENSUS_OPTIONS);
    this.state = next;
    this.generation++;
    this.deps.entries.removeAccepted(adopted);
    this.reportConflicts(deferred);
    const candidates = [...deferred, ...old.preferredChain()];
    this.learn(candidates);
    this.deps.entries.returnFrom(candidates.filter((b) => !next.has(b.id)));
    this.deps.metrics?.consensus.lastAcceptedHeight.set(tip.height);
    this.deps.metrics?.chain.entriesAccepted.inc(countEntries(adopted));
    this.updateGauges();
  }

  /**
   * Blocks this peer's consensus accepted while a sync stored another chain at the same height:
   * both were accepted, by this peer and by the ones it synced from. Nothing can undo that; it is
   * counted and logged as the fork it is (like a sync that finds a different parent).
   */
  private reportConflicts(deferred: readonly Block[]): void {
    for (const b of deferred) {
      const stored = this.acceptedAt(b.height);
      if (stored === undefined || stored.id === b.id) continue;
      this.deps.metrics?.sync.conflicts.inc();
      this.deps.log.error({ height: b.height, ours: b.id, adopted: stored.id }, "fork: this peer accepted a block the synced chain does not have");
    }
  }

  /** Is the entry in the accepted chain or in a processing ancestor of (and including) `parent`? */
  private entryInAncestry(id: EntryId, parent: Block): boolean {
    return this.deps.chain.isAccepted(id) || this.inProcessingAncestry(id, parent);
  }

  /** Is the entry in a processing ancestor of (and including) `parent`? */
  private inProcessingAncestry(id: EntryId, parent: Block): boolean {
    const c = this.state;
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

  private updateGauges(): void {
    const m = this.deps.metrics;
    if (!m) return;
    const c = this.state;
    m.consensus.processingBlocks.set(c.processingCount());
    m.consensus.confidence.set(c.confidenceAt(c.lastAcceptedHeight + 1));
    m.chain.mempoolEntries.set(this.deps.entries.size);
  }
}

function countEntries(blocks: readonly Block[]): number {
  return blocks.reduce((n, b) => n + b.entries.length, 0);
}
