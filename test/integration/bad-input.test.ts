import { randomBytes } from "node:crypto";
import { genesisBlock } from "../../src/chain/genesis";
import { makeBlock } from "../../src/chain/hash";
import type { Block } from "../../src/wire/generated/snowchain/v1/Block";
import type { ExchangePeersResponse__Output } from "../../src/wire/generated/snowchain/v1/ExchangePeersResponse";
import type { FetchBlockResponse__Output } from "../../src/wire/generated/snowchain/v1/FetchBlockResponse";
import type { FetchRangeResponse__Output } from "../../src/wire/generated/snowchain/v1/FetchRangeResponse";
import type { GetChainResponse__Output } from "../../src/wire/generated/snowchain/v1/GetChainResponse";
import type { QueryRequest } from "../../src/wire/generated/snowchain/v1/QueryRequest";
import type { QueryResponse__Output } from "../../src/wire/generated/snowchain/v1/QueryResponse";
import type { StatusResponse__Output } from "../../src/wire/generated/snowchain/v1/StatusResponse";
import { PROTOCOL_VERSION } from "../../src/wire/peer-info";
import { Cluster, readChain, type ClusterPeer } from "../utils/cluster";
import { call, rawClients, refusedWith, type RawClients } from "../utils/grpc/raw";
import { waitFor } from "../utils/wait";

const MAX_ENTRY_BYTES = 1024;
const MAX_BLOCK_ENTRIES = 8;
const SYNC_BATCH = 16;
const GENESIS = genesisBlock("snowchain").id;
const FOREIGN_GENESIS = genesisBlock("elsewhere").id;
const FAR = 1_000_000_000_000;
const U64_MAX = "18446744073709551615";

/** What must not move when a remote sends garbage. */
interface Snapshot {
  readonly height: number;
  readonly lastAcceptedId: string;
  readonly processing: number;
  readonly knownPeers: number;
  readonly chain: string[];
}

