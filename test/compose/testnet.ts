/**
 * One Compose project of the snowchain testnet (docker-compose.yml at the repository root), driven
 * the way a person drives it: `compose up --scale peer=N`, `compose exec --index N peer snowchain ...`,
 * `docker kill|start|pause|unpause`, `compose down -v`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect, serviceContainers, type ComposeCommand, type ContainerInfo } from "./harness";
import { run, runOk, tail, type RunOptions, type RunResult } from "../utils/exec";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const IMAGE = "snowchain:local";
/** The address the CLI calls inside a peer container. */
const LOCAL_PEER = "127.0.0.1:50051";

/**
 * The knobs docker-compose.yml reads. The test clears them from its own environment so that a
 * developer's shell does not change what is tested, then sets the few it needs.
 */
export const COMPOSE_KNOBS = [
  "PEERS",
  "SEEDS",
  "NETWORK_NAME",
  "LOG_LEVEL",
  "SNOWBALL_K",
  "SNOWBALL_ALPHA_PREFERENCE",
  "SNOWBALL_ALPHA_CONFIDENCE",
  "SNOWBALL_BETA",
  "SNOWBALL_CONCURRENT_POLLS",
  "POLL_TIMEOUT_MS",
  "MEMBER_GRACE_MS",
  "HEARTBEAT_MS",
  "MAX_NEIGHBORS",
  "MAX_ENTRY_BYTES",
  "MAX_BLOCK_ENTRIES",
  "MAX_BLOCK_BYTES",
  "MEMPOOL_MAX_ENTRIES",
  "MAX_PROCESSING_HEIGHTS",
  "SYNC_BATCH",
  "LOAD_RATE",
  "PROMETHEUS_PORT",
  "PROMETHEUS_RETENTION",
  "GRAFANA_PORT",
  "COMPOSE_FILE",
  "COMPOSE_PROFILES",
  "COMPOSE_PROJECT_NAME",
];

/** `snowchain chain --json`: one object per accepted block (src/cli/format.ts BlockJson). */
export interface BlockJson {
  height: number;
  id: string;
  parentId: string;
  proposer: string;
  entries: { id: string; data: string; encoding: "utf8" | "base64" }[];
}

/** `snowchain status --json` (src/cli/format.ts StatusJson), the fields the test reads. */
export interface StatusJson {
  nodeId: string;
  height: number;
  livePeers: number;
  knownPeers: number;
  syncing: boolean;
}

/** `snowchain submit --json` (src/cli/format.ts SubmitJson). */
export interface SubmitJson {
  id: string;
  accepted: boolean;
  height: number | null;
}

export class ComposeTestnet {
  readonly env: NodeJS.ProcessEnv;
  /** Every volume seen mounted at /data by a replica: down -v must leave none of them. */
  readonly dataVolumes = new Set<string>();
  private readonly emptyEnvFile: string;

