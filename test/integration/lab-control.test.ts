import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { LabClient } from "../../src/wire/generated/snowchain/v1/Lab";
import type { LabState__Output } from "../../src/wire/generated/snowchain/v1/LabState";
import type { LinkFault } from "../../src/wire/generated/snowchain/v1/LinkFault";
import { v1 } from "../../src/wire/proto";
import { Cluster, readChain, startPeer } from "../utils/cluster";
import { call } from "../utils/grpc/raw";
import { freePort } from "../utils/ports";
import { waitFor } from "../utils/wait";

function labClient(addr: string): LabClient {
  return new v1.Lab(addr, grpc.credentials.createInsecure());
}
const setFaults = (lab: LabClient, faults: LinkFault[]): Promise<LabState__Output> => call((o, cb) => lab.SetLinkFaults({ faults }, o, cb));
const refusal = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "answered",
    (e: grpc.ServiceError) => `${grpc.status[e.code]}: ${e.details}`,
  );

describe("the Lab service (LAB_CONTROL=1): faults at a peer's transport, set from outside", () => {
  let cluster: Cluster;
  const labs: LabClient[] = [];

  beforeAll(async () => {
    cluster = await Cluster.start(3, { LAB_CONTROL: "1", POLL_TIMEOUT_MS: "300", MEMBER_GRACE_MS: "60000" });
    labs.push(...cluster.peers.map((p) => labClient(p.addr)));
    for (const p of cluster.peers) {
      await waitFor(`${p.nodeId} to know both others`, async () => ((await p.api.status()).live_peers === 2 ? true : undefined));
    }
  });
  afterAll(async () => {
    for (const l of labs) l.close();
    await cluster.stop();
  });

  it("refuses bad faults naming the field, and changes nothing", async () => {
    const lab = labs[0]!;
    expect(await refusal(setFaults(lab, [{ direction: "LINK_DIRECTION_OUT", drop: 1.5 }]))).toBe("INVALID_ARGUMENT: faults[0].drop must be a share from 0 to 1, got 1.5");
    expect(await refusal(setFaults(lab, [{ drop: 1 }]))).toBe("INVALID_ARGUMENT: faults[0].direction must be LINK_DIRECTION_IN, _OUT or _BOTH, got LINK_DIRECTION_UNSPECIFIED");
    expect(await refusal(setFaults(lab, [{ direction: "LINK_DIRECTION_IN", peers: ["not a node id"] }]))).toBe('INVALID_ARGUMENT: faults[0].peers: "not a node id" is not a node id');
    expect(await refusal(call((o, cb) => lab.SetClockSkew({ skew_ms: 10 ** 12 }, o, cb)))).toMatch(/^INVALID_ARGUMENT: skew_ms must be within/);
    const state = await call<LabState__Output>((o, cb) => lab.GetState({}, o, cb));
    expect(state).toEqual({ faults: [], clock_skew_ms: 0 });
  });

  it("isolating a peer both ways: it loses its members; after healing what was submitted meanwhile is accepted and it catches up", async () => {
    const [a, b, c] = cluster.peers;
    // c drops everything to and from every peer; a and b drop what comes from or goes to c.
    await setFaults(labs[2]!, [{ direction: "LINK_DIRECTION_BOTH", drop: 1 }]);
    for (const i of [0, 1]) await setFaults(labs[i]!, [{ direction: "LINK_DIRECTION_BOTH", drop: 1, peers: [c!.nodeId] }]);
    await waitFor("c to see no live member", async () => ((await c!.api.status()).live_peers === 0 ? true : undefined));

    // a and b reach 2 of every 3 members they sample: about 13 of K=20 votes, mostly short of αC=15.
    await a!.api.submit(Buffer.from("during the partition"));
    for (const l of labs) await call((o, cb) => l.Reset({}, o, cb));
    const res = await b!.api.submit(Buffer.from("after healing"), { waitForAcceptance: true, timeoutMs: 30_000 });
    expect(res.accepted).toBe(true);
    for (const p of cluster.peers) {
      await waitFor(`${p.nodeId} to hold every accepted block`, async () => ((await p.api.status()).height >= Number(res.height) ? true : undefined));
    }
    // The entry of the partition may have lost its height to a sibling: its peer proposes it again, later.
    const both = ["during the partition", "after healing"];
    const chains = await waitFor("both entries accepted on every peer", async () => {
      const cs = await Promise.all(cluster.peers.map((p) => readChain(p.api)));
      return cs.every((chain) => both.every((t) => chain.some((x) => x.entries.some((e) => e.data.toString() === t)))) ? cs : undefined;
    }, 30_000);
    expect(chains[2]!.map((x) => x.id)).toEqual(chains[0]!.slice(0, chains[2]!.length).map((x) => x.id));
  });

  it("shifts a peer's clock and puts it back", async () => {
    const state = await call<LabState__Output>((o, cb) => labs[1]!.SetClockSkew({ skew_ms: -1500 }, o, cb));
    expect(state.clock_skew_ms).toBe(-1500);
    expect((await call<LabState__Output>((o, cb) => labs[1]!.Reset({}, o, cb))).clock_skew_ms).toBe(0);
  });
});

describe("a peer without LAB_CONTROL", () => {
  it("refuses every Lab call with FAILED_PRECONDITION saying how to enable it", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-nolab-"));
    const peer = await startPeer(dir, 0, await freePort(), "");
    const lab = labClient(peer.addr);
    try {
      expect(await refusal(call((o, cb) => lab.GetState({}, o, cb)))).toBe("FAILED_PRECONDITION: lab control is off on this peer (start it with LAB_CONTROL=1)");
      expect(await refusal(setFaults(lab, []))).toMatch(/^FAILED_PRECONDITION: /);
    } finally {
      lab.close();
      peer.api.close();
      await peer.node.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
