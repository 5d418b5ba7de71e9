import * as grpc from "@grpc/grpc-js";
import type { BalancingBehaviour } from "../../src/behaviour/liars";
import type { LabClient } from "../../src/wire/generated/snowchain/v1/Lab";
import type { LabState__Output } from "../../src/wire/generated/snowchain/v1/LabState";
import type { ReportResponse__Output } from "../../src/wire/generated/snowchain/v1/ReportResponse";
import { v1 } from "../../src/wire/proto";
import { counter, submitAndCheck } from "../utils/byzantine";
import { Cluster, type ClusterPeer } from "../utils/cluster";
import { call } from "../utils/grpc/raw";
import { waitFor } from "../utils/wait";

/**
 * Balancing peers of one BYZANTINE_GROUP among honest ones, over real gRPC in one process: they
 * find each other by trying, report what they observe over their own Collusion service, and each
 * balances on what both saw. Honest peers serve no Collusion; a balancer of another group is
 * refused. With 2 of 7 lying, honest peers still agree on every height and take each entry once.
 */
const balancerOf = (p: ClusterPeer): BalancingBehaviour => p.node.behaviour as BalancingBehaviour;
const reports = (p: ClusterPeer, which: "reportsSent" | "reportsReceived", result: string): Promise<number> =>
  counter(p, async (x) => ({ values: (await x.node.metrics.byzantine[which].get()).values.filter((v) => v.labels.result === result) }));
const statusOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "OK",
    (e: grpc.ServiceError) => grpc.status[e.code] ?? String(e.code),
  );

describe("two balancing peers of one BYZANTINE_GROUP among five honest ones", () => {
  const ENV = { POLL_TIMEOUT_MS: "250", MEMBER_GRACE_MS: "60000" };
  let cluster: Cluster;
  const clients: grpc.Client[] = [];
  beforeAll(async () => {
    // peer-5 and peer-6 collude; peer-5 serves the Lab so that it can be made deaf to one honest peer.
    cluster = await Cluster.start(7, ENV, (i): Record<string, string> =>
      i >= 5 ? { BEHAVIOUR: "balancing", BYZANTINE_GROUP: "cabal", ...(i === 5 ? { LAB_CONTROL: "1" } : {}) } : {},
    );
    for (const p of cluster.peers) await waitFor(`${p.name} to know the six others`, async () => ((await p.api.status()).live_peers === 6 ? true : undefined));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster.stop();
  });

  it("each balancer's estimate holds members only the other heard from; honest peers agree and take every entry once", async () => {
    const honest = cluster.peers.slice(0, 5);
    const [first, second] = [cluster.peers[5]!, cluster.peers[6]!];
    const heard = honest[0]!;
    // The first balancer drops every message from `heard` (its queries included): what it knows of
    // `heard`'s preference can only come from the second one's reports.
    const lab: LabClient = new v1.Lab(first.addr, grpc.credentials.createInsecure());
    clients.push(lab);
    await call<LabState__Output>((o, cb) => lab.SetLinkFaults({ faults: [{ direction: "LINK_DIRECTION_IN", drop: 1, peers: [heard.nodeId] }] }, o, cb));
    expect(balancerOf(first).split.knows(heard.nodeId)).toBe(false);

    await submitAndCheck(honest, "beside colluders");

    await waitFor("the first balancer to know the preference of a member it never heard from", async () => (balancerOf(first).split.knows(heard.nodeId) ? true : undefined), 30_000);
    expect(balancerOf(first).isFellow(second.nodeId)).toBe(true);
    expect(balancerOf(second).isFellow(first.nodeId)).toBe(true);
    for (const b of [first, second]) {
      expect(await reports(b, "reportsSent", "accepted")).toBeGreaterThan(0);
      expect(await reports(b, "reportsReceived", "accepted")).toBeGreaterThan(0);
      expect(await counter(b, (x) => x.node.metrics.byzantine.observationsMerged.get())).toBeGreaterThan(0);
    }
    // Both tried the honest peers once and were refused (UNIMPLEMENTED): not tried again within a minute.
    expect(await reports(first, "reportsSent", "refused")).toBeLessThanOrEqual(honest.length);
    for (const p of honest) expect(await reports(p, "reportsReceived", "accepted")).toBe(0);
  });

  it("an honest peer answers UNIMPLEMENTED; a balancer authenticates the call; one of another group is refused both ways", async () => {
    const honest = cluster.peers.slice(0, 5);
    const [first, second] = [cluster.peers[5]!, cluster.peers[6]!];
    const report = (addr: string): Promise<ReportResponse__Output> => {
      const c = new v1.Collusion(addr, grpc.credentials.createInsecure());
      clients.push(c);
      return call<ReportResponse__Output>((o, cb) => c.Report({ group: "cabal", observations: [] }, o, cb));
    };
    expect(await statusOf(report(honest[1]!.addr))).toBe("UNIMPLEMENTED");
    expect(await statusOf(report(first.addr))).toBe("UNAUTHENTICATED"); // no session: not a member

    const rival = await cluster.join([first.addr], { ...ENV, BEHAVIOUR: "balancing", BYZANTINE_GROUP: "rivals" });
    await waitFor("the rival to know the seven others", async () => ((await rival.api.status()).live_peers === 7 ? true : undefined));
    const before = await Promise.all([first, second].map((b) => reports(b, "reportsReceived", "refused")));
    // Balancers report only what changed: keep heights undecided (an entry a try) for everyone to query about.
    let n = 0;
    await waitFor("the colluders to refuse the rival's reports, and it theirs", async () => {
      await honest[n % honest.length]!.api.submit(Buffer.from(`beside rivals ${n++}`));
      const refusedByUs = await Promise.all([first, second].map((b) => reports(b, "reportsReceived", "refused")));
      const refusedByRival = await reports(rival, "reportsReceived", "refused");
      return refusedByUs.some((r, i) => r > before[i]!) && refusedByRival > 0 ? true : undefined;
    }, 30_000, 250);
    expect(await reports(rival, "reportsReceived", "accepted")).toBe(0);
    expect(await reports(rival, "reportsSent", "accepted")).toBe(0);
    expect(balancerOf(rival).isFellow(first.nodeId)).toBe(false);
    expect(balancerOf(first).isFellow(rival.nodeId)).toBe(false);
  });
});
