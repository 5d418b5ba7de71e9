import { mkdir } from "node:fs/promises";
import * as path from "node:path";
import { makeEntry } from "./hash";
import { RecordLog, type RecordLogStats } from "./record-log";
import type { Entry, EntryId } from "./types";

/** The mempool journal's file inside the data directory. */
export const MEMPOOL_FILE = "mempool.log";

export interface OpenedMempoolJournal {
  readonly journal: MempoolJournal;
  /** Entries found in the journal, oldest first, each once. Some may be in the chain already. */
  readonly entries: Entry[];
  /** Bytes of torn tail dropped at open (0 after a clean shutdown), for the node to log. */
  readonly recoveredBytesDropped: number;
}

/**
 * Makes acknowledged entries survive kill -9: a submit is acknowledged only once its entry is
 * appended here (one record per entry: its data; the id is recomputed on load). Removals are not
 * recorded: `compact` periodically rewrites the file with only the live entries, so the file
 * stays a bounded multiple of the mempool.
 *
 * Framing, checksums, group commit and torn-tail recovery are record-log.ts's, as for blocks.log.
 */
export class MempoolJournal {
  private constructor(private readonly log: RecordLog) {}

  static async open(dir: string): Promise<OpenedMempoolJournal> {
    await mkdir(dir, { recursive: true });
    const { log, records, droppedBytes } = await RecordLog.open(path.join(dir, MEMPOOL_FILE));
    const byId = new Map<EntryId, Entry>();
    for (const { payload } of records) {
      // Copied so the entries do not pin the whole file's buffer.
      const entry = makeEntry(Buffer.from(payload));
      if (!byId.has(entry.id)) byId.set(entry.id, entry);
    }
    return { journal: new MempoolJournal(log), entries: [...byId.values()], recoveredBytesDropped: droppedBytes };
  }

  /** Bytes in the file: compare with the mempool's to decide when to compact. */
  get bytes(): number {
    return this.log.bytes;
  }

  /**
   * Records entries; resolves once they are durable (concurrent appends share one fsync).
   * Rejects with CORRUPT_STORE after a failed write, UNAVAILABLE once closed.
   */
  append(entries: readonly Entry[]): Promise<void> {
    return this.log.append(entries.map((e) => e.data));
  }

  /**
   * Atomically rewrites the journal with only `live`, read now (at the call): it must hold every
   * acknowledged entry not yet durable in the block store — pending entries, and entries of
   * undecided or accepted-but-not-yet-stored blocks. Appends called before are written first;
   * appends called after land in the new file.
   */
  compact(live: Iterable<Entry>): Promise<void> {
    const payloads: Buffer[] = [];
    for (const entry of live) payloads.push(entry.data);
    return this.log.replace(payloads);
  }

  /** Group-commit counters (records written, write+fsync batches), for metrics. */
  stats(): RecordLogStats {
    return this.log.stats();
  }

  /** Waits for pending appends, then closes the file. */
  close(): Promise<void> {
    return this.log.close();
  }
}
