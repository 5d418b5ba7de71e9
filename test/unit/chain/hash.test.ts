import { createHash } from "node:crypto";
import { ErrorCode } from "../../../src/errors";
import { blockId, entryId, isBlockId, isEntryId, makeBlock, ZERO_ID } from "../../../src/chain/hash";
import type { BlockFields } from "../../../src/chain/types";
import { thrown } from "../../utils/chain/errors";

const base: BlockFields = {
  height: 7,
  parentId: "ab".repeat(32),
  proposer: "node-a",
  timestampMs: 1_700_000_000_000,
  entries: [Buffer.from("one"), Buffer.from("two")],
};

function expectInvalidArgument(fn: () => unknown, message: RegExp): void {
  const err = thrown(fn);
  expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
  expect(err.message).toMatch(message);
}

describe("entryId", () => {
  it("is the lowercase hex sha-256 of the data", () => {
    expect(entryId(Buffer.from("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("blockId", () => {
  it("is the sha-256 of the documented canonical encoding", () => {
    const expected = Buffer.concat([
      Buffer.from("0000000000000007", "hex"),
      Buffer.from(base.parentId, "hex"),
      Buffer.from("0006", "hex"),
      Buffer.from("node-a"),
      Buffer.from("0000018bcfe56800", "hex"),
      Buffer.from("00000002", "hex"),
      Buffer.from("00000003", "hex"),
      Buffer.from("one"),
      Buffer.from("00000003", "hex"),
      Buffer.from("two"),
    ]);
    expect(blockId(base)).toBe(createHash("sha256").update(expected).digest("hex"));
  });

  it("is the same for the same fields, built separately", () => {
    const copy: BlockFields = { ...base, entries: base.entries.map((e) => Buffer.from(e)) };
    expect(blockId(copy)).toBe(blockId(base));
    expect(makeBlock(copy).id).toBe(makeBlock(base).id);
  });

  const changes: [string, Partial<BlockFields>][] = [
    ["height", { height: 8 }],
    ["parentId", { parentId: "ab".repeat(31) + "ac" }],
    ["proposer", { proposer: "node-b" }],
    ["timestampMs", { timestampMs: base.timestampMs + 1 }],
    ["one entry's data", { entries: [Buffer.from("one"), Buffer.from("twO")] }],
    ["entry order", { entries: [Buffer.from("two"), Buffer.from("one")] }],
    ["entry boundaries", { entries: [Buffer.from("on"), Buffer.from("etwo")] }],
    ["entry count", { entries: [Buffer.from("one")] }],
  ];
  it.each(changes)("changes when %s changes", (_, change) => {
    expect(blockId({ ...base, ...change })).not.toBe(blockId(base));
  });
});

describe("makeBlock", () => {
  it("derives the block id and every entry id, and freezes the result", () => {
    const block = makeBlock(base);
    expect(block.id).toBe(blockId(base));
    expect(block.entries.map((e) => e.id)).toEqual([entryId(Buffer.from("one")), entryId(Buffer.from("two"))]);
    expect(Object.isFrozen(block)).toBe(true);
    expect(Object.isFrozen(block.entries)).toBe(true);
  });

  it.each([
    ["a fractional height", { height: 1.5 }, /height must be a non-negative safe integer/],
    ["a negative height", { height: -1 }, /height must be a non-negative safe integer/],
    ["an unsafe timestamp", { timestampMs: 2 ** 53 }, /timestampMs must be a non-negative safe integer/],
    ["an uppercase parent id", { parentId: "AB".repeat(32) }, /parentId must be 64 lowercase hex/],
    ["a short parent id", { parentId: "ab" }, /parentId must be 64 lowercase hex/],
    ["a proposer over the u16 prefix", { proposer: "x".repeat(0x10000) }, /proposer is 65536 bytes/],
  ] as [string, Partial<BlockFields>, RegExp][])("refuses %s with INVALID_ARGUMENT", (_, change, message) => {
    expectInvalidArgument(() => makeBlock({ ...base, ...change }), message);
  });
});

describe("isBlockId / isEntryId", () => {
  it("accept exactly 64 lowercase hex characters", () => {
    for (const check of [isBlockId, isEntryId]) {
      expect(check(ZERO_ID)).toBe(true);
      expect(check("0123456789abcdef".repeat(4))).toBe(true);
      expect(check("0123456789ABCDEF".repeat(4))).toBe(false);
      expect(check("0".repeat(63))).toBe(false);
      expect(check("0".repeat(65))).toBe(false);
      expect(check("g".repeat(64))).toBe(false);
      expect(check(undefined)).toBe(false);
    }
  });
});
