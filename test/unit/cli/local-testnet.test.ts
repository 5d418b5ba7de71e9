import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalTestnet, TestnetError, type LocalTestnetOptions } from "../../../src/testnet/local-testnet";
import { waitFor } from "../../../src/testnet/wait";
import { freePortRange } from "../../utils/cli/ports";

/** The harness itself, driving a stand-in peer (test/utils/cli/fake-peer.js) instead of the real one. */
const FAKE_PEER = path.resolve(__dirname, "../../utils/cli/fake-peer.js");

interface StartedWith {
  env: Record<string, string | undefined>;
  cwd: string;
  stdin: string;
  pid: number;
}

function startedWith(dataDir: string): StartedWith {
  return JSON.parse(fs.readFileSync(path.join(dataDir, "started-with.json"), "utf8")) as StartedWith;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("LocalTestnet", () => {
  let dir: string;
  let tn: LocalTestnet | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-testnet-"));
  });
  afterEach(async () => {
    await tn?.stop().catch(() => undefined);
    tn = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function make(peers: number, over: Partial<LocalTestnetOptions> = {}): Promise<LocalTestnet> {
    const basePort = await freePortRange(peers + 2);
    tn = new LocalTestnet({
      peers,
      baseDir: dir,
      basePort,
      baseMetricsPort: 19100,
      cliPath: FAKE_PEER,
      readyTimeoutMs: 10_000,
      ...over,
    });
    return tn;
  }

  it("starts every peer with the environment a container gets, one seed each", async () => {
    const t = await make(3, { env: { SNOWBALL_BETA: "7" } });
    await t.start();
    const base = Number(t.peers[0]!.addr.split(":")[1]);
    for (const p of t.peers) {
      expect(p).toMatchObject({ nodeId: `peer-${p.index}`, addr: `127.0.0.1:${base + p.index}`, running: true, paused: false });
      const s = startedWith(p.dataDir);
      expect(s.env).toEqual({
        NODE_ID: `peer-${p.index}`,
        LISTEN_ADDR: p.addr,
        ADVERTISE_ADDR: p.addr,
        SEEDS: p.index === 0 ? t.peers[1]!.addr : t.peers[0]!.addr,
        METRICS_PORT: String(19100 + p.index),
        DATA_DIR: path.join(dir, `peer-${p.index}`),
        LOG_LEVEL: "info",
        SNOWBALL_BETA: "7",
      });
      expect(s.cwd).toBe(dir);
      expect(s.stdin).toMatch(/^(pipe|socket):/); // held by the runner only: closes when it dies
      expect(s.pid).toBe(p.pid);
      expect((await t.status(p.index)).node_id).toBe(p.nodeId);
      expect(fs.readFileSync(p.logFile, "utf8")).toMatch(new RegExp(`fake-peer ${p.nodeId} listening`));
    }
  });

  it("gives a lone peer no seed", async () => {
    const t = await make(1);
    await t.start();
    expect(startedWith(t.peers[0]!.dataDir).env.SEEDS).toBeUndefined();
  });

  it("kills with SIGKILL and restarts on the same data directory and port", async () => {
    const t = await make(2);
    await t.start();
    const pid = t.peers[1]!.pid!;
    await t.kill(1);
    expect(t.peers[1]).toMatchObject({ running: false, pid: undefined, lastExit: { code: null, signal: "SIGKILL" } });
    expect(alive(pid)).toBe(false);
    await expect(t.status(1, 300)).rejects.toThrow();
    await t.restart(1);
    expect(t.peers[1]!.running).toBe(true);
    expect((await t.status(1)).height).toBe(2); // the fake peer counts its starts in DATA_DIR
  });

  it("pauses with SIGSTOP and resumes with SIGCONT", async () => {
    const t = await make(2);
    await t.start();
    t.pause(0);
    expect(t.peers[0]!.paused).toBe(true);
    await expect(t.status(0, 300)).rejects.toMatchObject({ code: 4 }); // DEADLINE_EXCEEDED
    t.resume(0);
    expect((await t.status(0)).node_id).toBe("peer-0");
  });

  it("stops with SIGTERM, paused peers included, and leaves no exit hook behind", async () => {
    const hooks = process.listenerCount("exit");
    const t = await make(3);
    await t.start();
    expect(process.listenerCount("exit")).toBe(hooks + 1);
    t.pause(2);
    await t.stop();
    for (const p of t.peers) expect(p).toMatchObject({ running: false, paused: false, lastExit: { code: 0, signal: null } });
    expect(fs.readFileSync(t.peers[2]!.logFile, "utf8")).toMatch(/got SIGTERM/);
    expect(process.listenerCount("exit")).toBe(hooks);
  });

  it("SIGKILLs a peer that ignores SIGTERM and says so", async () => {
    const t = await make(1, { env: { FAKE_PEER_IGNORE_SIGTERM: "1" }, stopTimeoutMs: 300 });
    await t.start();
    const err = await t.stop(0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TestnetError);
    expect(err).toMatchObject({ code: "STOP_ESCALATED", message: "peer-0 did not exit within 300 ms of SIGTERM and was killed" });
    expect(t.peers[0]!.lastExit).toEqual({ code: null, signal: "SIGKILL" });
  });

  it("adds a peer seeded with peer 0 and rewrites the Prometheus targets", async () => {
    const t = await make(2);
    await t.start();
    const file = path.join(dir, "prometheus-targets.json");
    t.targetsFile(file);
    const added = await t.addPeer();
    expect(added).toMatchObject({ index: 2, nodeId: "peer-2", running: true });
    expect(startedWith(added.dataDir).env.SEEDS).toBe(t.peers[0]!.addr);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual([
      { targets: ["127.0.0.1:19100"], labels: { node_id: "peer-0" } },
      { targets: ["127.0.0.1:19101"], labels: { node_id: "peer-1" } },
      { targets: ["127.0.0.1:19102"], labels: { node_id: "peer-2" } },
    ]);
  });

  it("fails start with the log tail when a peer exits, leaving nothing running", async () => {
    const t = await make(2, { env: { FAKE_PEER_FAIL: "SNOWBALL_K=\"x\": must be a whole number" } });
    const err = await t.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "PEER_EXITED" });
    expect((err as Error).message).toMatch(/peer-\d exited \(code 3\) before it answered; log tail:\nfake-peer: SNOWBALL_K="x"/);
    expect(t.peers.every((p) => !p.running)).toBe(true);
  });

  it("refuses to start without a built CLI", async () => {
    const t = await make(1, { cliPath: path.join(dir, "missing.js") });
    await expect(t.start()).rejects.toMatchObject({ code: "BAD_USE", message: expect.stringMatching(/npm run build/) });
  });

  it("SIGKILLs its peers when this process exits", async () => {
    const before = process.listeners("exit");
    const t = await make(2);
    await t.start();
    const hook = process.listeners("exit").find((l) => !before.includes(l))!;
    const pids = t.peers.map((p) => p.pid!);
    t.pause(1); // SIGKILL reaches stopped processes too
    hook.call(process, 0);
    await Promise.all(t.peers.map((p) => waitFor(`${p.nodeId} to die`, async () => (p.running ? undefined : true), 5000)));
    expect(pids.some(alive)).toBe(false);
  });

  it("hands out one client per peer", async () => {
    const t = await make(2);
    await t.start();
    expect(t.client(0)).toBe(t.client(0));
    expect(t.client(0)).not.toBe(t.client(1));
    expect(() => t.client(5)).toThrow(/no peer 5 \(there are 2\)/);
  });
});

describe("waitFor", () => {
  it("returns the first value the probe gives", async () => {
    let n = 0;
    await expect(waitFor("n to reach 3", async () => (++n >= 3 ? n : undefined), 5000, 1)).resolves.toBe(3);
  });

  it("names what it waited for and the last error", async () => {
    await expect(
      waitFor(
        "peer-1 to reach height 10",
        async () => {
          throw new Error("height is 4");
        },
        50,
        10,
      ),
    ).rejects.toMatchObject({
      code: "TIMEOUT",
      message: expect.stringMatching(/^timed out after 50 ms waiting for peer-1 to reach height 10 \(\d+ tries; last: error: height is 4\)$/),
    });
  });
});
