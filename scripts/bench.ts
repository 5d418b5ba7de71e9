/**
 * `npm run bench`: starts a LocalTestnet (real peer processes on loopback), measures it and PRINTS
 * figures — finality, poll round trip, throughput, calls per decision, CPU and memory — against
 * the targets of DESIGN.md "Performance". It never asserts a timing; docs/benchmarks.md explains
 * each figure and records measured ones.
 *
 * Phases, in one network: idle (no load, --idle s), then a load at --rate (open loop), then a
 * saturating load (--max); with neither --rate nor --max, a light load of 20 entries/s.
 * With --baseline PATH, the same phases against the build in PATH and the current one,
 * interleaved (a fresh network per build and phase, the two builds back to back), then every
 * figure side by side with its ratio (bench/compare.ts).
 * Everything is stopped at the end, on failure and on Ctrl-C (a second Ctrl-C kills the peers).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { MIN_ENTRY_SIZE } from "../src/cli/load/data";
import { argParser, parseInteger, parseOrExit, parsePositive } from "../src/cli/options";
import { BEHAVIOUR_NAMES } from "../src/behaviour/behaviour";
import { loadConfig } from "../src/config";
import type { SnowballParams } from "../src/consensus/types";
import { LocalTestnet } from "../src/testnet/local-testnet";
import { runLoadPhase } from "./bench/load";
import { BenchNet, checkPortsFree } from "./bench/net";
import { PROFILE_CLI_ENV, PROFILE_DIR_ENV, formatProfileSummary, profileFiles, summarizeProfiles } from "./bench/profile";
import { closeAgent } from "./bench/prom";
import { formatReport, idleFigures, loadFigures, type IdleFigures, type LoadFigures, type Meta, type Report } from "./bench/report";
import { compareReports, formatComparison, interleave, type BuildName, type ComparisonHeader } from "./bench/compare";
import { SUBMIT_BATCH_LIMITS } from "../src/wire/limits";

/** Defaults of the bench options. */
export const BENCH_DEFAULTS = {
  peers: 10,
  durationSec: 20,
  warmupSec: 3,
  idleSec: 10,
  drainSec: 30,
  lightRate: 20,
  concurrency: 512,
  /** Entries per submit call: SubmitBatch where several are due at once (1: one Submit each). */
  batch: 100,
  lingerMs: 5,
  /**
   * Saturation's backlog: entries sent and not yet accepted. Enough to fill every proposer's
   * blocks; more only lengthens the queue (finality grows, throughput does not).
   */
  maxPending: 20_000,
  entryBytes: 128,
  /** Below Linux's ephemeral range (32768-60999), so outgoing connections cannot hold these ports. */
  basePort: 27051,
  metricsPort: 28051,
  host: "127.0.0.1",
  /** Peers log warnings only: info logs cost nothing per block, but nothing is lost either. */
  logLevel: "warn",
} as const;

/** What a run writes in its directory, and all that a new run wipes there. */
const OURS = /^(peer-\d+|peer-\d+\.log|profiles|(baseline|current)-[a-z]+-\d+)$/;

interface Options {
  peers: number;
  duration: number;
  warmup: number;
  idle: number;
  drain: number;
  rate?: number;
  max?: boolean;
  concurrency: number;
  batch: number;
  linger: number;
  maxPending: number;
  entryBytes: number;
  submitTo?: number;
  observer: number;
  env: Record<string, string>;
  basePort: number;
  metricsPort: number;
  host: string;
  dir?: string;
  keep?: boolean;
  cpuProf?: boolean;
  cli?: string;
  baseline?: string;
  repeat: number;
  json?: boolean;
  byzantine: number;
  behaviour: string;
  byzantineGroup?: string;
}

function collectEnv(value: string, previous: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value);
  if (!m) throw new InvalidArgumentError(`${JSON.stringify(value)} is not KEY=VALUE`);
  return { ...previous, [m[1]!]: m[2]! };
}

