/**
 * The real image and docker-stack.yml on a real two-node Docker Swarm, end to end: what a person
 * does with `docker stack deploy`, checked step by step. The swarm comes from the project's engine
 * script (`engine swarm up2`), which also copies the images into the second node (no registry
 * here); the suite takes the swarm down again at the end. With no engine, the suite fails.
 *
 * Grafana is deployed with 0 replicas (it has no stand-in image here); its dashboards are proven
 * by the dashboards query test against a real Prometheus.
 */
import { IMAGE, buildImage, requireEngine } from "../utils/docker";
import { explained, run, runOk, waitFor } from "../utils/exec";
import { waitConverged as waitConvergedOn } from "../utils/peer-cli";
import { freePort } from "../utils/ports";
import { waitPrometheusTargets } from "../utils/prometheus";
import { Scenario } from "../utils/scenario";
import { REPO_ROOT, SwarmNode, SwarmStack, engineScript, type PeerTask } from "./stack";

const PROMETHEUS_IMAGE = "prom/prometheus:v2.53.0";
/** Small, so that the replaced task's old self is dropped within the test. */
const MEMBER_GRACE_MS = 5000;
/** Deadlines: generous for a 2-core machine running two engines and 8 peers, never fixed sleeps. */
const READY_MS = 180000;
const CONVERGE_MS = 120000;
const PROMETHEUS_MS = 90000;

/** Distinct from `snowchain` (a person's stack) and from other runs. */
const STACK = `snowchainst${Date.now().toString(36)}`;

const scenario = new Scenario();
const step = scenario.step.bind(scenario);
let engine = "";
let stack: SwarmStack | undefined;
let promPort = 0;
/** Every entry text submitted so far: each must be in every chain exactly once. */
const texts: string[] = [];

function info(line: string): void {
  process.stdout.write(`swarm test: ${line}\n`);
}

function swarm(): SwarmStack {
  if (!stack) throw new Error("the stack was not set up (see the earlier failure)");
  return stack;
}

function entryText(label: string): string {
  const text = `${STACK} ${label} ${texts.length + 1}`;
  texts.push(text);
  return text;
}

const where = (t: PeerTask) => `${t.slot}@${t.node.name}`;

/**
 * Waits for `n` running peer tasks, spread over both nodes, each healthy, ready, knowing all the
 * others and advertising its own overlay address under the node id of its slot.
 */
async function waitReady(n: number): Promise<PeerTask[]> {
  const s = swarm();
  let last: PeerTask[] = [];
  await explained(
    waitFor(
      `${n} ready peer tasks on both nodes`,
      async () => {
        last = await s.peers();
        const problems: string[] = [];
        if (last.length !== n) problems.push(`${last.length} tasks`);
        const nodes = new Set(last.map((t) => t.node.name));
        if (nodes.size !== s.nodes.length) problems.push(`only on ${[...nodes].join(",")}`);
        for (const t of last) {
          if (t.state !== "running" || t.health !== "healthy") {
            problems.push(`${where(t)} ${t.state}/${t.health || "-"}`);
            continue;
          }
          const st = await s.status(t);
          if (!(await s.ready(t))) problems.push(`${where(t)} not ready`);
          if (st.name !== `peer-${t.slot}` || !t.ips.map((ip) => `${ip}:50051`).includes(st.address)) {
            problems.push(`${where(t)} is ${st.name} (${st.nodeId}) at ${st.address}, task IPs ${t.ips.join(",")}`);
          }
          if (st.knownPeers !== n - 1 || st.livePeers !== n - 1) problems.push(`${where(t)} knows ${st.knownPeers}, ${st.livePeers} live`);
        }
        return { ok: problems.length === 0, detail: problems.join("; ") };
      },
      READY_MS,
      1000,
    ),
    async () => `--- logs ---\n${await s.logs(30)}`,
  );
  return last;
}

function waitConverged(tasks: readonly PeerTask[], why: string): Promise<void> {
  const s = swarm();
  return waitConvergedOn(tasks, where, (t) => s.chain(t), texts, why, CONVERGE_MS);
}

