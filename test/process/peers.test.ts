import { ProcessNet } from "../utils/process-net";
import { waitFor } from "../utils/wait";

/** Real peer processes on loopback, SIGKILLed and restarted on their data directories. */
describe("peer processes", () => {
  let p: ProcessNet;

  beforeAll(async () => {
    p = await ProcessNet.start(5);
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("form one network and accept entries", async () => {
    for (let i = 0; i < 5; i++) {
      await waitFor(`peer-${i} to see 4 live peers`, async () => ((await p.api(i).status()).live_peers === 4 ? true : undefined));
    }
    for (let i = 0; i < 5; i++) await p.submitAccepted(i, `before-${i}`);
  });

  it("keep accepting blocks when one peer is SIGKILLed", async () => {
    const before = await p.height(0);
    await p.net.kill(4);
    expect(await p.submitAccepted(1, "after the kill")).toBeGreaterThan(before);
    await p.submitAccepted(2, "after the kill, again");
  });

  it("let a restarted peer catch up from its data directory and take part again", async () => {
    const killedAt = await p.height(0);
    await p.submitAccepted(0, "while peer-4 is down");
    await p.net.restart(4);
    // It loaded its chain from disk: never back at genesis.
    expect(await p.height(4)).toBeGreaterThan(0);
    const target = await p.height(0);
    expect(target).toBeGreaterThan(killedAt);
    await waitFor("peer-4 to catch up", async () => ((await p.height(4)) >= target ? true : undefined), 30_000);
    expect(await p.chainIds(4, target)).toEqual(await p.chainIds(0, target));
    // It takes part again: an entry submitted to it gets accepted everywhere.
    const h = await p.submitAccepted(4, "through the restarted peer");
    await waitFor("peer-0 to have that height", async () => ((await p.height(0)) >= h ? true : undefined));
  });

  it("let a peer started later sync from genesis", async () => {
    const peer = await p.net.addPeer();
    const target = await p.height(0);
    await waitFor(`${peer.nodeId} to sync`, async () => ((await p.height(peer.index)) >= target ? true : undefined), 30_000);
    expect(await p.chainIds(peer.index, target)).toEqual(await p.chainIds(0, target));
    await p.submitAccepted(peer.index, "through the late peer");
  });
});