function parseOptions(argv: string[]): Options {
  const d = BENCH_DEFAULTS;
  const program = new Command("bench")
    .description(
      "start N peers on loopback, measure idle CPU, finality, poll round trip, throughput, calls per decision and memory, print the figures, stop everything",
    )
    .option("--peers <n>", "how many peers", argParser((s) => parseInteger(s, 1, 200)), d.peers)
    .option("--duration <seconds>", "seconds of each load phase, warm-up included", argParser((s) => parsePositive(s, 3600)), d.durationSec)
    .option("--warmup <seconds>", "seconds at the start of a load phase left out of the figures", argParser((s) => parseInteger(s, 0, 600)), d.warmupSec)
    .option("--rate <entries/s>", `a load phase at this rate, open loop (default: ${d.lightRate}/s unless --max alone)`, argParser((s) => parsePositive(s, 1_000_000)))
    .option("--max", "a saturating load phase: --concurrency submits always in flight")
    .option("--concurrency <calls>", "most submit calls in flight", argParser((s) => parseInteger(s, 1, 100_000)), d.concurrency)
    .option("--batch <entries>", `most entries per submit call: entries due together share a SubmitBatch (1: one Submit per entry; at most ${SUBMIT_BATCH_LIMITS.maxEntries})`, argParser((s) => parseInteger(s, 1, SUBMIT_BATCH_LIMITS.maxEntries)), d.batch)
    .option("--linger <ms>", "with --batch > 1: how long an entry may wait for others to share its call", argParser((s) => parseInteger(s, 0, 1000)), d.lingerMs)
    .option("--max-pending <entries>", "with --max: most entries sent and not yet accepted", argParser((s) => parseInteger(s, 1, 10_000_000)), d.maxPending)
    .option("--entry-bytes <bytes>", `bytes per entry (at least ${MIN_ENTRY_SIZE})`, argParser((s) => parseInteger(s, MIN_ENTRY_SIZE, 4 * 1024 * 1024)), d.entryBytes)
    .option("--idle <seconds>", "seconds of the idle phase (0: none)", argParser((s) => parseInteger(s, 0, 3600)), d.idleSec)
    .option("--drain <seconds>", "most seconds to wait, after a load, for its entries to be accepted", argParser((s) => parseInteger(s, 0, 3600)), d.drainSec)
    .option("--submit-to <n>", "submit only to peers 0..n-1 (default: every peer)", argParser((s) => parseInteger(s, 1, 200)))
    .option("--observer <i>", "the peer whose accepted blocks time the entries", argParser((s) => parseInteger(s, 0, 199)), 0)
    .option("--env <KEY=VALUE>", "environment for every peer, repeatable (e.g. SNOWBALL_BETA=10)", collectEnv, {})
    .option("--base-port <port>", "gRPC port of peer 0; peer i uses base+i", argParser((s) => parseInteger(s, 1, 65535)), d.basePort)
    .option("--metrics-port <port>", "metrics port of peer 0; peer i uses base+i", argParser((s) => parseInteger(s, 1, 65535)), d.metricsPort)
    .option("--host <ip>", "loopback address the peers listen on", d.host)
    .option("--dir <path>", "data and logs of the peers (default: a new temporary directory, removed at the end)")
    .option("--keep", "keep the data directory (logs, and profiles with --cpu-prof)")
    .option("--cpu-prof", "profile every peer (V8 sampling profiler, as node --cpu-prof) and print where their CPU time went")
    .option("--cli <path>", "the snowchain CLI the peers run as `node <path> peer` (default: dist/src/cli/main.js), e.g. a patched build to compare")
    .option("--baseline <path>", "also run every phase against the build in this checkout (PATH/dist/src/cli/main.js), interleaved with the current one, and print both with their ratio")
    .option("--repeat <n>", "with --baseline: run the interleaved phases this many times (figures are medians)", argParser((s) => parseInteger(s, 1, 20)), 1)
    .option("--json", "print the figures as one JSON object instead of text")
    .option("--byzantine <n>", "how many of the peers (the last ones) run --behaviour", argParser((s) => parseInteger(s, 0, 200)), 0)
    .option("--behaviour <name>", `what the byzantine peers do: ${BEHAVIOUR_NAMES.filter((b) => b !== "honest").join(", ")}`, "balancing")
    .option("--byzantine-group <name>", "with --behaviour balancing: the byzantine peers share this BYZANTINE_GROUP and report to each other what they observe")
    .exitOverride();
  parseOrExit(program, argv);
  const o = program.opts<Options>();
  const usage = (msg: string): never => {
    process.stderr.write(`bench: ${msg}\n`);
    process.exit(2);
  };
  if (o.byzantine >= o.peers) usage(`--byzantine ${o.byzantine}: at least one of the ${o.peers} peers must be honest`);
  if (!(BEHAVIOUR_NAMES as readonly string[]).includes(o.behaviour)) usage(`--behaviour ${o.behaviour}: one of ${BEHAVIOUR_NAMES.join(", ")}`);
  if (o.byzantineGroup !== undefined && (o.behaviour !== "balancing" || o.byzantine < 2)) usage(`--byzantine-group goes with --behaviour balancing and --byzantine 2 or more`);
  if (o.observer >= o.peers - o.byzantine) usage(`--observer ${o.observer} must be an honest peer (0..${o.peers - o.byzantine - 1})`);
  if (o.warmup >= o.duration) usage(`--warmup (${o.warmup} s) must be shorter than --duration (${o.duration} s)`);
  if (o.observer >= o.peers) usage(`--observer ${o.observer}: there are only ${o.peers} peers`);
  if ((o.submitTo ?? 0) > o.peers) usage(`--submit-to ${o.submitTo}: there are only ${o.peers} peers`);
  if (o.basePort + o.peers > 65536 || o.metricsPort + o.peers > 65536) usage("the ports of the last peers would exceed 65535");
  if (!/^127\.|^::1$|^localhost$/.test(o.host)) usage(`--host ${o.host}: the benchmark runs on loopback only`);
  if (o.baseline !== undefined) {
    const cli = baselineCli(o.baseline);
    if (!fs.existsSync(cli)) usage(`--baseline ${o.baseline}: ${cli} does not exist (check out the commit there, then npm ci && npm run build)`);
    if (o.cpuProf) usage("--cpu-prof profiles one build: run it without --baseline");
  } else if (o.repeat > 1) {
    usage("--repeat goes with --baseline");
  }
  return o;
}

