import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createClient } from "../cli/client";
import { findPackageRoot } from "../package-info";
import type { ClientClient } from "../wire/generated/snowchain/v1/Client";
import type { StatusResponse__Output } from "../wire/generated/snowchain/v1/StatusResponse";
import { TestnetError } from "./errors";
import { waitFor } from "./wait";

export { TestnetError, type TestnetErrorCode } from "./errors";

/** Defaults of LocalTestnetOptions. */
export const LOCAL_TESTNET_DEFAULTS = {
  basePort: 50051,
  baseMetricsPort: 9100,
  host: "127.0.0.1",
  logLevel: "info",
  readyTimeoutMs: 30_000,
  stopTimeoutMs: 10_000,
} as const;

export interface LocalTestnetOptions {
  /** Peers started by start(): peer-0 … peer-(N-1). */
  peers: number;
  /** Each peer's DATA_DIR is baseDir/peer-i; peers run with baseDir as their working directory. */
  baseDir: string;
  /** Peer i listens on host:basePort+i. @default 50051 */
  basePort?: number;
  /** Peer i serves /metrics on baseMetricsPort+i. @default 9100 */
  baseMetricsPort?: number;
  /** The interface peers listen on and advertise. @default 127.0.0.1 */
  host?: string;
  /** Peer i's own address to listen on and advertise, over `host` (each peer in a network namespace of its own). @default host for every peer */
  hostOf?: (index: number) => string;
  /** A command line peer i's `node` runs under, e.g. `ip netns exec NS`: it must exec node, so that the pid is the peer's. @default none */
  wrap?: (index: number) => readonly string[];
  /**
   * Extra environment for every peer (e.g. SNOWBALL_BETA, LOG_LEVEL). Peers inherit this process's
   * environment; the per-peer variables and then these override it.
   */
  env?: Record<string, string>;
  /** Extra environment for peer i, over `env` (a byzantine BEHAVIOUR for some, say). @default none */
  envOf?: (index: number) => Record<string, string>;
  /** Where peer-i.log (the peer's stdout and stderr) is written. @default baseDir */
  logDir?: string;
  /** The snowchain CLI a peer runs as `node <cliPath> peer`. @default dist/src/cli/main.js under the package root */
  cliPath?: string;
  /** How long start(), addPeer() and restart() wait for a peer to answer Status. @default 30000 */
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before it sends SIGKILL. @default 10000 */
  stopTimeoutMs?: number;
}

/** How a peer process last ended. */
export interface PeerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One peer of the testnet: a live view, updated as the process starts, stops and pauses. */
export interface LocalPeer {
  readonly index: number;
  /** peer-<index> */
  readonly nodeId: string;
  /** host:port of its gRPC server (listen and advertised address). */
  readonly addr: string;
  readonly metricsPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** The process id while it runs. */
  readonly pid?: number;
  /** The process exists (it may be paused). */
  readonly running: boolean;
  /** Stopped with SIGSTOP. */
  readonly paused: boolean;
  /** How the last process of this peer ended, if one has. */
  readonly lastExit?: PeerExit;
}

class PeerSlot implements LocalPeer {
  child?: ChildProcess;
  exited: Promise<PeerExit> = Promise.resolve({ code: null, signal: null });
  running = false;
  paused = false;
  lastExit?: PeerExit;

  constructor(
    readonly index: number,
    readonly nodeId: string,
    readonly addr: string,
    readonly metricsPort: number,
    readonly dataDir: string,
    readonly logFile: string,
    /** SEEDS of this peer, fixed at creation so a restart gets the same environment. */
    readonly seeds: string | undefined,
  ) {}

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }
}

/**
 * N snowchain peers as local processes, each with the environment a container gets. The harness
 * of `npm run testnet` and of the process and dashboard tests. Child processes never outlive
 * this process: whatever still runs when it exits is SIGKILLed.
 */
