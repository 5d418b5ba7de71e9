import { ErrorCode, SnowchainError } from "../../../src/errors";
import { genesisBlock } from "../../../src/chain/genesis";
import { entryId, makeBlock } from "../../../src/chain/hash";
import type { Block, BlockFields, EntryId } from "../../../src/chain/types";
import { signedBlock } from "../../../src/chain/signing";
import {
  validateBlock,
  validateEntryData,
  type BlockLimits,
  type ValidationContext,
} from "../../../src/chain/validate";
import { childOf, data, signerFor, TEST_SIGNER } from "../../utils/chain/blocks";
import { thrown } from "../../utils/chain/errors";

const limits: BlockLimits = { maxEntryBytes: 16, maxBlockEntries: 4, maxBlockBytes: 40 };
const NOW = 1_700_000_000_000;
const parent: Block = childOf(genesisBlock("net"), { timestampMs: NOW - 1000, entries: [data("p")] });

function context(overrides: Partial<ValidationContext> = {}): ValidationContext {
  return { parent, entryInAncestry: () => false, limits, nowMs: NOW, maxClockSkewMs: 500, ...overrides };
}

function child(overrides: Partial<BlockFields> = {}): Block {
  return childOf(parent, { timestampMs: NOW, entries: [data(1), data(2)], ...overrides });
}

function failure(block: Block, ctx = context()): SnowchainError {
  return thrown(() => validateBlock(block, ctx));
}

