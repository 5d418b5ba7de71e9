/**
 * A real Prometheus for the local testnet and for the dashboards test: lays out
 * prometheus/prometheus.local.yml, prometheus/rules/ and a file_sd targets file in one directory,
 * runs the `prometheus` binary (Debian's package) on loopback, and talks to its HTTP API.
 *
 *   <dir>/prometheus.yml        copy of prometheus/prometheus.local.yml
 *   <dir>/rules/*.yml           copies of prometheus/rules/*.yml
 *   <dir>/targets/peers.json    [{"targets": ["127.0.0.1:9100", ...]}], rewritten by setTargets()
 *   <dir>/targets/external.json a link to opts.targetsFile, when given
 *   <dir>/lab/lab.json          the fault lab's /metrics (opts.labTargets), job snowchain-lab
 *   <dir>/data/                 the TSDB
 *
 * Prometheus watches targets/, so a testnet that rewrites peers.json (or drops its own *.json
 * file next to it) is followed without a restart.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { access, copyFile, mkdir, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import * as net from "node:net";
import * as path from "node:path";

/** Where prometheus/ lives: the first ancestor of this file that holds it (source or dist/). */
export async function findRepoRoot(from: string = __dirname): Promise<string> {
  let dir = path.resolve(from);
  for (;;) {
    try {
      await access(path.join(dir, "prometheus", "prometheus.local.yml"));
      return dir;
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error(`no prometheus/prometheus.local.yml above ${from}`);
      dir = parent;
    }
  }
}

// ------------------------------------------------------------------------------------------
// HTTP API

export type PromSample = { metric: Record<string, string>; value: [number, string] };
export type PromSeries = { metric: Record<string, string>; values: [number, string][] };
export type PromQueryData =
  | { resultType: "vector"; result: PromSample[] }
  | { resultType: "matrix"; result: PromSeries[] }
  | { resultType: "scalar" | "string"; result: [number, string] };

export interface PromRule {
  type: "recording" | "alerting";
  name: string;
  query: string;
  health: string;
  lastError?: string;
}

export interface PromTarget {
  labels: Record<string, string>;
  scrapePool: string;
  health: "up" | "down" | "unknown";
  lastError: string;
}

/** Prometheus answered a query with an error (bad PromQL, timeout...). */
export class PromQueryError extends Error {
  constructor(
    readonly expr: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${errorType}: ${message}`);
    this.name = "PromQueryError";
  }
}

/** The few read endpoints of Prometheus' HTTP API v1 the checks use. */
export class PrometheusApi {
  constructor(readonly baseUrl: string) {}

  /** Instant query at the current time. Throws PromQueryError when Prometheus rejects it. */
  async query(expr: string): Promise<PromQueryData> {
    const res = await fetch(`${this.baseUrl}/api/v1/query`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query: expr }).toString(),
    });
    const body = (await res.json()) as {
      status: string;
      data?: PromQueryData;
      errorType?: string;
      error?: string;
    };
    if (body.status !== "success" || !body.data) {
      throw new PromQueryError(expr, body.errorType ?? `HTTP ${res.status}`, body.error ?? "no data");
    }
    return body.data;
  }

  /** Values of `label` on series matching `match` (Grafana's label_values(match, label)). */
  async labelValues(label: string, match?: string): Promise<string[]> {
    const params = new URLSearchParams();
    if (match) params.append("match[]", match);
    return this.get<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values?${params.toString()}`);
  }

  async rules(): Promise<PromRule[]> {
    const data = await this.get<{ groups: { rules: PromRule[] }[] }>("/api/v1/rules");
    return data.groups.flatMap((g) => g.rules);
  }

  async activeTargets(): Promise<PromTarget[]> {
    const data = await this.get<{ activeTargets: PromTarget[] }>("/api/v1/targets?state=active");
    return data.activeTargets;
  }

  /** true once Prometheus answers /-/ready with 200. */
  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/-/ready`);
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  private async get<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${this.baseUrl}${pathAndQuery}`);
    const body = (await res.json()) as { status: string; data?: T; error?: string };
    if (body.status !== "success" || body.data === undefined) {
      throw new Error(`GET ${pathAndQuery}: ${body.error ?? `HTTP ${res.status}`}`);
    }
    return body.data;
  }
}