async function waitPeerTargets(tasks: readonly PeerTask[]): Promise<void> {
  await waitPrometheusTargets(promPort, "tasks.peer", tasks.flatMap((t) => t.ips.map((ip) => `${ip}:9100`)), PROMETHEUS_MS);
}

beforeAll(async () => {
  const version = await requireEngine();
  engine = engineScript();
  promPort = await freePort();
  info(`engine ${version} (${engine}), stack ${STACK}, Prometheus on 127.0.0.1:${promPort}`);
}, 60000);

afterAll(async () => {
  if (scenario.broken !== undefined && stack) {
    info(`"${scenario.broken}" failed; peer logs:\n${await stack.logs(40).catch((e: unknown) => String(e))}`);
  }
  // Whatever failed, leave no stack and no swarm behind (the last step checks this when all went well).
  if (stack) await stack.remove().catch((e: unknown) => info(`stack rm: ${String(e)}`));
  if (engine) await run(engine, ["swarm", "down"], { timeoutMs: 180000 });
}, 400000);

describe("the testnet on a two-node Docker Swarm", () => {
  step("the image builds", () => buildImage(IMAGE, REPO_ROOT), 900000);

  step(
    "engine swarm up2: a manager and a worker, both with the images",
    async () => {
      await runOk(engine, ["swarm", "up2", IMAGE, PROMETHEUS_IMAGE], { timeoutMs: 600000 });
      const nodes = [await SwarmNode.connect("node1", "docker", []), await SwarmNode.connect("node2", engine, ["swarm", "docker2"])];
      const ready = (await nodes[0]!.dockerOk(["node", "ls", "--format", "{{.ID}} {{.Status}} {{.Availability}}"])).trim().split("\n").sort();
      expect(ready).toEqual(nodes.map((n) => `${n.id} Ready Active`).sort());
      // up2 copies an image only when the worker has none of that name, and the worker keeps its
      // images across `swarm down`: an image built since would run on the manager only.
      const imageId = (node: SwarmNode) => node.dockerOk(["image", "inspect", "--format", "{{.Id}}", IMAGE]).then((s) => s.trim());
      if ((await imageId(nodes[1]!)) !== (await imageId(nodes[0]!))) {
        await runOk("bash", ["-o", "pipefail", "-c", `docker save ${IMAGE} | "$ENGINE" swarm docker2 load`], {
          env: { ...process.env, ENGINE: engine },
          timeoutMs: 300000,
        });
      }
      expect(await imageId(nodes[1]!)).toBe(await imageId(nodes[0]!));
      stack = new SwarmStack(STACK, nodes, {
        PEERS: "6",
        GRAFANA_REPLICAS: "0",
        PROMETHEUS_PORT: String(promPort),
        MEMBER_GRACE_MS: String(MEMBER_GRACE_MS),
        SNOWCHAIN_IMAGE: IMAGE,
      });
    },
    600000,
  );

  step("docker stack deploy with 6 replicas: spread over both nodes, every task healthy and ready, read-only root", async () => {
    const s = swarm();
    await s.deploy();
    const tasks = await waitReady(6);
    expect(tasks.map((t) => t.slot)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tasks.every((t) => t.readOnlyRoot && t.dataVolume !== "")).toBe(true);
    info(`tasks ${tasks.map(where).join(" ")}`);
  });

  step("Prometheus finds every task through tasks.peer and scrapes it", async () => {
    await waitPeerTargets(await swarm().peers());
  });

  step("entries submitted through tasks on both nodes are accepted exactly once everywhere", async () => {
    const s = swarm();
    const tasks = await s.peers();
    const results = await Promise.all(tasks.map((t) => s.submitVia(t, entryText(`via task ${where(t)}`))));
    for (const r of results) expect(r.height).toBeGreaterThan(0);
    await waitConverged(tasks, "after submits through every task");
  });

  step("a snowchain container attached to the stack's network reaches the peers through tasks.peer", async () => {
    const s = swarm();
    const out = await s.manager.dockerOk(
      ["run", "--rm", "--network", `${STACK}_default`, IMAGE, "status", "--addr", "tasks.peer:50051", "--json"],
      { timeoutMs: 60000 },
    );
    const slots = (await s.peers()).map((t) => `peer-${t.slot}`);
    expect(slots).toContain((JSON.parse(out) as { name: string }).name);
  });

  step("docker service scale load=1: the load task submits to every peer it finds through tasks.peer", async () => {
    const s = swarm();
    const peers = (await s.peers()).length;
    await s.scale("load", 1);
    let seen = "";
    await waitFor(
      `the load task to report entries acknowledged by ${peers} peers`,
      async () => {
        const logs = await s.manager.dockerOk(["service", "logs", "--raw", s.service("load")], { timeoutMs: 30000 });
        // "load 5.0s: submitted 100 ok 100 errors 0 inflight 0 | 20.0 ok/s | 6 peer(s)"
        seen = logs.trim().split("\n").pop() ?? "";
        const m = / ok (\d+) .*\| (\d+) peer\(s\)/.exec(seen);
        return { ok: m !== null && Number(m[1]) > 0 && Number(m[2]) === peers, detail: seen || "(no output yet)" };
      },
      60000,
      1000,
    );
    await s.scale("load", 0);
    info(seen);
  });

  step("a task's container killed: the swarm replaces it, and the new task syncs the chain and takes part", async () => {
    const s = swarm();
    const before = await s.peers();
    // One on the worker: its replacement may land on either node.
    const victim = before.find((t) => t.node !== s.manager)!;
    const height = (await s.status(victim)).height;
    expect(height).toBeGreaterThan(0);
    await victim.node.dockerOk(["kill", victim.containerId]);

    // The others go on meanwhile.
    const others = before.filter((t) => t !== victim);
    await s.submitVia(others[0]!, entryText("while a task is replaced"));

    const after = await waitReady(6);
    const replacement = after.find((t) => t.slot === victim.slot)!;
    expect(replacement.taskId).not.toBe(victim.taskId);
    expect(replacement.containerId).not.toBe(victim.containerId);
    // A new container with a new, empty volume: holding the chain means it fetched all of it.
    expect(replacement.dataVolume).not.toBe(victim.dataVolume);
    await waitConverged(after, "after the replacement");
    expect((await s.status(replacement)).height).toBeGreaterThan(height);
    await s.submitVia(replacement, entryText("via the replacement task"));
    await waitConverged(after, "after a submit through the replacement");
    info(`task ${victim.slot} replaced on ${replacement.node.name}`);
  });

  step("docker service scale to 8: the new tasks sync from the others, and Prometheus finds them", async () => {
    const s = swarm();
    const before = new Set((await s.peers()).map((t) => t.taskId));
    await s.scale("peer", 8);
    const all = await waitReady(8);
    expect(all.filter((t) => !before.has(t.taskId)).map((t) => t.slot)).toEqual([7, 8]);
    await waitConverged(all, "after scaling to 8");
    await waitPeerTargets(all);
    await s.submitVia(all[7]!, entryText("via a new task"));
    await waitConverged(all, "after a submit through a new task");
  });

  step("docker stack rm and engine swarm down leave nothing behind", async () => {
    const s = swarm();
    await s.remove();
    await waitFor(
      "nothing of the stack on either node",
      async () => {
        const left = await s.leftovers();
        return { ok: left.length === 0, detail: left.join(", ") };
      },
      60000,
    );
    stack = undefined;
    await runOk(engine, ["swarm", "down"], { timeoutMs: 180000 });
    expect((await runOk("docker", ["info", "--format", "{{.Swarm.LocalNodeState}}"])).trim()).toBe("inactive");
    // The second node is gone: its docker no longer answers.
    expect((await run(engine, ["swarm", "docker2", "info"], { timeoutMs: 30000 })).code).not.toBe(0);
    expect((await runOk("ip", ["netns", "list"])).split("\n").some((l) => l.split(" ")[0] === "swarm2")).toBe(false);
  });
});
