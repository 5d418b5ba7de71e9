import { mkdir } from "node:fs/promises";
import * as path from "node:path";
import { ErrorCode, SnowchainError } from "../errors";
import { decodeBlock, encodeBlock } from "./codec";
import { RecordLog, type RecordLogStats } from "./record-log";
import type { Block, BlockId, EntryId } from "./types";

/** The accepted chain's file inside the data directory. */
export const BLOCKS_FILE = "blocks.log";

/**
 * The accepted chain: crash-safe and append-only, one record per block after genesis in
 * blocks.log (see record-log.ts for framing, group commit and torn-tail recovery), and the whole
 * chain in memory with an index by block id and by entry id (the chain of a testnet is small).
 *
 * Readers (height, get, lastBlock, entryHeight, ...) only see durable blocks: a block becomes
 * visible when the append that carries it resolves, so nothing is served that a crash could undo.
 */
export class BlockStore {
  /** Index = height. Durable blocks, then the blocks of appends still being written. */
  private readonly chain: Block[];
  private durableHeight: number;
  private readonly heightById = new Map<BlockId, number>();
  private readonly heightByEntry = new Map<EntryId, number>();

  private constructor(
    private readonly log: RecordLog,
    genesis: Block,
    private readonly droppedBytes: number,
  ) {
    this.chain = [genesis];
    this.durableHeight = 0;
    this.index(genesis);
  }

  /**
   * Opens (creating) `dir`/blocks.log and loads the chain on top of `genesis`. A torn tail is cut
   * off (see `recoveredBytesDropped`). Throws CORRUPT_STORE when a record is intact (its crc
   * matches) yet is not a block continuing the chain: a crash cannot produce that, so it is a
   * data directory of another network or a bug, and dropping it would silently discard a durable
   * chain.
   */
  static async open(dir: string, genesis: Block): Promise<BlockStore> {
    if (genesis.height !== 0) {
      throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `genesis must have height 0, got ${genesis.height}`);
    }
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, BLOCKS_FILE);
    const { log, records, droppedBytes } = await RecordLog.open(file);
    const store = new BlockStore(log, genesis, droppedBytes);
    try {
      for (const { offset, payload } of records) {
        let block: Block;
        try {
          block = decodeBlock(payload);
        } catch (err) {
          throw corrupt(file, offset, err instanceof Error ? err.message : String(err));
        }
        // Blocks are signed since protocol 2; an unsigned one is an older snowchain's, whose chain
        // no peer of today could sync from (they verify signatures).
        const why =
          block.signature.length === 0
            ? "an unsigned block: this data directory was written by a snowchain before signed blocks; move it away to start afresh"
            : continuationError(store.lastBlock(), block);
        if (why !== undefined) throw corrupt(file, offset, why);
        store.chain.push(block);
        store.durableHeight = block.height;
        store.index(block);
      }
    } catch (err) {
      await log.close();
      throw err;
    }
    return store;
  }

  /** Bytes of torn tail dropped at open (0 after a clean shutdown), for the node to log. */
  get recoveredBytesDropped(): number {
    return this.droppedBytes;
  }

  /** Height of the last durable block; 0 when only genesis is there. */
  height(): number {
    return this.durableHeight;
  }

  /** Height of the last block handed to `append`, durable or not: what the next append continues. */
  appendedHeight(): number {
    return this.chain.length - 1;
  }

  genesis(): Block {
    return this.chain[0];
  }

  lastBlock(): Block {
    return this.chain[this.durableHeight];
  }

  get(height: number): Block | undefined {
    return Number.isInteger(height) && height >= 0 && height <= this.durableHeight ? this.chain[height] : undefined;
  }

  getById(id: BlockId): Block | undefined {
    const height = this.heightById.get(id);
    return height !== undefined && height <= this.durableHeight ? this.chain[height] : undefined;
  }

  /** Durable blocks from `fromHeight` to `toHeight` inclusive, clamped to what is stored. */
  range(fromHeight: number, toHeight: number): Block[] {
    const from = Math.max(0, Math.ceil(fromHeight));
    const to = Math.min(this.durableHeight, Math.floor(toHeight));
    return from > to ? [] : this.chain.slice(from, to + 1);
  }

  /** Height of the accepted block holding this entry, if any. */
  entryHeight(id: EntryId): number | undefined {
    const height = this.heightByEntry.get(id);
    return height !== undefined && height <= this.durableHeight ? height : undefined;
  }

  /**
   * Appends accepted blocks. They must continue the chain (including appends still in flight):
   * height + 1 and parentId = the previous block's id, else this rejects with INVALID_BLOCK and
   * stores nothing. Resolves once they are durable (fsync'd); concurrent appends share one
   * write and one fsync. Rejects with CORRUPT_STORE after a failed write, UNAVAILABLE once closed.
   */
  async append(blocks: readonly Block[]): Promise<void> {
    // Everything up to the first await runs synchronously, so concurrent appends are checked
    // and queued in call order.
    let tip = this.chain[this.chain.length - 1];
    for (const block of blocks) {
      const why = continuationError(tip, block);
      if (why !== undefined) {
        throw new SnowchainError(ErrorCode.INVALID_BLOCK, `cannot append block ${block.id}: ${why}`, {
          blockId: block.id,
          height: block.height,
        });
      }
      tip = block;
    }
    if (blocks.length === 0) return;
    const written = this.log.append(blocks.map(encodeBlock));
    for (const block of blocks) {
      this.chain.push(block);
      this.index(block);
    }
    await written;
    // Batches complete in order, so the highest block of a resolved append is durable and so is
    // everything below it.
    this.durableHeight = Math.max(this.durableHeight, blocks[blocks.length - 1].height);
  }

  /** Group-commit counters (records written, write+fsync batches), for metrics. */
  stats(): RecordLogStats {
    return this.log.stats();
  }

  /** Waits for pending appends, then closes the file. */
  close(): Promise<void> {
    return this.log.close();
  }

  private index(block: Block): void {
    this.heightById.set(block.id, block.height);
    // First occurrence wins: the store trusts validation and does not reject duplicates itself.
    for (const entry of block.entries) {
      if (!this.heightByEntry.has(entry.id)) this.heightByEntry.set(entry.id, block.height);
    }
  }
}

function continuationError(tip: Block, block: Block): string | undefined {
  if (block.height !== tip.height + 1) return `height ${block.height} does not follow ${tip.height}`;
  if (block.parentId !== tip.id) return `parent ${block.parentId} is not block ${tip.id} at height ${tip.height}`;
  return undefined;
}

function corrupt(file: string, offset: number, why: string): SnowchainError {
  return new SnowchainError(
    ErrorCode.CORRUPT_STORE,
    `${file}: intact record at offset ${offset} is not the next block (${why}); refusing to drop it — ` +
      "is this the data directory of another network?",
    { file, offset },
  );
}