export class LocalTestnet {
  private readonly slots: PeerSlot[] = [];
  private readonly clients = new Map<number, ClientClient>();
  private readonly basePort: number;
  private readonly baseMetricsPort: number;
  private readonly host: string;
  private readonly baseDir: string;
  private readonly logDir: string;
  private readonly cliPath: string;
  private readonly readyTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private started = false;
  private exitHookInstalled = false;
  private targetsPath?: string;

  constructor(private readonly opts: LocalTestnetOptions) {
    if (!Number.isInteger(opts.peers) || opts.peers < 1) {
      throw new TestnetError("BAD_USE", `peers must be a whole number ≥ 1, got ${opts.peers}`);
    }
    this.basePort = opts.basePort ?? LOCAL_TESTNET_DEFAULTS.basePort;
    this.baseMetricsPort = opts.baseMetricsPort ?? LOCAL_TESTNET_DEFAULTS.baseMetricsPort;
    this.host = opts.host ?? LOCAL_TESTNET_DEFAULTS.host;
    this.baseDir = path.resolve(opts.baseDir);
    this.logDir = path.resolve(opts.logDir ?? this.baseDir);
    this.cliPath = path.resolve(opts.cliPath ?? path.join(findPackageRoot(__dirname), "dist", "src", "cli", "main.js"));
    this.readyTimeoutMs = opts.readyTimeoutMs ?? LOCAL_TESTNET_DEFAULTS.readyTimeoutMs;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? LOCAL_TESTNET_DEFAULTS.stopTimeoutMs;
    for (let i = 0; i < opts.peers; i++) {
      // Every peer gets one seed: peer 0 for the others, peer 1 for peer 0 (none when alone).
      const seed = i === 0 ? (opts.peers > 1 ? this.addrOf(1) : undefined) : this.addrOf(0);
      this.slots.push(this.newSlot(i, seed));
    }
  }

  get peers(): readonly LocalPeer[] {
    return this.slots;
  }

  /** Spawns every peer and resolves once each answers Status. On failure none is left running. */
  async start(): Promise<void> {
    if (this.started) throw new TestnetError("BAD_USE", "start() was already called");
    this.started = true;
    if (!fs.existsSync(this.cliPath)) {
      throw new TestnetError("BAD_USE", `${this.cliPath} does not exist: run \`npm run build\` first`, { cliPath: this.cliPath });
    }
    try {
      for (const p of this.slots) this.spawn(p);
      await Promise.all(this.slots.map((p) => this.waitReady(p)));
    } catch (err) {
      await Promise.all(this.slots.map((p) => this.killSlot(p)));
      throw err;
    }
    if (this.targetsPath) this.targetsFile(this.targetsPath);
  }

  /** Starts one more peer, seeded with peer 0, and resolves once it answers Status. */
  async addPeer(): Promise<LocalPeer> {
    const p = this.newSlot(this.slots.length, this.addrOf(0));
    this.slots.push(p);
    this.spawn(p);
    await this.waitReady(p);
    if (this.targetsPath) this.targetsFile(this.targetsPath);
    return p;
  }

  /** SIGKILL: the peer gets no chance to flush or say goodbye. Resolves once it is gone. */
  async kill(i: number): Promise<void> {
    await this.killSlot(this.slot(i));
  }

  /**
   * SIGTERM to peer i, or to every peer when i is undefined, and waits for the exits. A peer still
   * running stopTimeoutMs later is SIGKILLed and the call then rejects with STOP_ESCALATED (after
   * every peer is gone). Stopping all also closes the clients and the exit hook.
   */
  async stop(i?: number): Promise<void> {
    const slots = i === undefined ? this.slots : [this.slot(i)];
    const escalated = await Promise.all(slots.map((p) => this.stopSlot(p)));
    if (i === undefined) {
      for (const c of this.clients.values()) c.close();
      this.clients.clear();
      this.removeExitHook();
    }
    const killed = slots.filter((_, k) => escalated[k]).map((p) => p.nodeId);
    if (killed.length > 0) {
      throw new TestnetError(
        "STOP_ESCALATED",
        `${killed.join(", ")} did not exit within ${this.stopTimeoutMs} ms of SIGTERM and ${killed.length > 1 ? "were" : "was"} killed`,
        { nodeIds: killed },
      );
    }
  }

