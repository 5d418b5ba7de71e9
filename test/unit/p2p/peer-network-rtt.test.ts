import { genesisBlock } from "../../../src/chain/genesis";
import { Benchlist } from "../../../src/p2p/benchlist";
import { MemberTable } from "../../../src/p2p/membership";
import { PeerNetwork, type PeerPool } from "../../../src/p2p/peer-network";

/** A PeerNetwork whose one member answers each query after `delays` ms of a fake clock, in turn. */
function network(delays: number[]): { net: PeerNetwork; ask: () => Promise<unknown> } {
  let now = 1_000;
  const table = new MemberTable({ selfId: "self", selfAddress: "127.0.0.1:1", graceMs: 10_000, maxNeighbors: 8 }, Math.random);
  table.upsert({ nodeId: "m", address: "127.0.0.1:2" }, now);
  const client = {
    query: async () => {
      now += delays.shift() ?? 0;
      return { request_id: 0, from_height: 1, preferred_ids: [], last_accepted_height: 0, epoch: 0 };
    },
  };
  const pool = { client: () => client } as unknown as PeerPool;
  const net = new PeerNetwork({ maxBlockEntries: 10 }, { table, pool, benchlist: new Benchlist(), now: () => now, onRemoteHeight: () => {} });
  const block = genesisBlock("snowchain");
  return { net, ask: () => net.query("m", { fromHeight: 1, block, ancestors: [] }) };
}

describe("PeerNetwork.smoothedRttMs", () => {
  it("is undefined before any answer, then the first round trip", async () => {
    const { net, ask } = network([40]);
    expect(net.smoothedRttMs).toBeUndefined();
    await ask();
    expect(net.smoothedRttMs).toBe(40);
  });

  it("moves an eighth of the way towards each new round trip (RFC 6298's SRTT)", async () => {
    const { net, ask } = network([40, 120, 120]);
    await ask();
    await ask();
    expect(net.smoothedRttMs).toBe(50); // 40 + (120 − 40) / 8
    await ask();
    expect(net.smoothedRttMs).toBeCloseTo(58.75, 6); // 50 + (120 − 50) / 8
  });
});
