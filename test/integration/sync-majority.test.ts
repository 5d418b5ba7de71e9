import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { genesisBlock } from "../../src/chain/genesis";
import type { Block } from "../../src/chain/types";
import { blockToWire } from "../../src/wire/convert";
import type { MessageManagerHandlers } from "../../src/wire/generated/snowchain/v1/MessageManager";
import { chainOn } from "../utils/chain/blocks";
import { readChain, startPeer, type ClusterPeer } from "../utils/cluster";
import { FakePeerManager } from "../utils/p2p/fake-peer-manager";
import { freePort } from "../utils/ports";
import { waitFor } from "../utils/wait";

/**
 * A member that lies to syncing peers (a test double over real gRPC): it claims a tip far above
 * the network's and serves a fabricated chain — valid blocks from genesis that nobody accepted.
 * It answers no query (its votes are dropped).
 */
function liarMessages(fake: readonly Block[], genesis: Block): MessageManagerHandlers {
  const at = (h: number): Block | undefined => (h === 0 ? genesis : fake[h - 1]);
  const top = fake.length;
  return {
    Query: (_call, cb) => cb({ code: grpc.status.UNAVAILABLE, details: "busy lying" }),
    QueryStream: (call) => call.on("error", () => {}),
    Gossip: (_call, cb) => cb(null, {}),
    FetchBlock: (_call, cb) => cb({ code: grpc.status.NOT_FOUND, details: "no" }),
    FetchRange: (call, cb) => cb(null, { blocks: fake.slice(call.request.from_height - 1, call.request.to_height).map(blockToWire), last_accepted_height: top }),
    ForwardEntries: (_call, cb) => cb(null, { taken: 0 }),
    GetAccepted: (call, cb) => {
      const h = call.request.height;
      cb(null, { last_accepted_height: top, last_accepted_id: Buffer.from(at(top)!.id, "hex"), id_at_height: h <= top ? Buffer.from(at(h)!.id, "hex") : Buffer.alloc(0) });
    },
  };
}

describe("a syncing peer among honest members and one that lies about its chain", () => {
  let dir: string;
  const peers: ClusterPeer[] = [];
  let liar: FakePeerManager | undefined;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-sync-liar-"));
  });
  afterAll(async () => {
    for (const p of peers) {
      p.api.close();
      await p.node.stop();
    }
    await liar?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("never adopts the liar's fabricated chain, and catches up with the chain the majority accepted", async () => {
    // Two honest peers agree on a chain of 6 entries.
    const [p0, p1] = [await freePort(), await freePort()];
    peers.push(await startPeer(dir, 0, p0, ""));
    peers.push(await startPeer(dir, 1, p1, `127.0.0.1:${p0}`));
    await waitFor("the two to know each other", async () => ((await peers[1]!.api.status()).live_peers === 1 ? true : undefined));
    for (let i = 0; i < 6; i++) await peers[0]!.api.submit(Buffer.from(`real ${i}`), { waitForAcceptance: true, timeoutMs: 20_000 });
    const honest = await readChain(peers[0]!.api);
    await waitFor("peer 1 to hold the same chain", async () => ((await readChain(peers[1]!.api)).length === honest.length ? true : undefined));

    // The liar claims height 40 with a chain of its own.
    const genesis = genesisBlock("snowchain");
    const fabricated = chainOn(genesis, 40);
    const liarPort = await freePort();
    liar = (await FakePeerManager.start(`127.0.0.1:${liarPort}`, { name: "liar", address: `127.0.0.1:${liarPort}`, genesisId: genesis.id, height: 40, messages: liarMessages(fabricated, genesis) })).fake;

    // A new peer that knows all three from the start.
    const late = await startPeer(dir, 2, await freePort(), [p0, p1, liarPort].map((p) => `127.0.0.1:${p}`).join(","));
    peers.push(late);
    await waitFor("the late peer to catch up", async () => ((await late.api.status()).height >= honest.length ? true : undefined));
    const chain = await readChain(late.api);
    expect(chain.map((b) => b.id)).toEqual(honest.map((b) => b.id));
    const fakeIds = new Set(fabricated.map((b) => b.id));
    expect(chain.some((b) => fakeIds.has(Buffer.from(b.id).toString("hex")))).toBe(false);
    expect((await late.api.status()).height).toBe(honest.length);
  });
});
