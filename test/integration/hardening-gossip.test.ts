import { genesisBlock } from "../../src/chain/genesis";
import type { Block } from "../../src/chain/types";
import { blockToWire } from "../../src/wire/convert";
import { childOf } from "../utils/chain/blocks";
import { Cluster, readChain, type ClusterPeer } from "../utils/cluster";
import { call, rawClients, refusedWith, type RawClients } from "../utils/grpc/raw";
import { joinAs, type TestMember } from "../utils/p2p/member";
import { waitFor } from "../utils/wait";
import type * as grpc from "@grpc/grpc-js";

const MEMPOOL_MAX_ENTRIES = 4000;
const SIBLINGS = 64;
const ENTRIES_PER_SIBLING = 100;

/**
 * The hardening issue's defect 3: one Gossip of 64 valid sibling blocks, each with 100 new
 * entries, from one member. Before: all 64 were held undecided, and the 63 losers' 6,300
 * entries went into a mempool of 4,000 past its bounds, so clients were refused while it
 * drained. Now one sender may make a peer hold at most 32 undecided blocks (SenderQuota), and
 * entries other peers acknowledged take at most half of the mempool (FOREIGN_SHARE).
 */
describe("a member gossiping 64 sibling blocks full of new entries", () => {
  let cluster: Cluster;
  let target: ClusterPeer;
  let flooder: TestMember & { readonly metadata: grpc.Metadata };
  let raw: RawClients;

  beforeAll(async () => {
    cluster = await Cluster.start(3, { MEMPOOL_MAX_ENTRIES: String(MEMPOOL_MAX_ENTRIES), POLL_TIMEOUT_MS: "400" });
    target = cluster.peers[0]!;
    for (const p of cluster.peers) await waitFor(`${p.name} to know the two others`, async () => ((await p.api.status()).live_peers === 2 ? true : undefined));
    flooder = await joinAs("sibling flooder", target.addr);
    raw = rawClients(target.addr);
  });
  afterAll(async () => {
    raw.close();
    await flooder.stop();
    await cluster.stop();
  });

  it("holds at most 32 of them, keeps losers' entries within half the mempool, and clients are never refused", async () => {
    const genesis = genesisBlock("snowchain");
    const siblings: Block[] = Array.from({ length: SIBLINGS }, (_, i) =>
      childOf(
        genesis,
        { timestampMs: Date.now(), entries: Array.from({ length: ENTRIES_PER_SIBLING }, (_, j) => Buffer.from(`flood ${i}/${j}`)) },
        flooder.signer,
      ),
    );
    expect(await refusedWith(call((o, cb) => raw.messages.Gossip({ blocks: siblings.map(blockToWire) }, flooder.metadata, o, cb)))).toMatch(
      /^RESOURCE_EXHAUSTED: block [0-9a-f]{16}… refused: its 32 undecided blocks here are the most one sender may have \(32\)$/,
    );
    expect((await target.api.status()).processing_blocks).toBeLessThanOrEqual(32);

    // Clients go on: their entries are accepted, none refused, while the siblings are decided.
    const texts = Array.from({ length: 20 }, (_, i) => `client entry ${i}`);
    for (const t of texts) await target.api.submit(Buffer.from(t));
    await waitFor(
      "the client entries to be accepted",
      async () => {
        const data = (await readChain(target.api)).flatMap((b) => b.entries.map((e) => e.data.toString()));
        return texts.every((t) => data.includes(t)) ? true : undefined;
      },
      30_000,
    );
    const s = await target.api.status();
    expect(s.mempool_size).toBeLessThanOrEqual(MEMPOOL_MAX_ENTRIES / 2);
    // One of the siblings may have won height 1; the rest lost, and none is undecided any more.
    const height1 = (await readChain(target.api))[0]!;
    expect(height1.height).toBe(1);
  }, 60_000);
});
