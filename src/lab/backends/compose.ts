/**
 * The Compose backend: the real image (snowchain:local) and docker-compose.yml, with a generated
 * override that turns LAB_CONTROL on, passes the scenario's environment and puts the project on
 * its own subnet of 198.18.0.0/15 (the benchmarking range), so the lab reaches each replica's
 * gRPC from this host. Process faults are `docker kill|stop|start|pause|unpause`; scale is
 * `up --scale`. Replica N is the lab's peer-(N-1). With `--net real`, partitions are iptables
 * drops in each container's network namespace, entered with `nsenter -t <pid> -n` (the pid from
 * `docker inspect`, again at each window: a restarted container has a new one).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { findPackageRoot } from "../../package-info";
import { waitFor } from "../../testnet/wait";
import { LabError } from "../errors";
import { PeerControl } from "../peer-control";
import type { RunIo } from "../runner";
import { processAlive } from "../state";
import type { Backend, BackendPeer } from "./backend";
import { composeCommand, exec, execOk, ids } from "./docker";
import { IptablesFilter, type PacketFilter } from "./iptables";

export const IMAGE = "snowchain:local";
/** Projects the lab makes are named so: `lab clean` finds them by this prefix. */
export const PROJECT_PREFIX = "snowchain-lab-";
const READY_MS = 90_000;

export interface ComposeBackendOptions {
  readonly peers: number;
  readonly dir: string;
  readonly project: string;
  /** `--net real`: partitions as packet drops in the containers' namespaces. @default false */
  readonly realNet?: boolean;
}

interface Replica {
  readonly id: string;
  readonly number: number;
  readonly ip: string;
  readonly running: boolean;
}

export class ComposeBackend implements Backend {
  readonly name = "compose" as const;
  readonly packetFilter?: PacketFilter;
  private compose: string[] = [];
  private replicas: Replica[] = [];
  private readonly root = findPackageRoot(__dirname);
  private readonly override: string;
  private readonly envFile: string;
  private readonly subnet: string;

  constructor(private readonly opts: ComposeBackendOptions) {
    this.override = path.join(opts.dir, "compose.lab.yml");
    this.envFile = path.join(opts.dir, "compose.env");
    // One /24 of 198.19.0.0/16 per lab process, so two labs never share a subnet.
    this.subnet = `198.19.${process.pid % 250}.0/24`;
    if (opts.realNet) this.packetFilter = new IptablesFilter((peer) => this.enterNetns(peer));
  }