// ------------------------------------------------------------------------------------------
// Waiting

/**
 * Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; resolves whether it
 * succeeded. Used instead of fixed sleeps: the wait is as short as the condition allows.
 */
export async function waitFor(
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; everyMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 250));
  }
}

// ------------------------------------------------------------------------------------------
// promtool

export interface ToolResult {
  code: number | null;
  output: string;
}

/** Runs a command to completion and returns its exit code and combined output. */
export async function run(command: string, args: readonly string[], cwd?: string): Promise<ToolResult> {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  // "close", not "exit": every byte of output has been read by then.
  const [code] = (await Promise.race([
    once(child, "close"),
    once(child, "error").then(([err]) => {
      throw err;
    }),
  ])) as [number | null];
  return { code, output };
}

/** `promtool <args>`, e.g. ["check", "config", file]. */
export function promtool(args: readonly string[], cwd?: string): Promise<ToolResult> {
  return run("promtool", args, cwd);
}

// ------------------------------------------------------------------------------------------
// A Prometheus process

export interface LocalPrometheusOptions {
  /** Working directory for config, rules, targets and the TSDB; created if missing. */
  dir: string;
  /** host:port of every peer's metrics endpoint, written to targets/peers.json. */
  targets: readonly string[];
  /**
   * A file_sd file someone else keeps up to date, e.g. the one LocalTestnet.targetsFile() writes
   * as peers come and go: linked into targets/ so Prometheus follows it (re-read every 5 s).
   */
  targetsFile?: string;
  /** host:port of a running fault lab's /metrics (`snowchain lab run`), written to lab/lab.json: job snowchain-lab. */
  labTargets?: readonly string[];
  /** Port on 127.0.0.1. @default 0 = a free port chosen at start */
  port?: number;
  /** @default "prometheus" (on PATH; Debian's package installs /usr/bin/prometheus) */
  binary?: string;
  /** The repository, for prometheus/. @default found from this file's location */
  repoRoot?: string;
  /** How long start() waits for /-/ready. @default 30 s */
  readyTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;
const LOG_TAIL_CHARS = 64 * 1024;

export class LocalPrometheus {
  private child: ChildProcess | undefined;
  private log = "";
  private api: PrometheusApi | undefined;

  constructor(private readonly opts: LocalPrometheusOptions) {}

  get configFile(): string {
    return path.join(this.opts.dir, "prometheus.yml");
  }

  get rulesDir(): string {
    return path.join(this.opts.dir, "rules");
  }

  /** The HTTP API of the running Prometheus. */
  get http(): PrometheusApi {
    if (!this.api) throw new Error("LocalPrometheus not started");
    return this.api;
  }

  /** The last lines Prometheus logged: for failure messages. */
  logTail(lines = 30): string {
    return this.log.split("\n").slice(-lines).join("\n");
  }

  /** Lays out config, rules and targets in `dir` (start() does it too). */
  async prepare(): Promise<void> {
    const root = this.opts.repoRoot ?? (await findRepoRoot());
    await mkdir(this.rulesDir, { recursive: true });
    await mkdir(path.join(this.opts.dir, "targets"), { recursive: true });
    await mkdir(path.join(this.opts.dir, "lab"), { recursive: true });
    const lab = this.opts.labTargets ?? [];
    await writeFile(path.join(this.opts.dir, "lab", "lab.json"), `${JSON.stringify(lab.length > 0 ? [{ targets: lab }] : [], null, 2)}\n`);
    await copyFile(path.join(root, "prometheus", "prometheus.local.yml"), this.configFile);
    const rules = path.join(root, "prometheus", "rules");
    for (const f of await readdir(rules)) {
      if (f.endsWith(".yml")) await copyFile(path.join(rules, f), path.join(this.rulesDir, f));
    }
    await this.setTargets(this.opts.targets);
    if (this.opts.targetsFile) {
      const link = path.join(this.opts.dir, "targets", "external.json");
      await rm(link, { force: true });
      await symlink(path.resolve(this.opts.targetsFile), link);
    }
  }

