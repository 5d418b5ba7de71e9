/** Hex-encoded sha-256 of a block's canonical encoding (64 lowercase hex characters). */
export type BlockId = string;
/** Hex-encoded sha-256 of an entry's data (64 lowercase hex characters). */
export type EntryId = string;

/** Client data: opaque bytes, identified by their content hash. */
export interface Entry {
  readonly id: EntryId;
  readonly data: Buffer;
}

/**
 * A block. `id` is always derived from the other fields (see hash.ts): code that builds a Block
 * from untrusted input must go through `makeBlock`, never set `id` itself.
 */
export interface Block {
  readonly id: BlockId;
  readonly height: number;
  readonly parentId: BlockId;
  /** The proposer's node id: derived from `proposerKey`, so only its holder can sign as it. */
  readonly proposer: string;
  readonly timestampMs: number;
  readonly entries: readonly Entry[];
  /** The proposer's raw Ed25519 public key; empty for genesis (and blocks not signed yet). */
  readonly proposerKey: Buffer;
  /** The proposer's signature of the block id; not part of the id. Empty when unsigned. */
  readonly signature: Buffer;
}

/** The fields a block is made from; the id follows from all but the key and signature. */
export type BlockFields = Omit<Block, "id" | "entries" | "proposerKey" | "signature"> & {
  readonly entries: readonly Buffer[];
  readonly proposerKey?: Buffer;
  readonly signature?: Buffer;
};
