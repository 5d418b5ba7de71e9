import { createHash } from "node:crypto";
import { ErrorCode, SnowchainError } from "../errors";
import type { Block, BlockFields, BlockId, Entry, EntryId } from "./types";

/**
 * Ids and the canonical block encoding. A block id is the sha-256 of this encoding, so every peer
 * derives the same id from the same fields and a block on the wire cannot lie about its id
 * (proto/snowchain/v1/types.proto sends no id).
 *
 * Canonical encoding (all integers big-endian):
 *   height       u64
 *   parentId     32 raw bytes
 *   proposer     u16 byte length + utf-8 bytes
 *   timestampMs  u64
 *   entry count  u32
 *   each entry   u32 byte length + bytes
 */

/** The parent id of genesis: 32 zero bytes. */
export const ZERO_ID: BlockId = "0".repeat(64);

/** Largest proposer the u16 length prefix can carry; validation enforces a much smaller limit. */
const MAX_ENCODABLE_PROPOSER_BYTES = 0xffff;
const MAX_ENCODABLE_ENTRY_BYTES = 0xffffffff;

const ID_PATTERN = /^[0-9a-f]{64}$/;

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hex sha-256 of the entry's data: identical data is the same entry. */
export function entryId(data: Buffer): EntryId {
  return sha256Hex(data);
}

export function makeEntry(data: Buffer): Entry {
  return Object.freeze({ id: entryId(data), data });
}

/** 64 lowercase hex characters: the only spelling of an id, so ids compare as strings. */
export function isBlockId(s: unknown): s is BlockId {
  return typeof s === "string" && ID_PATTERN.test(s);
}

export function isEntryId(s: unknown): s is EntryId {
  return typeof s === "string" && ID_PATTERN.test(s);
}

/** The canonical encoding of a block's fields (see the header of this file). */
export function encodeBlockFields(fields: BlockFields): Buffer {
  checkEncodable(fields);
  const proposer = Buffer.from(fields.proposer, "utf8");
  if (proposer.length > MAX_ENCODABLE_PROPOSER_BYTES) {
    throw new SnowchainError(
      ErrorCode.INVALID_ARGUMENT,
      `proposer is ${proposer.length} bytes, the encoding allows ${MAX_ENCODABLE_PROPOSER_BYTES}`,
    );
  }
  let size = 8 + 32 + 2 + proposer.length + 8 + 4;
  for (const data of fields.entries) size += 4 + data.length;

  const out = Buffer.allocUnsafe(size);
  let at = out.writeBigUInt64BE(BigInt(fields.height), 0);
  at += out.write(fields.parentId, at, 32, "hex");
  at = out.writeUInt16BE(proposer.length, at);
  at += proposer.copy(out, at);
  at = out.writeBigUInt64BE(BigInt(fields.timestampMs), at);
  at = out.writeUInt32BE(fields.entries.length, at);
  for (const data of fields.entries) {
    at = out.writeUInt32BE(data.length, at);
    at += data.copy(out, at);
  }
  return out;
}

/** Hex sha-256 of the canonical encoding of `fields`. */
export function blockId(fields: BlockFields): BlockId {
  return sha256Hex(encodeBlockFields(fields));
}

/**
 * The only way a Block is made: derives every entry id and the block id from the fields, so an
 * id can be trusted wherever a Block is held. The result is frozen for the same reason.
 * Throws INVALID_ARGUMENT when a field cannot be encoded (non-integer height, malformed parent
 * id, ...); whether the block is *valid* is validate.ts's question.
 */
export function makeBlock(fields: BlockFields): Block {
  const id = blockId(fields);
  return Object.freeze({
    id,
    height: fields.height,
    parentId: fields.parentId,
    proposer: fields.proposer,
    timestampMs: fields.timestampMs,
    entries: Object.freeze(fields.entries.map(makeEntry)),
    proposerKey: fields.proposerKey ?? NO_BYTES,
    signature: fields.signature ?? NO_BYTES,
  });
}

const NO_BYTES = Buffer.alloc(0);

function checkEncodable(fields: BlockFields): void {
  checkU53("height", fields.height);
  checkU53("timestampMs", fields.timestampMs);
  if (!isBlockId(fields.parentId)) {
    throw new SnowchainError(
      ErrorCode.INVALID_ARGUMENT,
      `parentId must be 64 lowercase hex characters, got ${JSON.stringify(String(fields.parentId).slice(0, 80))}`,
    );
  }
  if (typeof fields.proposer !== "string") {
    throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, "proposer must be a string");
  }
  if (fields.entries.length > MAX_ENCODABLE_ENTRY_BYTES) {
    throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, "too many entries to encode");
  }
  for (const data of fields.entries) {
    if (!Buffer.isBuffer(data)) {
      throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, "entry data must be a Buffer");
    }
    if (data.length > MAX_ENCODABLE_ENTRY_BYTES) {
      throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `entry of ${data.length} bytes cannot be encoded`);
    }
  }
}

/** u64 on the wire and on disk, but a JS number in memory: only safe integers round-trip. */
function checkU53(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SnowchainError(
      ErrorCode.INVALID_ARGUMENT,
      `${what} must be a non-negative safe integer, got ${String(value)}`,
    );
  }
}
