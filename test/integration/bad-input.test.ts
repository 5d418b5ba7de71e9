import { randomBytes } from "node:crypto";
import { genesisBlock } from "../../src/chain/genesis";
import { makeBlock } from "../../src/chain/hash";
import type { Block } from "../../src/wire/generated/snowchain/v1/Block";
import { nodeIdOf, verifySignature } from "../../src/chain/keys";
import { handshakePayload } from "../../src/p2p/handshake";
import type { HelloResponse__Output } from "../../src/wire/generated/snowchain/v1/HelloResponse";
import type { ExchangePeersResponse__Output } from "../../src/wire/generated/snowchain/v1/ExchangePeersResponse";
import type { FetchBlockResponse__Output } from "../../src/wire/generated/snowchain/v1/FetchBlockResponse";
import type { FetchRangeResponse__Output } from "../../src/wire/generated/snowchain/v1/FetchRangeResponse";
import type { GetChainResponse__Output } from "../../src/wire/generated/snowchain/v1/GetChainResponse";
import type { QueryRequest } from "../../src/wire/generated/snowchain/v1/QueryRequest";
import type { QueryResponse__Output } from "../../src/wire/generated/snowchain/v1/QueryResponse";
import type { StatusResponse__Output } from "../../src/wire/generated/snowchain/v1/StatusResponse";
import { PROTOCOL_VERSION } from "../../src/wire/peer-info";
import * as grpc from "@grpc/grpc-js";
import { randomBytes as nonce } from "node:crypto";
import { signerFor } from "../utils/chain/blocks";
import { Cluster, readChain, type ClusterPeer } from "../utils/cluster";
import { call, rawClients, refusedWith, type RawClients } from "../utils/grpc/raw";
import { FakePeerManager } from "../utils/p2p/fake-peer-manager";
import { joinAs, type TestMember } from "../utils/p2p/member";
import { waitFor } from "../utils/wait";

const MAX_ENTRY_BYTES = 1024;
const MAX_BLOCK_ENTRIES = 8;
const SYNC_BATCH = 16;
const GENESIS = genesisBlock("snowchain").id;
const FOREIGN_GENESIS = genesisBlock("elsewhere").id;
const FAR = 1_000_000_000_000;
const U64_MAX = "18446744073709551615";
/** The largest height a request may name, 2^53 − 1 (past it: "heights past 2^53 − 1" below). */
const TOP = Number.MAX_SAFE_INTEGER;

/** What must not move when a remote sends garbage. */
interface Snapshot {
  readonly height: number;
  readonly lastAcceptedId: string;
  readonly processing: number;
  readonly knownPeers: number;
  readonly chain: string[];
}

/**
 * Strangers may only say Hello; everything else they send is refused. The intruder here is a
 * member — it proved its key in a real handshake — that sends garbage: that is what a byzantine
 * peer can do, and a peer must answer it with a clear status and change nothing.
 */