/** The CLI a baseline checkout's peers run. */
function baselineCli(checkout: string): string {
  return path.resolve(checkout, "dist", "src", "cli", "main.js");
}

/** The commit checked out in `dir` (with -dirty when its work tree has changes), if it is a git checkout. */
function gitCommit(dir = process.cwd()): string | undefined {
  try {
    const args = ["-C", dir, "describe", "--always", "--dirty", "--abbrev=7"];
    return execFileSync("git", args, { stdio: ["ignore", "pipe", "ignore"], timeout: 2000 }).toString().trim();
  } catch {
    return undefined;
  }
}

function meta(o: Options, env: Record<string, string>, snowball: SnowballParams, startupSec: number, loadAvgAtStart: number[], commit = gitCommit()): Meta {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    commit,
    peers: o.peers,
    snowball,
    env,
    entryBytes: o.entryBytes,
    byzantine: o.byzantine > 0 ? `${o.byzantine} × ${o.behaviour}${o.byzantineGroup === undefined ? "" : ` in group ${o.byzantineGroup}`}` : undefined,
    startupSec,
    loadAvgAtStart,
  };
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const env: Record<string, string> = { LOG_LEVEL: BENCH_DEFAULTS.logLevel, ...o.env };
  // The peers' effective Snowball parameters (β and c feed the finality target), validated before
  // anything starts: the peers get this process's environment plus --env.
  let snowball: SnowballParams;
  let depth: number;
  try {
    ({ snowball, maxProcessingHeights: depth } = loadConfig({ ...process.env, ...env }));
  } catch (err) {
    log(`bench: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }

  const tempDir = o.dir === undefined;
  const dir = path.resolve(o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-bench-")));
  fs.mkdirSync(dir, { recursive: true });
  // Every run starts from genesis: a previous run's chains in --dir would be resumed otherwise.
  for (const name of fs.readdirSync(dir)) {
    if (OURS.test(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  const profileDir = path.join(dir, "profiles");
  if (o.cpuProf) {
    fs.rmSync(profileDir, { recursive: true, force: true });
    env[PROFILE_DIR_ENV] = profileDir;
    if (o.cli) env[PROFILE_CLI_ENV] = path.resolve(o.cli);
  }

  const range = (base: number): number[] => Array.from({ length: o.peers }, (_, i) => base + i);
  try {
    await checkPortsFree(o.host, [...range(o.basePort), ...range(o.metricsPort)]);
  } catch (err) {
    log(`bench: ${(err as Error).message}`);
    return 2;
  }

  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      // The testnet's exit hook SIGKILLs every peer.
      log(`bench: ${signal} again, killing the peers`);
      process.exit(130);
    }
    log(`bench: ${signal}: stopping the load and the peers (again to kill them)...`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);

  const phases: Phase[] = [];
  if (o.idle > 0) phases.push({ kind: "idle" });
  if (o.rate !== undefined || !o.max) phases.push({ kind: "load", label: "load", rate: o.rate ?? BENCH_DEFAULTS.lightRate });
  if (o.max) phases.push({ kind: "load", label: "saturation", rate: "max" });
  const ctx: RunContext = { o, env, snowball, depth, abort: abort.signal, log };

  let failed = false;
  let output: string | undefined;
  let exited = 0;
  try {
    if (o.baseline === undefined) {
      let report = await runNetwork(ctx, { name: "current", cli: o.cli, dir }, phases);
      exited = report.exited.length;
      if (o.cpuProf) {
        const files = profileFiles(profileDir);
        report = { ...report, profile: files.length > 0 ? formatProfileSummary(summarizeProfiles(files)) : "(no profile was written)" };
      }
      output = o.json ? `${JSON.stringify(report, jsonNumbers, 2)}\n` : formatReport(report);
    } else {
      const loadAvgAtStart = os.loadavg();
      const builds: Record<BuildName, BuildSpec & { path: string; commit?: string }> = {
        baseline: { name: "baseline", cli: baselineCli(o.baseline), dir, path: path.resolve(o.baseline), commit: gitCommit(o.baseline) },
        current: { name: "current", cli: o.cli, dir, path: o.cli ? path.resolve(o.cli) : process.cwd(), commit: gitCommit(o.cli ? path.dirname(o.cli) : undefined) },
      };
      const rounds: Record<BuildName, Report[]> = { baseline: [], current: [] };
      for (const run of interleave(phases.length, o.repeat)) {
        if (abort.signal.aborted) break;
        const phase = phases[run.phase]!;
        const b = builds[run.build];
        log(`bench: ${run.build} (${b.commit ?? b.path}), ${phase.kind === "idle" ? "idle" : phase.label}, round ${run.round + 1} of ${o.repeat}`);
        const r = await runNetwork(ctx, { ...b, dir: path.join(dir, `${run.build}-${phase.kind === "idle" ? "idle" : phase.label}-${run.round}`) }, [phase]);
        exited += r.exited.length;
        // One Report per build and round, its phases gathered from their separate networks.
        const reports = rounds[run.build];
        const mine = reports[run.round] ?? (reports[run.round] = { ...r, idle: undefined, load: [], exited: [] });
        reports[run.round] = { ...mine, idle: r.idle ?? mine.idle, load: [...mine.load, ...r.load], exited: [...mine.exited, ...r.exited] };
      }
      const header: ComparisonHeader = { baseline: builds.baseline, current: builds.current, peers: o.peers, rounds: o.repeat, loadAvgAtStart };
      const rows = compareReports(rounds.baseline, rounds.current);
      output = o.json
        ? `${JSON.stringify({ comparison: { ...header, rows }, baseline: rounds.baseline, current: rounds.current }, jsonNumbers, 2)}\n`
        : [
            ...rounds.baseline.map((r, i) => `=== baseline, round ${i + 1} ===\n${formatReport(r)}`),
            ...rounds.current.map((r, i) => `=== current, round ${i + 1} ===\n${formatReport(r)}`),
            formatComparison(header, rows),
          ].join("\n");
    }
  } catch (err) {
    failed = true;
    log(`bench: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    closeAgent();
  }

  if (output !== undefined && !abort.signal.aborted) process.stdout.write(output);
  const keep = o.keep || o.cpuProf || failed || exited > 0;
  if (tempDir && !keep) fs.rmSync(dir, { recursive: true, force: true });
  else log(`bench: peer data and logs kept in ${dir}${o.cpuProf ? ` (profiles in ${profileDir})` : ""}`);
  if (abort.signal.aborted) return 130;
  return failed ? 1 : 0;
}

