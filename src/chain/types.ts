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
  readonly proposer: string;
  readonly timestampMs: number;
  readonly entries: readonly Entry[];
}

/** The fields a block is made from; the id follows from them. */
export type BlockFields = Omit<Block, "id" | "entries"> & { readonly entries: readonly Buffer[] };
