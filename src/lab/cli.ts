/**
 * What `snowchain lab run|check|clean` do, apart from command-line parsing (src/cli/commands/lab.ts):
 * read and check the scenario, refuse what cannot be done with one line before anything starts,
 * run the stages, and print the verdict.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ComposeBackend, cleanComposeProjects, removeProject } from "./backends/compose";
import { LocalBackend } from "./backends/local";
import { cleanNetns, removeNetns } from "./backends/netns";
import type { Backend } from "./backends/backend";
import { LabError } from "./errors";
import { parseHistory, runOf } from "./history";
import { labParams } from "./params";
import { newSeed } from "./random";
import { LabRun, writeVerdict, type RunIo } from "./runner";
import { parseScenario, type BackendName, type FaultKind, type Scenario } from "./scenario";
import { planFaults } from "./schedule";
import { processAlive, rememberedRuns, forgetRun } from "./state";
import { verdictTable } from "./verdict-table";
import { DEFAULT_LAB_METRICS_PORT } from "./metrics";

export interface LabRunOptions {
  readonly seed?: number;
  readonly results: string;
  readonly backend?: BackendName;
  readonly net: "transport" | "real";
  /** undefined: the default port; 0: any free port. */
  readonly metricsPort?: number;
  readonly noMetrics?: boolean;
  /** Local backend: run peers from another build of the snowchain CLI. */
  readonly peerCli?: string;
  /** Compose backend: the project name (default snowchain-lab-<pid>). */
  readonly project?: string;
}

export interface LabIo extends RunIo {
  /** Calls the handler on Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
  /** Ends the process at once (the second Ctrl-C). */
  exitNow(code: number): never;
  isRoot(): boolean;
}

export function readScenario(file: string, backend?: BackendName): { scenario: Scenario; text: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new LabError("BAD_SCENARIO", `${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const scenario = parseScenario(text, file);
  return { scenario: backend ? { ...scenario, network: { ...scenario.network, backend } } : scenario, text };
}

function makeBackend(s: Scenario, opts: LabRunOptions, dir: string, io: RunIo): Backend {
  const realNet = opts.net === "real";
  if (s.network.backend === "compose") return new ComposeBackend({ peers: s.network.peers, dir, project: opts.project ?? `snowchain-lab-${process.pid}`, realNet });
  return new LocalBackend({ peers: s.network.peers, dir, realNet, say: (l) => io.out(l), ...(opts.peerCli ? { cliPath: path.resolve(opts.peerCli) } : {}) });
}

/** Kinds that stay at the peers' transport under `--net real`: iptables can cut a link, but without netem it cannot delay, thin or copy one. */
const TRANSPORT_ONLY: readonly FaultKind[] = ["loss", "delay", "duplicate"];

/** `lab run`: 0 when every check passes, 1 otherwise; LabErrors about the input are thrown before anything starts. */
export async function labRun(file: string, opts: LabRunOptions, io: LabIo): Promise<number> {
  if (opts.net === "real" && !io.isRoot()) {
    throw new LabError("UNSUPPORTED", "--net real needs root (iptables in each peer's network namespace): run the lab as root, or leave --net out to fault links at the peers' transport");
  }
  const { scenario, text } = readScenario(file, opts.backend);
  if (opts.peerCli !== undefined && scenario.network.backend !== "local") throw new LabError("UNSUPPORTED", "--peer-cli: only the local backend runs another build (Compose runs the image)");
  const seed = opts.seed ?? scenario.seed ?? newSeed();
  const run = new LabRun(
    {
      scenario,
      scenarioText: text,
      seed,
      resultsDir: opts.results,
      metricsPort: opts.noMetrics ? undefined : (opts.metricsPort ?? DEFAULT_LAB_METRICS_PORT),
      // Compose's Prometheus scrapes the lab from its container, through the bridge's gateway.
      metricsHost: scenario.network.backend === "compose" ? "0.0.0.0" : "127.0.0.1",
    },
    (dir) => makeBackend(scenario, opts, dir, io),
    io,
  );
  if (opts.net === "real") {
    const mixed = [...new Set(run.faults.filter((f) => TRANSPORT_ONLY.includes(f.kind)).map((f) => f.kind))];
    io.out(`lab: --net real: partitions are packet drops (iptables in each peer's network namespace)${mixed.length ? `; ${mixed.join(", ")} stay at the peers' transport (this kernel has no netem)` : ""}`);
  }
  let interrupts = 0;
  const off = io.onInterrupt(() => {
    interrupts++;
    if (interrupts === 1) {
      io.err("lab: interrupted: ending the faults and stopping the network (Ctrl-C again to kill at once)");
      run.interrupt();
    } else {
      io.err("lab: killed at once: run `snowchain lab clean` to remove what is left");
      io.exitNow(130);
    }
  });
  const started = Date.now();
  try {
    const verdict = await run.run();
    io.out(`lab: ${scenario.name} took ${((Date.now() - started) / 1000).toFixed(1)}s`);
    if (!verdict) throw new LabError("INTERRUPTED", "interrupted: the faults were ended and the network stopped; no verdict");
    return verdict.valid === true ? 0 : 1;
  } finally {
    off();
  }
}

/** `lab check DIR`: the check stage again, from a run's history.jsonl and scenario.yaml. */
export function labCheck(dir: string, io: RunIo): number {
  const { scenario, text } = readScenario(path.join(dir, "scenario.yaml"));
  const events = parseHistory(fs.readFileSync(path.join(dir, "history.jsonl"), "utf8"));
  const run = runOf(events);
  const faults = planFaults({ ...scenario, network: { ...scenario.network, backend: run.backend } }, run.seed, labParams(scenario.network.env));
  const verdict = writeVerdict(dir, events, { scenario, scenarioText: text, seed: run.seed }, faults);
  io.out(verdictTable(verdict));
  return verdict.valid === true ? 0 : 1;
}

/** `lab clean`: removes what labs that did not end cleanly left (peer processes, Compose projects, network namespaces and links, data). */
export async function labClean(results: string, io: RunIo): Promise<number> {
  let removed = 0;
  for (const s of rememberedRuns(results)) {
    if (s.pid !== process.pid && processAlive(s.pid)) {
      io.out(`lab clean: ${s.runId} is still running (pid ${s.pid}); left alone`);
      continue;
    }
    const pids = (s.leftovers.pids as number[] | undefined) ?? [];
    for (const pid of pids) {
      if (!processAlive(pid) || !isSnowchainPeer(pid)) continue;
      process.kill(pid, "SIGKILL");
      io.out(`lab clean: killed peer process ${pid} of ${s.runId}`);
    }
    if (typeof s.leftovers.dataDir === "string") fs.rmSync(s.leftovers.dataDir, { recursive: true, force: true });
    if (typeof s.leftovers.netnsOwner === "number") {
      const names = await removeNetns(s.leftovers.netnsOwner);
      if (names.length > 0) io.out(`lab clean: removed ${names.join(", ")} of ${s.runId}`);
    }
    if (typeof s.leftovers.project === "string") {
      await removeProject(s.leftovers.project);
      io.out(`lab clean: removed Compose project ${s.leftovers.project} of ${s.runId}`);
    }
    forgetRun(results, s.runId);
    removed++;
  }
  removed += await cleanComposeProjects(io);
  removed += await cleanNetns(io);
  io.out(`lab clean: ${removed === 0 ? "nothing to clean" : `cleaned ${removed} run(s)`}`);
  return 0;
}

function isSnowchainPeer(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("peer\0--exit-with-parent");
  } catch {
    return false;
  }
}