  /** SIGSTOP: the process freezes with its sockets open, like `docker pause`. */
  pause(i: number): void {
    const p = this.slot(i);
    if (!p.running || p.paused) return;
    p.child!.kill("SIGSTOP");
    p.paused = true;
  }

  /** SIGCONT after pause(). */
  resume(i: number): void {
    const p = this.slot(i);
    if (!p.running || !p.paused) return;
    p.child!.kill("SIGCONT");
    p.paused = false;
  }

  /** Stops peer i if it runs (SIGTERM), starts it again on the same DATA_DIR and ports, waits until it answers. */
  async restart(i: number): Promise<void> {
    const p = this.slot(i);
    const escalated = await this.stopSlot(p);
    this.spawn(p);
    await this.waitReady(p);
    if (escalated) {
      throw new TestnetError("STOP_ESCALATED", `${p.nodeId} did not exit within ${this.stopTimeoutMs} ms of SIGTERM and was killed before the restart`, {
        nodeIds: [p.nodeId],
      });
    }
  }

  /**
   * A typed snowchain.v1 Client for peer i, shared by callers and kept across restarts (it dials
   * again within a second). stop() of every peer closes it.
   */
  client(i: number): ClientClient {
    const p = this.slot(i);
    let c = this.clients.get(p.index);
    if (!c) {
      c = createClient(p.addr);
      this.clients.set(p.index, c);
    }
    return c;
  }

  /** Peer i's Status, with a short deadline. */
  status(i: number, timeoutMs = 1000): Promise<StatusResponse__Output> {
    const c = this.client(i);
    return new Promise((resolve, reject) =>
      c.Status({}, { deadline: Date.now() + timeoutMs }, (err, res) => (err || !res ? reject(err ?? new Error("empty Status")) : resolve(res))),
    );
  }

  /** Polls `probe` until it returns a value (see wait.ts); the error names `what` and the last outcome. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
    return waitFor(what, probe, timeoutMs);
  }

  /**
   * Writes a Prometheus file_sd target list with every peer's metrics address (label node_id),
   * and rewrites it when a peer is added.
   */
  targetsFile(file: string): void {
    this.targetsPath = path.resolve(file);
    const groups = this.slots.map((p) => ({
      targets: [`${this.hostForUrl(p.index)}:${p.metricsPort}`],
      labels: { node_id: p.nodeId },
    }));
    fs.mkdirSync(path.dirname(this.targetsPath), { recursive: true });
    const tmp = `${this.targetsPath}.tmp`;
    // Prometheus re-reads the file when it changes: write whole, then rename.
    fs.writeFileSync(tmp, `${JSON.stringify(groups, null, 2)}\n`);
    fs.renameSync(tmp, this.targetsPath);
  }

  private newSlot(i: number, seeds: string | undefined): PeerSlot {
    const nodeId = `peer-${i}`;
    return new PeerSlot(
      i,
      nodeId,
      this.addrOf(i),
      this.baseMetricsPort + i,
      path.join(this.baseDir, nodeId),
      path.join(this.logDir, `${nodeId}.log`),
      seeds,
    );
  }

  private addrOf(i: number): string {
    return `${this.hostForUrl(i)}:${this.basePort + i}`;
  }

  private hostForUrl(i: number): string {
    const host = this.opts.hostOf?.(i) ?? this.host;
    return host.includes(":") ? `[${host}]` : host;
  }

  private slot(i: number): PeerSlot {
    const p = this.slots[i];
    if (!p) throw new TestnetError("NO_SUCH_PEER", `no peer ${i} (there are ${this.slots.length})`, { index: i });
    return p;
  }