describe("a peer fed bad input over real gRPC", () => {
  let cluster: Cluster;
  let target: ClusterPeer;
  let raw: RawClients;
  let intruder: TestMember & { readonly metadata: grpc.Metadata };
  /** The intruder's session: what every member call below carries. */
  let md: grpc.Metadata;
  const INTRUDER = signerFor("intruder");

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

  /** A block that would extend the target's chain, with `change` applied, signed by the intruder (as its proposer). */
  async function nextBlock(change: Partial<Block> = {}): Promise<Block> {
    const s = await status();
    const block: Block = {
      height: s.height + 1,
      parent_id: s.last_accepted_id,
      proposer: INTRUDER.nodeId,
      timestamp_ms: Date.now(),
      entries: [randomBytes(16)],
      ...change,
    };
    return signed(block);
  }

  /**
   * The block with the intruder's key and its signature of the id — also when the block names
   * another proposer (a forgery). One that cannot even be hashed is sent unsigned.
   */
  function signed(b: Block): Block {
    try {
      return { ...b, proposer_key: INTRUDER.publicKey, signature: INTRUDER.sign(Buffer.from(idOf(b), "hex")) };
    } catch {
      return b;
    }
  }

  function domainOf(b: Block) {
    return makeBlock({
      height: Number(b.height),
      parentId: Buffer.from(b.parent_id as Buffer).toString("hex"),
      proposer: b.proposer ?? "",
      timestampMs: Number(b.timestamp_ms),
      entries: (b.entries ?? []).map((e) => Buffer.from(e as Buffer)),
    });
  }

  /** The id a wire block has (every receiver derives it the same way). */
  const idOf = (b: Block): string => domainOf(b).id;

  const fetchBlock = (id: Buffer): Promise<FetchBlockResponse__Output> =>
    call<FetchBlockResponse__Output>((o, cb) => raw.messages.FetchBlock({ id }, md, o, cb));
  const gossip = (blocks: Block[]): Promise<unknown> => call((o, cb) => raw.messages.Gossip({ blocks }, md, o, cb));
  const query = (req: QueryRequest): Promise<QueryResponse__Output> => call<QueryResponse__Output>((o, cb) => raw.messages.Query(req, md, o, cb));

  beforeAll(async () => {
    // Four peers: the intruder joins all of them (peer exchange spreads it) and never votes, and
    // one silent member in five (20%) stays under 1 − αC/K = 25%, so the network goes on.
    cluster = await Cluster.start(4, {
      MAX_ENTRY_BYTES: String(MAX_ENTRY_BYTES),
      MAX_BLOCK_BYTES: String(MAX_ENTRY_BYTES * MAX_BLOCK_ENTRIES),
      MAX_BLOCK_ENTRIES: String(MAX_BLOCK_ENTRIES),
      SYNC_BATCH: String(SYNC_BATCH),
    });
    target = cluster.peers[0]!;
    raw = rawClients(target.addr);
    for (const p of cluster.peers) {
      await waitFor(`${p.name} to know the three others`, async () => ((await p.api.status()).live_peers === 3 ? true : undefined));
    }
    intruder = await joinAs("intruder", target.addr);
    md = intruder.metadata;
    // A chain above genesis, so "an older accepted block" and "the last accepted block" differ.
    for (const text of ["first", "second"]) {
      const res = await target.api.submit(Buffer.from(text), { waitForAcceptance: true, timeoutMs: 20_000 });
      expect(res.accepted).toBe(true);
    }
  });

  afterAll(async () => {
    raw?.close();
    await cluster?.stop();
    await intruder?.stop();
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
      expect(await refusedWith(call((o, cb) => raw.client.GetBlock({ height: TOP }, o, cb)))).toMatch(/^NOT_FOUND: /);
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
      const huge = await call<GetChainResponse__Output>((o, cb) => raw.client.GetChain({ from_height: TOP, to_height: 0 }, o, cb));
      expect(huge.blocks).toEqual([]);
    });

    it("GetChain and FetchRange bound a huge range by the page size", async () => {
      const page = await call<GetChainResponse__Output>((o, cb) => raw.client.GetChain({ from_height: 0, to_height: TOP }, o, cb));
      expect(page.blocks.length).toBeGreaterThan(0);
      expect(page.blocks.length).toBeLessThanOrEqual(SYNC_BATCH);
      const range = await call<FetchRangeResponse__Output>((o, cb) => raw.messages.FetchRange({ from_height: 1, to_height: TOP }, md, o, cb));
      expect(range.blocks.length).toBeGreaterThan(0);
      expect(range.blocks.length).toBeLessThanOrEqual(SYNC_BATCH);
    });

    it("FetchRange refuses genesis and to < from, and answers nothing far ahead", async () => {
      const fetchRange = (from: number | string, to: number | string): Promise<FetchRangeResponse__Output> =>
        call<FetchRangeResponse__Output>((o, cb) => raw.messages.FetchRange({ from_height: from, to_height: to }, md, o, cb));
      expect(await refusedWith(fetchRange(0, 3))).toBe("INVALID_ARGUMENT: heights 0..3 are not a range above genesis");
      expect(await refusedWith(fetchRange(4, 3))).toBe("INVALID_ARGUMENT: heights 4..3 are not a range above genesis");
      expect((await fetchRange(FAR, FAR + 5)).blocks).toEqual([]);
      expect((await fetchRange(TOP, TOP)).blocks).toEqual([]);
    });

    it("Query refuses a huge height range, to < from and genesis, and has no opinion far ahead", async () => {
      expect(await refusedWith(query({ from_height: 1, to_height: FAR }))).toBe("INVALID_ARGUMENT: a query covers at most 64 heights");
      expect(await refusedWith(query({ from_height: 5, to_height: 4 }))).toBe(
        "INVALID_ARGUMENT: heights 5..4 are not a range above genesis",
      );
      expect(await refusedWith(query({ from_height: 0, to_height: 0 }))).toMatch(/^INVALID_ARGUMENT: /);
      const ahead = await query({ from_height: FAR, to_height: FAR + 3 });
      expect(ahead.preferred_ids).toEqual([]);
      const top = await query({ from_height: TOP, to_height: TOP });
      expect(top.preferred_ids).toEqual([]);
      // The same call with sane heights answers the accepted id: the refusals above are about the input.
      const s = await status();
      const sane = await query({ from_height: s.height, to_height: s.height });
      expect(sane.preferred_ids.map((b) => b.toString("hex"))).toEqual([s.last_accepted_id.toString("hex")]);
    });

    it("QueryStream answers a bad query without opinions and keeps the stream up", async () => {
      const s = await status();
      const stream = raw.messages.QueryStream(md);
      const answers: QueryResponse__Output[] = [];
      stream.on("data", (r: QueryResponse__Output) => answers.push(r));
      stream.write({ request_id: 1, from_height: 9, to_height: 2 });
      stream.write({ request_id: 2, from_height: 1, to_height: FAR });
      stream.write({ request_id: 3, from_height: s.height, to_height: s.height });
      await waitFor("three answers", () => (answers.length === 3 ? true : undefined));
      stream.end();
      expect(answers.map((a) => [Number(a.request_id), a.preferred_ids.map((b) => b.toString("hex"))])).toEqual([
        [1, []],
        [2, []],
        [3, [s.last_accepted_id.toString("hex")]],
      ]);
    });
  });

  describe("heights past 2^53 − 1 (they would reach the handlers rounded)", () => {
    const TWO_53 = "9007199254740992";
    /** 2^53 + 1: proto-loader's numbers read it as 2^53, so no check after decoding could tell the two apart. */
    const PAST = "9007199254740993";
    const tooHigh = (field: string): string => `INVALID_ARGUMENT: ${field} must be at most 9007199254740991 (2^53 − 1)`;
    const watchError = (from: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const stream = raw.client.WatchBlocks({ from_height: from, has_from_height: true }, { deadline: Date.now() + 10_000 });
        stream.on("data", () => reject(new Error("WatchBlocks sent a block")));
        stream.on("error", (e: grpc.ServiceError) => resolve(`${grpc.status[e.code]}: ${e.details}`));
        stream.on("end", () => reject(new Error("WatchBlocks ended without an error")));
      });

    it("Query of 64 heights from 2^53 is refused for its height, not as 65 heights wide", async () => {
      expect(await refusedWith(query({ from_height: TWO_53, to_height: "9007199254741055" }))).toBe(tooHigh("from_height"));
      expect(await refusedWith(query({ from_height: 1, to_height: PAST }))).toBe(tooHigh("to_height"));
      expect(await refusedWith(query({ request_id: PAST, from_height: 1, to_height: 1 }))).toBe(tooHigh("request_id"));
    });

    it("GetChain, GetBlock and WatchBlocks refuse them naming the field", async () => {
      expect(await refusedWith(call((o, cb) => raw.client.GetChain({ from_height: PAST, to_height: 0 }, o, cb)))).toBe(tooHigh("from_height"));
      expect(await refusedWith(call((o, cb) => raw.client.GetChain({ from_height: 1, to_height: PAST }, o, cb)))).toBe(tooHigh("to_height"));
      expect(await refusedWith(call((o, cb) => raw.client.GetBlock({ height: PAST }, o, cb)))).toBe(tooHigh("height"));
      expect(await refusedWith(call((o, cb) => raw.client.GetBlock({ height: U64_MAX }, o, cb)))).toBe(tooHigh("height"));
      expect(await watchError(PAST)).toBe(tooHigh("from_height"));
    });

    it("FetchRange, GetAccepted, Ping and Handshake refuse them naming the field", async () => {
      expect(await refusedWith(call((o, cb) => raw.messages.FetchRange({ from_height: PAST, to_height: PAST }, md, o, cb)))).toBe(tooHigh("from_height"));
      expect(await refusedWith(call((o, cb) => raw.messages.FetchRange({ from_height: 1, to_height: PAST }, md, o, cb)))).toBe(tooHigh("to_height"));
      expect(await refusedWith(call((o, cb) => raw.messages.GetAccepted({ height: PAST }, md, o, cb)))).toBe(tooHigh("height"));
      expect(await refusedWith(call((o, cb) => raw.peers.Ping({ last_accepted_height: PAST }, md, o, cb)))).toBe(tooHigh("last_accepted_height"));
      const handshake = { public_key: signerFor("tall").publicKey, signature: Buffer.alloc(64), session: randomBytes(16), last_accepted_height: PAST };
      expect(await refusedWith(call((o, cb) => raw.peers.Handshake(handshake, o, cb)))).toBe(tooHigh("last_accepted_height"));
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
      ["no signature", () => ({ signature: Buffer.alloc(0), proposer_key: Buffer.alloc(0) }), /^INVALID_ARGUMENT: block carries no 32-byte proposer key$/],
      ["another peer's name as proposer", () => ({ proposer: signerFor("someone else").nodeId }), /^INVALID_ARGUMENT: block proposer [0-9a-f]{40} is not the node id of the key it carries$/],
      ["an entry already in the chain", () => ({ entries: [Buffer.from("first")] }), /^INVALID_ARGUMENT: .*already in the chain/],
    ])("is dropped: %s", async (_what, change, reason) => {
      const base = await nextBlock();
      const changed = change(base, before);
      // The intruder signs what it sends, but a changed signature or key is sent as changed.
      const block = "signature" in changed || "proposer_key" in changed ? { ...base, ...changed } : await nextBlock(changed);
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
      expect(learned.block?.proposer).toBe(INTRUDER.nodeId);
      // It goes through consensus like any proposal: every peer accepts it.
      for (const p of cluster.peers) {
        await waitFor(`${p.name} to accept the gossiped block`, async () => {
          const chain = await readChain(p.api);
          return chain.some((b) => b.id.equals(id)) ? true : undefined;
        });
      }
    });
  });

  describe("strangers", () => {
    it("may not call anything but Hello and Handshake: every other peer call is UNAUTHENTICATED, and changes nothing", async () => {
      const before = await snapshot();
      const noSession = new grpc.Metadata();
      const guessed = new grpc.Metadata();
      guessed.set("snowchain-session-bin", randomBytes(16));
      const block = await nextBlock();
      for (const m of [noSession, guessed]) {
        expect(await refusedWith(call((o, cb) => raw.peers.Ping({ last_accepted_height: FAR }, m, o, cb)))).toBe(
          "UNAUTHENTICATED: no valid session: handshake first (Hello, then Handshake)",
        );
        expect(await refusedWith(call((o, cb) => raw.peers.ExchangePeers({ known: [] }, m, o, cb)))).toMatch(/^UNAUTHENTICATED: /);
        expect(await refusedWith(call((o, cb) => raw.messages.Query({ from_height: 1, to_height: 1 }, m, o, cb)))).toMatch(/^UNAUTHENTICATED: /);
        expect(await refusedWith(call((o, cb) => raw.messages.Gossip({ blocks: [block] }, m, o, cb)))).toMatch(/^UNAUTHENTICATED: /);
        expect(await refusedWith(call((o, cb) => raw.messages.FetchRange({ from_height: 1, to_height: 2 }, m, o, cb)))).toMatch(/^UNAUTHENTICATED: /);
        expect(await refusedWith(call((o, cb) => raw.messages.GetAccepted({ height: 1 }, m, o, cb)))).toMatch(/^UNAUTHENTICATED: /);
      }
      // A query stream without a session is closed at once.
      const stream = raw.messages.QueryStream();
      const closed = new Promise<string>((resolve) => stream.on("error", (e: grpc.ServiceError) => resolve(grpc.status[e.code]!)));
      stream.write({ request_id: 1, from_height: 1, to_height: 1 });
      expect(await closed).toBe("UNAUTHENTICATED");
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("handshakes", () => {
    const stranger = signerFor("stranger");
    const genesis_id = Buffer.from(GENESIS, "hex");
    const hello = (over: Record<string, unknown> = {}): Promise<HelloResponse__Output> =>
      call<HelloResponse__Output>((o, cb) =>
        raw.peers.Hello({ public_key: stranger.publicKey, address: "127.0.0.1:9", name: "stranger", protocol_version: PROTOCOL_VERSION, genesis_id, nonce: nonce(32), ...over }, o, cb),
      );
    const handshake = (req: Parameters<RawClients["peers"]["Handshake"]>[0]): Promise<unknown> => call((o, cb) => raw.peers.Handshake(req, o, cb));

    it("Hello with a foreign genesis or protocol is FAILED_PRECONDITION", async () => {
      expect(await refusedWith(hello({ genesis_id: Buffer.from(FOREIGN_GENESIS, "hex") }))).toMatch(
        /^FAILED_PRECONDITION: not of this network: genesis [0-9a-f]{16}… is not this network's/,
      );
      expect(await refusedWith(hello({ genesis_id: Buffer.from("short") }))).toMatch(/^FAILED_PRECONDITION: /);
      expect(await refusedWith(hello({ protocol_version: PROTOCOL_VERSION + 1 }))).toBe(
        `FAILED_PRECONDITION: not of this network: protocol version ${PROTOCOL_VERSION + 1}, this peer speaks ${PROTOCOL_VERSION}`,
      );
    });

    it.each([
      ["no port", "127.0.0.1"],
      ["port 0", "127.0.0.1:0"],
      ["port 70000", "127.0.0.1:70000"],
      ["a URL", "http://127.0.0.1:9"],
      ["a bracketed non-hex host", "[zz]:9"],
      ["a bracketed IPv4", "[1.2.3.4]:9"],
    ])("Hello with a bad address (%s) is INVALID_ARGUMENT", async (_what, address) => {
      expect(await refusedWith(hello({ address }))).toMatch(/^INVALID_ARGUMENT: address must be host:port/);
    });

    it.each([
      ["300", 300],
      ["10,000", 10_000],
    ])("Hello advertising a host of %s characters is INVALID_ARGUMENT naming the limit, and the stranger never joins", async (_what, length) => {
      const before = await snapshot();
      const address = `${"a".repeat(length)}:9`;
      expect(await refusedWith(hello({ address }))).toBe(`INVALID_ARGUMENT: address must be host:port with a host name of at most 253 characters, got ${length}`);
      // Nothing is pending for it: the Handshake it would sign next finds no challenge.
      const signature = stranger.sign(handshakePayload(GENESIS, Buffer.alloc(32), address));
      expect(await refusedWith(handshake({ public_key: stranger.publicKey, signature, session: randomBytes(16) }))).toMatch(/^UNAUTHENTICATED: no pending Hello/);
      expect((await status()).known_peers).toBe(before.knownPeers);
    });

    it("Hello with a malformed key or nonce is INVALID_ARGUMENT", async () => {
      expect(await refusedWith(hello({ public_key: Buffer.alloc(5) }))).toBe("INVALID_ARGUMENT: public_key must be 32 bytes, got 5");
      expect(await refusedWith(hello({ nonce: Buffer.alloc(3) }))).toBe("INVALID_ARGUMENT: nonce must be 32 bytes, got 3");
    });

    it("the callee proves its key in Hello: its signature of our nonce verifies against the key its node id comes from", async () => {
      const ours = nonce(32);
      const res = await hello({ nonce: ours });
      expect(nodeIdOf(res.public_key)).toBe(target.nodeId);
      expect(verifySignature(res.public_key, handshakePayload(GENESIS, ours, res.address), res.signature)).toBe(true);
      expect(verifySignature(res.public_key, handshakePayload(GENESIS, nonce(32), res.address), res.signature)).toBe(false);
    });

    it("Handshake without a Hello, or with a signature that is not the key's, is UNAUTHENTICATED, and nobody joins", async () => {
      const before = await snapshot();
      expect(await refusedWith(handshake({ public_key: signerFor("nobody said hello").publicKey, signature: Buffer.alloc(64), session: randomBytes(16) }))).toBe(
        "UNAUTHENTICATED: no pending Hello for this key (or it expired): say Hello first",
      );
      const challenge = await hello();
      // Signed by another key than the one that said Hello: someone claiming the stranger's id.
      const impostor = signerFor("impostor");
      const forged = impostor.sign(handshakePayload(GENESIS, challenge.nonce, "127.0.0.1:9"));
      expect(await refusedWith(handshake({ public_key: stranger.publicKey, signature: forged, session: randomBytes(16) }))).toBe(
        `UNAUTHENTICATED: the signature does not prove the caller holds the key of ${stranger.nodeId}`,
      );
      // The challenge is used up: replaying the Hello's answer later gets nowhere either.
      const replay = stranger.sign(handshakePayload(GENESIS, challenge.nonce, "127.0.0.1:9"));
      expect(await refusedWith(handshake({ public_key: stranger.publicKey, signature: replay, session: randomBytes(16) }))).toMatch(/^UNAUTHENTICATED: no pending Hello/);
      expect((await status()).known_peers).toBe(before.knownPeers);
    });

    it("a new id cannot take a live member's address: ALREADY_EXISTS, and the member stays", async () => {
      const member = cluster.peers[1]!;
      const squatter = signerFor("squatter");
      const challenge = await hello({ public_key: squatter.publicKey, address: member.addr, name: "squatter" });
      const signature = squatter.sign(handshakePayload(GENESIS, challenge.nonce, member.addr));
      expect(await refusedWith(handshake({ public_key: squatter.publicKey, signature, session: randomBytes(16) }))).toBe(
        `ALREADY_EXISTS: another live member holds ${member.addr}`,
      );
      const peers = await call<ExchangePeersResponse__Output>((o, cb) => raw.peers.ExchangePeers({ known: [], max: 64 }, md, o, cb));
      expect(peers.peers.find((p) => p.address === member.addr)?.node_id).toBe(member.nodeId);
    });
  });

  describe("membership calls of a member", () => {
    it("ExchangePeers refuses too many peers and answers at most its bound", async () => {
      const before = await snapshot();
      const known = Array.from({ length: 65 }, (_, i) => ({ node_id: `ghost-${i}`, address: `127.0.0.1:${1000 + i}` }));
      expect(await refusedWith(call((o, cb) => raw.peers.ExchangePeers({ known, max: 10 }, md, o, cb)))).toBe(
        "INVALID_ARGUMENT: known lists 65 peers, at most 64 allowed",
      );
      // Named peers that do not answer are only candidates: none becomes a member.
      const res = await call<ExchangePeersResponse__Output>((o, cb) => raw.peers.ExchangePeers({ known: known.slice(0, 64), max: 100000 }, md, o, cb));
      expect(res.peers.map((p) => p.node_id).sort()).toEqual(cluster.peers.filter((p) => p !== target).map((p) => p.nodeId).sort());
      expect((await status()).known_peers).toBe(before.knownPeers);
    });

    it("ExchangePeers naming hosts beyond DNS's limits makes the target dial none of them", async () => {
      const before = await snapshot();
      const metrics = target.node.metrics;
      const hellos = async (): Promise<number> => (await metrics.grpc.clientHandled.get()).values.filter((v) => v.labels.method === "Hello").reduce((n, v) => n + v.value, 0);
      const refusedHandshakes = async (): Promise<number> => (await metrics.p2p.handshakes.get()).values.find((v) => v.labels.result === "refused")?.value ?? 0;
      // A peer of another network, named last: its Hello is the one dial the target should make,
      // and its refusal (after those names would have failed to resolve) says the target is done.
      const control = await FakePeerManager.start("127.0.0.1:0", { name: "control", genesisId: FOREIGN_GENESIS });
      try {
        const [hellosBefore, refusedBefore] = [await hellos(), await refusedHandshakes()];
        const known = [
          { node_id: "long-300", address: `${"a".repeat(300)}:9` },
          { node_id: "long-10000", address: `${"a".repeat(10_000)}:9` },
          { node_id: "long-label", address: `${"b".repeat(64)}.peer:9` },
          { node_id: "control", address: `127.0.0.1:${control.port}` },
        ];
        await call((o, cb) => raw.peers.ExchangePeers({ known, max: 1 }, md, o, cb));
        await waitFor("the target to refuse the control peer", async () => ((await refusedHandshakes()) > refusedBefore ? true : undefined));
        expect(control.fake.handshakes).toHaveLength(1);
        expect((await hellos()) - hellosBefore).toBe(1);
        expect((await status()).known_peers).toBe(before.knownPeers);
      } finally {
        await control.fake.stop();
      }
    });
  });

  it("a flood of 5,000 queries on one stream does not starve another client's Status calls", async () => {
    const s = await status();
    const flooder = rawClients(target.addr);
    const other = rawClients(target.addr);
    try {
      const stream = flooder.messages.QueryStream(md);
      let answered = 0;
      const done = new Promise<void>((resolve, reject) => {
        stream.on("data", () => {
          if (++answered === 5000) resolve();
        });
        stream.on("error", reject);
      });
      for (let i = 1; i <= 5000; i++) stream.write({ request_id: i, from_height: s.height, to_height: s.height });

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
    expect(after.live_peers).toBe(cluster.peers.length); // the three others and the intruder
    expect(after.height).toBeGreaterThanOrEqual(s.height);
  });

  it("after all of it, every peer still answers and the cluster accepts a submitted entry", async () => {
    const res = await cluster.peers[1]!.api.submit(Buffer.from("still alive"), { waitForAcceptance: true, timeoutMs: 20_000 });
    expect(res.accepted).toBe(true);
    for (const p of cluster.peers) {
      await waitFor(`${p.name} to accept it`, async () => ((await p.api.status()).height >= Number(res.height) ? true : undefined));
    }
    const chains = await Promise.all(cluster.peers.map((p) => readChain(p.api)));
    const ids = chains.map((c) => c.slice(0, Number(res.height)).map((b) => b.id.toString("hex")));
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual(ids[0]);
    expect(chains[0]!.flatMap((b) => b.entries.map((e) => e.data.toString())).filter((d) => d === "still alive")).toHaveLength(1);
  });
});
