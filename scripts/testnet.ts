/**
 * `npm run testnet -- --peers N`: N snowchain peers as local processes, each with the environment
 * a container gets, and a live one-line-per-peer status until Ctrl-C stops them all.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { argParser, parseInteger, parseOrExit } from "../src/cli/options";
import { LOCAL_TESTNET_DEFAULTS, LocalTestnet, type LocalPeer } from "../src/testnet/local-testnet";
import { renderPeerTable, renderSummary, type PeerView } from "../src/testnet/status-view";
import { BEHAVIOUR_NAMES, type BehaviourName } from "../src/behaviour/behaviour";

/** How often the status is refreshed on a terminal, and printed when stdout is not one. */
const REDRAW_MS = 1000;
const PLAIN_EVERY_MS = 5000;
/** A peer that does not answer Status within this shows as down. */
const STATUS_TIMEOUT_MS = 700;

interface Options {
  peers: number;
  basePort: number;
  metricsPort: number;
  host: string;
  dir: string;
  keep?: boolean;
  env: Record<string, string>;
  cli?: string;
  byzantine: number;
  behaviour: BehaviourName;
}

function out(line = ""): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string, code: number): never {
  process.stderr.write(`testnet: ${message}\n`);
  process.exit(code);
}

function collectEnv(value: string, previous: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value);
  if (!m) throw new InvalidArgumentError(`${JSON.stringify(value)} is not KEY=VALUE`);
  return { ...previous, [m[1]!]: m[2]! };
}

function parseOptions(argv: string[]): Options {
  const program = new Command("testnet")
    .description("run N snowchain peers as local processes with a live status; Ctrl-C stops them all")
    .option("--peers <n>", "how many peers", argParser((s) => parseInteger(s, 1, 1000)), 5)
    .option("--base-port <port>", "gRPC port of peer 0; peer i uses base+i", argParser((s) => parseInteger(s, 1, 65535)), LOCAL_TESTNET_DEFAULTS.basePort)
    .option("--metrics-port <port>", "metrics port of peer 0; peer i uses base+i", argParser((s) => parseInteger(s, 1, 65535)), LOCAL_TESTNET_DEFAULTS.baseMetricsPort)
    .option("--host <ip>", "interface the peers listen on and advertise", LOCAL_TESTNET_DEFAULTS.host)
    .option("--dir <path>", "data and logs (wiped at start unless --keep)", ".testnet")
    .option("--keep", "keep the data of a previous run: the peers resume their chains")
    .option("--env <KEY=VALUE>", "extra environment for every peer, repeatable (e.g. SNOWBALL_BETA=10, LOG_LEVEL=debug)", collectEnv, {})
    .option("--cli <path>", "the snowchain CLI the peers run as `node <path> peer` (default: dist/src/cli/main.js)")
    .option("--byzantine <n>", "how many of the peers (the last ones) are byzantine", argParser((s) => parseInteger(s, 0, 1000)), 0)
    .option("--behaviour <name>", `what the byzantine peers do: ${BEHAVIOUR_NAMES.filter((b) => b !== "honest").join(", ")}`, parseBehaviour, "random")
    .exitOverride();
  parseOrExit(program, argv);
  const o = program.opts<Options>();
  if (o.basePort + o.peers - 1 > 65535 || o.metricsPort + o.peers - 1 > 65535) fail("the ports of the last peers would exceed 65535", 2);
  if (o.byzantine > o.peers) fail(`--byzantine ${o.byzantine} is more than the ${o.peers} peers`, 2);
  return o;
}