  async preflight(): Promise<void> {
    const info = await exec("docker", ["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 30_000 });
    if (info.code !== 0) throw new LabError("UNSUPPORTED", "the compose backend needs a Docker engine: `docker info` failed (on the dev machines: ../shared/docker/engine start)");
    this.compose = await composeCommand();
    if ((await exec("docker", ["image", "inspect", IMAGE], { timeoutMs: 30_000 })).code !== 0) {
      throw new LabError("UNSUPPORTED", `the compose backend runs the image ${IMAGE}: build it first (docker build --network host -t ${IMAGE} .)`);
    }
    if (this.packetFilter) {
      if ((await exec("nsenter", ["--version"], { timeoutMs: 10_000 })).code !== 0) throw new LabError("UNSUPPORTED", "--net real on Compose needs nsenter (util-linux) to enter the containers' network namespaces");
      await IptablesFilter.preflight();
    }
  }

  async start(env: Readonly<Record<string, string>>): Promise<void> {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    // docker-compose.yml passes its own knobs from the environment; the override adds the rest.
    const lines = ["services:", "  peer:", "    environment:", ...Object.entries(env).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)];
    lines.push("networks:", "  default:", "    ipam:", "      config:", `        - subnet: ${this.subnet}`);
    fs.writeFileSync(this.override, `${lines.join("\n")}\n`);
    fs.writeFileSync(this.envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
    await this.up(this.opts.peers);
  }

  peers(): readonly BackendPeer[] {
    return this.replicas.map((r) => ({ name: `peer-${r.number - 1}`, addr: `${r.ip}:50051` }));
  }

  async kill(name: string): Promise<void> {
    await execOk("docker", ["kill", this.replica(name).id]);
  }

  async stop(name: string): Promise<void> {
    await execOk("docker", ["stop", "--time", "10", this.replica(name).id]);
  }

  async startAgain(name: string): Promise<void> {
    const r = this.replica(name);
    await execOk("docker", ["start", r.id]);
    // The container may come back on another address of the subnet.
    await this.refresh();
    await this.waitReady(this.replica(name));
  }

  async pause(name: string): Promise<void> {
    await execOk("docker", ["pause", this.replica(name).id]);
  }

  async resume(name: string): Promise<void> {
    await execOk("docker", ["unpause", this.replica(name).id]);
  }

  async scale(n: number): Promise<{ added: string[]; removed: string[] }> {
    const before = new Set(this.peers().map((p) => p.name));
    await this.up(n);
    const after = new Set(this.peers().map((p) => p.name));
    return { added: [...after].filter((p) => !before.has(p)), removed: [...before].filter((p) => !after.has(p)) };
  }

  async teardown(): Promise<void> {
    if (this.compose.length === 0) return;
    const logs = await exec(this.compose[0]!, [...this.compose.slice(1), ...this.files(), "logs", "--no-color"], { cwd: this.root, timeoutMs: 60_000 });
    fs.mkdirSync(path.join(this.opts.dir, "logs"), { recursive: true });
    fs.writeFileSync(path.join(this.opts.dir, "logs", "compose.log"), logs.out + logs.err);
    await removeProject(this.opts.project);
    this.replicas = [];
  }

  leftovers(): Record<string, unknown> {
    return { project: this.opts.project };
  }

  private files(): string[] {
    return ["--project-name", this.opts.project, "--file", path.join(this.root, "docker-compose.yml"), "--file", this.override, "--env-file", this.envFile];
  }

  private async up(n: number): Promise<void> {
    await execOk(this.compose[0]!, [...this.compose.slice(1), ...this.files(), "up", "-d", "--no-build", "--no-recreate", "--scale", `peer=${n}`, "peer"], {
      cwd: this.root,
      timeoutMs: 300_000,
    });
    await this.refresh();
    await Promise.all(this.replicas.filter((r) => r.running).map((r) => this.waitReady(r)));
  }

  /** Every replica of the project in any state; a stopped one keeps the address it last had. */
  private async refresh(): Promise<void> {
    const list = ids(await execOk("docker", ["ps", "-aq", "--no-trunc", "--filter", `label=com.docker.compose.project=${this.opts.project}`, "--filter", "label=com.docker.compose.service=peer"]));
    if (list.length === 0) {
      this.replicas = [];
      return;
    }
    const fmt = '{{.Id}} {{.State.Status}} {{index .Config.Labels "com.docker.compose.container-number"}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}';
    const rows = ids(await execOk("docker", ["inspect", "--format", fmt, ...list]));
    this.replicas = rows
      .map((row) => {
        const [id, status, number, ip] = row.split(/\s+/);
        const before = this.replicas.find((r) => r.id === id);
        return { id: id!, number: Number(number), ip: ip || before?.ip || "", running: status === "running" || status === "paused" };
      })
      .sort((a, b) => a.number - b.number);
  }

  private async waitReady(r: Replica): Promise<void> {
    const c = new PeerControl(`${r.ip}:50051`);
    try {
      await waitFor(`replica ${r.number} to answer Status at ${r.ip}:50051`, () => c.api.status(1000), READY_MS, 250);
    } finally {
      c.close();
    }
  }

  /** The command line that runs a program in a running replica's network namespace (the engine's host pid). */
  private async enterNetns(name: string): Promise<string[]> {
    const pid = (await execOk("docker", ["inspect", "--format", "{{.State.Pid}}", this.replica(name).id])).trim();
    if (!/^[1-9]\d*$/.test(pid)) throw new LabError("BACKEND", `${name} is not running (docker inspect gave pid ${pid || "none"}): no namespace to cut links in`);
    return ["nsenter", "-t", pid, "-n"];
  }

  private replica(name: string): Replica {
    const n = Number(/^peer-(\d+)$/.exec(name)?.[1] ?? NaN) + 1;
    const r = this.replicas.find((x) => x.number === n);
    if (!r) throw new LabError("BAD_TARGET", `no replica for ${name}`);
    return r;
  }
}

/** Removes every container, network and volume of a project by its label (no compose file needed). */
export async function removeProject(project: string): Promise<void> {
  const label = `label=com.docker.compose.project=${project}`;
  const containers = ids(await execOk("docker", ["ps", "-aq", "--filter", label]));
  // A paused container cannot be removed until it runs again.
  for (const id of containers) await exec("docker", ["unpause", id]);
  if (containers.length > 0) await exec("docker", ["rm", "-f", "-v", ...containers]);
  const networks = ids(await execOk("docker", ["network", "ls", "-q", "--filter", label]));
  if (networks.length > 0) await exec("docker", ["network", "rm", ...networks]);
  const volumes = ids(await execOk("docker", ["volume", "ls", "-q", "--filter", label]));
  if (volumes.length > 0) await exec("docker", ["volume", "rm", "-f", ...volumes]);
}

/** `lab clean`'s Compose part: projects named snowchain-lab-<pid> whose lab process is gone. */
export async function cleanComposeProjects(io: RunIo): Promise<number> {
  if ((await exec("docker", ["info"], { timeoutMs: 30_000 })).code !== 0) return 0;
  const out = await execOk("docker", ["ps", "-a", "--format", '{{.Label "com.docker.compose.project"}}']);
  const projects = [...new Set(ids(out).filter((p) => p.startsWith(PROJECT_PREFIX)))];
  let n = 0;
  for (const p of projects) {
    const pid = Number(p.slice(PROJECT_PREFIX.length));
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) continue;
    await removeProject(p);
    io.out(`lab clean: removed Compose project ${p}`);
    n++;
  }
  return n;
}
