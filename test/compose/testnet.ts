/**
 * One Compose project of the snowchain testnet (docker-compose.yml at the repository root), driven
 * the way a person drives it: `compose up --scale peer=N`, `compose exec --index N peer snowchain ...`,
 * `docker kill|start|pause|unpause`, `compose down -v`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect, serviceContainers, type ComposeCommand, type ContainerInfo } from "./harness";
import { environmentWithout } from "../utils/docker";
import { run, runOk, tail, type RunOptions, type RunResult } from "../utils/exec";
import { parseAccepted, peerChain, peerStatus, submitArgs, type BlockJson, type StatusJson, type SubmitJson } from "../utils/peer-cli";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

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
    // The test sets the few knobs it needs; Compose's own variables would change the project.
    const env = environmentWithout(path.join(REPO_ROOT, "docker-compose.yml"), ["COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME"]);
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

  /** `up -d --no-build --scale byzantine=N byzantine`, the byzantine replicas lying as `behaviour` says. */
  async scaleByzantine(n: number, behaviour: string): Promise<ContainerInfo[]> {
    await this.ok(["up", "-d", "--no-build", "--scale", `byzantine=${n}`, "byzantine"], { timeoutMs: 180000, env: { ...this.env, BEHAVIOUR: behaviour } });
    return this.peers("byzantine");
  }

  async peers(service = "peer"): Promise<ContainerInfo[]> {
    const list = await serviceContainers(this.project, service);
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
    return peerStatus((args, timeoutMs) => this.cli(c, args, timeoutMs));
  }

  async chain(c: ContainerInfo): Promise<BlockJson[]> {
    return peerChain((args, timeoutMs) => this.cli(c, args, timeoutMs));
  }

  /**
   * Submits through replica `number` the way a person does:
   * `compose exec -T --index N peer snowchain submit --wait ...`. Resolves once accepted.
   */
  async submitVia(number: number, text: string, waitSeconds = 60, service = "peer"): Promise<SubmitJson> {
    const out = await this.ok(["exec", "-T", "--index", String(number), service, "snowchain", ...submitArgs(text, waitSeconds)], {
      timeoutMs: (waitSeconds + 30) * 1000,
    });
    return parseAccepted(out, `replica ${number}`);
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
