import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import pino from "pino";
import { genesisBlock } from "../../../src/chain/genesis";
import type { HostPort } from "../../../src/config";
import { Discovery, MAX_HANDSHAKES_IN_FLIGHT, SILENT_BEATS } from "../../../src/p2p/discovery";
import { PROTOCOL_VERSION } from "../../../src/wire/peer-info";
import { MemberTable } from "../../../src/p2p/membership";
import { AdmissionLimiter } from "../../../src/p2p/admission";
import { Handshaker } from "../../../src/p2p/handshake";
import { PeerPool } from "../../../src/p2p/peer-network";
import { Sessions } from "../../../src/p2p/sessions";
import { signerFor } from "../../utils/chain/blocks";
import { FakePeerManager } from "../../utils/p2p/fake-peer-manager";
import { startPeerAt, type LoopbackPeer } from "../../utils/p2p/loopback-peer";
import { freePort } from "../../utils/ports";
import { waitFor } from "../../utils/wait";

const GENESIS = genesisBlock("snowchain").id;
const FOREIGN_GENESIS = genesisBlock("elsewhere").id;

interface Harness {
  readonly discovery: Discovery;
  readonly handshaker: Handshaker;
  readonly table: MemberTable;
  readonly pool: PeerPool;
  /** Every handshake outcome, in order. */
  readonly results: string[];
  /** Hosts asked of the resolver. */
  readonly resolved: string[];
  /** undefined until onJoined; then whether it joined alone. */
  readonly joined: boolean | undefined;
}

/** A Discovery over a real PeerPool (real gRPC), with its resolver and callbacks recorded. */
function harness(
  name: string,
  selfAddress: string,
  seeds: readonly HostPort[],
  resolve: (host: string) => Promise<string[]>,
  { callTimeoutMs = 2000, heartbeatMs = 200 }: { callTimeoutMs?: number; heartbeatMs?: number } = {},
): Harness {
  const signer = signerFor(name);
  const selfId = signer.nodeId;
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const table = new MemberTable({ selfId, selfAddress, graceMs: 10_000, maxNeighbors: 8 }, Math.random);
  const sessions = new Sessions();
  const pool = new PeerPool({ queryTimeoutMs: 1000, callTimeoutMs, sessionFor: (a) => sessions.tokenFor(a) }, () => {});
  const handshaker = new Handshaker({ signer, name, selfAddress, genesisId: GENESIS }, { table, pool, sessions, admissions: new AdmissionLimiter(Date.now), now: Date.now, lastAcceptedHeight: () => 0, onRemoteHeight: () => {} });
  const results: string[] = [];
  const resolved: string[] = [];
  let joined: boolean | undefined;
  const discovery = new Discovery(
    { selfId, selfAddress, seeds, heartbeatMs },
    {
      table,
      pool,
      handshaker,
      sessions,
      log,
      now: Date.now,
      lastAcceptedHeight: () => 0,
      onRemoteHeight: () => {},
      onHandshake: (r) => results.push(r),
      onDropped: () => {},
      onJoined: (alone) => (joined = alone),
      resolve: (host) => {
        resolved.push(host);
        return resolve(host);
      },
    },
  );
  const h: Harness = {
    discovery,
    handshaker,
    table,
    pool,
    results,
    resolved,
    get joined() {
      return joined;
    },
  };
  harnesses.push(h);
  return h;
}

const harnesses: Harness[] = [];
const fakes: FakePeerManager[] = [];
const peers: LoopbackPeer[] = [];
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-discovery-"));
});

afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    h.discovery.stop();
    h.pool.closeAll();
  }
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
  await Promise.all(peers.splice(0).map((p) => p.node.stop()));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Members by the names they gave (their node ids are derived from keys). */
const names = (h: Harness): string[] => h.table.all().map((m) => `${m.name ?? m.nodeId}@${m.address}`).sort();

