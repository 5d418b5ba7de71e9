import { ErrorCode, SnowchainError } from "../errors";
import { nodeIdOf, PUBLIC_KEY_BYTES, verifySignature } from "./keys";
import type { Block, EntryId } from "./types";

/** Size limits of entries and blocks (from config). */
export interface BlockLimits {
  /** Largest entry, in bytes of data. */
  readonly maxEntryBytes: number;
  /** Most entries in one block. */
  readonly maxBlockEntries: number;
  /** Largest block, counted as the sum of its entries' data bytes (the framing is not counted). */
  readonly maxBlockBytes: number;
}

export interface ValidationContext {
  /** The block's parent, already known and valid. */
  readonly parent: Block;
  /** true when the entry is already in the accepted chain or in an undecided ancestor of this block */
  readonly entryInAncestry: (id: EntryId) => boolean;
  readonly limits: BlockLimits;
  /** The local clock, in ms since the epoch. */
  readonly nowMs: number;
  /** How far ahead of the local clock a block's timestamp may be. */
  readonly maxClockSkewMs: number;
}

/** A proposer is a node id; the bound keeps a hostile peer from inflating every block it makes. */
export const MAX_PROPOSER_BYTES = 128;

/**
 * Throws SnowchainError when `block` cannot extend `ctx.parent`: INVALID_BLOCK for a broken rule,
 * TOO_LARGE for a limit exceeded. The id needs no check: a Block is only made by makeBlock,
 * which derives it.
 */
export function validateBlock(block: Block, ctx: ValidationContext): void {
  const { parent, limits } = ctx;
  if (block.height !== parent.height + 1) {
    throw invalid(`block height ${block.height} does not follow parent height ${parent.height}`, block);
  }
  if (block.parentId !== parent.id) {
    throw invalid(`block parent ${block.parentId} is not ${parent.id}`, block);
  }
  const proposerBytes = Buffer.byteLength(block.proposer, "utf8");
  if (proposerBytes === 0) throw invalid("block proposer is empty", block);
  if (proposerBytes > MAX_PROPOSER_BYTES) {
    throw invalid(`block proposer is ${proposerBytes} bytes, limit ${MAX_PROPOSER_BYTES}`, block);
  }
  if (block.timestampMs < parent.timestampMs) {
    throw invalid(
      `block timestamp ${block.timestampMs} is before its parent's ${parent.timestampMs}`,
      block,
    );
  }
  if (block.timestampMs > ctx.nowMs + ctx.maxClockSkewMs) {
    throw invalid(
      `block timestamp ${block.timestampMs} is more than ${ctx.maxClockSkewMs} ms ahead of local time ${ctx.nowMs}`,
      block,
    );
  }
  checkSignature(block);
  if (block.entries.length === 0) throw invalid("block has no entries", block);
  if (block.entries.length > limits.maxBlockEntries) {
    throw tooLarge(`block has ${block.entries.length} entries, limit ${limits.maxBlockEntries}`, block);
  }

  let totalBytes = 0;
  const seen = new Set<EntryId>();
  for (const entry of block.entries) {
    if (entry.data.length === 0) throw invalid(`entry ${entry.id} is empty`, block);
    if (entry.data.length > limits.maxEntryBytes) {
      throw tooLarge(`entry ${entry.id} is ${entry.data.length} bytes, limit ${limits.maxEntryBytes}`, block);
    }
    totalBytes += entry.data.length;
    if (seen.has(entry.id)) throw invalid(`entry ${entry.id} appears twice in the block`, block);
    seen.add(entry.id);
  }
  if (totalBytes > limits.maxBlockBytes) {
    throw tooLarge(`block holds ${totalBytes} bytes of entries, limit ${limits.maxBlockBytes}`, block);
  }
  // Last: the only check that may cost a lookup per entry outside this block.
  for (const entry of block.entries) {
    if (ctx.entryInAncestry(entry.id)) throw invalid(`entry ${entry.id} already in the chain`, block);
  }
}

/**
 * The block is its proposer's: the key is the one the proposer id stands for, and it signed the
 * block id. Without this, anyone could propose in another peer's name (and win its place in the
 * proposer order), and equivocation could not be pinned on anyone.
 */
function checkSignature(block: Block): void {
  if (block.proposerKey.length !== PUBLIC_KEY_BYTES) throw invalid(`block carries no ${PUBLIC_KEY_BYTES}-byte proposer key`, block);
  if (nodeIdOf(block.proposerKey) !== block.proposer) {
    throw invalid(`block proposer ${block.proposer.slice(0, 64)} is not the node id of the key it carries`, block);
  }
  if (!verifySignature(block.proposerKey, Buffer.from(block.id, "hex"), block.signature)) {
    throw invalid(`block signature does not verify: it was not signed by its proposer ${block.proposer}`, block);
  }
}

/**
 * Checks the data of a submitted entry: INVALID_ARGUMENT when empty, TOO_LARGE when over
 * `limits.maxEntryBytes`.
 */
export function validateEntryData(data: Buffer, limits: Pick<BlockLimits, "maxEntryBytes">): void {
  if (data.length === 0) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, "entry data is empty");
  if (data.length > limits.maxEntryBytes) {
    throw new SnowchainError(
      ErrorCode.TOO_LARGE,
      `entry is ${data.length} bytes, limit ${limits.maxEntryBytes}`,
      { size: data.length, limit: limits.maxEntryBytes },
    );
  }
}

function invalid(message: string, block: Block): SnowchainError {
  return new SnowchainError(ErrorCode.INVALID_BLOCK, message, { blockId: block.id, height: block.height });
}

function tooLarge(message: string, block: Block): SnowchainError {
  return new SnowchainError(ErrorCode.TOO_LARGE, message, { blockId: block.id, height: block.height });
}
