import { appendFile, readFile, stat, truncate, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { ErrorCode } from "../../../src/errors";
import { genesisBlock } from "../../../src/chain/genesis";
import { RECORD_HEADER_BYTES } from "../../../src/chain/record-log";
import { BLOCKS_FILE, BlockStore } from "../../../src/chain/store";
import { encodeBlock } from "../../../src/chain/codec";
import type { Block } from "../../../src/chain/types";
import { chainOn, childOf, data } from "../../utils/chain/blocks";
import { rejection } from "../../utils/chain/errors";
import { fileHandlePrototype } from "../../utils/chain/file-handle";
import { useTmpDir } from "../../utils/chain/tmp-dir";

const genesis = genesisBlock("store-test");

describe("BlockStore", () => {
  const tmp = useTmpDir();
  const opened: BlockStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  async function openStore(g: Block = genesis): Promise<BlockStore> {
    const store = await BlockStore.open(tmp(), g);
    opened.push(store);
    return store;
  }

  /** Closes `store` (so a reopen sees a finished file) and opens the same directory again. */
  async function reopen(store: BlockStore): Promise<BlockStore> {
    await store.close();
    return openStore();
  }

  const file = (): string => path.join(tmp(), BLOCKS_FILE);
  const recordBytes = (block: Block): number => RECORD_HEADER_BYTES + encodeBlock(block).length;

  it("starts a new directory with only genesis", async () => {
    const dir = path.join(tmp(), "nested", "data");
    const store = await BlockStore.open(dir, genesis);
    opened.push(store);
    expect(store.height()).toBe(0);
    expect(store.lastBlock()).toBe(genesis);
    expect(store.get(0)).toBe(genesis);
    expect(store.get(1)).toBeUndefined();
    expect(store.recoveredBytesDropped).toBe(0);
    expect((await stat(path.join(dir, BLOCKS_FILE))).size).toBe(0);
  });

  it("keeps appended blocks across a reopen, with their indexes", async () => {
    const blocks = chainOn(genesis, 3, 2);
    let store = await openStore();
    await store.append(blocks.slice(0, 1));
    await store.append(blocks.slice(1));
    store = await reopen(store);

    expect(store.height()).toBe(3);
    expect(store.lastBlock().id).toBe(blocks[2].id);
    expect([1, 2, 3].map((h) => store.get(h)?.id)).toEqual(blocks.map((b) => b.id));
    expect(store.getById(blocks[1].id)?.height).toBe(2);
    expect(store.entryHeight(blocks[2].entries[1].id)).toBe(3);
    expect(store.entryHeight(childOf(genesis, { entries: [data("never")] }).entries[0].id)).toBeUndefined();
    expect(store.range(2, 10).map((b) => b.height)).toEqual([2, 3]);
    expect(store.range(3, 2)).toEqual([]);
    expect(store.recoveredBytesDropped).toBe(0);
  });

  it("shows a block only once its append is durable", async () => {
    const store = await openStore();
    const [b1] = chainOn(genesis, 1);
    const appending = store.append([b1]);
    expect(store.height()).toBe(0);
    expect(store.appendedHeight()).toBe(1);
    expect(store.get(1)).toBeUndefined();
    expect(store.getById(b1.id)).toBeUndefined();
    expect(store.entryHeight(b1.entries[0].id)).toBeUndefined();
    await appending;
    expect(store.height()).toBe(1);
    expect(store.entryHeight(b1.entries[0].id)).toBe(1);
  });

  it("group-commits 200 concurrent appends into one chain, all durable", async () => {
    const store = await openStore();
    const blocks = chainOn(genesis, 200);
    // Every durable append passes through a sync of the file handle: count them.
    const handleProto = await fileHandlePrototype(tmp());
    const datasync = jest.spyOn(handleProto, "datasync");
    const sync = jest.spyOn(handleProto, "sync");
    try {
      await Promise.all(blocks.map((b) => store.append([b])));
      expect(store.height()).toBe(200);
      expect(store.stats().records).toBe(200);
      expect(store.stats().batches).toBeLessThanOrEqual(2);
      expect(datasync.mock.calls.length + sync.mock.calls.length).toBe(store.stats().batches);
    } finally {
      datasync.mockRestore();
      sync.mockRestore();
    }
    const again = await reopen(store);
    expect(again.height()).toBe(200);
    expect(again.range(1, 200).map((b) => b.id)).toEqual(blocks.map((b) => b.id));
  });

  it("drops a record cut mid-way on reopen, and appends after it again", async () => {
    const blocks = chainOn(genesis, 3);
    let store = await openStore();
    await store.append(blocks);
    await store.close();
    const full = (await stat(file())).size;
    await truncate(file(), full - 5);

    store = await openStore();
    expect(store.height()).toBe(2);
    expect(store.recoveredBytesDropped).toBe(recordBytes(blocks[2]) - 5);
    expect((await stat(file())).size).toBe(full - recordBytes(blocks[2]));

    const replacement = childOf(blocks[1], { entries: [data("replacement")] });
    await store.append([replacement]);
    store = await reopen(store);
    expect(store.height()).toBe(3);
    expect(store.lastBlock().id).toBe(replacement.id);
    expect(store.recoveredBytesDropped).toBe(0);
  });

  it("drops a cut header", async () => {
    const blocks = chainOn(genesis, 2);
    const store = await openStore();
    await store.append(blocks);
    await store.close();
    await appendFile(file(), Buffer.from([0, 0, 0]));
    const reopened = await openStore();
    expect(reopened.height()).toBe(2);
    expect(reopened.recoveredBytesDropped).toBe(3);
  });

  it.each([
    ["bytes whose length field overruns the file", Buffer.alloc(100, 0xab)],
    ["a well-sized record with a wrong crc", Buffer.concat([Buffer.from([0, 0, 0, 4, 1, 2, 3, 4]), Buffer.from("oops")])],
  ])("drops a garbage tail of %s, and appends after it again", async (_, garbage) => {
    const blocks = chainOn(genesis, 2);
    let store = await openStore();
    await store.append(blocks);
    await store.close();
    await appendFile(file(), garbage);

    store = await openStore();
    expect(store.height()).toBe(2);
    expect(store.recoveredBytesDropped).toBe(garbage.length);

    const [b3] = chainOn(blocks[1], 1);
    await store.append([b3]);
    store = await reopen(store);
    expect(store.height()).toBe(3);
    expect(store.lastBlock().id).toBe(b3.id);
  });

  it("drops everything from a damaged record on, even intact records after it", async () => {
    const blocks = chainOn(genesis, 3);
    let store = await openStore();
    await store.append(blocks);
    await store.close();
    const bytes = await readFile(file());
    const second = recordBytes(blocks[0]);
    bytes[second + RECORD_HEADER_BYTES + 3] ^= 0xff;
    await writeFile(file(), bytes);

    store = await openStore();
    expect(store.height()).toBe(1);
    expect(store.recoveredBytesDropped).toBe(bytes.length - second);
  });

  it("drops a damaged first record, leaving only genesis", async () => {
    const store = await openStore();
    await store.append(chainOn(genesis, 2));
    await store.close();
    const bytes = await readFile(file());
    bytes[4] ^= 1; // the first record's crc
    await writeFile(file(), bytes);

    const reopened = await openStore();
    expect(reopened.height()).toBe(0);
    expect(reopened.recoveredBytesDropped).toBe(bytes.length);
    expect((await stat(file())).size).toBe(0);
  });

  it("refuses an intact chain of another network instead of dropping it", async () => {
    const store = await openStore();
    await store.append(chainOn(genesis, 2));
    await store.close();
    const err = await rejection(BlockStore.open(tmp(), genesisBlock("another-network")));
    expect(err.code).toBe(ErrorCode.CORRUPT_STORE);
    expect(err.message).toMatch(/intact record at offset 0 is not the next block \(parent .* is not block/);
    expect((await stat(file())).size).toBeGreaterThan(0);
  });

  // Each bad block comes second in a batch after a good one: the whole batch must be refused.
  it.each([
    ["a height that skips", (_b1: Block, good: Block) => childOf(good, { height: 4 }), /height 4 does not follow 2/],
    ["a height already taken", (b1: Block) => childOf(b1, { entries: [data("again")] }), /height 2 does not follow 2/],
    ["another parent", (b1: Block) => childOf(b1, { height: 3 }), /parent [0-9a-f]{64} is not block [0-9a-f]{64} at height 2/],
  ])("refuses to append %s, storing nothing of the batch", async (_, makeBad, message) => {
    const store = await openStore();
    const [b1, good] = chainOn(genesis, 2);
    await store.append([b1]);
    const err = await rejection(store.append([good, makeBad(b1, good)]));
    expect(err.code).toBe(ErrorCode.INVALID_BLOCK);
    expect(err.message).toMatch(message);
    expect(store.appendedHeight()).toBe(1);
    await store.append([good]);
    expect(store.height()).toBe(2);
  });

  it("checks continuation against appends still in flight", async () => {
    const store = await openStore();
    const [b1, b2] = chainOn(genesis, 2);
    const first = store.append([b1]);
    const err = await rejection(store.append([b1]));
    expect(err.message).toMatch(/height 1 does not follow 1/);
    const second = store.append([b2]);
    await Promise.all([first, second]);
    expect(store.height()).toBe(2);
  });

  it("after a failed sync, shows nothing of that batch and refuses every later append", async () => {
    const store = await openStore();
    const [b1, b2] = chainOn(genesis, 2);
    const datasync = jest.spyOn(await fileHandlePrototype(tmp()), "datasync").mockRejectedValueOnce(new Error("EIO"));
    try {
      const err = await rejection(store.append([b1]));
      expect(err.code).toBe(ErrorCode.CORRUPT_STORE);
      expect(err.message).toMatch(/writing .*blocks\.log failed, no more appends accepted: EIO/);
    } finally {
      datasync.mockRestore();
    }
    expect(store.height()).toBe(0);
    expect(store.get(1)).toBeUndefined();
    expect((await rejection(store.append([b2]))).code).toBe(ErrorCode.CORRUPT_STORE);
  });

  it("refuses appends once closed", async () => {
    const store = await openStore();
    await store.close();
    const err = await rejection(store.append(chainOn(genesis, 1)));
    expect(err.code).toBe(ErrorCode.UNAVAILABLE);
  });

  it("finishes appends made before close", async () => {
    const blocks = chainOn(genesis, 5);
    const store = await openStore();
    const appends = blocks.map((b) => store.append([b]));
    await store.close();
    await Promise.all(appends);
    const reopened = await openStore();
    expect(reopened.height()).toBe(5);
  });
});