  /** The environment of peer p: what a container of the compose file gets. */
  private peerEnv(p: PeerSlot): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: LOCAL_TESTNET_DEFAULTS.logLevel,
      ...this.opts.env,
      ...this.opts.envOf?.(p.index),
      NODE_ID: p.nodeId,
      LISTEN_ADDR: p.addr,
      ADVERTISE_ADDR: p.addr,
      METRICS_PORT: String(p.metricsPort),
      DATA_DIR: p.dataDir,
    };
    if (p.seeds !== undefined) env.SEEDS = p.seeds;
    else delete env.SEEDS;
    return env;
  }

  private spawn(p: PeerSlot): void {
    fs.mkdirSync(p.dataDir, { recursive: true });
    fs.mkdirSync(path.dirname(p.logFile), { recursive: true });
    const log = fs.openSync(p.logFile, "a");
    let child: ChildProcess;
    try {
      const [cmd, ...args] = [...(this.opts.wrap?.(p.index) ?? []), process.execPath, this.cliPath, "peer", "--exit-with-parent"];
      child = spawn(cmd!, args, {
        cwd: this.baseDir,
        env: this.peerEnv(p),
        // Stdin is a pipe only this runner holds, never the terminal: when the runner exits, even
        // SIGKILLed, it closes and the peer stops (--exit-with-parent). Its own process group:
        // Ctrl-C reaches the testnet, which stops the peers in order, instead of every peer at once.
        stdio: ["pipe", log, log],
        detached: true,
      });
    } finally {
      fs.closeSync(log);
    }
    p.child = child;
    p.running = true;
    p.paused = false;
    p.exited = new Promise<PeerExit>((resolve) => {
      const done = (exit: PeerExit): void => {
        if (p.child !== child || !p.running) return;
        p.running = false;
        p.paused = false;
        p.lastExit = exit;
        resolve(exit);
      };
      child.once("exit", (code, signal) => done({ code, signal }));
      // spawn failed (no process): 'exit' never comes.
      child.once("error", () => {
        if (child.pid === undefined) done({ code: null, signal: null });
      });
    });
    this.installExitHook();
  }

  private async waitReady(p: PeerSlot): Promise<void> {
    await waitFor(
      `${p.nodeId} to answer Status at ${p.addr}`,
      async () => {
        if (!p.running) {
          throw new TestnetError("PEER_EXITED", `${p.nodeId} exited (${describeExit(p.lastExit)}) before it answered; log tail:\n${tail(p.logFile)}`, {
            nodeId: p.nodeId,
            exit: p.lastExit,
            logFile: p.logFile,
          });
        }
        return this.status(p.index, 1000);
      },
      this.readyTimeoutMs,
    );
  }

  private async killSlot(p: PeerSlot): Promise<void> {
    if (!p.running) return;
    p.child!.kill("SIGKILL");
    await p.exited;
  }

  /** SIGTERM, then SIGKILL after stopTimeoutMs. True when it had to SIGKILL. */
  private async stopSlot(p: PeerSlot): Promise<boolean> {
    if (!p.running) return false;
    p.child!.kill("SIGTERM");
    // A stopped process only sees SIGTERM once it runs again.
    if (p.paused) p.child!.kill("SIGCONT");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      p.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) await this.killSlot(p);
    return timedOut;
  }

  // Runs synchronously while this process exits (normally or by process.exit): nothing may outlive us.
  private readonly onParentExit = (): void => {
    for (const p of this.slots) {
      if (p.running && p.child?.pid !== undefined) {
        try {
          process.kill(p.child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  };

  private installExitHook(): void {
    if (this.exitHookInstalled) return;
    process.on("exit", this.onParentExit);
    this.exitHookInstalled = true;
  }

  private removeExitHook(): void {
    if (!this.exitHookInstalled) return;
    process.off("exit", this.onParentExit);
    this.exitHookInstalled = false;
  }
}

function describeExit(exit: PeerExit | undefined): string {
  if (!exit) return "unknown";
  if (exit.signal) return `signal ${exit.signal}`;
  return `code ${exit.code}`;
}

/** The end of a log file, for error messages. */
function tail(file: string, bytes = 2000): string {
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, "r");
    try {
      const buf = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString("utf8").trimEnd();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return "(no log)";
  }
}
