import * as grpc from "@grpc/grpc-js";
import { blockToWire } from "../../src/wire/convert";
import { v1 } from "../../src/wire/proto";
import { signedBlock } from "../../src/chain/signing";
import type { Block } from "../../src/chain/types";
import { signerFor } from "../utils/chain/blocks";
import { Cluster, readChain } from "../utils/cluster";
import { testMember, type TestMember } from "../utils/p2p/member";
import { waitFor } from "../utils/wait";

/** Gossips blocks to one peer as another member would. */
async function gossip(tester: TestMember, addr: string, blocks: Block[]): Promise<void> {
  const metadata = await tester.join(addr);
  const client = new v1.MessageManager(addr, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.Gossip({ blocks: blocks.map(blockToWire) }, metadata, (err) => {
      client.close();
      if (err) reject(err);
      else resolve();
    }),
  );
}

describe("conflicting proposals", () => {
  let cluster: Cluster;
  let tester: TestMember;

  beforeAll(async () => {
    cluster = await Cluster.start(5);
    for (const p of cluster.peers) {
      await waitFor(`${p.name} to know 4 live members`, async () => ((await p.api.status()).live_peers === 4 ? true : undefined));
    }
    // A member that never votes: 1 of 6 in every sample, under 1 − αC/K.
    tester = await testMember("tester");
  });
  afterAll(async () => {
    await cluster?.stop();
    await tester?.stop();
  });

  it("three blocks at one height, each known first by different peers: every peer accepts the same one, and no entry is lost", async () => {
    const status = await cluster.peers[0]!.api.status();
    const parentId = status.last_accepted_id.toString("hex");
    const height = Number(status.height) + 1;
    const proposals = ["a", "b", "c"].map((name) =>
      signedBlock({ height, parentId, timestampMs: Date.now(), entries: [Buffer.from(`${name}-1`), Buffer.from(`${name}-2`)] }, signerFor(`tester-${name}`)),
    );
    // peers 0,1 see a first; 2,3 see b; 4 sees c. Queries then spread all three.
    await Promise.all([
      gossip(tester, cluster.peers[0]!.addr, [proposals[0]!]),
      gossip(tester, cluster.peers[1]!.addr, [proposals[0]!]),
      gossip(tester, cluster.peers[2]!.addr, [proposals[1]!]),
      gossip(tester, cluster.peers[3]!.addr, [proposals[1]!]),
      gossip(tester, cluster.peers[4]!.addr, [proposals[2]!]),
    ]);

    const winners = await Promise.all(
      cluster.peers.map((p) =>
        waitFor(`${p.name} to accept a block at height ${height}`, async () => {
          const chain = await readChain(p.api);
          return chain[height - 1]?.id.toString("hex");
        }),
      ),
    );
    expect(new Set(winners).size).toBe(1);
    expect(proposals.map((b) => b.id)).toContain(winners[0]);

    // The losers' entries went back to the mempools and were proposed again: all six, once each.
    const wanted = proposals.flatMap((b) => b.entries.map((e) => e.id));
    for (const p of cluster.peers) {
      const ids = await waitFor(`${p.nodeId} to hold all six entries`, async () => {
        const got = (await readChain(p.api)).flatMap((b) => b.entries.map((e) => e.id.toString("hex")));
        return wanted.every((id) => got.includes(id)) ? got : undefined;
      });
      expect(ids.length).toBe(new Set(ids).size);
    }
    const rejected = await Promise.all(
      cluster.peers.map(async (p) => (await p.node.metrics.consensus.blocksRejected.get()).values[0]?.value ?? 0),
    );
    // A peer rejects the losers it heard of: every peer heard of at least one (it voted on the
    // winner against its first block, or fetched a rival its sample voted for); a loser that only
    // ever reached a peer after the height was decided is not a rejection there.
    for (const r of rejected) expect(r).toBeGreaterThanOrEqual(1);
    expect(Math.max(...rejected)).toBeGreaterThanOrEqual(2);
  });
});
