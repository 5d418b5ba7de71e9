import type { Mempool } from "../chain/mempool";
import { ErrorCode, isSnowchainError } from "../errors";
import type { MempoolJournal } from "../chain/mempool-journal";
import type { Block, Entry, EntryId } from "../chain/types";
import type { Metrics } from "../metrics/metrics";

/** Entries acknowledged by other peers take at most this share of the mempool's bounds (the rest stays for clients). */
export const FOREIGN_SHARE = 0.5;

/** The journal is rewritten once it holds this many bytes. @default 8 MiB */
const JOURNAL_SLACK_BYTES = 8 * 1024 * 1024;

export interface PendingEntriesDeps {
  readonly mempool: Mempool;
  readonly journal: MempoolJournal;
  /** Whether an entry is in an accepted block already (then it is never pending again). */
  readonly isAccepted: (id: EntryId) => boolean;
  readonly metrics?: Metrics;
}

/**
 * Acknowledged entries no accepted block holds yet: the mempool (what proposals pick from) over
 * its journal (what makes the acknowledgement survive kill -9). An entry is acknowledged only
 * once the journal has it on disk; entries of rejected blocks come back, so every acknowledged
 * entry is accepted exactly once.
 */
export class PendingEntries {
  private compacting: Promise<void> | undefined;

  constructor(private readonly deps: PendingEntriesDeps) {}

  get size(): number {
    return this.deps.mempool.size;
  }

  get journalBytes(): number {
    return this.deps.journal.bytes;
  }

  get(id: EntryId): Entry | undefined {
    return this.deps.mempool.get(id);
  }

  /**
   * A new entry from a client: pending, and durable in the journal when this resolves. The
   * mempool's bounds are checked before the write, so a refused entry is not journaled.
   * @throws SnowchainError OVERLOADED when the mempool is full; the journal's error when it fails.
   */
  async add(entry: Entry): Promise<void> {
    this.deps.mempool.add(entry);
    try {
      await this.deps.journal.append([entry]);
    } catch (err) {
      this.deps.mempool.remove([entry.id]);
      throw err;
    }
    this.deps.metrics?.chain.entriesSubmitted.inc();
    this.updateGauge();
  }

  /**
   * An entry another peer acknowledged, held here so this peer can propose it: pending, not
   * journaled (its own peer journaled it). Returns false when the mempool is full.
   */
  hold(entry: Entry): boolean {
    try {
      this.deps.mempool.add(entry);
    } catch (err) {
      if (isSnowchainError(err, ErrorCode.OVERLOADED)) return false;
      throw err;
    }
    this.updateGauge();
    return true;
  }

  /** The oldest pending entries that fit, skipping those `exclude` names (see Mempool.pick). */
  pick(maxEntries: number, maxBytes: number, exclude: (id: EntryId) => boolean): Entry[] {
    return this.deps.mempool.pick(maxEntries, maxBytes, exclude);
  }

  /** Entries now in accepted blocks leave. */
  removeAccepted(blocks: readonly Block[]): void {
    this.deps.mempool.remove(blocks.flatMap((b) => b.entries.map((e) => e.id)));
    this.updateGauge();
  }

  /**
   * Entries of blocks that will never be accepted. Those this peer acknowledged never left its
   * mempool (an entry leaves only once accepted), so what is missing here was acknowledged by
   * another peer, which keeps it journaled and proposes it again: it is taken in only within
   * FOREIGN_SHARE of the mempool's bounds.
   */
  returnFrom(blocks: readonly Block[]): void {
    const back = blocks.flatMap((b) => b.entries).filter((e) => !this.deps.isAccepted(e.id));
    if (back.length > 0) this.deps.mempool.addForeign(back, FOREIGN_SHARE);
    this.updateGauge();
  }

  /**
   * Rewrites the journal with only what is still pending, plus `notDurable` (accepted entries
   * the store does not hold yet: until it does, the journal is what keeps them).
   */
  compact(notDurable: readonly Entry[]): Promise<void> {
    return this.deps.journal.compact([...this.deps.mempool, ...notDurable]);
  }

  /** Compacts in the background once the journal has grown (one compaction at a time); rejects when it fails. */
  compactWhenGrown(notDurable: () => readonly Entry[]): Promise<void> | undefined {
    if (this.compacting || this.deps.journal.bytes < JOURNAL_SLACK_BYTES) return undefined;
    this.compacting = this.compact(notDurable()).finally(() => (this.compacting = undefined));
    return this.compacting;
  }

  private updateGauge(): void {
    this.deps.metrics?.chain.mempoolEntries.set(this.deps.mempool.size);
  }
}
