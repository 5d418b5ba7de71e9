import { open, rename, rm, type FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { ErrorCode, SnowchainError } from "../errors";
import { crc32 } from "./crc32";

/**
 * An append-only file of checksummed records with group commit: the one piece of durability code
 * shared by the block store (blocks.log) and the mempool journal (mempool.log).
 *
 * Record framing: [u32 BE payload length][u32 BE crc32(payload)][payload].
 *
 * Group commit: appends that arrive while a write + fsync is running wait and go out together in
 * the next batch (one write, one fdatasync), so N concurrent appends cost about two syncs, not N.
 * An append's promise resolves only once its batch is synced.
 *
 * Torn tail: a crash can leave the last batch partly on disk, in any mix of pages. On open, the
 * first record whose header or payload does not fit in the file, or whose crc does not match, and
 * everything after it, are taken to be that torn tail: the file is truncated back to the last
 * good record and the number of bytes dropped is reported. Nothing acknowledged is in that tail,
 * because nothing is acknowledged before its batch is synced.
 */

export const RECORD_HEADER_BYTES = 8;
const MAX_RECORD_BYTES = 0xffffffff;

export interface StoredRecord {
  /** Offset of the record's header in the file. */
  readonly offset: number;
  readonly payload: Buffer;
}

export interface OpenedRecordLog {
  readonly log: RecordLog;
  /** The good records, in file order. */
  readonly records: StoredRecord[];
  /** Bytes of torn tail cut off the end of the file (0 after a clean shutdown). */
  readonly droppedBytes: number;
}

/** Counters for metrics: `records / batches` is the group-commit factor. */
export interface RecordLogStats {
  /** Records made durable since open. */
  readonly records: number;
  /** Write + fsync batches since open. */
  readonly batches: number;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}
type Op =
  | ({ readonly kind: "append"; readonly payloads: readonly Buffer[] } & Waiter)
  | ({ readonly kind: "exclusive"; readonly run: () => Promise<void> } & Waiter);

export class RecordLog {
  private readonly queue: Op[] = [];
  private draining = false;
  /** Set when a write or sync failed: the file may hold a partial batch, so nothing more may follow it. */
  private failure: SnowchainError | undefined;
  private closing: Promise<void> | undefined;
  private records = 0;
  private batches = 0;

  private constructor(
    private readonly file: string,
    private fh: FileHandle,
    private size: number,
  ) {}

  /** Opens (creating if needed) `file`, reads its good records and cuts any torn tail. */
  static async open(file: string): Promise<OpenedRecordLog> {
    // A crash during replace() can leave its temp file; the real file is intact either way.
    await rm(tempName(file), { force: true });
    const fh = await open(file, "a+");
    try {
      // The file may just have been created (here or by a run that crashed before syncing the
      // directory): its directory entry must be durable before any record in it is acknowledged.
      await fsyncDir(path.dirname(file));
      const content = await fh.readFile();
      const { records, goodBytes } = scan(content);
      const droppedBytes = content.length - goodBytes;
      if (droppedBytes > 0) {
        await fh.truncate(goodBytes);
        await fh.sync();
      }
      return { log: new RecordLog(file, fh, goodBytes), records, droppedBytes };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Bytes of good records in the file. */
  get bytes(): number {
    return this.size;
  }

  stats(): RecordLogStats {
    return { records: this.records, batches: this.batches };
  }

  /**
   * Appends one record per payload, in order, after every append called before. Resolves once
   * they are on disk (fdatasync'd). Rejects with CORRUPT_STORE when the write or sync fails (and
   * from then on: the file may end in a partial batch), UNAVAILABLE once closed.
   */
  append(payloads: readonly Buffer[]): Promise<void> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    for (const p of payloads) {
      if (p.length > MAX_RECORD_BYTES) {
        return Promise.reject(
          new SnowchainError(ErrorCode.TOO_LARGE, `record of ${p.length} bytes exceeds ${MAX_RECORD_BYTES}`),
        );
      }
    }
    if (payloads.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.enqueue({ kind: "append", payloads, resolve, reject });
    });
  }

  /**
   * Atomically replaces the whole file with these records (write a temp file, fsync, rename over,
   * fsync the directory): a crash leaves either the old file or the new one, never a mix. Appends
   * called before are written (to the old file) first; appends called after go to the new one.
   * A failure before the rename leaves the old file in use, unchanged; a successful replace
   * also clears an earlier write failure, since the damaged file is gone.
   */
  replace(payloads: readonly Buffer[]): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(closedError(this.file));
    return new Promise<void>((resolve, reject) => {
      this.enqueue({ kind: "exclusive", run: () => this.rewrite(payloads), resolve, reject });
    });
  }

  /** Waits for every append called before, then closes the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.enqueue({ kind: "exclusive", run: () => this.fh.close(), resolve, reject });
    });
    return this.closing;
  }

  private refusal(): SnowchainError | undefined {
    if (this.closing !== undefined) return closedError(this.file);
    return this.failure;
  }

  private enqueue(op: Op): void {
    this.queue.push(op);
    if (this.draining) return;
    this.draining = true;
    // Start on the next microtask, not now, so a burst of appends made in one synchronous run
    // (a loop, Promise.all) is a single batch rather than one record and then the rest.
    queueMicrotask(() => void this.drain());
  }

  /** The single writer: runs queued ops in order, batching consecutive appends. Never throws. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (head.kind === "exclusive") {
        this.queue.shift();
        try {
          await head.run();
          head.resolve();
        } catch (err) {
          head.reject(err);
        }
        continue;
      }
      let n = 1;
      while (n < this.queue.length && this.queue[n].kind === "append") n++;
      const batch = this.queue.splice(0, n) as Extract<Op, { kind: "append" }>[];
      if (this.failure !== undefined) {
        for (const op of batch) op.reject(this.failure);
        continue;
      }
      try {
        const written = await writeRecords(this.fh, batch.flatMap((op) => op.payloads));
        // fdatasync is enough: it also persists the file size, the only metadata an append changes.
        await this.fh.datasync();
        this.size += written;
        this.batches++;
        for (const op of batch) {
          this.records += op.payloads.length;
          op.resolve();
        }
      } catch (err) {
        const failure = this.fail("writing", err);
        for (const op of batch) op.reject(failure);
      }
    }
    this.draining = false;
  }

  private async rewrite(payloads: readonly Buffer[]): Promise<void> {
    const tmp = tempName(this.file);
    let size: number;
    const out = await open(tmp, "w");
    try {
      size = await writeRecords(out, payloads);
      await out.sync();
    } catch (err) {
      await out.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await out.close();
    await rename(tmp, this.file);
    // From the rename on, the old handle points at an unlinked file: switch before anything else.
    let fresh: FileHandle;
    try {
      fresh = await open(this.file, "a+");
    } catch (err) {
      throw this.fail("replacing", err);
    }
    const old = this.fh;
    this.fh = fresh;
    this.size = size;
    // Everything in the old file was synced or superseded: failing to close it loses nothing.
    await old.close().catch(() => undefined);
    try {
      await fsyncDir(path.dirname(this.file));
    } catch (err) {
      // Until the rename is durable, appends to the new file could vanish in a crash.
      throw this.fail("replacing", err);
    }
    this.failure = undefined;
  }

  private fail(doing: string, err: unknown): SnowchainError {
    this.failure = new SnowchainError(
      ErrorCode.CORRUPT_STORE,
      `${doing} ${this.file} failed, no more appends accepted: ${errorMessage(err)}`,
      { file: this.file, cause: err },
    );
    return this.failure;
  }
}

/** Splits file content into good records; stops at the first torn or damaged one. */
export function scan(content: Buffer): { records: StoredRecord[]; goodBytes: number } {
  const records: StoredRecord[] = [];
  let at = 0;
  while (content.length - at >= RECORD_HEADER_BYTES) {
    const length = content.readUInt32BE(at);
    const crc = content.readUInt32BE(at + 4);
    const start = at + RECORD_HEADER_BYTES;
    if (length > content.length - start) break;
    const payload = content.subarray(start, start + length);
    if (crc32(payload) !== crc) break;
    records.push({ offset: at, payload });
    at = start + length;
  }
  return { records, goodBytes: at };
}

/** Frames the payloads into one buffer and writes it whole; returns the bytes written. */
async function writeRecords(fh: FileHandle, payloads: readonly Buffer[]): Promise<number> {
  let total = 0;
  for (const p of payloads) total += RECORD_HEADER_BYTES + p.length;
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of payloads) {
    buf.writeUInt32BE(p.length, at);
    buf.writeUInt32BE(crc32(p), at + 4);
    at += RECORD_HEADER_BYTES + p.copy(buf, at + RECORD_HEADER_BYTES);
  }
  // A regular file may still take less than asked (a signal, a full disk on the way to ENOSPC).
  for (let off = 0; off < total; ) {
    const { bytesWritten } = await fh.write(buf, off, total - off);
    if (bytesWritten === 0) throw new SnowchainError(ErrorCode.CORRUPT_STORE, "write made no progress");
    off += bytesWritten;
  }
  return total;
}

/** Makes a directory's entries (a created or renamed file) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function tempName(file: string): string {
  return `${file}.tmp`;
}

function closedError(file: string): SnowchainError {
  return new SnowchainError(ErrorCode.UNAVAILABLE, `${path.basename(file)} is closed`);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