describe("a peer fed bad input over real gRPC", () => {
  let cluster: Cluster;
  let target: ClusterPeer;
  let raw: RawClients;

  const status = (r: RawClients = raw, timeoutMs = 10_000): Promise<StatusResponse__Output> =>
    call<StatusResponse__Output>((o, cb) => r.client.Status({}, o, cb), timeoutMs);

  async function snapshot(): Promise<Snapshot> {
    const s = await status();
    return {
      height: s.height,
      lastAcceptedId: s.last_accepted_id.toString("hex"),
      processing: s.processing_blocks,
      knownPeers: s.known_peers,
      chain: (await readChain(target.api)).map((b) => b.id.toString("hex")),
    };
  }

  /** Every peer at the same height with nothing undecided: nothing legitimate moves the target now. */
  async function settled(): Promise<Snapshot> {
    await waitFor("the cluster to settle", async () => {
      const all = await Promise.all(cluster.peers.map((p) => p.api.status()));
      return all.every((s) => s.height === all[0]!.height && s.processing_blocks === 0 && s.mempool_size === 0) ? true : undefined;
    });
    return snapshot();
  }

  /** A block that would extend the target's chain, with `change` applied. */
  async function nextBlock(change: Partial<Block> = {}): Promise<Block> {
    const s = await status();
    return {
      height: s.height + 1,
      parent_id: s.last_accepted_id,
      proposer: "intruder",
      timestamp_ms: Date.now(),
      entries: [randomBytes(16)],
      ...change,
    };
  }

  /** The id a wire block has (every receiver derives it the same way). */
  function idOf(b: Block): string {
    return makeBlock({
      height: Number(b.height),
      parentId: Buffer.from(b.parent_id as Buffer).toString("hex"),
      proposer: b.proposer ?? "",
      timestampMs: Number(b.timestamp_ms),
      entries: (b.entries ?? []).map((e) => Buffer.from(e as Buffer)),
    }).id;
  }

  const fetchBlock = (id: Buffer): Promise<FetchBlockResponse__Output> =>
    call<FetchBlockResponse__Output>((o, cb) => raw.messages.FetchBlock({ id }, o, cb));
  const gossip = (blocks: Block[]): Promise<unknown> => call((o, cb) => raw.messages.Gossip({ node_id: "intruder", blocks }, o, cb));
  const query = (req: QueryRequest): Promise<QueryResponse__Output> => call<QueryResponse__Output>((o, cb) => raw.messages.Query(req, o, cb));

  beforeAll(async () => {
    cluster = await Cluster.start(3, {
      MAX_ENTRY_BYTES: String(MAX_ENTRY_BYTES),
      MAX_BLOCK_BYTES: String(MAX_ENTRY_BYTES * MAX_BLOCK_ENTRIES),
      MAX_BLOCK_ENTRIES: String(MAX_BLOCK_ENTRIES),
      SYNC_BATCH: String(SYNC_BATCH),
    });
    target = cluster.peers[0]!;
    raw = rawClients(target.addr);
    for (const p of cluster.peers) {
      await waitFor(`${p.nodeId} to know both others`, async () => ((await p.api.status()).live_peers === 2 ? true : undefined));
    }
    // A chain above genesis, so "an older accepted block" and "the last accepted block" differ.
    for (const text of ["first", "second"]) {
      const res = await target.api.submit(Buffer.from(text), { waitForAcceptance: true, timeoutMs: 20_000 });
      expect(res.accepted).toBe(true);
    }
  });

  afterAll(async () => {
    raw?.close();
    await cluster?.stop();
  });

  describe("malformed ids", () => {
    const five = Buffer.from("short");

    it("GetEntry, GetBlock and FetchBlock refuse a 5-byte id with INVALID_ARGUMENT and the reason", async () => {
      expect(await refusedWith(call((o, cb) => raw.client.GetEntry({ id: five }, o, cb)))).toBe("INVALID_ARGUMENT: id must be 32 bytes, got 5");
      expect(await refusedWith(call((o, cb) => raw.client.GetBlock({ id: five }, o, cb)))).toBe("INVALID_ARGUMENT: id must be 32 bytes, got 5");
      expect(await refusedWith(fetchBlock(five))).toBe("INVALID_ARGUMENT: id must be 32 bytes, got 5");
      expect(await refusedWith(fetchBlock(Buffer.alloc(0)))).toBe("INVALID_ARGUMENT: id must be 32 bytes, got 0");
    });

    it("GetBlock without an id or a height is refused; ids and heights it does not have are NOT_FOUND", async () => {
      expect(await refusedWith(call((o, cb) => raw.client.GetBlock({}, o, cb)))).toBe("INVALID_ARGUMENT: give an id or a height");
      expect(await refusedWith(call((o, cb) => raw.client.GetBlock({ height: FAR }, o, cb)))).toMatch(/^NOT_FOUND: /);
      expect(await refusedWith(call((o, cb) => raw.client.GetBlock({ height: U64_MAX }, o, cb)))).toMatch(/^NOT_FOUND: /);
      expect(await refusedWith(call((o, cb) => raw.client.GetEntry({ id: randomBytes(32) }, o, cb)))).toMatch(/^NOT_FOUND: entry [0-9a-f]{64} is not known here$/);
      expect(await refusedWith(fetchBlock(randomBytes(32)))).toMatch(/^NOT_FOUND: block [0-9a-f]{64} is not known here$/);
    });
  });

  describe("Submit", () => {
    it("refuses an oversized entry naming its size and the limit", async () => {
      const data = Buffer.alloc(MAX_ENTRY_BYTES + 1, 1);
      expect(await refusedWith(call((o, cb) => raw.client.Submit({ data }, o, cb)))).toBe(
        `INVALID_ARGUMENT: entry is ${MAX_ENTRY_BYTES + 1} bytes, limit ${MAX_ENTRY_BYTES}`,
      );
      // An entry at the limit is fine (the bound is not off by one).
      const ok = await target.api.submit(Buffer.alloc(MAX_ENTRY_BYTES, 2));
      expect(ok.id).toHaveLength(32);
    });

    it("refuses an empty entry", async () => {
      expect(await refusedWith(call((o, cb) => raw.client.Submit({ data: Buffer.alloc(0) }, o, cb)))).toBe("INVALID_ARGUMENT: entry data is empty");
    });

    it("refuses a message larger than any peer takes without reading it all", async () => {
      const data = Buffer.alloc(17 * 1024 * 1024, 3);
      expect(await refusedWith(call((o, cb) => raw.client.Submit({ data }, o, cb)))).toMatch(/^RESOURCE_EXHAUSTED: /);
      expect((await status()).node_id).toBe(target.nodeId);
    });
  });

  describe("ranges", () => {
    it("GetChain refuses to < from, and answers nothing for heights far ahead", async () => {
      expect(await refusedWith(call((o, cb) => raw.client.GetChain({ from_height: 5, to_height: 2 }, o, cb)))).toBe(
        "INVALID_ARGUMENT: to_height 2 is below from_height 5",
      );
      const ahead = await call<GetChainResponse__Output>((o, cb) => raw.client.GetChain({ from_height: FAR, to_height: FAR + 10 }, o, cb));
      expect(ahead.blocks).toEqual([]);
      const huge = await call<GetChainResponse__Output>((o, cb) => raw.client.GetChain({ from_height: U64_MAX, to_height: 0 }, o, cb));
      expect(huge.blocks).toEqual([]);
    });

    it("GetChain and FetchRange bound a huge range by the page size", async () => {
      const page = await call<GetChainResponse__Output>((o, cb) => raw.client.GetChain({ from_height: 0, to_height: U64_MAX }, o, cb));
      expect(page.blocks.length).toBeGreaterThan(0);
      expect(page.blocks.length).toBeLessThanOrEqual(SYNC_BATCH);
      const range = await call<FetchRangeResponse__Output>((o, cb) => raw.messages.FetchRange({ from_height: 1, to_height: U64_MAX }, o, cb));
      expect(range.blocks.length).toBeGreaterThan(0);
      expect(range.blocks.length).toBeLessThanOrEqual(SYNC_BATCH);
    });

    it("FetchRange refuses genesis and to < from, and answers nothing far ahead", async () => {
      const fetchRange = (from: number | string, to: number | string): Promise<FetchRangeResponse__Output> =>
        call<FetchRangeResponse__Output>((o, cb) => raw.messages.FetchRange({ from_height: from, to_height: to }, o, cb));
      expect(await refusedWith(fetchRange(0, 3))).toBe("INVALID_ARGUMENT: heights 0..3 are not a range above genesis");
      expect(await refusedWith(fetchRange(4, 3))).toBe("INVALID_ARGUMENT: heights 4..3 are not a range above genesis");
      expect((await fetchRange(FAR, FAR + 5)).blocks).toEqual([]);
      expect((await fetchRange(U64_MAX, U64_MAX)).blocks).toEqual([]);
    });

    it("Query refuses a huge height range, to < from and genesis, and has no opinion far ahead", async () => {
      expect(await refusedWith(query({ node_id: "intruder", from_height: 1, to_height: FAR }))).toBe("INVALID_ARGUMENT: a query covers at most 64 heights");
      expect(await refusedWith(query({ node_id: "intruder", from_height: 5, to_height: 4 }))).toBe(
        "INVALID_ARGUMENT: heights 5..4 are not a range above genesis",
      );
      expect(await refusedWith(query({ node_id: "intruder", from_height: 0, to_height: 0 }))).toMatch(/^INVALID_ARGUMENT: /);
      const ahead = await query({ node_id: "intruder", from_height: FAR, to_height: FAR + 3 });
      expect(ahead.preferred_ids).toEqual([]);
      const top = await query({ node_id: "intruder", from_height: U64_MAX, to_height: U64_MAX });
      expect(top.preferred_ids).toEqual([]);
      // The same call with sane heights answers the accepted id: the refusals above are about the input.
      const s = await status();
      const sane = await query({ node_id: "intruder", from_height: s.height, to_height: s.height });
      expect(sane.preferred_ids.map((b) => b.toString("hex"))).toEqual([s.last_accepted_id.toString("hex")]);
    });

    it("QueryStream answers a bad query without opinions and keeps the stream up", async () => {
      const s = await status();
      const stream = raw.messages.QueryStream();
      const answers: QueryResponse__Output[] = [];
      stream.on("data", (r: QueryResponse__Output) => answers.push(r));
      stream.write({ request_id: 1, node_id: "intruder", from_height: 9, to_height: 2 });
      stream.write({ request_id: 2, node_id: "intruder", from_height: 1, to_height: FAR });
      stream.write({ request_id: 3, node_id: "intruder", from_height: s.height, to_height: s.height });
      await waitFor("three answers", () => (answers.length === 3 ? true : undefined));
      stream.end();
      expect(answers.map((a) => [Number(a.request_id), a.preferred_ids.map((b) => b.toString("hex"))])).toEqual([
        [1, []],
        [2, []],
        [3, [s.last_accepted_id.toString("hex")]],
      ]);
    });
  });

  describe("gossip of invalid blocks", () => {
    let before: Snapshot;

    beforeAll(async () => {
      before = await settled();
    });

    // Invalid blocks on a known parent are refused with the reason; blocks that cannot be placed
    // (unknown parent: fetched later; below the accepted height: stale) are dropped quietly.
    it.each<[string, (b: Block, s: Snapshot) => Partial<Block>, RegExp | undefined]>([
      ["a height that does not follow its parent", (b) => ({ height: Number(b.height) + 1 }), /^INVALID_ARGUMENT: block height \d+ does not follow parent height/],
      ["an older accepted block as parent (genesis)", () => ({ parent_id: Buffer.from(GENESIS, "hex") }), undefined],
      ["an unknown parent", () => ({ parent_id: randomBytes(32) }), undefined],
      ["an unknown parent far ahead", () => ({ parent_id: randomBytes(32), height: FAR }), undefined],
      ["an entry twice", () => {
        const e = randomBytes(16);
        return { entries: [e, Buffer.from(e)] };
      }, /^INVALID_ARGUMENT: .*twice|duplicate/i],
      ["a timestamp a day in the future", () => ({ timestamp_ms: Date.now() + 24 * 3600 * 1000 }), /^INVALID_ARGUMENT: .*ahead of local time/],
      ["a timestamp before its parent's", () => ({ timestamp_ms: 1 }), /^INVALID_ARGUMENT: .*timestamp/i],
      ["no entries", () => ({ entries: [] }), /^INVALID_ARGUMENT: .*entr/i],
      ["an oversized entry", () => ({ entries: [Buffer.alloc(MAX_ENTRY_BYTES + 1, 7)] }), /^INVALID_ARGUMENT: .*bytes/i],
      ["an empty proposer", () => ({ proposer: "" }), /^INVALID_ARGUMENT: .*proposer/i],
      ["an entry already in the chain", () => ({ entries: [Buffer.from("first")] }), /^INVALID_ARGUMENT: .*already in the chain/],
    ])("is dropped: %s", async (_what, change, reason) => {
      const block = await nextBlock(change(await nextBlock(), before));
      if (reason) expect(await refusedWith(gossip([block]))).toMatch(reason);
      else await gossip([block]);
      expect(await refusedWith(fetchBlock(Buffer.from(idOf(block), "hex")))).toMatch(/^NOT_FOUND: /);
      expect(await snapshot()).toEqual(before);
    });

    it.each<[string, () => Promise<Block[]>, RegExp]>([
      ["too many entries", async () => [await nextBlock({ entries: Array.from({ length: MAX_BLOCK_ENTRIES + 1 }, () => randomBytes(8)) })], /^INVALID_ARGUMENT: block has 9 entries, at most 8 allowed$/],
      ["a height past 2^53", async () => [await nextBlock({ height: U64_MAX })], /^INVALID_ARGUMENT: height must be a non-negative safe integer/],
      ["a 5-byte parent id", async () => [await nextBlock({ parent_id: Buffer.from("short") })], /^INVALID_ARGUMENT: parent_id must be 32 bytes, got 5$/],
      ["more than 64 blocks", async () => Array.from({ length: 65 }, () => ({ height: 1, parent_id: randomBytes(32), proposer: "x", timestamp_ms: 1, entries: [] })), /^INVALID_ARGUMENT: gossip carries at most 64 blocks$/],
    ])("is refused with INVALID_ARGUMENT: %s", async (_what, blocks, reason) => {
      expect(await refusedWith(gossip(await blocks()))).toMatch(reason);
      expect(await snapshot()).toEqual(before);
    });

    it("while a well-formed block gossiped the same way is learned (the checks above can fail)", async () => {
      const block = await nextBlock();
      await gossip([block]);
      const id = Buffer.from(idOf(block), "hex");
      const learned = await waitFor("the block to be known", () => fetchBlock(id).catch(() => undefined));
      expect(learned.block?.proposer).toBe("intruder");
      // It goes through consensus like any proposal: every peer accepts it.
      for (const p of cluster.peers) {
        await waitFor(`${p.nodeId} to accept the gossiped block`, async () => {
          const chain = await readChain(p.api);
          return chain.some((b) => b.id.equals(id)) ? true : undefined;
        });
      }
    });
  });

  describe("membership calls", () => {
    const self = { node_id: "intruder", address: "127.0.0.1:9" };
    const handshake = (req: Parameters<RawClients["peers"]["Handshake"]>[0]): Promise<unknown> => call((o, cb) => raw.peers.Handshake(req, o, cb));

    it("Handshake with a foreign genesis or protocol is FAILED_PRECONDITION, and nobody joins", async () => {
      const before = await snapshot();
      expect(await refusedWith(handshake({ self, protocol_version: PROTOCOL_VERSION, genesis_id: Buffer.from(FOREIGN_GENESIS, "hex") }))).toMatch(
        /^FAILED_PRECONDITION: not of this network: genesis [0-9a-f]{16}… is not this network's/,
      );
      expect(await refusedWith(handshake({ self, protocol_version: PROTOCOL_VERSION, genesis_id: Buffer.from("short") }))).toMatch(/^FAILED_PRECONDITION: /);
      expect(await refusedWith(handshake({ self, protocol_version: PROTOCOL_VERSION + 1, genesis_id: Buffer.from(GENESIS, "hex") }))).toBe(
        `FAILED_PRECONDITION: not of this network: protocol version ${PROTOCOL_VERSION + 1}, this peer speaks ${PROTOCOL_VERSION}`,
      );
      expect((await status()).known_peers).toBe(before.knownPeers);
    });

    it.each([
      ["no port", "127.0.0.1", /self\.address must be host:port/],
      ["port 0", "127.0.0.1:0", /self\.address must be host:port/],
      ["port 70000", "127.0.0.1:70000", /self\.address must be host:port/],
      ["a URL", "http://127.0.0.1:9", /self\.address must be host:port/],
      ["a bracketed non-hex host", "[zz]:9", /self\.address must be host:port/],
      ["a bracketed IPv4", "[1.2.3.4]:9", /self\.address must be host:port/],
    ])("Handshake with a bad address (%s) is INVALID_ARGUMENT", async (_what, address, reason) => {
      const err = await refusedWith(handshake({ self: { node_id: "intruder", address }, protocol_version: PROTOCOL_VERSION, genesis_id: Buffer.from(GENESIS, "hex") }));
      expect(err).toMatch(/^INVALID_ARGUMENT: /);
      expect(err).toMatch(reason);
    });

    it("Handshake without a caller or with a bad node id is INVALID_ARGUMENT", async () => {
      const genesis_id = Buffer.from(GENESIS, "hex");
      expect(await refusedWith(handshake({ protocol_version: PROTOCOL_VERSION, genesis_id }))).toBe("INVALID_ARGUMENT: self is missing");
      expect(await refusedWith(handshake({ self: { node_id: "a b", address: "127.0.0.1:9" }, protocol_version: PROTOCOL_VERSION, genesis_id }))).toBe(
        "INVALID_ARGUMENT: self.node_id is not a valid node id",
      );
    });

    it("ExchangePeers refuses too many peers and answers at most its bound", async () => {
      const before = await snapshot();
      const known = Array.from({ length: 65 }, (_, i) => ({ node_id: `ghost-${i}`, address: `127.0.0.1:${1000 + i}` }));
      expect(await refusedWith(call((o, cb) => raw.peers.ExchangePeers({ self, known, max: 10 }, o, cb)))).toBe(
        "INVALID_ARGUMENT: known lists 65 peers, at most 64 allowed",
      );
      expect(await refusedWith(call((o, cb) => raw.peers.ExchangePeers({ self: { node_id: "", address: "x" }, known: [] }, o, cb)))).toMatch(/^INVALID_ARGUMENT: /);
      // Named peers that do not answer are only candidates: none becomes a member.
      const res = await call<ExchangePeersResponse__Output>((o, cb) => raw.peers.ExchangePeers({ self, known: known.slice(0, 64), max: 100000 }, o, cb));
      expect(res.peers.map((p) => p.node_id).sort()).toEqual(cluster.peers.filter((p) => p !== target).map((p) => p.nodeId).sort());
      expect((await status()).known_peers).toBe(before.knownPeers);
    });
  });

  it("a flood of 5,000 queries on one stream does not starve another client's Status calls", async () => {
    const s = await status();
    const flooder = rawClients(target.addr);
    const other = rawClients(target.addr);
    try {
      const stream = flooder.messages.QueryStream();
      let answered = 0;
      const done = new Promise<void>((resolve, reject) => {
        stream.on("data", () => {
          if (++answered === 5000) resolve();
        });
        stream.on("error", reject);
      });
      for (let i = 1; i <= 5000; i++) stream.write({ request_id: i, node_id: "flooder", from_height: s.height, to_height: s.height });

      // Status from another client, one after another for as long as the flood lasts (at least a few).
      let statuses = 0;
      let flooding = true;
      void done.finally(() => (flooding = false));
      while (flooding || statuses < 5) {
        const st = await status(other, 5_000);
        expect(st.node_id).toBe(target.nodeId);
        statuses++;
      }
      await done;
      stream.end();
      expect(answered).toBe(5000);
    } finally {
      flooder.close();
      other.close();
    }
    // Healthy afterwards: it answers, and still knows its peers.
    const after = await status();
    expect(after.live_peers).toBe(2);
    expect(after.height).toBeGreaterThanOrEqual(s.height);
  });

  it("after all of it, every peer still answers and the cluster accepts a submitted entry", async () => {
    const res = await cluster.peers[1]!.api.submit(Buffer.from("still alive"), { waitForAcceptance: true, timeoutMs: 20_000 });
    expect(res.accepted).toBe(true);
    for (const p of cluster.peers) {
      await waitFor(`${p.nodeId} to accept it`, async () => ((await p.api.status()).height >= Number(res.height) ? true : undefined));
    }
    const chains = await Promise.all(cluster.peers.map((p) => readChain(p.api)));
    const ids = chains.map((c) => c.slice(0, Number(res.height)).map((b) => b.id.toString("hex")));
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual(ids[0]);
    expect(chains[0]!.flatMap((b) => b.entries.map((e) => e.data.toString())).filter((d) => d === "still alive")).toHaveLength(1);
  });
});
