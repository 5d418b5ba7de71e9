/** Most heights one query may ask about (and blocks one query or gossip may carry): bounds the work a remote can ask for. */
export const MAX_QUERY_HEIGHTS = 64;

/** Bounds of one SubmitBatch call (a bigger one is refused whole, naming the bound): ≥ the largest entry (MAX_BLOCK_BYTES_LIMIT), far below MAX_MESSAGE_BYTES. */
export const SUBMIT_BATCH_LIMITS = { maxEntries: 1000, maxBytes: 4 * 1024 * 1024 } as const;
