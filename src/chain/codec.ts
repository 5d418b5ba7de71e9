import { ErrorCode, SnowchainError } from "../errors";
import { encodeBlockFields, isBlockId, makeBlock } from "./hash";
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "./keys";
import type { Block } from "./types";

/**
 * Blocks as bytes (the store's record payload) and ids as bytes (the wire's form).
 *
 * A stored block is its canonical encoding (hash.ts), then, for a signed block, the proposer's
 * 32-byte public key and 64-byte signature (which the id does not cover). The id is recomputed on
 * decode, so a stored or received block can never carry an id that does not match its fields.
 *
 * Errors: decoding garbage throws INVALID_ARGUMENT. The codec cannot know where the bytes came
 * from; the store, which does, reports its own failures as CORRUPT_STORE.
 */

const ID_BYTES = 32;

/** The canonical encoding of `block` (its id is the sha-256 of these bytes). */
export function encodeBlock(block: Block): Buffer {
  const canonical = encodeBlockFields({
    height: block.height,
    parentId: block.parentId,
    proposer: block.proposer,
    timestampMs: block.timestampMs,
    entries: block.entries.map((e) => e.data),
  });
  if (block.signature.length === 0) return canonical;
  if (block.proposerKey.length !== PUBLIC_KEY_BYTES || block.signature.length !== SIGNATURE_BYTES) {
    throw malformed(`a signed block needs a ${PUBLIC_KEY_BYTES}-byte key and a ${SIGNATURE_BYTES}-byte signature`);
  }
  return Buffer.concat([canonical, block.proposerKey, block.signature]);
}

/**
 * The block whose canonical encoding is `buf`, with its ids recomputed. Entry data is copied, so
 * the block does not pin (or share) the caller's buffer. Throws INVALID_ARGUMENT on any buffer
 * that is not exactly one canonical encoding.
 */
export function decodeBlock(buf: Buffer): Block {
  const r = new Reader(buf);
  const height = r.u53("height");
  const parentId = r.bytes(ID_BYTES, "parentId").toString("hex");
  const proposerBytes = r.bytes(r.u16(), "proposer");
  const proposer = proposerBytes.toString("utf8");
  // Invalid utf-8 decodes to U+FFFD and would re-encode differently: the id must come from the
  // bytes that were sent, so such a proposer is refused rather than silently changed.
  if (!Buffer.from(proposer, "utf8").equals(proposerBytes)) throw malformed("proposer is not valid utf-8");
  const timestampMs = r.u53("timestampMs");
  const count = r.u32();
  // Every entry takes at least its 4-byte length: a count the buffer cannot hold is garbage,
  // refused before allocating for it.
  if (count > r.remaining() / 4) {
    throw malformed(`claims ${count} entries in ${r.remaining()} bytes`);
  }
  const entries: Buffer[] = new Array<Buffer>(count);
  for (let i = 0; i < count; i++) entries[i] = Buffer.from(r.bytes(r.u32(), `entry ${i}`));
  // Nothing more (unsigned: genesis), or exactly a key and a signature.
  if (r.remaining() === 0) return makeBlock({ height, parentId, proposer, timestampMs, entries });
  if (r.remaining() !== PUBLIC_KEY_BYTES + SIGNATURE_BYTES) throw malformed(`${r.remaining()} trailing bytes`);
  const proposerKey = Buffer.from(r.bytes(PUBLIC_KEY_BYTES, "proposerKey"));
  const signature = Buffer.from(r.bytes(SIGNATURE_BYTES, "signature"));
  return makeBlock({ height, parentId, proposer, timestampMs, entries, proposerKey, signature });
}

/** A 32-byte id from the wire as the 64-hex-character string used everywhere else. */
export function parseId(buf: Uint8Array, what: string): string {
  if (buf.length !== ID_BYTES) {
    throw new SnowchainError(
      ErrorCode.INVALID_ARGUMENT,
      `${what} must be ${ID_BYTES} bytes, got ${buf.length}`,
    );
  }
  return Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString("hex");
}

/** A 64-hex-character id as the 32 bytes sent on the wire. */
export function idToBytes(id: string, what: string): Buffer {
  if (!isBlockId(id)) {
    throw new SnowchainError(
      ErrorCode.INVALID_ARGUMENT,
      `${what} must be 64 lowercase hex characters, got ${JSON.stringify(String(id).slice(0, 80))}`,
    );
  }
  return Buffer.from(id, "hex");
}

function malformed(why: string): SnowchainError {
  return new SnowchainError(ErrorCode.INVALID_ARGUMENT, `malformed block encoding: ${why}`);
}

/** Bounds-checked reads: every overrun becomes INVALID_ARGUMENT, never a RangeError. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  remaining(): number {
    return this.buf.length - this.at;
  }

  bytes(n: number, what: string): Buffer {
    if (n > this.remaining()) throw malformed(`${what} needs ${n} bytes, ${this.remaining()} left`);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u16(): number {
    return this.bytes(2, "u16").readUInt16BE(0);
  }

  u32(): number {
    return this.bytes(4, "u32").readUInt32BE(0);
  }

  u53(what: string): number {
    const v = this.bytes(8, what).readBigUInt64BE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(`${what} ${v} exceeds 2^53-1`);
    return Number(v);
  }
}