async function fake(addr: string, opts: Parameters<typeof FakePeerManager.start>[1]): Promise<{ fake: FakePeerManager; port: number }> {
  const started = await FakePeerManager.start(addr, opts);
  fakes.push(started.fake);
  return started;
}

describe("Discovery", () => {
  it("handshakes every address a seed name resolves to", async () => {
    // Three real peers sharing one port on three loopback addresses, as Compose replicas share peer:50051.
    const port = await freePort();
    const hosts = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
    peers.push(...(await Promise.all(hosts.map((host, i) => startPeerAt(dir, `replica-${i}`, host, port)))));

    // The replicas dial the newcomer back before they take it in: something with its key must answer there.
    const newcomer = `127.0.0.1:${await freePort()}`;
    await fake(newcomer, { name: "newcomer", address: newcomer, genesisId: GENESIS });
    const h = harness("newcomer", newcomer, [{ host: "peer.test", port }], async (host) => {
      if (host !== "peer.test") throw new Error(`unexpected name ${host}`);
      return hosts;
    });
    h.discovery.start();

    await waitFor("the newcomer to know all three replicas", () => (h.table.size === 3 ? true : undefined), 10_000);
    expect(names(h)).toEqual(hosts.map((host, i) => `replica-${i}@${host}:${port}`));
    expect(h.resolved[0]).toBe("peer.test");
    await waitFor("the newcomer to join", () => h.joined);
    expect(h.joined).toBe(false);
    expect(h.results.filter((r) => r !== "ok")).toEqual([]);
    // Each replica took the newcomer in too: the handshake is mutual.
    for (const p of peers) expect(p.node.status().known_peers).toBeGreaterThanOrEqual(1);
  });

  it("is refused by a real peer of another network, and neither side takes the other in", async () => {
    const port = await freePort();
    const foreign = await startPeerAt(dir, "foreigner", "127.0.0.1", port, { NETWORK_NAME: "elsewhere" });
    peers.push(foreign);
    expect(Buffer.from(foreign.node.status().genesis_id ?? []).toString("hex")).toBe(FOREIGN_GENESIS);

    const h = harness("local", `127.0.0.1:${await freePort()}`, [{ host: "127.0.0.1", port }], async (host) => [host]);
    h.discovery.start();

    await waitFor("the handshake to be refused", () => (h.results.length > 0 ? true : undefined));
    expect(h.results).toEqual(["refused"]);
    expect(h.table.size).toBe(0);
    expect(foreign.node.status().known_peers).toBe(0);
    // A foreign seed is not "nobody else": the peer keeps looking instead of running alone.
    expect(h.joined).toBeUndefined();
  });

  it("refuses a peer that answers with another network's genesis or protocol, even if it accepts us", async () => {
    const { port: foreignPort } = await fake("127.0.0.1:0", { name: "careless", genesisId: FOREIGN_GENESIS });
    const { port: oldPort } = await fake("127.0.0.1:0", { name: "ancient", genesisId: GENESIS, protocolVersion: PROTOCOL_VERSION + 1 });
    const { port: okPort } = await fake("127.0.0.1:0", { name: "friend", genesisId: GENESIS });
    const h = harness("local", `127.0.0.1:${await freePort()}`, [], async (host) => [host]);

    expect(await h.discovery.handshake(`127.0.0.1:${foreignPort}`)).toBeUndefined();
    expect(await h.discovery.handshake(`127.0.0.1:${oldPort}`)).toBeUndefined();
    expect(await h.discovery.handshake(`127.0.0.1:${okPort}`)).toEqual({ nodeId: signerFor("friend").nodeId, address: `127.0.0.1:${okPort}`, name: "friend" });
    expect(h.results).toEqual(["refused", "refused", "ok"]);
    expect(names(h)).toEqual([`friend@127.0.0.1:${okPort}`]);
  });

  it("tells why a remote is not of this network", () => {
    const h = harness("local", "127.0.0.1:1", [], async () => []);
    expect(h.handshaker.refusal(PROTOCOL_VERSION, GENESIS)).toBeUndefined();
    expect(h.handshaker.refusal(PROTOCOL_VERSION + 1, GENESIS)).toBe(
      `protocol version ${PROTOCOL_VERSION + 1}, this peer speaks ${PROTOCOL_VERSION}`,
    );
    expect(h.handshaker.refusal(PROTOCOL_VERSION, FOREIGN_GENESIS)).toMatch(/^genesis [0-9a-f]{16}… is not this network's [0-9a-f]{16}…$/);
    expect(h.handshaker.refusal(PROTOCOL_VERSION, Buffer.alloc(5).toString("hex"))).toMatch(/^genesis 0000000000… is not this network's/);
  });

  it("makes a network of one after a few rounds when the seed resolves only to itself", async () => {
    const port = await freePort();
    // The seed name resolves to this peer's own address and to an alias of it (another interface):
    // the alias answers the handshake with this peer's own node id.
    const { fake: alias } = await fake(`127.0.0.6:${port}`, { name: "solo", genesisId: GENESIS });
    const solo = harness("solo", `127.0.0.1:${port}`, [{ host: "me.test", port }], async () => ["127.0.0.1", "127.0.0.6"]);
    // Control: a seed that does not resolve (yet) may be a peer still starting: never alone.
    const waiting = harness("waiting", `127.0.0.1:${await freePort()}`, [{ host: "later.test", port }], async () => {
      throw new Error("ENOTFOUND later.test");
    });
    solo.discovery.start();
    waiting.discovery.start();

    await waitFor("the solo peer to join alone", () => solo.joined, 10_000);
    expect(solo.joined).toBe(true);
    expect(solo.table.size).toBe(0);
    expect(solo.results).toEqual([]); // its own alias is neither a member nor a refusal
    expect(solo.resolved.length).toBeGreaterThanOrEqual(3); // it took several rounds, not one
    // Over those rounds it dialed its alias once: an address that answered with its own id is remembered.
    expect(alias.handshakes).toHaveLength(1);
    expect(waiting.joined).toBeUndefined();
  });

  it(`pings a live member only once it has been silent for ${SILENT_BEATS} heartbeats, and never while it answers`, async () => {
    const { fake: member, port } = await fake("127.0.0.1:0", { name: "member", genesisId: GENESIS });
    const h = harness("local", `127.0.0.1:${await freePort()}`, [{ host: "127.0.0.1", port }], async (host) => [host], { heartbeatMs: 100 });
    h.discovery.start();
    await waitFor("joining", () => (h.joined === undefined ? undefined : true), 10_000);

    // Silent (nothing but pings proves it alive): about one ping per SILENT_BEATS beats, not one a beat.
    const silentFrom = member.pings;
    await new Promise((r) => setTimeout(r, 1500));
    const silent = member.pings - silentFrom;
    expect(silent).toBeGreaterThanOrEqual(2); // 15 beats: ~5 pings
    expect(silent).toBeLessThanOrEqual(8); // one a beat would be ~15

    // Answering all the time (as a member answering queries does): no ping at all.
    const id = h.table.all()[0]!.nodeId;
    const answering = setInterval(() => h.table.markOk(id, Date.now()), 20);
    try {
      await new Promise((r) => setTimeout(r, 150)); // a ping already on its way may land
      const busyFrom = member.pings;
      await new Promise((r) => setTimeout(r, 1000));
      expect(member.pings - busyFrom).toBe(0);
    } finally {
      clearInterval(answering);
    }
    expect(h.table.isLive(id)).toBe(true);
  });

  it("takes at most a bounded number of addresses from one peer exchange", async () => {
    const many = await freePort();
    // A peer naming 200 others, all on loopback addresses where one fake answers.
    const { fake: crowd } = await fake(`0.0.0.0:${many}`, { name: "crowd", genesisId: GENESIS });
    const listed = Array.from({ length: 200 }, (_, i) => ({ node_id: `ghost-${i}`, address: `127.0.${2 + Math.floor(i / 200)}.${1 + (i % 200)}:${many}` }));
    const { port: talker } = await fake("127.0.0.1:0", { name: "talker", genesisId: GENESIS, address: "", peers: listed });

    // No heartbeat during the test: only the bootstrap round's exchange is counted.
    const h = harness("local", `127.0.0.1:${await freePort()}`, [{ host: "127.0.0.1", port: talker }], async (host) => [host], { heartbeatMs: 60_000 });
    h.discovery.start();
    // It joins once the seed round, its peer exchange and the handshakes that started are all done.
    await waitFor("joining", () => (h.joined === undefined ? undefined : true), 10_000);
    expect(crowd.handshakes.length).toBeGreaterThan(0);
    expect(crowd.handshakes.length).toBeLessThanOrEqual(32);
  });

  it("dials none of the peers an exchange names at hosts beyond DNS's limits", async () => {
    const { port: control } = await fake("127.0.0.1:0", { name: "control", genesisId: GENESIS });
    const listed = [
      { node_id: "long-300", address: `${"a".repeat(300)}:9` },
      { node_id: "long-10000", address: `${"a".repeat(10_000)}:9` },
      { node_id: "long-label", address: `${"b".repeat(64)}.peer:9` },
      { node_id: "control", address: `127.0.0.1:${control}` },
    ];
    const { port: talker } = await fake("127.0.0.1:0", { name: "talker", genesisId: GENESIS, address: "", peers: listed });
    const h = harness("local", `127.0.0.1:${await freePort()}`, [{ host: "127.0.0.1", port: talker }], async (host) => [host], { heartbeatMs: 60_000 });
    h.discovery.start();
    await waitFor("joining", () => (h.joined === undefined ? undefined : true), 10_000);
    // The seed and the one dialable peer it named; no failed dial of the others.
    expect(h.results).toEqual(["ok", "ok"]);
    expect(names(h)).toEqual([`control@127.0.0.1:${control}`, `talker@127.0.0.1:${talker}`]);
  });

  it(`keeps at most ${MAX_HANDSHAKES_IN_FLIGHT} handshakes in flight, whatever it is asked to dial`, async () => {
    const port = await freePort();
    const { fake: slow } = await fake(`0.0.0.0:${port}`, { name: "slow", genesisId: GENESIS, hold: true });
    const h = harness("local", `127.0.0.1:${await freePort()}`, [], async (host) => [host], { callTimeoutMs: 20_000 });

    let settled = 0;
    const all = Array.from({ length: 100 }, (_, i) => h.discovery.handshake(`127.0.1.${i + 1}:${port}`).finally(() => settled++));
    await waitFor("the bound to be reached", () => (slow.heldCount === MAX_HANDSHAKES_IN_FLIGHT && settled === 100 - MAX_HANDSHAKES_IN_FLIGHT ? true : undefined), 15_000);
    expect(slow.handshakes).toHaveLength(MAX_HANDSHAKES_IN_FLIGHT);

    slow.release();
    await Promise.all(all);
    expect(slow.maxHeld).toBe(MAX_HANDSHAKES_IN_FLIGHT);
    // The places are free again.
    expect(await h.discovery.handshake(`127.0.2.1:${port}`)).toEqual({ nodeId: signerFor("slow").nodeId, address: `127.0.2.1:${port}`, name: "slow" });
  });

  it("lets go of the client of an address that did not answer", async () => {
    const h = harness("local", `127.0.0.1:${await freePort()}`, [], async (host) => [host]);
    const nowhere = `127.0.0.1:${await freePort()}`; // nothing listens there
    const before = h.pool.client(nowhere);
    expect(await h.discovery.handshake(nowhere)).toBeUndefined();
    expect(h.results).toEqual(["failed"]);
    expect(h.pool.client(nowhere)).not.toBe(before);
  });
});
