import { Cluster, readChain } from "../utils/cluster";
import { waitFor } from "../utils/wait";

describe("five peers over real gRPC", () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start(5);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("learn the whole network from one seed each", async () => {
    for (const p of cluster.peers) {
      await waitFor(`${p.nodeId} to know 4 live members`, async () => {
        const s = await p.api.status();
        return s.live_peers === 4 && s.known_peers === 4 ? s : undefined;
      });
    }
  });

  it("put 200 entries submitted to different peers exactly once in every chain, and all chains agree", async () => {
    const texts = Array.from({ length: 200 }, (_, i) => `entry-${i}-${Math.random()}`);
    const ids = await Promise.all(
      texts.map(async (t, i) => {
        const res = await cluster.peers[i % cluster.peers.length]!.api.submit(Buffer.from(t));
        return res.id.toString("hex");
      }),
    );
    expect(new Set(ids).size).toBe(200);

    const chains = await Promise.all(
      cluster.peers.map((p) =>
        waitFor(
          `${p.nodeId} to accept all 200 entries`,
          async () => {
            const chain = await readChain(p.api);
            const n = chain.reduce((sum, b) => sum + b.entries.length, 0);
            return n >= 200 ? chain : undefined;
          },
          30_000,
          200,
        ),
      ),
    );
    // Tips may differ for a moment: the common prefix must be the same everywhere.
    const minHeight = Math.min(...chains.map((c) => c.length));
    const reference = chains[0]!.slice(0, minHeight).map((b) => b.id.toString("hex"));
    for (const chain of chains) {
      expect(chain.slice(0, minHeight).map((b) => b.id.toString("hex"))).toEqual(reference);
      const entryIds = chain.flatMap((b) => b.entries.map((e) => e.id.toString("hex")));
      expect(entryIds.length).toBe(new Set(entryIds).size); // no duplicates
      expect(new Set(entryIds)).toEqual(new Set(ids)); // all of them, nothing else
    }
  });

  it("answers a submit that waits once the entry is accepted", async () => {
    const res = await cluster.peers[2]!.api.submit(Buffer.from("wait for me"), { waitForAcceptance: true, timeoutMs: 30_000 });
    expect(res.accepted).toBe(true);
    expect(res.height).toBeGreaterThan(0);
    const other = cluster.peers[4]!.api;
    const seen = await waitFor("peer-4 to have the entry", async () => {
      const e = await other.getEntry(res.id).catch(() => undefined);
      return e?.state === "ENTRY_STATE_ACCEPTED" ? e : undefined;
    });
    expect(seen.height).toBe(res.height);
  });
});
