/**
 * `npm run bench:burst`: does a burst of submits starve other clients? Starts a LocalTestnet,
 * times a second client's Status calls (one after another) while nothing happens, then while
 * `--submits` entries are submitted at once to the same peer, and PRINTS both sets of quantiles
 * and how the burst's submits ended. A measurement, never an assertion. The second client runs
 * in a worker thread: in the burst's own event loop it would time the bench's work of sending
 * 5,000 calls, not the peer's answer.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { Command } from "commander";
import { argParser, parseInteger, parseOrExit } from "../src/cli/options";
import { GrpcSnowchainApi } from "../src/cli/client";
import { TOOL_CHANNEL_OPTIONS } from "../src/wire/channel";
import { v1 } from "../src/wire/proto";
import { LocalTestnet } from "../src/testnet/local-testnet";
import { LatencyRecorder, type LatencySummary } from "./bench/latency";
import { BenchNet } from "./bench/net";

interface BurstOptions {
  peers: number;
  submits: number;
  quietCalls: number;
  basePort: number;
  metricsPort: number;
}

function parseOptions(argv: string[]): BurstOptions {
  const count = argParser((v) => parseInteger(v, 1, 1_000_000));
  const port = argParser((v) => parseInteger(v, 1024, 65535));
  const program = new Command("bench:burst")
    .option("--peers <n>", "peer processes", count, 3)
    .option("--submits <n>", "entries submitted at once", count, 5000)
    .option("--quiet-calls <n>", "Status calls timed before the burst", count, 200)
    .option("--base-port <port>", "first peer's gRPC port", port, 23051)
    .option("--metrics-port <port>", "first peer's metrics port", port, 24051)
    .exitOverride();
  parseOrExit(program, argv);
  return program.opts<BurstOptions>();
}

const fmt = (s: LatencySummary): string => `n=${s.n} p50 ${s.p50?.toFixed(1)} ms, p99 ${s.p99?.toFixed(1)} ms, max ${s.max?.toFixed(1)} ms`;

/** The second client: Status after Status at `addr` until told to stop, posting each latency (ms). */
async function statusLoop(addr: string): Promise<void> {
  const api = new GrpcSnowchainApi(new v1.Client(addr, grpc.credentials.createInsecure(), TOOL_CHANNEL_OPTIONS));
  let running = true;
  parentPort!.on("message", () => (running = false));
  while (running) {
    const t0 = performance.now();
    await api.status().catch(() => undefined);
    parentPort!.postMessage(performance.now() - t0);
  }
  api.close();
  parentPort!.close();
}

/**
 * Starts the second client; once its first call is answered runs `run`, and times Status until
 * `run` settled and at least `min` calls were made. Resolves the latencies after the first call.
 */
async function timeStatus(addr: string, run: () => Promise<unknown>, min: number): Promise<LatencyRecorder> {
  const rec = new LatencyRecorder();
  const worker = new Worker(__filename, { workerData: { addr } });
  let first!: () => void;
  let enough!: () => void;
  const started = new Promise<void>((r) => (first = r));
  const reached = new Promise<void>((r) => (enough = r));
  let calls = 0;
  worker.on("message", (ms: number) => {
    if (calls++ === 0) return first();
    rec.add(ms);
    if (rec.size >= min) enough();
  });
  await started;
  await Promise.all([run(), reached]);
  worker.postMessage("stop");
  await new Promise((r) => worker.once("exit", r));
  return rec;
}

async function main(opts: BurstOptions): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-burst-"));
  const testnet = new LocalTestnet({ peers: opts.peers, baseDir: dir, basePort: opts.basePort, baseMetricsPort: opts.metricsPort, readyTimeoutMs: 60_000 });
  const net = new BenchNet(testnet, "127.0.0.1");
  const abort = new AbortController();
  try {
    await testnet.start();
    await net.waitConnected(60_000, abort.signal);
    // The second client asks the peer the burst goes to, from a thread of its own.
    const addr = testnet.peers[1 % net.size]!.addr;
    const quiet = await timeStatus(addr, () => Promise.resolve(), opts.quietCalls);

    const outcomes = new Map<string, number>();
    const count = (what: string): void => void outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    const target = net.api(1 % net.size);
    let burstMs = 0;
    const burst = async (): Promise<void> => {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: opts.submits }, (_, i) =>
          target.submit(Buffer.from(`burst ${i} ${t0}`)).then(
            () => count("acknowledged"),
            (err: { details?: string }) => count(`refused (${err.details ?? String(err)})`),
          ),
        ),
      );
      burstMs = performance.now() - t0;
    };
    const during = await timeStatus(addr, burst, 5);
    process.stdout.write(
      [
        `${opts.peers} peers; ${opts.submits} submits at once to peer-${1 % net.size}, answered in ${burstMs.toFixed(0)} ms`,
        `  a second client's Status, before: ${fmt(quiet.summary())}`,
        `  a second client's Status, during: ${fmt(during.summary())}`,
        ...[...outcomes].map(([what, n]) => `  submits ${what}: ${n}`),
        "",
      ].join("\n"),
    );
  } finally {
    await testnet.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main(parseOptions(process.argv.slice(2))).catch((err: unknown) => {
    process.stderr.write(`bench:burst: ${(err as Error).message}\n`);
    process.exit(1);
  });
} else {
  void statusLoop((workerData as { addr: string }).addr);
}
