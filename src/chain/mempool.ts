import { ErrorCode, SnowchainError } from "../errors";
import type { Entry, EntryId } from "./types";

export interface MempoolLimits {
  /** Most pending entries; a submit beyond it is refused with OVERLOADED. */
  readonly maxEntries: number;
  /** Most pending bytes of entry data; a submit beyond it is refused with OVERLOADED. */
  readonly maxBytes: number;
}

/**
 * Pending entries, oldest first (a Map keeps insertion order, which is what makes `pick` fair).
 * Bounded so a flood of submits is refused with OVERLOADED instead of exhausting memory.
 * In memory only: durability is MempoolJournal's job.
 */
export class Mempool implements Iterable<Entry> {
  private readonly entries = new Map<EntryId, Entry>();
  private totalBytes = 0;

  constructor(private readonly limits: MempoolLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `mempool ${name} must be a positive integer, got ${String(value)}`);
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes of entry data pending. */
  get bytes(): number {
    return this.totalBytes;
  }

  has(id: EntryId): boolean {
    return this.entries.has(id);
  }

  get(id: EntryId): Entry | undefined {
    return this.entries.get(id);
  }

  /**
   * Adds a newly submitted entry. Returns false when it is already pending (a resubmit is not an
   * error). Throws OVERLOADED when it would exceed either bound.
   */
  add(entry: Entry): boolean {
    if (this.entries.has(entry.id)) return false;
    if (this.entries.size + 1 > this.limits.maxEntries || this.totalBytes + entry.data.length > this.limits.maxBytes) {
      throw new SnowchainError(
        ErrorCode.OVERLOADED,
        `mempool full (${this.entries.size} entries, ${this.totalBytes} bytes; limits ${this.limits.maxEntries} entries, ${this.limits.maxBytes} bytes)`,
        { size: this.entries.size, bytes: this.totalBytes },
      );
    }
    this.insert(entry);
    return true;
  }

  /**
   * Puts back entries that were already acknowledged: those found in the journal at start (an
   * entry this peer acknowledged never leaves the mempool until accepted; entries of others'
   * rejected blocks go through addForeign). The bounds are ignored on purpose: they exist to refuse new work,
   * and refusing these would lose an acknowledged entry. Returns how many were not pending yet.
   * They go after the entries already pending.
   */
  restore(entries: Iterable<Entry>): number {
    let added = 0;
    for (const entry of entries) {
      if (this.entries.has(entry.id)) continue;
      this.insert(entry);
      added++;
    }
    return added;
  }

  /**
   * Adds entries this peer never acknowledged (those of another peer's rejected block: their own
   * peer keeps them journaled and proposes them again), only while the mempool holds less than
   * `share` of either bound: a flood of losing siblings may help liveness, never crowd out this
   * peer's own clients. Returns how many were added.
   */
  addForeign(entries: Iterable<Entry>, share: number): number {
    const maxEntries = Math.floor(this.limits.maxEntries * share);
    const maxBytes = Math.floor(this.limits.maxBytes * share);
    let added = 0;
    for (const entry of entries) {
      if (this.entries.has(entry.id)) continue;
      if (this.entries.size + 1 > maxEntries || this.totalBytes + entry.data.length > maxBytes) break;
      this.insert(entry);
      added++;
    }
    return added;
  }

  /** Removes these entries if pending (e.g. once accepted); returns how many were. */
  remove(ids: Iterable<EntryId>): number {
    let removed = 0;
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry === undefined) continue;
      this.entries.delete(id);
      this.totalBytes -= entry.data.length;
      removed++;
    }
    return removed;
  }

  /**
   * The oldest pending entries that fit in `maxEntries` and `maxBytes` (of data), skipping those
   * `exclude` names (e.g. already in an undecided ancestor). Nothing is removed. An entry too big
   * for the bytes left is skipped, not a stop: smaller ones behind it still fill the block, and
   * being older it comes first in the next pick.
   */
  pick(maxEntries: number, maxBytes: number, exclude: (id: EntryId) => boolean = () => false): Entry[] {
    const picked: Entry[] = [];
    let bytes = 0;
    for (const entry of this.entries.values()) {
      if (picked.length >= maxEntries || bytes >= maxBytes) break;
      if (bytes + entry.data.length > maxBytes || exclude(entry.id)) continue;
      picked.push(entry);
      bytes += entry.data.length;
    }
    return picked;
  }

  /** Pending entries, oldest first. */
  [Symbol.iterator](): Iterator<Entry> {
    return this.entries.values();
  }

  private insert(entry: Entry): void {
    this.entries.set(entry.id, entry);
    this.totalBytes += entry.data.length;
  }
}
