/** The chain module: blocks, ids, validation, the accepted-block store, the mempool and its journal. */
export type { Block, BlockFields, BlockId, Entry, EntryId } from "./types";
export { ZERO_ID, blockId, encodeBlockFields, entryId, isBlockId, isEntryId, makeBlock, makeEntry, sha256Hex } from "./hash";
export { decodeBlock, encodeBlock, idToBytes, parseId } from "./codec";
export { genesisBlock } from "./genesis";
export { MAX_PROPOSER_BYTES, validateBlock, validateEntryData } from "./validate";
export type { BlockLimits, ValidationContext } from "./validate";
export { BLOCKS_FILE, BlockStore } from "./store";
export { Mempool } from "./mempool";
export type { MempoolLimits } from "./mempool";
export { MEMPOOL_FILE, MempoolJournal } from "./mempool-journal";
export type { OpenedMempoolJournal } from "./mempool-journal";
export type { RecordLogStats } from "./record-log";
