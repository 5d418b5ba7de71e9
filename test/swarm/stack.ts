/**
 * A two-node Docker Swarm made by the project's engine script (`engine swarm up2`: a second
 * dockerd in its own network namespace, joined as a worker) and one stack of docker-stack.yml on
 * it, driven as a person drives it: `docker stack deploy`, `docker service ps|scale`, `docker exec`
 * into a task's container on the node that runs it, `docker stack rm`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { environmentWithout } from "../utils/docker";
import { run, runOk, waitFor, type RunOptions, type RunResult } from "../utils/exec";
import { parseAccepted, peerChain, peerStatus, submitArgs, type BlockJson, type StatusJson, type SubmitJson } from "../utils/peer-cli";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const STACK_FILE = path.join(REPO_ROOT, "docker-stack.yml");

/**
 * The engine script (../shared/docker/engine beside the repository, as CI lays it out, or
 * SNOWCHAIN_ENGINE). The suite needs it for the second node; without it the suite fails.
 */
export function engineScript(): string {
  const file = path.resolve(process.env.SNOWCHAIN_ENGINE?.trim() || path.join(REPO_ROOT, "..", "shared", "docker", "engine"));
  if (!fs.existsSync(file)) {
    throw new Error(
      `No engine script at ${file}: the swarm test makes its two-node swarm with \`engine swarm up2\`. ` +
        "Set SNOWCHAIN_ENGINE=/path/to/shared/docker/engine.",
    );
  }
  return file;
}

/** One node of the swarm and the docker client that talks to it. */
export class SwarmNode {
  constructor(
    readonly name: string,
    readonly id: string,
    private readonly file: string,
    private readonly prefix: readonly string[],
  ) {}

  /** Finds a node's swarm id through its own docker client. */
  static async connect(name: string, file: string, prefix: readonly string[]): Promise<SwarmNode> {
    const id = (await runOk(file, [...prefix, "info", "--format", "{{.Swarm.NodeID}}"], { timeoutMs: 30000 })).trim();
    if (!id) throw new Error(`node ${name} is in no swarm`);
    return new SwarmNode(name, id, file, prefix);
  }

  docker(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(this.file, [...this.prefix, ...args], opts);
  }

  dockerOk(args: readonly string[], opts: RunOptions = {}): Promise<string> {
    return runOk(this.file, [...this.prefix, ...args], opts);
  }

  /** Lines of a `docker ... -q` listing. */
  async ids(args: readonly string[]): Promise<string[]> {
    return (await this.dockerOk(args)).split("\n").map((s) => s.trim()).filter((s) => s !== "");
  }
}

/** A task of the peer service as `docker inspect` of the task and of its container show it. */
export interface PeerTask {
  taskId: string;
  slot: number;
  node: SwarmNode;
  containerId: string;
  /** Its addresses on the stack's overlay network. */
  ips: string[];
  state: string;
  /** The container's health: healthy, starting, unhealthy ("" when not inspected yet). */
  health: string;
  readOnlyRoot: boolean;
  /** The volume mounted at /data. */
  dataVolume: string;
}

interface TaskJson {
  ID: string;
  Slot: number;
  NodeID: string;
  DesiredState: string;
  Status: { State: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses: string[] }[];
}

interface ContainerJson {
  State: { Health?: { Status: string } };
  HostConfig: { ReadonlyRootfs: boolean };
  Mounts: { Type: string; Name?: string; Destination: string }[] | null;
}

export class SwarmStack {
  readonly env: NodeJS.ProcessEnv;
  /** Every /data volume a peer task was seen with, per node: none may outlive the stack. */
  readonly dataVolumes = new Map<SwarmNode, Set<string>>();

  constructor(
    readonly name: string,
    readonly nodes: readonly SwarmNode[],
    knobs: Record<string, string>,
  ) {
    this.env = { ...environmentWithout(STACK_FILE), ...knobs };
  }

  get manager(): SwarmNode {
    return this.nodes[0]!;
  }

