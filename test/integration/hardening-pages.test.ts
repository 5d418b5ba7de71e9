import { runCli } from "../../src/cli/program";
import { createClient, GrpcSnowchainApi } from "../../src/cli/client";
import { MAX_MESSAGE_BYTES } from "../../src/wire/channel";
import { Cluster, readChain, startPeer, type ClusterPeer } from "../utils/cluster";
import { FakeContext } from "../utils/cli/fake-context";
import { freePort } from "../utils/ports";
import { waitFor } from "../utils/wait";

const ENTRY_BYTES = 1024 * 1024;
/** A chain of more bytes than one message may carry: one 1 MiB entry per block. */
const BLOCKS = 20;
const ENV = { MAX_ENTRY_BYTES: String(ENTRY_BYTES), MAX_BLOCK_BYTES: String(ENTRY_BYTES) };

/**
 * Lists of blocks are paged by bytes as well as by count, so a chain of big blocks can be read
 * (GetChain, the CLI) and synced (FetchRange) however few blocks it takes to fill a message.
 */
describe("a chain of big blocks", () => {
  let cluster: Cluster;
  let peer: ClusterPeer;

  beforeAll(async () => {
    cluster = await Cluster.start(1, ENV);
    peer = cluster.peers[0]!;
    for (let i = 1; i <= BLOCKS; i++) {
      const res = await peer.api.submit(Buffer.alloc(ENTRY_BYTES, i), { waitForAcceptance: true, timeoutMs: 20_000 });
      expect(res.accepted).toBe(true);
    }
    await waitFor("the whole chain to be durable", async () => ((await peer.api.status()).height >= BLOCKS ? true : undefined));
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("GetChain from genesis answers a page that fits in a message, and paging on reads every block", async () => {
    const page = await peer.api.getChain(0, 0);
    expect(page.last_accepted_height).toBe(BLOCKS);
    const heights = page.blocks.map((b) => Number(b.height));
    expect(heights[0]).toBe(0);
    expect(heights).toEqual(heights.map((_, i) => i)); // a run from genesis, shorter than the chain
    expect(heights.length).toBeLessThan(BLOCKS + 1);
    const bytes = page.blocks.reduce((n, b) => n + b.entries.reduce((m, e) => m + e.data.length, 0), 0);
    expect(bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES / 2);

    const all = await readChain(peer.api);
    expect(all.map((b) => Number(b.height))).toEqual(Array.from({ length: BLOCKS }, (_, i) => i + 1));
    expect(all.map((b) => b.entries[0]!.data[0])).toEqual(Array.from({ length: BLOCKS }, (_, i) => i + 1));
  });

  it("`snowchain chain` prints every block of a range larger than grpc-js's default 4 MiB receive limit, and of the whole chain", async () => {
    const ctx = new FakeContext();
    ctx.connectTo = (addr) => new GrpcSnowchainApi(createClient(addr));
    expect(await runCli(["chain", "--addr", peer.addr, "--from", "11", "--to", "17", "--json"], ctx, "test")).toBe(0);
    expect(ctx.stderr).toEqual([]);
    const range = JSON.parse(ctx.stdout.join("")) as { height: number }[];
    expect(range.map((b) => b.height)).toEqual([11, 12, 13, 14, 15, 16, 17]);

    const whole = new FakeContext();
    whole.connectTo = ctx.connectTo;
    expect(await runCli(["chain", "--addr", peer.addr, "--json"], whole, "test")).toBe(0);
    expect((JSON.parse(whole.stdout.join("")) as { height: number }[]).map((b) => b.height)).toEqual(Array.from({ length: BLOCKS + 1 }, (_, i) => i));
  });

  it("a peer that joins late syncs the whole chain through FetchRange pages", async () => {
    const late = await startPeer(cluster.dir, 1, await freePort(), peer.addr, ENV);
    cluster.peers.push(late);
    await waitFor("the late peer to catch up", async () => ((await late.api.status()).height >= BLOCKS ? true : undefined), 45_000);
    const ids = (api: GrpcSnowchainApi | ClusterPeer["api"]): Promise<string[]> => readChain(api).then((c) => c.map((b) => b.id.toString("hex")));
    expect(await ids(late.api)).toEqual(await ids(peer.api));
  });

});