function parseBehaviour(value: string): BehaviourName {
  const name = value.trim().toLowerCase();
  if (!(BEHAVIOUR_NAMES as readonly string[]).includes(name)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a behaviour (one of ${BEHAVIOUR_NAMES.join(", ")})`);
  return name as BehaviourName;
}

/** What a testnet writes in its directory: all that a fresh start wipes. */
const OURS = /^(peer-\d+|peer-\d+\.log|prometheus-targets\.json(\.tmp)?)$/;

/**
 * Wipes the previous run's peers (data and logs) unless --keep. Only what a testnet writes is
 * removed: other things in the directory (e.g. a local Prometheus under .testnet/prometheus) stay.
 */
function prepareDir(dir: string, keep: boolean): void {
  if (fs.existsSync(dir) && !keep) {
    for (const name of fs.readdirSync(dir)) {
      if (OURS.test(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
}

async function view(tn: LocalTestnet, p: LocalPeer): Promise<PeerView> {
  const base = {
    nodeId: p.nodeId,
    addr: p.addr,
    running: p.running,
    paused: p.paused,
    exit: p.lastExit ? (p.lastExit.signal ? `signal ${p.lastExit.signal}` : `code ${p.lastExit.code}`) : undefined,
  };
  if (!p.running || p.paused) return base;
  try {
    return { ...base, status: await tn.status(p.index, STATUS_TIMEOUT_MS) };
  } catch {
    return base;
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const dir = path.resolve(o.dir);
  prepareDir(dir, o.keep === true);
  const tn = new LocalTestnet({
    peers: o.peers,
    baseDir: dir,
    basePort: o.basePort,
    baseMetricsPort: o.metricsPort,
    host: o.host,
    env: o.env,
    // The last --byzantine peers lie as --behaviour says; the others are honest.
    envOf: (i): Record<string, string> => (i >= o.peers - o.byzantine ? { BEHAVIOUR: o.behaviour } : {}),
    cliPath: o.cli,
  });

  let stopping = false;
  let ticker: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C: do not wait; the exit hook SIGKILLs whatever still runs.
      process.stderr.write(`testnet: ${signal} again, killing the peers\n`);
      process.exit(130);
    }
    stopping = true;
    if (ticker) clearInterval(ticker);
    out(`\nstopping ${tn.peers.filter((p) => p.running).length} peer(s)...`);
    tn.stop().then(
      () => {
        out("every peer stopped");
        process.exit(0);
      },
      (err: unknown) => fail(err instanceof Error ? err.message : String(err), 1),
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A closed terminal: stop the peers too (by default SIGHUP would end us without the exit hook).
  process.on("SIGHUP", onSignal);

  const last = tn.peers[tn.peers.length - 1]!;
  out(`snowchain testnet: ${o.peers} peer(s) on ${tn.peers[0]!.addr}${o.peers > 1 ? ` .. ${last.addr}` : ""}, metrics ports ${o.metricsPort}..${last.metricsPort}`);
  out(`data and logs in ${path.relative(process.cwd(), dir) || "."}/ (peer-i/, peer-i.log); starting...`);
  try {
    await tn.start();
  } catch (err) {
    if (stopping) return;
    fail(err instanceof Error ? err.message : String(err), 1);
  }
  if (stopping) return;
  const targets = path.join(dir, "prometheus-targets.json");
  tn.targetsFile(targets);
  out(`Prometheus file_sd targets: ${path.relative(process.cwd(), targets)}`);
  out(`try: node dist/src/cli/main.js status --addr ${tn.peers[0]!.addr}   (Ctrl-C stops every peer)`);
  out();

  const tty = process.stdout.isTTY === true;
  let drawn = 0;
  let busy = false;
  const refresh = async (): Promise<void> => {
    if (busy || stopping) return;
    busy = true;
    try {
      const views = await Promise.all(tn.peers.map((p) => view(tn, p)));
      if (stopping) return;
      const time = new Date().toISOString().slice(11, 19);
      const lines = [`${time}  ${renderSummary(views)}`, ...renderPeerTable(views)];
      if (tty) {
        // Move up over the previous block and clear it, then draw the new one in its place.
        process.stdout.write(`${drawn > 0 ? `\x1b[${drawn}A\r\x1b[J` : ""}${lines.join("\n")}\n`);
        drawn = lines.length;
      } else {
        for (const line of lines) out(line);
        out();
      }
    } finally {
      busy = false;
    }
  };
  await refresh();
  ticker = setInterval(() => void refresh(), tty ? REDRAW_MS : PLAIN_EVERY_MS);
}

void main();
