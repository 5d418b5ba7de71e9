/**
 * Plain docker / Compose commands for the compose test: nothing here is specific to one machine,
 * so the suite runs wherever `docker` talks to an engine and Compose is installed (v2 plugin or
 * docker-compose 1.29).
 */
import { execFile } from "node:child_process";
import * as net from "node:net";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command after this long. @default 60000 */
  timeoutMs?: number;
}

const MAX_OUTPUT = 64 * 1024 * 1024;

/** Runs a command and resolves with its exit code and output; never rejects on a non-zero exit. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60000, maxBuffer: MAX_OUTPUT },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        let code = 0;
        if (e) {
          if (typeof e.code === "number") code = e.code;
          else code = 127; // spawn failure (ENOENT) or killed by the timeout
          if (e.killed) stderr += `\n(killed after ${opts.timeoutMs ?? 60000} ms)`;
          else if (typeof e.code === "string") stderr += `\n(${e.code}: ${e.message})`;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Like run(), but throws with the command line and its output when it exits non-zero. */
export async function runOk(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) {
    throw new Error(`\`${[file, ...args].join(" ")}\` exited ${r.code}\n${tail(r.stderr || r.stdout, 40)}`);
  }
  return r.stdout;
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Throws a clear error when no Docker engine answers: the compose suite must fail, never skip. */
export async function requireEngine(): Promise<string> {
  const r = await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 30000 });
  const version = r.stdout.trim();
  if (r.code !== 0 || version === "" || version.includes("<no value>")) {
    throw new Error(
      "No Docker engine answers (`docker info` failed), so the compose test cannot run.\n" +
        "Start one and run again (on the snowchain dev machines: ../shared/docker/engine start, then the stand-in images: see .ci/run).\n" +
        tail(r.stderr || r.stdout, 10),
    );
  }
  return version;
}

/** How Compose is invoked: `docker compose` (v2) or `docker-compose` (1.29). */
export interface ComposeCommand {
  file: string;
  prefix: string[];
  version: string;
}

/**
 * Finds Compose. SNOWCHAIN_COMPOSE ("docker compose" or "docker-compose") chooses; otherwise the
 * v2 plugin when present, else docker-compose.
 */
export async function findCompose(): Promise<ComposeCommand> {
  const wanted = process.env.SNOWCHAIN_COMPOSE?.trim();
  const candidates: ComposeCommand[] = [
    { file: "docker", prefix: ["compose"], version: "" },
    { file: "docker-compose", prefix: [], version: "" },
  ].filter((c) => !wanted || [c.file, ...c.prefix].join(" ") === wanted);
  for (const c of candidates) {
    const r = await run(c.file, [...c.prefix, "version", "--short"], { timeoutMs: 30000 });
    if (r.code === 0 && r.stdout.trim() !== "") return { ...c, version: r.stdout.trim() };
  }
  throw new Error(
    `Compose not found: neither \`docker compose\` nor \`docker-compose\` answers${wanted ? ` (SNOWCHAIN_COMPOSE=${wanted})` : ""}`,
  );
}

/** A free TCP port on 127.0.0.1 (for a published port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns { ok: true } or the deadline passes; then throws with what the
 * last check saw. A check that throws counts as not yet (its message is kept).
 */
export async function waitFor(
  what: string,
  check: () => Promise<{ ok: boolean; detail: string }>,
  timeoutMs: number,
  intervalMs = 500,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let detail = "(not checked yet)";
  for (;;) {
    try {
      const r = await check();
      if (r.ok) return;
      detail = r.detail;
    } catch (err) {
      detail = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${detail}`);
    await sleep(intervalMs);
  }
}

/** GET a URL and parse its JSON body. */
export async function getJson<T>(url: string, timeoutMs = 5000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** What the compose test needs from `docker inspect` of one container. */
export interface ContainerInfo {
  id: string;
  name: string;
  /** com.docker.compose.container-number: what `exec --index N` names. */
  number: number;
  status: string; // created, running, paused, exited, ...
  health: string; // healthy, unhealthy, starting, or "" without a healthcheck
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  ips: string[];
  /** Name of the volume mounted at /data, "" when none. */
  dataVolume: string;
}

interface InspectJson {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> | null };
  State: { Status: string; ExitCode: number; StartedAt: string; FinishedAt: string; Health?: { Status: string } };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> | null };
  Mounts: { Type: string; Name?: string; Destination: string }[] | null;
}

export async function inspect(ids: readonly string[]): Promise<ContainerInfo[]> {
  if (ids.length === 0) return [];
  const raw = JSON.parse(await runOk("docker", ["inspect", ...ids])) as InspectJson[];
  return raw.map((c) => ({
    id: c.Id,
    name: c.Name.replace(/^\//, ""),
    number: Number(c.Config.Labels?.["com.docker.compose.container-number"] ?? NaN),
    status: c.State.Status,
    health: c.State.Health?.Status ?? "",
    exitCode: c.State.ExitCode,
    startedAt: c.State.StartedAt,
    finishedAt: c.State.FinishedAt,
    ips: Object.values(c.NetworkSettings.Networks ?? {})
      .map((n) => n.IPAddress)
      .filter((ip) => ip !== ""),
    dataVolume: (c.Mounts ?? []).find((m) => m.Destination === "/data" && m.Type === "volume")?.Name ?? "",
  }));
}

/** Every container of one service of a project (any state), by Compose's labels: works with v1 and v2 names. */
export async function serviceContainers(project: string, service: string): Promise<ContainerInfo[]> {
  const ids = (
    await runOk("docker", [
      "ps",
      "-a",
      "-q",
      "--no-trunc",
      "--filter",
      `label=com.docker.compose.project=${project}`,
      "--filter",
      `label=com.docker.compose.service=${service}`,
    ])
  )
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return (await inspect(ids)).sort((a, b) => a.number - b.number);
}

/** Ids of any resource (container, network, volume) still carrying the project's label. */
export async function projectLeftovers(project: string): Promise<string[]> {
  const label = `label=com.docker.compose.project=${project}`;
  const lists = await Promise.all([
    runOk("docker", ["ps", "-a", "-q", "--filter", label]).then((s) => s.split("\n").map((x) => (x ? `container ${x}` : ""))),
    runOk("docker", ["network", "ls", "-q", "--filter", label]).then((s) => s.split("\n").map((x) => (x ? `network ${x}` : ""))),
    runOk("docker", ["volume", "ls", "-q", "--filter", label]).then((s) => s.split("\n").map((x) => (x ? `volume ${x}` : ""))),
  ]);
  return lists.flat().filter((x) => x !== "");
}

export async function volumeExists(name: string): Promise<boolean> {
  return (await run("docker", ["volume", "inspect", name], { timeoutMs: 30000 })).code === 0;
}