  node(id: string): SwarmNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`task on unknown node ${id}`);
    return n;
  }

  service(name: string): string {
    return `${this.name}_${name}`;
  }

  deploy(): Promise<string> {
    return this.manager.dockerOk(["stack", "deploy", "--resolve-image", "never", "-c", STACK_FILE, this.name], {
      env: this.env,
      cwd: REPO_ROOT,
      timeoutMs: 120000,
    });
  }

  scale(service: string, n: number): Promise<string> {
    // --detach: the test waits for what it needs itself, with its own deadline.
    return this.manager.dockerOk(["service", "scale", "--detach", `${this.service(service)}=${n}`], { timeoutMs: 60000 });
  }

  /** The peer tasks the swarm wants running, with their containers inspected on their nodes. */
  async peers(): Promise<PeerTask[]> {
    const ids = await this.manager.ids(["service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running", this.service("peer")]);
    if (ids.length === 0) return [];
    const tasks = JSON.parse(await this.manager.dockerOk(["inspect", "--type", "task", ...ids])) as TaskJson[];
    const out: PeerTask[] = [];
    for (const t of tasks) {
      const node = this.node(t.NodeID);
      const containerId = t.Status.ContainerStatus?.ContainerID ?? "";
      const task: PeerTask = {
        taskId: t.ID,
        slot: t.Slot,
        node,
        containerId,
        ips: (t.NetworksAttachments ?? [])
          .filter((n) => n.Network.Spec.Name === `${this.name}_default`)
          .flatMap((n) => n.Addresses.map((a) => a.replace(/\/\d+$/, ""))),
        state: t.Status.State,
        health: "",
        readOnlyRoot: false,
        dataVolume: "",
      };
      if (containerId && t.Status.State === "running") {
        const r = await node.docker(["inspect", "--type", "container", containerId]);
        if (r.code === 0) {
          const [c] = JSON.parse(r.stdout) as ContainerJson[];
          task.health = c!.State.Health?.Status ?? "";
          task.readOnlyRoot = c!.HostConfig.ReadonlyRootfs;
          task.dataVolume = (c!.Mounts ?? []).find((m) => m.Destination === "/data" && m.Type === "volume")?.Name ?? "";
          if (task.dataVolume) {
            if (!this.dataVolumes.has(node)) this.dataVolumes.set(node, new Set());
            this.dataVolumes.get(node)!.add(task.dataVolume);
          }
        }
      }
      out.push(task);
    }
    return out.sort((a, b) => a.slot - b.slot);
  }

  /** `docker exec CONTAINER snowchain ARGS` on the task's node. */
  cli(task: PeerTask, args: readonly string[], timeoutMs = 30000): Promise<string> {
    return task.node.dockerOk(["exec", task.containerId, "snowchain", ...args], { timeoutMs });
  }

  status(task: PeerTask): Promise<StatusJson> {
    return peerStatus((args, timeoutMs) => this.cli(task, args, timeoutMs));
  }

  chain(task: PeerTask): Promise<BlockJson[]> {
    return peerChain((args, timeoutMs) => this.cli(task, args, timeoutMs));
  }

  /** Whether the task's peer is ready (/readyz answers 200), asked inside its container. */
  async ready(task: PeerTask): Promise<boolean> {
    const r = await task.node.docker(["exec", task.containerId, "node", "/app/docker/healthcheck.js", "/readyz"], { timeoutMs: 30000 });
    return r.code === 0;
  }

  async submitVia(task: PeerTask, text: string, waitSeconds = 60): Promise<SubmitJson> {
    const out = await this.cli(task, submitArgs(text, waitSeconds), (waitSeconds + 30) * 1000);
    return parseAccepted(out, `task ${task.slot} on ${task.node.name}`);
  }

  /** The last lines of the peer service's logs, for a failure report. */
  async logs(lines = 40): Promise<string> {
    const r = await this.manager.docker(["service", "logs", "--no-trunc", "--tail", String(lines), this.service("peer")], { timeoutMs: 60000 });
    return r.stdout + r.stderr;
  }

  /** What is left of the stack on every node: services, containers, networks, configs, volumes. */
  async leftovers(): Promise<string[]> {
    const label = `label=com.docker.stack.namespace=${this.name}`;
    const left: string[] = [];
    const m = this.manager;
    for (const id of await m.ids(["service", "ls", "-q", "--filter", label])) left.push(`service ${id}`);
    for (const id of await m.ids(["config", "ls", "-q", "--filter", label])) left.push(`config ${id}`);
    for (const node of this.nodes) {
      for (const id of await node.ids(["ps", "-aq", "--filter", label])) left.push(`${node.name}: container ${id}`);
      for (const id of await node.ids(["network", "ls", "-q", "--filter", label])) left.push(`${node.name}: network ${id}`);
      for (const id of await node.ids(["volume", "ls", "-q", "--filter", label])) left.push(`${node.name}: volume ${id}`);
      for (const v of this.dataVolumes.get(node) ?? []) {
        if ((await node.docker(["volume", "inspect", v])).code === 0) left.push(`${node.name}: data volume ${v}`);
      }
    }
    return left;
  }

  /**
   * `docker stack rm`, then waits for the nodes to remove the tasks' containers, and removes the
   * stack's named volumes (Prometheus' data), which `stack rm` keeps as `compose down` without -v
   * does.
   */
  async remove(timeoutMs = 120000): Promise<void> {
    await this.manager.docker(["stack", "rm", this.name], { timeoutMs: 60000 });
    const label = `label=com.docker.stack.namespace=${this.name}`;
    await waitFor(
      `the nodes to remove the containers of stack ${this.name}`,
      async () => {
        const left = (await Promise.all(this.nodes.map((n) => n.ids(["ps", "-aq", "--filter", label])))).flat();
        return { ok: left.length === 0, detail: `${left.length} containers left` };
      },
      timeoutMs,
    );
    for (const node of this.nodes) {
      // Named volumes carry the stack's label; a network is removed a moment after its last task.
      for (const v of await node.ids(["volume", "ls", "-q", "--filter", label])) await node.docker(["volume", "rm", "-f", v]);
    }
  }
}
