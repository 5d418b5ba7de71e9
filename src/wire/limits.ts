import { MAX_MESSAGE_BYTES } from "./channel";

/** Most heights one query may ask about (and blocks one query or gossip may carry): bounds the work a remote can ask for. */
export const MAX_QUERY_HEIGHTS = 64;

/** Bounds of one SubmitBatch call (a bigger one is refused whole, naming the bound): ≥ the largest entry (MAX_BLOCK_BYTES_LIMIT), far below MAX_MESSAGE_BYTES. */
export const SUBMIT_BATCH_LIMITS = { maxEntries: 1000, maxBytes: 4 * 1024 * 1024 } as const;

/**
 * Most bytes of blocks in one answer that lists blocks (GetChain, FetchRange; WatchBlocks reads
 * its history in pages this size): half the message limit, so a page with one more big block
 * (MAX_BLOCK_BYTES_LIMIT and its entry ids) still fits. A page always holds at least one block,
 * so a caller always moves on; one shorter than asked is not the end of the chain.
 */
export const PAGE_BYTES = MAX_MESSAGE_BYTES / 2;

/**
 * Answers one QueryStream may have written and not yet sent (the caller does not read them, or
 * grants no HTTP/2 window): past either bound the stream ends with RESOURCE_EXHAUSTED. A member
 * that reads has a handful in flight; one answer is at most MAX_QUERY_HEIGHTS ids (~2.2 KB on the
 * wire, ~9 KB as objects), so 256 of them is about 2 MiB of this peer's memory.
 */
export const QUERY_STREAM_BACKLOG = { maxMessages: 256, maxBytes: 1024 * 1024 } as const;

/**
 * Bounds of WatchBlocks. maxPerCaller: streams open at once from one caller address (past it a
 * new one is refused with RESOURCE_EXHAUSTED). maxBufferedBytes: blocks written to one watcher
 * and not yet sent; past it the peer waits for the watcher to read (history and live blocks
 * alike are read again from the chain, never queued). maxLagBlocks: blocks accepted while a
 * watcher did not read; past it the stream ends with RESOURCE_EXHAUSTED.
 */
export const WATCH_LIMITS = { maxPerCaller: 16, maxBufferedBytes: 256 * 1024, maxLagBlocks: 10_000 } as const;
