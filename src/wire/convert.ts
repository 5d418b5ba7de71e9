import { idToBytes, parseId } from "../chain/codec";
import { makeBlock } from "../chain/hash";
import type { Block } from "../chain/types";
import { ErrorCode, SnowchainError } from "../errors";
import type { AcceptedBlock } from "./generated/snowchain/v1/AcceptedBlock";
import type { Block as WireBlock, Block__Output as WireBlockOut } from "./generated/snowchain/v1/Block";

/** Wire ⇄ domain for blocks. The id is never taken from the wire: it is recomputed. */
export function blockToWire(block: Block): WireBlock {
  return {
    height: block.height,
    parent_id: idToBytes(block.parentId, "parent_id"),
    proposer: block.proposer,
    timestamp_ms: block.timestampMs,
    entries: block.entries.map((e) => e.data),
    proposer_key: block.proposerKey,
    signature: block.signature,
    claimed_id: idToBytes(block.id, "id"),
  };
}

/** The id a wire block's sender claims (a hint: see types.proto), or undefined. */
export function claimedId(wire: WireBlockOut): string | undefined {
  return wire.claimed_id.length === 32 ? wire.claimed_id.toString("hex") : undefined;
}

/**
 * A block from the wire, shape-checked and with its ids derived. Limits on counts guard the
 * hashing work a remote can make us do; full validation (validate.ts) happens where the parent is known.
 */
export function blockFromWire(wire: WireBlockOut | null | undefined, maxEntries: number): Block {
  if (!wire) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, "block is missing");
  if (wire.entries.length > maxEntries) {
    throw new SnowchainError(ErrorCode.TOO_LARGE, `block has ${wire.entries.length} entries, at most ${maxEntries} allowed`);
  }
  return makeBlock({
    height: wire.height,
    parentId: parseId(wire.parent_id, "parent_id"),
    proposer: wire.proposer,
    timestampMs: wire.timestamp_ms,
    entries: wire.entries,
    proposerKey: wire.proposer_key,
    signature: wire.signature,
  });
}

/** What readers get: the block with its id and its entries' ids. */
export function acceptedToWire(block: Block): AcceptedBlock {
  return {
    id: idToBytes(block.id, "id"),
    height: block.height,
    parent_id: idToBytes(block.parentId, "parent_id"),
    proposer: block.proposer,
    timestamp_ms: block.timestampMs,
    entries: block.entries.map((e) => ({ id: Buffer.from(e.id, "hex"), data: e.data })),
    proposer_key: block.proposerKey,
    signature: block.signature,
  };
}

/** An optional id: empty bytes mean "none". */
export function optionalIdToBytes(id: string | undefined): Buffer {
  return id === undefined ? Buffer.alloc(0) : Buffer.from(id, "hex");
}

export function optionalIdFromBytes(buf: Buffer, what: string): string | undefined {
  return buf.length === 0 ? undefined : parseId(buf, what);
}
