import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { createClient, fetchChain, GrpcSnowchainApi } from "../../src/cli/client";
import { freePort } from "../utils/ports";
import { ProcessNet } from "../utils/process-net";
import { waitFor } from "../utils/wait";

describe("durability of peer processes", () => {
  let p: ProcessNet;

  beforeAll(async () => {
    p = await ProcessNet.start(5);
    await waitFor("peer-0 to see 4 live peers", async () => ((await p.api(0).status()).live_peers === 4 ? true : undefined));
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("loses no acknowledged entry when the peer that took it is SIGKILLed at once", async () => {
    // Acknowledged = fsync'd in peer-1's mempool journal; most are in no block anywhere yet.
    const acked = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => (await p.api(1).submit(Buffer.from(`durable-${i}`))).id.toString("hex")),
    );
    await p.net.kill(1);
    await p.net.restart(1);
    const chains = await Promise.all(
      [0, 1, 2].map((i) =>
        waitFor(
          `peer-${i} to hold all 300 entries`,
          async () => {
            const chain = await p.chain(i);
            const ids = chain.flatMap((b) => b.entries.map((e) => e.id.toString("hex")));
            return acked.every((id) => ids.includes(id)) ? ids : undefined;
          },
          60_000,
          250,
        ),
      ),
    );
    for (const ids of chains) expect(ids.length).toBe(new Set(ids).size); // exactly once
  });

  it("stops cleanly on SIGTERM: exit 0 within a few seconds, and restarts on its chain", async () => {
    const before = await p.height(3);
    const started = Date.now();
    await p.net.stop(3);
    expect(p.net.peers[3]!.lastExit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    const log = await fs.readFile(p.net.peers[3]!.logFile, "utf8");
    expect(log).toContain('"msg":"stopped"');
    await p.net.restart(3);
    expect(await p.height(3)).toBeGreaterThanOrEqual(before);
  });
});

describe("the mempool journal", () => {
  it("keeps entries acknowledged by a peer that is SIGKILLed before any block holds them", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-journal-"));
    const port = await freePort();
    const cli = path.resolve(__dirname, "..", "..", "dist", "src", "cli", "main.js");
    const run = (seeds: string) =>
      spawn(process.execPath, [cli, "peer"], {
        env: { ...process.env, NODE_ID: "lonely", LISTEN_ADDR: `127.0.0.1:${port}`, ADVERTISE_ADDR: `127.0.0.1:${port}`, SEEDS: seeds, DATA_DIR: dir, METRICS_PORT: "0", LOG_LEVEL: "warn" },
        stdio: "ignore",
      });
    const api = new GrpcSnowchainApi(createClient(`127.0.0.1:${port}`));
    try {
      // Its seed never answers, so it never joins and never proposes: the entries exist only in its journal.
      const first = run(`127.0.0.1:${await freePort()}`);
      await waitFor("the peer to answer", () => api.status(500));
      const ids = await Promise.all(Array.from({ length: 50 }, async (_, i) => (await api.submit(Buffer.from(`journal-${i}`))).id.toString("hex")));
      const status = await api.status();
      expect(Number(status.height)).toBe(0);
      expect(status.mempool_size).toBe(50);
      const exited = new Promise((r) => first.once("exit", r));
      first.kill("SIGKILL");
      await exited;
      // Restarted as a network of one on the same data directory: the entries come back and are accepted.
      const second = run("");
      try {
        const accepted = await waitFor("all 50 entries to be accepted", async () => {
          const blocks: { entries: { id: Buffer }[] }[] = [];
          await fetchChain(api, 1, undefined, (page) => blocks.push(...page));
          const got = blocks.flatMap((b) => b.entries.map((e) => e.id.toString("hex")));
          return ids.every((id) => got.includes(id)) ? got : undefined;
        }, 30_000, 200);
        expect(accepted.length).toBe(50);
      } finally {
        const done = new Promise((r) => second.once("exit", r));
        second.kill("SIGTERM");
        await done;
      }
    } finally {
      api.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
