import type { Block } from "../chain/types";
import type { QueryResponse } from "./generated/snowchain/v1/QueryResponse";

/**
 * Encoded sizes, from above, without encoding: what pages and stream backlogs are bounded by.
 * A field costs its bytes plus a tag and a length (at most 1 + 5 bytes here); the fixed part of a
 * block (ids, key, signature, height, timestamp: ~220 bytes) is rounded up to 256.
 */
const FIELD = 6;
const BLOCK_FIXED = 256;
const ID = 32;

/** A block as FetchRange sends it (types.proto Block: entries as bytes). */
export function blockWireBytes(block: Block): number {
  let n = BLOCK_FIXED + block.proposer.length;
  for (const e of block.entries) n += e.data.length + FIELD;
  return n;
}

/** A block as readers get it (client.proto AcceptedBlock: each entry a message with its id). */
export function acceptedWireBytes(block: Block): number {
  let n = BLOCK_FIXED + block.proposer.length;
  for (const e of block.entries) n += e.data.length + ID + 3 * FIELD;
  return n;
}

/** One QueryStream answer. */
export function queryResponseWireBytes(res: QueryResponse): number {
  let n = 5 * 11; // the numeric fields, each a tag and a varint of at most 10 bytes
  for (const id of res.preferred_ids ?? []) n += id.length + FIELD;
  return n;
}
