import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fetchChain, GrpcSnowchainApi, type SnowchainApi } from "../../src/cli/client";
import type { AcceptedBlock__Output } from "../../src/generated/snowchain/v1/AcceptedBlock";
import { LocalTestnet } from "../../src/testnet/local-testnet";
import { waitFor } from "../utils/wait";

/** Real peer processes on loopback, SIGKILLed and restarted on their data directories. */
describe("peer processes", () => {
  let dir: string;
  let net: LocalTestnet;
  const apis = new Map<number, SnowchainApi>();
  const api = (i: number): SnowchainApi => {
    let a = apis.get(i);
    if (!a) apis.set(i, (a = new GrpcSnowchainApi(net.client(i))));
    return a;
  };
  const height = async (i: number): Promise<number> => (await api(i).status(2000)).height;
  const chainIds = async (i: number, to: number): Promise<string[]> => {
    const blocks: AcceptedBlock__Output[] = [];
    await fetchChain(api(i), 1, to, (page) => blocks.push(...page));
    return blocks.map((b) => b.id.toString("hex"));
  };
  const submit = async (i: number, text: string): Promise<number> => {
    const res = await api(i).submit(Buffer.from(text), { waitForAcceptance: true, timeoutMs: 60_000 });
    expect(res.accepted).toBe(true);
    return Number(res.height);
  };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-proc-"));
    const base = 20000 + Math.floor(Math.random() * 20000);
    net = new LocalTestnet({
      peers: 5,
      baseDir: dir,
      basePort: base,
      baseMetricsPort: base + 100,
      env: { HEARTBEAT_MS: "300", LOG_LEVEL: "info" },
    });
    await net.start();
  });

  afterAll(async () => {
    await net?.stop().catch(() => {});
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("form one network and accept entries", async () => {
    for (let i = 0; i < 5; i++) {
      await waitFor(`peer-${i} to see 4 live peers`, async () => ((await api(i).status()).live_peers === 4 ? true : undefined));
    }
    for (let i = 0; i < 5; i++) await submit(i, `before-${i}`);
  });

  it("keep accepting blocks when one peer is SIGKILLed", async () => {
    const before = await height(0);
    await net.kill(4);
    const h = await submit(1, "after the kill");
    expect(h).toBeGreaterThan(before);
    await submit(2, "after the kill, again");
  });

  it("let a restarted peer catch up from its data directory and take part again", async () => {
    const killedAt = (await chainIds(0, await height(0))).length;
    await submit(0, "while peer-4 is down");
    await net.restart(4);
    // It loaded its chain from disk: never back at genesis.
    expect(await height(4)).toBeGreaterThan(0);
    const target = await height(0);
    expect(target).toBeGreaterThan(killedAt);
    await waitFor("peer-4 to catch up", async () => ((await height(4)) >= target ? true : undefined), 30_000);
    expect(await chainIds(4, target)).toEqual(await chainIds(0, target));
    // It takes part again: an entry submitted to it gets accepted everywhere.
    const h = await submit(4, "through the restarted peer");
    await waitFor("peer-0 to have that height", async () => ((await height(0)) >= h ? true : undefined));
  });

  it("let a peer started later sync from genesis", async () => {
    const peer = await net.addPeer();
    const target = await height(0);
    await waitFor(`${peer.nodeId} to sync`, async () => ((await height(peer.index)) >= target ? true : undefined), 30_000);
    expect(await chainIds(peer.index, target)).toEqual(await chainIds(0, target));
    await submit(peer.index, "through the late peer");
  });
});
