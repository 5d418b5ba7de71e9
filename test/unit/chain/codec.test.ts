import { ErrorCode } from "../../../src/errors";
import { decodeBlock, encodeBlock, idToBytes, parseId } from "../../../src/chain/codec";
import { genesisBlock } from "../../../src/chain/genesis";
import { encodeBlockFields, makeBlock } from "../../../src/chain/hash";
import { thrown } from "../../utils/chain/errors";

const block = makeBlock({
  height: 42,
  parentId: "cd".repeat(32),
  proposer: "nœud-ü-🚀",
  timestampMs: 1_700_000_123_456,
  entries: [Buffer.from([0, 1, 2, 255]), Buffer.from("text entry"), Buffer.alloc(1000, 7)],
});

function decodeError(buf: Buffer): Error {
  const err = thrown(() => decodeBlock(buf));
  expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
  return err;
}

describe("encodeBlock / decodeBlock", () => {
  it("round-trips every field and the ids", () => {
    const decoded = decodeBlock(encodeBlock(block));
    expect(decoded).toEqual(block);
    expect(decoded.entries.map((e) => e.data)).toEqual(block.entries.map((e) => e.data));
  });

  it("round-trips a block without entries (genesis)", () => {
    const genesis = genesisBlock("net");
    expect(decodeBlock(encodeBlock(genesis))).toEqual(genesis);
  });

  it("stores the canonical encoding, the bytes the id is hashed from", () => {
    expect(encodeBlock(block)).toEqual(
      encodeBlockFields({ ...block, entries: block.entries.map((e) => e.data) }),
    );
  });

  it("recomputes the id from the bytes, so damaged bytes give another id", () => {
    const bytes = encodeBlock(block);
    bytes[bytes.length - 1] ^= 1;
    expect(decodeBlock(bytes).id).not.toBe(block.id);
  });

  it("copies entry data out of the input buffer", () => {
    const bytes = encodeBlock(block);
    const decoded = decodeBlock(bytes);
    bytes.fill(0);
    expect(decoded.entries[1].data.toString()).toBe("text entry");
  });

  it("refuses every truncation with INVALID_ARGUMENT", () => {
    const bytes = encodeBlock(block);
    for (let n = 0; n < bytes.length; n++) {
      expect(decodeError(bytes.subarray(0, n)).message).toMatch(/malformed block encoding/);
    }
  });

  it("refuses trailing bytes", () => {
    expect(decodeError(Buffer.concat([encodeBlock(block), Buffer.from([0])])).message).toMatch(/1 trailing bytes/);
  });

  it("refuses an entry count the buffer cannot hold, without allocating for it", () => {
    const bytes = encodeBlock(genesisBlock("net"));
    bytes.writeUInt32BE(0xffffffff, bytes.length - 4);
    expect(decodeError(bytes).message).toMatch(/claims 4294967295 entries in 0 bytes/);
  });

  it("refuses a height beyond 2^53-1", () => {
    const bytes = encodeBlock(block);
    bytes.writeBigUInt64BE(2n ** 53n, 0);
    expect(decodeError(bytes).message).toMatch(/height 9007199254740992 exceeds/);
  });

  it("refuses a proposer that is not valid utf-8", () => {
    const bytes = encodeBlock(makeBlock({ ...block, proposer: "ab", entries: [] }));
    bytes[8 + 32 + 2] = 0xff;
    expect(decodeError(bytes).message).toMatch(/proposer is not valid utf-8/);
  });
});

describe("parseId / idToBytes", () => {
  it("turns 32 bytes into the hex id and back", () => {
    const bytes = Buffer.alloc(32, 0xab);
    const id = parseId(bytes, "block id");
    expect(id).toBe("ab".repeat(32));
    expect(idToBytes(id, "block id")).toEqual(bytes);
  });

  it("reads a Uint8Array view at an offset", () => {
    const backing = Buffer.alloc(40, 0);
    backing.fill(0xcd, 8);
    expect(parseId(new Uint8Array(backing.buffer, backing.byteOffset + 8, 32), "entry id")).toBe("cd".repeat(32));
  });

  it("names what is wrong and the size it got", () => {
    const err = thrown(() => parseId(Buffer.alloc(5), "block id"));
    expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(err.message).toBe("block id must be 32 bytes, got 5");
    expect(thrown(() => parseId(Buffer.alloc(0), "entry id")).message).toBe("entry id must be 32 bytes, got 0");
  });

  it("refuses a hex id that is not 64 lowercase hex characters", () => {
    expect(() => idToBytes("AB".repeat(32), "parent id")).toThrow(/parent id must be 64 lowercase hex/);
    expect(() => idToBytes("ab", "parent id")).toThrow(/parent id must be 64 lowercase hex/);
  });
});