describe("validateBlock", () => {
  it("accepts a block that follows every rule", () => {
    expect(() => validateBlock(child(), context())).not.toThrow();
  });

  it("accepts a block exactly at the limits and at the clock-skew edge", () => {
    const full = child({
      timestampMs: NOW + 500,
      entries: [Buffer.alloc(16, 1), Buffer.alloc(16, 2), Buffer.alloc(4, 3), Buffer.alloc(4, 4)],
    });
    expect(() => validateBlock(full, context())).not.toThrow();
  });

  it("accepts the parent's timestamp", () => {
    expect(() => validateBlock(child({ timestampMs: parent.timestampMs }), context())).not.toThrow();
  });

  const cases: [string, () => Block, ErrorCode, RegExp][] = [
    ["a height that skips", () => child({ height: parent.height + 2 }), ErrorCode.INVALID_BLOCK,
      /^block height 3 does not follow parent height 1$/],
    ["a height that repeats", () => child({ height: parent.height }), ErrorCode.INVALID_BLOCK,
      /^block height 1 does not follow parent height 1$/],
    ["another parent", () => child({ parentId: "ee".repeat(32) }), ErrorCode.INVALID_BLOCK,
      new RegExp(`^block parent ${"ee".repeat(32)} is not ${parent.id}$`)],
    ["a timestamp before the parent's", () => child({ timestampMs: parent.timestampMs - 1 }), ErrorCode.INVALID_BLOCK,
      new RegExp(`^block timestamp ${parent.timestampMs - 1} is before its parent's ${parent.timestampMs}$`)],
    ["a timestamp beyond the clock skew", () => child({ timestampMs: NOW + 501 }), ErrorCode.INVALID_BLOCK,
      new RegExp(`^block timestamp ${NOW + 501} is more than 500 ms ahead of local time ${NOW}$`)],
    ["no entries", () => child({ entries: [] }), ErrorCode.INVALID_BLOCK, /^block has no entries$/],
    ["too many entries", () => child({ entries: [1, 2, 3, 4, 5].map(data) }), ErrorCode.TOO_LARGE,
      /^block has 5 entries, limit 4$/],
    ["too many bytes", () => child({ entries: [1, 2, 3].map((i) => Buffer.alloc(14, i)) }), ErrorCode.TOO_LARGE,
      /^block holds 42 bytes of entries, limit 40$/],
    ["an empty entry", () => child({ entries: [data(1), Buffer.alloc(0)] }), ErrorCode.INVALID_BLOCK,
      new RegExp(`^entry ${entryId(Buffer.alloc(0))} is empty$`)],
    ["an entry over the limit", () => child({ entries: [Buffer.alloc(17, 9)] }), ErrorCode.TOO_LARGE,
      new RegExp(`^entry ${entryId(Buffer.alloc(17, 9))} is 17 bytes, limit 16$`)],
    ["the same entry twice", () => child({ entries: [data(1), data(2), data(1)] }), ErrorCode.INVALID_BLOCK,
      new RegExp(`^entry ${entryId(data(1))} appears twice in the block$`)],
    ["an empty proposer", () => child({ proposer: "" }), ErrorCode.INVALID_BLOCK, /^block proposer is empty$/],
    ["a proposer over 128 bytes", () => child({ proposer: "é".repeat(65) }), ErrorCode.INVALID_BLOCK,
      /^block proposer is 130 bytes, limit 128$/],
  ];
  it.each(cases)("refuses %s", (_, make, code, message) => {
    const err = failure(make());
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it("accepts a block signed by its proposer", () => {
    expect(() => validateBlock(child(), context())).not.toThrow();
  });

  it("refuses a block in another peer's name: unsigned, signed by another key, or with a forged signature", () => {
    const honest = child();
    const other = signerFor("other");
    const unsigned = makeBlock({ ...honest, entries: honest.entries.map((e) => e.data), proposerKey: undefined, signature: undefined });
    expect(failure(unsigned).message).toBe("block carries no 32-byte proposer key");
    // Another key claiming the honest proposer's id:
    const stolenName = { ...honest, proposerKey: other.publicKey, signature: other.sign(Buffer.from(honest.id, "hex")) };
    expect(failure(stolenName).message).toBe(`block proposer ${honest.proposer} is not the node id of the key it carries`);
    // The right key, a signature of something else:
    const forged = { ...honest, signature: TEST_SIGNER.sign(Buffer.from("not the id")) };
    expect(failure(forged).message).toBe(`block signature does not verify: it was not signed by its proposer ${honest.proposer}`);
    const broken = { ...honest, signature: Buffer.alloc(64) };
    expect(failure(broken).code).toBe(ErrorCode.INVALID_BLOCK);
  });

  it("refuses an entry already in the ancestry, naming it", () => {
    const asked: EntryId[] = [];
    const inAncestry = entryId(data(2));
    const err = failure(child(), context({ entryInAncestry: (id) => (asked.push(id), id === inAncestry) }));
    expect(err.code).toBe(ErrorCode.INVALID_BLOCK);
    expect(err.message).toBe(`entry ${inAncestry} already in the chain`);
    expect(asked).toContain(entryId(data(1)));
  });

  it("carries the block id and height in the error fields", () => {
    const block = child({ entries: [] });
    expect(failure(block).fields).toEqual({ blockId: block.id, height: block.height });
  });

  it("accepts the first block on genesis", () => {
    const genesis = genesisBlock("net");
    const first = signedBlock({ height: 1, parentId: genesis.id, timestampMs: 5, entries: [data(1)] }, TEST_SIGNER);
    expect(() => validateBlock(first, context({ parent: genesis }))).not.toThrow();
  });
});

describe("validateEntryData", () => {
  it("accepts data from 1 byte up to the limit", () => {
    expect(() => validateEntryData(Buffer.alloc(1), limits)).not.toThrow();
    expect(() => validateEntryData(Buffer.alloc(16), limits)).not.toThrow();
  });

  it("refuses empty data with INVALID_ARGUMENT", () => {
    const err = thrown(() => validateEntryData(Buffer.alloc(0), limits));
    expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(err.message).toBe("entry data is empty");
  });

  it("refuses data over the limit with TOO_LARGE, giving both sizes", () => {
    const err = thrown(() => validateEntryData(Buffer.alloc(17), limits));
    expect(err.code).toBe(ErrorCode.TOO_LARGE);
    expect(err.message).toBe("entry is 17 bytes, limit 16");
    expect(err.fields).toEqual({ size: 17, limit: 16 });
  });
});
