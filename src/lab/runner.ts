/**
 * A lab run in stages, as CometBFT's e2e runner has them: setup → start → load → perturb → wait
 * → check → stop → cleanup, each a method. `run()` goes through them all and always ends with
 * stop and cleanup (success, failure or Ctrl-C): every fault started is ended, every peer
 * stopped, the network removed. Waits poll a condition with a deadline; the only timers are the
 * schedule's own (a fault starts at its time) and a rolling restart's chosen downtime.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { waitFor } from "../testnet/wait";
import type { Backend } from "./backends/backend";
import { checkHistory, type Verdict } from "./checker";
import { FAULT_ACTIONS } from "./faults";
import type { HistoryEvent } from "./history";
import { LiveNetwork } from "./live-network";
import { LabMetrics } from "./metrics";
import { labParams, type LabParams } from "./params";
import { seededRandom } from "./random";
import { BlockWatcher, RecordedLoad, Recorder } from "./recorder";
import { renderReport } from "./report";
import { byzantineNames, type Scenario } from "./scenario";
import { peerNames, planFaults, type PlannedFault } from "./schedule";
import { forgetRun, rememberRun } from "./state";
import { verdictTable } from "./verdict-table";

export interface RunIo {
  out(line: string): void;
  err(line: string): void;
}

export interface RunSettings {
  readonly scenario: Scenario;
  /** The scenario file's text, kept in the report. */
  readonly scenarioText: string;
  readonly seed: number;
  /** results/<run>/ is made under this. */
  readonly resultsDir: string;
  /** Port of the lab's /metrics (0: any free one; undefined: none). */
  readonly metricsPort?: number;
  /** Address the lab's /metrics listens on. @default 127.0.0.1 */
  readonly metricsHost?: string;
}

export type MakeBackend = (runDir: string) => Backend;

/** How long the start stage gives the peers to meet each other. */
const FORM_MS = 60_000;
/** How long the stop stage gives the peers' final chains to be read. */
const FINAL_READ_MS = 30_000;
/** Heights unchanged this long count as settled once the network forked (it never converges then). */
const QUIET_MS = 2_000;

export class LabRun {
  readonly runId: string;
  readonly dir: string;
  readonly params: LabParams;
  readonly faults: readonly PlannedFault[];
  private readonly abort = new AbortController();
  private backend?: Backend;
  private rec?: Recorder;
  private net?: LiveNetwork;
  private metrics?: LabMetrics;
  private load?: RecordedLoad;
  private readonly watchers = new Map<string, BlockWatcher>();
  /** Faults whose start ran: each gets its end on the way out. */
  private readonly started = new Map<string, Promise<void>>();
  private readonly ended = new Set<string>();
  private verdict?: Verdict;