type Phase = { readonly kind: "idle" } | { readonly kind: "load"; readonly label: string; readonly rate: number | "max" };

/** What every network of a run shares. */
interface RunContext {
  readonly o: Options;
  readonly env: Record<string, string>;
  readonly snowball: SnowballParams;
  /** MAX_PROCESSING_HEIGHTS: how many undecided heights one poll may cover. */
  readonly depth: number;
  readonly abort: AbortSignal;
  readonly log: (line: string) => void;
}

/** A build to run: its CLI (undefined: this checkout's dist/) and where its peers keep their data. */
interface BuildSpec {
  readonly name: BuildName;
  readonly cli?: string;
  readonly dir: string;
  readonly commit?: string;
}

/**
 * Starts a network of `build`, runs `phases` in it, one after the other, and stops it (also on
 * failure and Ctrl-C). Throws when the network cannot be started or connected.
 */
async function runNetwork(ctx: RunContext, build: BuildSpec, phases: readonly Phase[]): Promise<Report> {
  const { o, env, snowball, abort, log } = ctx;
  fs.mkdirSync(build.dir, { recursive: true });
  const testnet = new LocalTestnet({
    peers: o.peers,
    baseDir: build.dir,
    basePort: o.basePort,
    baseMetricsPort: o.metricsPort,
    host: o.host,
    env,
    // The last --byzantine peers lie as --behaviour says (their own polls stay honest).
    envOf: (i): Record<string, string> =>
      i >= o.peers - o.byzantine ? { BEHAVIOUR: o.behaviour, ...(o.byzantineGroup === undefined ? {} : { BYZANTINE_GROUP: o.byzantineGroup }) } : {},
    // Fifty peers starting at once on two cores take a while.
    readyTimeoutMs: 30_000 + 2_000 * o.peers,
    // Writing a CPU profile at exit takes a few seconds.
    stopTimeoutMs: o.cpuProf ? 60_000 : 15_000,
    // node 20 refuses --cpu-prof in NODE_OPTIONS: a wrapper starts the profiler, then the CLI.
    cliPath: o.cpuProf ? path.join(__dirname, "bench", "profiled-peer.js") : build.cli,
  });
  const net = new BenchNet(testnet, o.host);
  try {
    log(`bench: starting ${o.peers} peers on ${o.host}:${o.basePort}.. (metrics :${o.metricsPort}..), data in ${build.dir}`);
    const loadAvg = os.loadavg();
    const t0 = performance.now();
    await testnet.start();
    await net.waitConnected(30_000 + 1_000 * o.peers, abort);
    const startupSec = (performance.now() - t0) / 1000;
    log(`bench: network connected in ${startupSec.toFixed(1)} s`);
    let idle: IdleFigures | undefined;
    const load: LoadFigures[] = [];
    const submitPeers = Array.from({ length: o.submitTo ?? o.peers }, (_, i) => i);
    for (const ph of phases) {
      if (abort.aborted) break;
      if (ph.kind === "idle") {
        // Let start-up traffic (handshakes, first peer exchanges) settle before measuring idleness.
        await net.waitQuiet(10_000, abort);
        await sleepUnlessAborted(3000, abort);
        log(`bench: idle phase, ${o.idle} s`);
        const a = await net.snapshot();
        await sleepUnlessAborted(o.idle * 1000, abort);
        const b = await net.snapshot();
        if (!abort.aborted) idle = idleFigures(a, b);
        continue;
      }
      if (!(await net.waitQuiet(60_000, abort))) log("bench: the network is still busy from the previous phase; measuring anyway");
      log(`bench: ${ph.label} phase, ${o.duration} s (${o.warmup} s warm-up), ${ph.rate === "max" ? `${o.concurrency} calls in flight, at most ${o.maxPending} entries pending` : `${ph.rate}/s`}`);
      const r = await runLoadPhase(
        net,
        {
          label: ph.label,
          rate: ph.rate,
          concurrency: o.concurrency,
          batch: o.batch,
          lingerMs: o.linger,
          maxPending: o.maxPending,
          durationSec: o.duration,
          warmupSec: o.warmup,
          drainSec: o.drain,
          entryBytes: o.entryBytes,
          submitPeers,
          observer: o.observer,
          submitTimeoutMs: 30_000,
          progress: log,
        },
        abort,
      );
      if (!abort.aborted) load.push(loadFigures(r, snowball, ctx.depth));
    }
    return { meta: meta(o, env, snowball, startupSec, loadAvg, build.commit ?? gitCommit()), exited: net.exited(), idle, load };
  } finally {
    log("bench: stopping the peers...");
    net.close();
    await testnet.stop().catch((err: unknown) => log(`bench: ${err instanceof Error ? err.message : String(err)}`));
  }
}

/** Infinity (an entry never accepted) and NaN have no JSON spelling: null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? null : value;
}

async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

void main().then((code) => process.exit(code));
