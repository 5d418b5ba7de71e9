import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { signedBlock } from "../../src/chain/signing";
import { genesisBlock } from "../../src/chain/genesis";
import { FaultyTransport } from "../../src/p2p/faulty-transport";
import { CallError, PeerClient } from "../../src/p2p/peer-client";
import { SESSION_METADATA } from "../../src/wire/peer-info";
import { DIRECT_TRANSPORT } from "../../src/wire/transport";
import { testMember, type TestMember } from "../utils/p2p/member";
import { startPeer, type ClusterPeer } from "../utils/cluster";
import { freePort } from "../utils/ports";
import { waitFor } from "../utils/wait";

/**
 * The Transport seam over real gRPC: every outgoing message of a PeerClient passes through it,
 * so one decorator makes a lost message a call that times out and a repeated one a call
 * answered once, with no code of the client knowing about faults.
 */
describe("the transport seam of a PeerClient, against a real peer", () => {
  let dir: string;
  let peer: ClusterPeer;
  let tester: TestMember;
  let session: Buffer;
  const clients: PeerClient[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-transport-"));
    peer = await startPeer(dir, 0, await freePort(), "");
    // Peer calls need a member's session: the tester joins as a peer would.
    tester = await testMember("tester");
    session = (await tester.join(peer.addr)).get(SESSION_METADATA)[0] as Buffer;
  });
  afterAll(async () => {
    await tester.stop();
    for (const c of clients) c.close();
    peer.api.close();
    await peer.node.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Short deadlines where a test waits for one to pass; long ones where an answer is expected (a loaded CI machine is slow). */
  function client(transport: FaultyTransport, timeoutMs = 300): PeerClient {
    const c = new PeerClient(peer.addr, { queryTimeoutMs: timeoutMs, callTimeoutMs: timeoutMs, transport, sessionFor: () => session });
    clients.push(c);
    return c;
  }

  const pingsServed = async (): Promise<number> =>
    (await peer.node.metrics.grpc.serverHandled.get()).values.filter((v) => v.labels.method === "Ping").reduce((n, v) => n + v.value, 0);

  const faulty = (): FaultyTransport => new FaultyTransport(DIRECT_TRANSPORT, { nodeIdOf: () => peer.nodeId, random: Math.random, setTimer: (f, ms) => setTimeout(f, ms) });

  it("passes calls untouched while no fault is set", async () => {
    const c = client(faulty(), 10_000);
    expect((await c.ping()).node_id).toBe(peer.nodeId);
  });

  it("a dropped unary call fails with DEADLINE_EXCEEDED once its deadline passes", async () => {
    const t = faulty();
    t.set([{ peers: [peer.nodeId], direction: "out", drop: 1 }]);
    const started = Date.now();
    const err = await client(t).ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallError);
    expect((err as CallError).code).toBe("DEADLINE_EXCEEDED");
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("a dropped query is a dropped vote: it times out, and its blocks count as not sent", async () => {
    const t = faulty();
    const c = client(t, 2000);
    const genesis = genesisBlock("snowchain");
    const block = signedBlock({ height: 1, parentId: genesis.id, timestampMs: Date.now(), entries: [Buffer.from("x")] }, tester.signer);
    t.set([{ peers: [], direction: "out", drop: 1 }]);
    await expect(c.query(1, 1, [block])).rejects.toMatchObject({ code: "DEADLINE_EXCEEDED" });
    t.set([]);
    // Healed: the block goes with the next query (it was never on the wire), so the peer can vote for it.
    const res = await c.query(1, 1, [block]);
    expect(res.preferred_ids.map((b) => b.toString("hex"))).toEqual([block.id]);
  });

  it("a duplicated call reaches the peer twice and is answered once; a delayed one still answers", async () => {
    const t = faulty();
    t.set([{ peers: [peer.nodeId], direction: "out", duplicate: 1, delayMs: 50 }]);
    const c = client(t, 10_000);
    const before = await pingsServed();
    const started = Date.now();
    expect((await c.ping()).node_id).toBe(peer.nodeId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    await waitFor("the peer to serve both copies", async () => ((await pingsServed()) === before + 2 ? true : undefined));
    const res = await c.query(1, 1, []);
    expect(res.request_id).toBeGreaterThan(0);
  });
});