  /** Rewrites the targets file atomically; Prometheus picks it up within its refresh interval. */
  async setTargets(targets: readonly string[]): Promise<void> {
    const dir = path.join(this.opts.dir, "targets");
    const tmp = path.join(dir, ".peers.json.tmp");
    const groups = targets.length > 0 ? [{ targets }] : [];
    await writeFile(tmp, `${JSON.stringify(groups, null, 2)}\n`);
    await rename(tmp, path.join(dir, "peers.json"));
  }

  /** Starts Prometheus and resolves its base URL once it is ready. */
  async start(): Promise<string> {
    if (this.api) return this.api.baseUrl;
    await this.prepare();
    let lastError: unknown;
    // A port picked free can be taken before Prometheus binds it: try again with another.
    for (let attempt = 0; attempt < (this.opts.port ? 1 : START_ATTEMPTS); attempt++) {
      const port = this.opts.port ?? (await freePort());
      try {
        return await this.spawnOn(port);
      } catch (err: unknown) {
        lastError = err;
      }
    }
    throw lastError;
  }

  private async spawnOn(port: number): Promise<string> {
    const listen = `127.0.0.1:${port}`;
    this.log = "";
    const child = spawn(
      this.opts.binary ?? "prometheus",
      [
        `--config.file=${this.configFile}`,
        `--storage.tsdb.path=${path.join(this.opts.dir, "data")}`,
        `--web.listen-address=${listen}`,
        "--storage.tsdb.retention.time=1d",
        "--log.level=info",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child = child;
    child.stdout?.on("data", (d: Buffer) => this.appendLog(d));
    child.stderr?.on("data", (d: Buffer) => this.appendLog(d));
    let exited = false;
    let spawnError: Error | undefined;
    child.once("exit", () => (exited = true));
    child.once("error", (err) => {
      spawnError = err;
      exited = true;
    });
    const api = new PrometheusApi(`http://${listen}`);
    const ready = await waitFor(async () => exited || (await api.ready()), {
      timeoutMs: this.opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    });
    if (exited || !ready) {
      await this.stop();
      const why = spawnError ? spawnError.message : exited ? "exited" : "not ready in time";
      throw new Error(`prometheus on ${listen}: ${why}\n${this.logTail()}`);
    }
    this.api = api;
    return api.baseUrl;
  }

  private appendLog(d: Buffer): void {
    // Only the tail is ever shown; a long-running Prometheus must not grow this without bound.
    this.log = (this.log + d.toString()).slice(-LOG_TAIL_CHARS);
  }

  /** Stops Prometheus (SIGTERM, then SIGKILL after 10 s). Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.api = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Bases of `counts.length` ranges of consecutive TCP ports, each free on 127.0.0.1 right now and
 * not overlapping: for a local testnet whose peer i listens on base + i.
 */
export async function freePortRanges(counts: readonly number[], attempts = 50): Promise<number[]> {
  const held: net.Server[] = [];
  const hold = async (port: number): Promise<boolean> => {
    const server = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (ok) held.push(server);
    return ok;
  };
  try {
    const bases: number[] = [];
    for (const count of counts) {
      let found: number | undefined;
      for (let attempt = 0; attempt < attempts && found === undefined; attempt++) {
        const base = 20_000 + Math.floor(Math.random() * 10_000);
        let free = true;
        for (let i = 0; i < count && free; i++) free = await hold(base + i);
        if (free) found = base;
      }
      if (found === undefined) throw new Error(`no ${count} consecutive free ports found`);
      bases.push(found);
    }
    return bases;
  } finally {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}