  constructor(
    readonly compose: ComposeCommand,
    readonly project: string,
    knobs: Record<string, string>,
  ) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of COMPOSE_KNOBS) delete env[k];
    this.env = { ...env, ...knobs, COMPOSE_PROJECT_NAME: project };
    // A developer's .env next to docker-compose.yml must not leak into the test either.
    this.emptyEnvFile = path.join(os.tmpdir(), `${project}.env`);
    fs.writeFileSync(this.emptyEnvFile, "");
  }

  /** `compose -p PROJECT -f docker-compose.yml --env-file EMPTY ARGS...` from the repository root. */
  run(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const full = [
      ...this.compose.prefix,
      "--project-name",
      this.project,
      "--file",
      path.join(REPO_ROOT, "docker-compose.yml"),
      "--env-file",
      this.emptyEnvFile,
      ...args,
    ];
    return run(this.compose.file, full, { cwd: REPO_ROOT, env: this.env, ...opts });
  }

  async ok(args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) {
      throw new Error(`\`${this.compose.file} ${[...this.compose.prefix, ...args].join(" ")}\` exited ${r.code}\n${tail(r.stderr || r.stdout, 40)}`);
    }
    return r.stdout;
  }

  /** `up -d --no-build --scale peer=N peer [more services]`. */
  async scalePeers(n: number, ...services: string[]): Promise<void> {
    await this.ok(["up", "-d", "--no-build", "--scale", `peer=${n}`, "peer", ...services], { timeoutMs: 180000 });
  }

  async peers(): Promise<ContainerInfo[]> {
    const list = await serviceContainers(this.project, "peer");
    for (const c of list) if (c.dataVolume) this.dataVolumes.add(c.dataVolume);
    return list;
  }

  async peer(number: number): Promise<ContainerInfo> {
    const found = (await this.peers()).find((c) => c.number === number);
    if (!found) throw new Error(`no replica number ${number} in project ${this.project}`);
    return found;
  }

  async refresh(c: ContainerInfo): Promise<ContainerInfo> {
    const [now] = await inspect([c.id]);
    if (!now) throw new Error(`container ${c.name} is gone`);
    return now;
  }

  /** The `snowchain` CLI inside a replica (docker exec: quick, and it works for any replica). */
  async cli(c: ContainerInfo, args: readonly string[], timeoutMs = 30000): Promise<string> {
    return runOk("docker", ["exec", c.id, "snowchain", ...args], { timeoutMs });
  }

  async status(c: ContainerInfo): Promise<StatusJson> {
    return JSON.parse(await this.cli(c, ["status", "--addr", LOCAL_PEER, "--json"])) as StatusJson;
  }

  async chain(c: ContainerInfo): Promise<BlockJson[]> {
    return JSON.parse(await this.cli(c, ["chain", "--addr", LOCAL_PEER, "--json"], 60000)) as BlockJson[];
  }

  /**
   * Submits through replica `number` the way a person does:
   * `compose exec -T --index N peer snowchain submit --wait ...`. Resolves once accepted.
   */
  async submitVia(number: number, text: string, waitSeconds = 60): Promise<SubmitJson> {
    const out = await this.ok(
      [
        "exec",
        "-T",
        "--index",
        String(number),
        "peer",
        "snowchain",
        "submit",
        "--addr",
        LOCAL_PEER,
        "--wait",
        "--timeout",
        String(waitSeconds),
        "--json",
        text,
      ],
      { timeoutMs: (waitSeconds + 30) * 1000 },
    );
    const result = JSON.parse(out.trim().split("\n").pop() ?? "") as SubmitJson;
    if (!result.accepted) throw new Error(`submit via replica ${number}: not accepted: ${out}`);
    return result;
  }

  /** The last lines of every replica's log, for a failure report. */
  async logs(lines = 40): Promise<string> {
    const r = await this.run(["logs", "--no-color", "--tail", String(lines)], { timeoutMs: 60000 });
    return r.stdout + r.stderr;
  }

  /** down -v --remove-orphans, first unpausing what a failed step may have left paused. */
  async down(): Promise<RunResult> {
    for (const c of await this.peers().catch(() => [])) {
      if (c.status === "paused") await run("docker", ["unpause", c.id]);
    }
    return this.run(["down", "-v", "--remove-orphans", "--timeout", "10"], { timeoutMs: 180000 });
  }

  dispose(): void {
    fs.rmSync(this.emptyEnvFile, { force: true });
  }
}

/** The key identifying a chain: its (height, block id) sequence. */
export function chainKey(chain: readonly BlockJson[]): string {
  return chain.map((b) => `${b.height}:${b.id}`).join(",");
}

/** How often each text appears as an entry in a chain. */
export function entryCounts(chain: readonly BlockJson[], texts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>(texts.map((t) => [t, 0]));
  for (const b of chain) {
    for (const e of b.entries) {
      if (e.encoding === "utf8" && counts.has(e.data)) counts.set(e.data, counts.get(e.data)! + 1);
    }
  }
  return counts;
}
