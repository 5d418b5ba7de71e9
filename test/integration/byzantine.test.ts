import type { BehaviourName } from "../../src/behaviour/behaviour";
import { counter, submitAndCheck } from "../utils/byzantine";
import { Cluster, readChain } from "../utils/cluster";
import { waitFor } from "../utils/wait";

/**
 * Byzantine peers among honest ones, over real gRPC in one process: what each one's evidence
 * looks like (equivocation counted, a liar's chain refused, a stall without a fork). With f of N well under the
 * bound the arithmetic gives (here 1 of 5: an honest sample keeps ~16 of K=20 votes, αC=15),
 * honest peers never accept different blocks at a height, every entry acknowledged by an honest
 * peer is accepted exactly once, and the network goes on.
 */
/** A silent member costs a poll its timeout whenever the others fall short of αC: keep it short. */
const ENV = { POLL_TIMEOUT_MS: "250" };

// random, balancing, flooder, silent, equivocator and sync-liar run as real processes too (test/process/byzantine.test.ts).
describe.each<BehaviourName>(["contrarian"])("one %s peer among five", (behaviour) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start(5, ENV, (i): Record<string, string> => (i === 4 ? { BEHAVIOUR: behaviour } : {}));
    for (const p of cluster.peers) await waitFor(`${p.name} to know the four others`, async () => ((await p.api.status()).live_peers === 4 ? true : undefined));
  });
  afterAll(() => cluster.stop());

  it("honest peers agree and accept every acknowledged entry exactly once", async () => {
    await submitAndCheck(cluster.peers.slice(0, 4), behaviour);
  });
});

describe("one silent peer among five, with the default poll timeout (1 s)", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start(5, {}, (i): Record<string, string> => (i === 4 ? { BEHAVIOUR: "silent" } : {}));
    for (const p of cluster.peers) await waitFor(`${p.name} to know the four others`, async () => ((await p.api.status()).live_peers === 4 ? true : undefined));
  });
  afterAll(() => cluster.stop());

  it("is benched by the honest peers, whose polls then stop waiting out its timeouts", async () => {
    const honest = cluster.peers.slice(0, 4);
    const started = Date.now();
    await submitAndCheck(honest, "beside a silent peer", 4);
    process.stdout.write(`4 entries accepted beside a silent peer in ${Date.now() - started} ms\n`);
    const benched = await Promise.all(honest.map(async (p) => (await p.node.metrics.p2p.benchedMembers.get()).values[0]?.value ?? 0));
    expect(benched.some((n) => n === 1)).toBe(true);
  });
});

describe("an equivocator among five", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start(5, ENV, (i): Record<string, string> => (i === 4 ? { BEHAVIOUR: "equivocator" } : {}));
    for (const p of cluster.peers) await waitFor(`${p.name} to know the four others`, async () => ((await p.api.status()).live_peers === 4 ? true : undefined));
  });
  afterAll(() => cluster.stop());

  it("is caught: its two signed blocks at one height are evidence to the honest peers that see both, who still agree", async () => {
    const honest = cluster.peers.slice(0, 4);
    const equivocator = cluster.peers[4]!;
    // Entries given to the equivocator: it proposes them twice over, each block to half its neighbours.
    // Peers that first held the losing block learn the winner too: they hold both, and say so.
    for (let i = 0; i < 3; i++) await equivocator.api.submit(Buffer.from(`equivocated ${i}`), { waitForAcceptance: true, timeoutMs: 60_000 });
    await waitFor("an honest peer to count the equivocation", async () => {
      const seen = await Promise.all(honest.map((p) => counter(p, (x) => x.node.metrics.byzantine.equivocations.get())));
      return seen.some((n) => n > 0) ? true : undefined;
    }, 30_000);
    await submitAndCheck(honest, "after equivocation", 3);
  });
});

describe("a sync-liar among five", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start(5, ENV, (i): Record<string, string> => (i === 4 ? { BEHAVIOUR: "sync-liar" } : {}));
    for (const p of cluster.peers) await waitFor(`${p.name} to know the four others`, async () => ((await p.api.status()).live_peers === 4 ? true : undefined));
  });
  afterAll(() => cluster.stop());

  it("claims a chain 1,000 heights taller, and neither the honest peers nor a late one that syncs adopt it", async () => {
    const honest = cluster.peers.slice(0, 4);
    const liar = cluster.peers[4]!;
    await submitAndCheck(honest, "beside a liar", 4);
    // A late peer told of the liar first: the liar's height is the tallest claim it hears.
    const peer = await cluster.join([liar.addr, honest[0]!.addr], ENV);
    const truth = (await readChain(honest[0]!.api)).map((b) => b.id.toString("hex"));
    await waitFor("the late peer to catch up with the honest chain", async () => ((await peer.api.status()).height >= truth.length ? true : undefined), 30_000);
    expect((await readChain(peer.api)).slice(0, truth.length).map((b) => b.id.toString("hex"))).toEqual(truth);
    for (const p of [...honest, peer]) expect((await p.api.status()).height).toBeLessThan(truth.length + 20); // nothing of the 1,000 fabricated heights
  });
});

describe("silent peers above 1 − αC/K", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // 2 of 5 never vote: 40% of every sample is lost, more than 1 − 15/20 = 25%.
    cluster = await Cluster.start(5, ENV, (i): Record<string, string> => (i >= 3 ? { BEHAVIOUR: "silent" } : {}));
    for (const p of cluster.peers) await waitFor(`${p.name} to know the four others`, async () => ((await p.api.status()).live_peers === 4 ? true : undefined));
  });
  afterAll(() => cluster.stop());

  it("stall the network rather than fork it: polls run, nothing is accepted", async () => {
    const honest = cluster.peers.slice(0, 3);
    await honest[0]!.api.submit(Buffer.from("stuck"));
    const polls = async (): Promise<number> => (await Promise.all(honest.map((p) => counter(p, (x) => x.node.metrics.consensus.polls.get())))).reduce((a, b) => a + b, 0);
    const before = await polls();
    await waitFor("honest peers to poll a few hundred times", async () => ((await polls()) > before + 300 ? true : undefined), 30_000);
    for (const p of honest) expect((await p.api.status()).height).toBe(0);
  });
});
