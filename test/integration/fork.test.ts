import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { readChain, startPeer, type ClusterPeer } from "../utils/cluster";
import { freePort } from "../utils/ports";
import { waitFor } from "../utils/wait";

/**
 * Two peers that decided apart (a partition longer than the grace period, here: two networks of
 * one) and then meet: the fork cannot be undone, but it must be visible, and nothing breaks.
 */
describe("a fork", () => {
  let dir: string;
  const peers: ClusterPeer[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-fork-"));
  });
  afterAll(async () => {
    for (const p of peers) {
      p.api.close();
      await p.node.stop();
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("is counted and logged by the peer whose sync finds it, and neither chain is damaged", async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = await startPeer(dir, 0, portA, "");
    peers.push(a);
    await a.api.submit(Buffer.from("only on a"), { waitForAcceptance: true, timeoutMs: 20_000 });
    await a.api.submit(Buffer.from("only on a, again"), { waitForAcceptance: true, timeoutMs: 20_000 });

    const alone = await startPeer(dir, 1, portB, "");
    await alone.api.submit(Buffer.from("only on b"), { waitForAcceptance: true, timeoutMs: 20_000 });
    alone.api.close();
    await alone.node.stop();

    // b comes back told of a: a is ahead, so b syncs, and finds a's height 2 does not continue its height 1.
    const b = await startPeer(dir, 1, portB, `127.0.0.1:${portA}`);
    peers.push(b);
    await waitFor("b to count the conflict", async () => {
      const v = (await b.node.metrics.sync.conflicts.get()).values[0]?.value ?? 0;
      return v > 0 ? v : undefined;
    });
    const [chainA, chainB] = [await readChain(a.api), await readChain(b.api)];
    expect(chainA.length).toBe(2);
    expect(chainB.length).toBe(1);
    expect(chainB[0]!.id).not.toEqual(chainA[0]!.id);
    expect((await b.api.status()).height).toBe(1);
  });
});
