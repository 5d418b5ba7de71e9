import * as net from "node:net";
import { GrpcSnowchainApi, createClient } from "../../../src/cli/client";
import { PeerSubmitter } from "../../../src/cli/load/targets";
import { FakeClientServer } from "../../utils/cli/fake-client-server";
import { sha256 } from "../../utils/cli/fake-api";
import { FakeContext, runWith } from "../../utils/cli/fake-context";

/** The CLI over real gRPC against an in-process fake Client service. */
describe("CLI over gRPC", () => {
  let fake: FakeClientServer;
  let addr: string;

  beforeEach(async () => {
    fake = new FakeClientServer();
    addr = await fake.start();
  });
  afterEach(() => fake.stop());

  function ctx(): FakeContext {
    const c = new FakeContext();
    c.connectTo = (a) => new GrpcSnowchainApi(createClient(a));
    return c;
  }

  it("reads the whole chain through pages the server bounds", async () => {
    const c = ctx();
    const r = await runWith(c, "chain", "--addr", addr, "--json");
    expect(r.code).toBe(0);
    const blocks = JSON.parse(r.stdout.join("\n")) as Array<{ height: number; id: string; entries: unknown[] }>;
    expect(blocks.map((b) => b.height)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(blocks[3]!.id).toBe(sha256("block 3").toString("hex"));
    expect(blocks[3]!.entries).toHaveLength(3);
  });

  it("submits and waits for acceptance", async () => {
    const c = ctx();
    const r = await runWith(c, "submit", "hi", "--wait", "--addr", addr);
    expect(r.stdout).toEqual([sha256("hi").toString("hex"), "accepted at height 6"]);
  });

  it("shows status with hex ids", async () => {
    const c = ctx();
    await runWith(c, "status", "--json", "--addr", addr);
    expect(JSON.parse(c.stdout[0]!)).toMatchObject({ address: addr, lastAcceptedId: sha256("block 7").toString("hex") });
  });

  it("maps NOT_FOUND of an entry to the unknown state", async () => {
    const c = ctx();
    const r = await runWith(c, "entry", "--json", "--addr", addr, sha256("x").toString("hex"));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout[0]!)).toMatchObject({ state: "unknown" });
  });

  it("watches past and new blocks and cancels the stream on Ctrl-C", async () => {
    const c = ctx();
    const run = runWith(c, "watch", "--from", "5", "--addr", addr);
    const deadline = Date.now() + 5000;
    while (c.stdout.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(c.stdout.map((l) => l.split(" ")[0])).toEqual(["#5", "#6"]);
    c.interrupt();
    expect((await run).code).toBe(0);
    const until = Date.now() + 2000;
    while (!fake.watchCancelled && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(fake.watchCancelled).toBe(true);
  });
});

describe("the load's submit path over gRPC", () => {
  let fake: FakeClientServer;
  let api: GrpcSnowchainApi;

  afterEach(async () => {
    api.close();
    await fake.stop();
  });

  async function serve(withoutSubmitBatch: boolean): Promise<PeerSubmitter> {
    fake = new FakeClientServer();
    fake.withoutSubmitBatch = withoutSubmitBatch;
    const addr = await fake.start();
    api = new GrpcSnowchainApi(createClient(addr));
    return new PeerSubmitter(addr, api, 5000);
  }

  it("sends several entries in one SubmitBatch", async () => {
    const s = await serve(false);
    const data = [Buffer.from("a"), Buffer.from("b"), Buffer.from("c")];
    expect(await s.submitBatch(data)).toEqual([undefined, undefined, undefined]);
    expect(fake.batches).toEqual([data]);
    expect(fake.submits).toEqual([]);
  });

  it("sends one Submit per entry to a peer built before SubmitBatch, from the first refusal on", async () => {
    const s = await serve(true);
    expect(await s.submitBatch([Buffer.from("a"), Buffer.from("b")])).toEqual([undefined, undefined]);
    expect(s.batches).toBe(false);
    expect(fake.submits.map(String).sort()).toEqual(["a", "b"]);
  });
});

describe("CLI against no server", () => {
  it("prints UNAVAILABLE and exits 1", async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const c = new FakeContext();
    c.connectTo = (a) => new GrpcSnowchainApi(createClient(a));
    const r = await runWith(c, "status", "--addr", `127.0.0.1:${port}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toEqual([`error: UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:${port}`]);
  });
});