  constructor(
    private readonly settings: RunSettings,
    private readonly makeBackend: MakeBackend,
    private readonly io: RunIo,
  ) {
    const s = settings.scenario;
    this.params = labParams(s.network.env);
    // Everything a bad scenario can get wrong about the network fails here, before anything starts.
    this.faults = planFaults(s, settings.seed, this.params);
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
    this.runId = `${s.name}-${stamp}-${settings.seed}`;
    this.dir = path.resolve(settings.resultsDir, this.runId);
  }

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }

  /** Ctrl-C: the stages under way end early; stop and cleanup still run. */
  interrupt(): void {
    this.abort.abort();
  }

  /** Every stage in order; always stops and cleans up. Resolves with the verdict (undefined if interrupted). */
  async run(): Promise<Verdict | undefined> {
    try {
      await this.setup();
      await this.start();
      this.startLoad();
      await this.perturb();
      await this.wait();
      if (this.aborted) return undefined;
      return await this.check();
    } finally {
      // Whatever ended the run, the schedule's pending timers end with it.
      if (!this.aborted) this.abort.abort();
      await this.stop();
      await this.cleanup();
    }
  }

  /** setup: the run's directory, the backend's own checks, the history file. Nothing runs yet. */
  async setup(): Promise<void> {
    const s = this.settings.scenario;
    this.backend = this.makeBackend(this.dir);
    await this.backend.preflight();
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(path.join(this.dir, "scenario.yaml"), this.settings.scenarioText);
    this.rec = new Recorder(path.join(this.dir, "history.jsonl"));
    this.net = new LiveNetwork(this.backend, this.rec, s.network.peers);
    this.io.out(`lab: ${s.name} on ${s.network.backend}, ${s.network.peers} peers, seed ${this.settings.seed} (repeat with --seed ${this.settings.seed})`);
    if (s.network.byzantine) this.io.out(`lab: byzantine ${byzantineNames(s).join(" ")} (${s.network.byzantine.behaviour}); the checker judges the others`);
    this.io.out(`lab: results in ${this.dir}`);
    for (const f of this.faults) this.io.out(`lab: ${f.id} ${(f.atMs / 1000).toFixed(1)}s–${(f.endMs / 1000).toFixed(1)}s ${f.label}`);
  }

  /** start: the network with LAB_CONTROL=1, the lab's /metrics, one block watcher per peer. */
  async start(): Promise<void> {
    const s = this.settings.scenario;
    const rec = this.rec!;
    const byzantine = byzantineNames(s);
    const loadPeers = s.load.peers === "all" ? peerNames(s.network.peers).filter((p) => !byzantine.includes(p)) : [...s.load.peers];
    rec.record(
      {
        type: "run",
        scenario: s.name,
        seed: this.settings.seed,
        backend: s.network.backend,
        params: this.params,
        peers: peerNames(s.network.peers),
        loadPeers,
        ...(s.network.byzantine ? { byzantine: { peers: byzantine, behaviour: s.network.byzantine.behaviour } } : {}),
        startedAt: rec.startedAt.toISOString(),
      },
      0,
    );
    // Recorded before anything starts, so that `lab clean` finds a Compose project whose `up` a SIGKILL interrupted.
    rememberRun(this.settings.resultsDir, this.runId, { backend: s.network.backend, leftovers: this.backend!.leftovers() });
    await this.metricsUp();
    this.io.out("lab: starting the network");
    const behaviour = s.network.byzantine?.behaviour;
    await this.backend!.start({ ...s.network.env, LAB_CONTROL: "1" }, (name): Record<string, string> => (behaviour && byzantine.includes(name) ? { BEHAVIOUR: behaviour } : {}));
    rememberRun(this.settings.resultsDir, this.runId, { backend: s.network.backend, leftovers: this.backend!.leftovers() });
    for (const p of this.backend!.peers()) await this.net!.joined(p.name);
    // A previous lab on a reused network (Compose volumes) may have left faults: start clean.
    await this.net!.resetAll();
    await this.formed();
    this.watchNewPeers();
    rec.onEvent((e) => {
      if (e.type === "up") this.watchNewPeers();
    });
    this.load = new RecordedLoad({ rate: s.load.rate, size: s.load.size, peers: loadPeers }, (p) => this.net!.clientFor(p), rec, seededRandom(this.settings.seed ^ 0x5eed));
  }

  /**
   * The network is formed when every peer counts every other as a live member: the model judges
   * each peer against a sample of the whole network, and peers that have not met yet decide slowly.
   */
  private async formed(): Promise<void> {
    const names = this.net!.names();
    await waitFor(
      `every peer to count the other ${names.length - 1} as live members`,
      async () => {
        const live = await Promise.all(names.map((n) => this.net!.control(n)!.api.status(2000).then((st) => st.live_peers)));
        return live.every((l) => l >= names.length - 1) ? true : undefined;
      },
      FORM_MS,
      200,
    );
  }

  /** load: the open-loop submits begin (they run through perturb and stop in wait). */
  startLoad(): void {
    if (this.aborted) return;
    this.load?.start();
  }

  /** perturb: each fault starts and ends at its time; resolves when the scenario's length has passed and every fault has ended. */
  async perturb(): Promise<void> {
    const s = this.settings.scenario;
    const t0 = Date.now();
    this.io.out(`lab: perturbing for ${s.duration / 1000}s`);
    const at = (ms: number): Promise<void> => this.until(t0 + ms);
    const runs = this.faults.map(async (f) => {
      await at(f.atMs);
      if (this.aborted) return;
      const start = this.startFault(f);
      this.started.set(f.id, start);
      await start;
      await at(f.endMs);
      await this.endFault(f);
    });
    await Promise.all([at(s.duration), ...runs]);
  }

  /** wait: the load stops, and the network gets `settle` to land every acknowledged entry everywhere. */
  async wait(): Promise<void> {
    await this.load?.stop();
    await this.endAllFaults();
    if (this.aborted) return;
    const settle = this.settings.scenario.expect.settle;
    this.io.out(`lab: waiting up to ${settle / 1000}s for every acknowledged entry to land on every peer`);
    try {
      await waitFor("the network to settle", async () => (this.aborted || this.settled() ? true : undefined), settle, 250);
    } catch {
      this.io.out("lab: not settled within the deadline; the checker will say what is missing");
    }
  }

  /** check: final chains, then the checker; writes history.jsonl, verdict.json, report.html. */
  async check(): Promise<Verdict> {
    const rec = this.rec!;
    await Promise.all(
      this.net!.names()
        .filter((n) => this.net!.isRunning(n))
        .map(async (n) => {
          const blocks = await waitFor(`${n}'s final chain`, () => this.net!.control(n)!.chain(), FINAL_READ_MS, 500);
          rec.record({ type: "final", peer: n, chain: blocks.map((b) => ({ height: Number(b.height), id: b.id.toString("hex"), entries: b.entries.map((e) => e.id.toString("hex")) })) });
        }),
    );
    rec.record({ type: "end" });
    this.verdict = writeVerdict(this.dir, rec.events, this.settings, this.faults);
    this.io.out(verdictTable(this.verdict));
    return this.verdict;
  }

  /** stop: watchers, load and faults end, then every peer stops (the backend's teardown). */
  async stop(): Promise<void> {
    await this.load?.stop().catch(() => undefined);
    await this.endAllFaults().catch(() => undefined);
    await Promise.all([...this.watchers.values()].map((w) => w.stop()));
    await this.net?.resetAll().catch(() => undefined);
    this.net?.close();
    await this.backend?.teardown().catch((err: Error) => this.io.err(`lab: teardown: ${err.message} (run \`snowchain lab clean\`)`));
  }

  /** cleanup: the lab's own /metrics and state file; results/<run>/ stays. */
  async cleanup(): Promise<void> {
    await this.metrics?.close();
    this.rec?.close();
    forgetRun(this.settings.resultsDir, this.runId);
    if (this.verdict) this.io.out(`lab: ${this.dir}/report.html`);
  }

  private async metricsUp(): Promise<void> {
    if (this.settings.metricsPort === undefined) return;
    this.metrics = new LabMetrics();
    try {
      const port = await this.metrics.listen(this.settings.metricsPort, this.settings.metricsHost ?? "127.0.0.1");
      this.metrics.runStarted(this.settings.scenario.name, this.settings.seed, this.settings.scenario.network.backend);
      this.io.out(`lab: fault metrics on http://${this.settings.metricsHost ?? "127.0.0.1"}:${port}/metrics`);
    } catch (err) {
      // A second lab on the same machine: its faults go unannotated, the run itself is unaffected.
      this.io.err(`lab: cannot serve /metrics on port ${this.settings.metricsPort} (${(err as Error).message}); going on without`);
      this.metrics = undefined;
    }
  }

  private watchNewPeers(): void {
    for (const name of this.net!.names()) {
      if (this.watchers.has(name)) continue;
      const w = new BlockWatcher(name, () => this.net!.control(name), this.rec!);
      this.watchers.set(name, w);
      w.start();
    }
  }

  private async startFault(f: PlannedFault): Promise<void> {
    this.io.out(`lab: ${f.id} start: ${f.label}`);
    await FAULT_ACTIONS[f.kind].start(this.net!, f);
    this.rec!.record({ type: "fault", id: f.id, kind: f.kind, label: f.label, phase: "start", targets: [...f.targets] });
    this.metrics?.faultStarted(f.kind, this.nodeIds(f));
  }

  private async endFault(f: PlannedFault): Promise<void> {
    if (this.ended.has(f.id) || !this.started.has(f.id)) return;
    this.ended.add(f.id);
    // The start may still be running (a rolling restart, or Ctrl-C in the middle of one).
    await this.started.get(f.id)!.catch(() => undefined);
    await FAULT_ACTIONS[f.kind].end(this.net!, f);
    this.rec!.record({ type: "fault", id: f.id, kind: f.kind, label: f.label, phase: "end", targets: [...f.targets] });
    this.metrics?.faultEnded(f.kind, this.nodeIds(f));
    this.io.out(`lab: ${f.id} end`);
  }

  /** A fault's targets as the dashboards name peers: by the `node_id` label of their metrics (their name). */
  private nodeIds(f: PlannedFault): string[] {
    return f.targets.map((t) => this.net!.metricsNameOf(t) ?? t);
  }

  private async endAllFaults(): Promise<void> {
    for (const f of this.faults) await this.endFault(f);
  }

  /** Every running peer at one tip and every acknowledged entry on every peer (on its own branch after a fork). */
  private settled(): boolean {
    const events = this.rec!.events;
    const running = this.net!.names().filter((n) => this.net!.isRunning(n));
    const tips = new Map<string, { height: number; id: string; t: number }>();
    const entries = new Map<string, Set<string>>(running.map((n) => [n, new Set()]));
    const idAt = new Map<string, string>();
    let forked = false;
    for (const e of events) {
      if (e.type !== "block") continue;
      tips.set(e.peer, { height: e.height, id: e.id, t: e.t });
      for (const x of e.entries) entries.get(e.peer)?.add(x);
      const other = idAt.get(String(e.height));
      if (other !== undefined && other !== e.id) forked = true;
      idAt.set(String(e.height), e.id);
    }
    const acked = events.filter((e): e is Extract<HistoryEvent, { type: "ack" }> => e.type === "ack");
    if (!forked) {
      const ids = new Set(running.map((n) => tips.get(n)?.id ?? ""));
      return ids.size === 1 && acked.every((a) => running.every((n) => entries.get(n)!.has(a.entry)));
    }
    const quiet = running.every((n) => this.rec!.now() - (tips.get(n)?.t ?? 0) > QUIET_MS);
    return quiet && acked.every((a) => !running.includes(a.peer) || entries.get(a.peer)!.has(a.entry));
  }

  /** Resolves at the wall-clock time `t`, or at once when interrupted. */
  private until(t: number): Promise<void> {
    const left = t - Date.now();
    if (left <= 0 || this.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, left);
      const onAbort = (): void => done();
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}

/** check as a stage of its own: the verdict and the report from a history (also `snowchain lab check DIR`). */
export function writeVerdict(dir: string, events: readonly HistoryEvent[], settings: Pick<RunSettings, "scenario" | "scenarioText" | "seed">, faults: readonly PlannedFault[]): Verdict {
  const verdict = checkHistory(events, { recoveryWithinMs: settings.scenario.expect.recovery_within });
  fs.writeFileSync(path.join(dir, "verdict.json"), `${JSON.stringify({ scenario: settings.scenario.name, seed: settings.seed, ...verdict }, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, "report.html"), renderReport({ events, verdict, scenarioText: settings.scenarioText, scenario: settings.scenario, seed: settings.seed, faults }));
  return verdict;
}
