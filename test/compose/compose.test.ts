/**
 * The real image and docker-compose.yml under a real Docker engine, end to end: what a person
 * does with `docker compose up --scale peer=N`, checked step by step. Plain docker and Compose
 * commands only (v2 plugin or docker-compose 1.29); with no engine answering, the suite fails.
 *
 * Grafana is not started (it has no stand-in on the project's machines); its dashboards are proven
 * by the dashboards query test against a real Prometheus.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { findCompose, projectLeftovers, type ComposeCommand, type ContainerInfo } from "./harness";
import { IMAGE, buildImage, requireEngine, volumeExists } from "../utils/docker";
import { explained, run, runOk, sleep, waitFor } from "../utils/exec";
import { freePort } from "../utils/ports";
import { waitPrometheusTargets } from "../utils/prometheus";
import { Scenario } from "../utils/scenario";
import { waitConverged as waitConvergedOn } from "../utils/peer-cli";
import { ComposeTestnet, REPO_ROOT } from "./testnet";

/** Knobs the test runs with (docker-compose.yml defaults otherwise). */
const POLL_TIMEOUT_MS = 1000;
/** Small, so that a scale-down recovers within the test. */
const MEMBER_GRACE_MS = 5000;
/** Deadlines: generous for a 2-core machine running 7 replicas, never fixed sleeps. */
const HEALTHY_MS = 120000;
const CONVERGE_MS = 90000;
const PROMETHEUS_MS = 60000;

const PROJECT = `snowchainct${Date.now().toString(36)}${process.pid.toString(36)}`;

let compose: ComposeCommand | undefined;
let net: ComposeTestnet | undefined;
let bad: ComposeTestnet | undefined;
let promPort = 0;
/** Every entry text submitted so far: each must be in every chain exactly once. */
const texts: string[] = [];
function info(line: string): void {
  process.stdout.write(`compose test: ${line}\n`);
}

const scenario = new Scenario();
const step = scenario.step.bind(scenario);

function testnet(): ComposeTestnet {
  if (!net) throw new Error("the compose project was not set up (see the beforeAll error)");
  return net;
}

function entryText(label: string): string {
  const text = `${PROJECT} ${label} ${texts.length + 1}`;
  texts.push(text);
  return text;
}

function running(list: readonly ContainerInfo[]): ContainerInfo[] {
  return list.filter((c) => c.status === "running");
}

async function waitHealthy(expected: number): Promise<ContainerInfo[]> {
  const t = testnet();
  let last: ContainerInfo[] = [];
  await explained(
    waitFor(
      `${expected} healthy peer replicas`,
      async () => {
        last = await t.peers();
        const healthy = last.filter((c) => c.status === "running" && c.health === "healthy");
        const bad = last.find((c) => c.status === "exited" || c.status === "dead");
        if (bad) throw new Error(`replica ${bad.name} ${bad.status} (exit ${bad.exitCode})`);
        return {
          ok: last.length === expected && healthy.length === expected,
          detail: last.map((c) => `${c.name}=${c.status}/${c.health || "-"}`).join(" "),
        };
      },
      HEALTHY_MS,
      1000,
    ),
    async () => `--- logs ---\n${await t.logs(30)}`,
  );
  return last;
}

/** Every given replica has every submitted entry exactly once, and all their chains are identical. */
function waitConverged(replicas: readonly ContainerInfo[], why: string): Promise<void> {
  const t = testnet();
  return waitConvergedOn(replicas, (c) => `#${c.number}`, (c) => t.chain(c), texts, why, CONVERGE_MS);
}

/** Prometheus's peer targets (found through DNS, `peer`) are exactly these replicas, all up. */
async function waitPeerTargets(replicas: readonly ContainerInfo[]): Promise<void> {
  await waitPrometheusTargets(promPort, "peer", replicas.flatMap((c) => c.ips.map((ip) => `${ip}:9100`)), PROMETHEUS_MS);
}

/** Strips Compose's "peer_1  | " (v1) or "peer-1  | " (v2) prefix from `compose logs` lines. */
function logLines(output: string): string[] {
  return output
    .split("\n")
    .map((l) => /^\S+\s+\|\s?(.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined && l.trim() !== "");
}

beforeAll(async () => {
  const engine = await requireEngine();
  compose = await findCompose();
  info(`engine ${engine}, compose ${[compose.file, ...compose.prefix].join(" ")} ${compose.version}, project ${PROJECT}`);
  promPort = await freePort();
  net = new ComposeTestnet(compose, PROJECT, {
    POLL_TIMEOUT_MS: String(POLL_TIMEOUT_MS),
    MEMBER_GRACE_MS: String(MEMBER_GRACE_MS),
    PROMETHEUS_PORT: String(promPort),
  });
  bad = new ComposeTestnet(compose, `${PROJECT}bad`, { SNOWBALL_K: "abc", PROMETHEUS_PORT: String(promPort) });
}, 60000);

afterAll(async () => {
  if (scenario.broken !== undefined && net) {
    info(`"${scenario.broken}" failed; peer logs:\n${await net.logs(40).catch((e: unknown) => String(e))}`);
  }
  for (const t of [bad, net]) {
    if (!t) continue;
    await t.down();
    // Scale-downs leave the removed replicas' anonymous volumes behind (Compose never removes
    // them then); remove what a failed run left so no volume of the test survives it.
    for (const v of t.dataVolumes) if (await volumeExists(v)) await run("docker", ["volume", "rm", "-f", v]);
    t.dispose();
  }
}, 300000);

describe("the compose files", () => {
  test("Compose accepts docker-compose.yml, with grafana, prometheus, peer and the load profile", async () => {
    const t = testnet();
    await t.ok(["config", "--quiet"]);
    // docker-compose 1.29 lists profiled services too; v2 lists only the active profiles' ones.
    const services = (await t.ok(["config", "--services"])).split("\n").filter(Boolean);
    expect(services).toEqual(expect.arrayContaining(["grafana", "peer", "prometheus"]));
    const withLoad = (await t.ok(["--profile", "load", "config", "--services"])).split("\n").filter(Boolean).sort();
    expect(withLoad).toEqual(["byzantine", "grafana", "load", "peer", "prometheus"]);
    // `load` only runs when asked for: it sits behind its profile.
    expect(await t.ok(["config"])).toMatch(/\n {2}load:\n(?: {4}.*\n)*? {4}profiles:\n\s+- load\n/);
  });

  test("the Dockerfile passes the Dockerfile linter (dockerfile-utils) and the image rules", () => {
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8");
    // Loaded by name so that tsc does not need it; it is a devDependency.
    let validate: (content: string) => { message: string; severity?: number; range: { start: { line: number } } }[];
    try {
      ({ validate } = require("dockerfile-utils") as { validate: typeof validate });
    } catch {
      throw new Error("dockerfile-utils is not installed: it is a devDependency of snowchain (npm install)");
    }
    const problems = validate(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
    // A `# syntax=` line makes BuildKit fetch a frontend image from a registry.
    expect(dockerfile).not.toMatch(/^#\s*syntax\s*=/im);
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gim)].map((m) => m[1]);
    expect(new Set(bases)).toEqual(new Set(["node:20-bookworm-slim"]));
  });
});

describe("the testnet under Compose", () => {
  step(
    "the image builds and runs `snowchain` as a non-root user with a healthcheck",
    async () => {
      await buildImage(IMAGE, REPO_ROOT);
      const [img] = JSON.parse(await runOk("docker", ["image", "inspect", IMAGE])) as {
        Size: number;
        Config: {
          User: string;
          Entrypoint: string[] | null;
          Cmd: string[] | null;
          ExposedPorts: Record<string, unknown> | null;
          Volumes: Record<string, unknown> | null;
          Healthcheck?: { Test: string[] };
        };
      }[];
      expect(img!.Config.User).toBe("node");
      expect([...(img!.Config.Entrypoint ?? []), ...(img!.Config.Cmd ?? [])]).toEqual(["snowchain", "peer"]);
      expect(Object.keys(img!.Config.ExposedPorts ?? {}).sort()).toEqual(["50051/tcp", "9100/tcp"]);
      expect(Object.keys(img!.Config.Volumes ?? {})).toEqual(["/data"]);
      // Liveness: Swarm lists a task in DNS only once healthy (docker-compose.yml asks /readyz).
      expect(img!.Config.Healthcheck?.Test).toEqual(["CMD", "node", "/app/docker/healthcheck.js", "/healthz"]);
      const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version as string;
      const out = await runOk("docker", ["run", "--rm", "--network", "none", IMAGE, "--version"]);
      expect(out.trim()).toBe(version);
      info(`image ${IMAGE}: ${(img!.Size / 1e6).toFixed(1)} MB`);
    },
    900000,
  );

  step("the image on its own (no init): the peer is PID 1 and `docker stop` stops it cleanly", async () => {
    const name = `${PROJECT}-alone`;
    await runOk("docker", ["run", "-d", "--name", name, "--network", "none", IMAGE]);
    try {
      await waitFor(
        "the lone peer to answer status",
        async () => {
          await runOk("docker", ["exec", name, "snowchain", "status", "--json"]);
          return { ok: true, detail: "" };
        },
        60000,
      );
      const pid1 = await runOk("docker", ["exec", name, "cat", "/proc/1/cmdline"]);
      expect(pid1.split("\0")[0]).toBe("node");
      const started = Date.now();
      await runOk("docker", ["stop", "--time", "20", name]);
      expect(Date.now() - started).toBeLessThan(15000);
      const exitCode = (await runOk("docker", ["inspect", "-f", "{{.State.ExitCode}}", name])).trim();
      expect(exitCode).toBe("0");
    } finally {
      await run("docker", ["rm", "-f", "-v", name]);
    }
  });

  step("a bad environment variable: the peer exits at once with one line naming it", async () => {
    const b = bad!;
    await b.scalePeers(1);
    let c: ContainerInfo | undefined;
    await waitFor(
      "the misconfigured peer to exit",
      async () => {
        [c] = await b.peers();
        return { ok: c?.status === "exited", detail: c ? `${c.name} ${c.status}` : "no container" };
      },
      30000,
    );
    expect(c!.exitCode).not.toBe(0);
    const ranMs = Date.parse(c!.finishedAt) - Date.parse(c!.startedAt);
    expect(ranMs).toBeLessThan(10000);
    const lines = logLines((await b.run(["logs", "--no-color", "peer"])).stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("SNOWBALL_K");
    const down = await b.down();
    expect(down.code).toBe(0);
    expect(await projectLeftovers(b.project)).toEqual([]);
  });

  step("up --scale peer=5: every replica becomes healthy", async () => {
    await testnet().scalePeers(5, "prometheus");
    await waitHealthy(5);
  });

  step("Prometheus finds the 5 replicas through DNS and scrapes them", async () => {
    await waitPeerTargets(running(await testnet().peers()));
  });

  step("entries submitted through different replicas land once in every chain; all chains are identical", async () => {
    const t = testnet();
    const replicas = running(await t.peers());
    expect(replicas).toHaveLength(5);
    const results = await Promise.all(replicas.map((c) => t.submitVia(c.number, entryText(`via replica ${c.number}`))));
    for (const r of results) expect(r.height).toBeGreaterThan(0);
    await waitConverged(replicas, "after submits through every replica");
  });

  step("docker kill a replica: the others accept blocks; docker start: it catches up from its volume and takes part", async () => {
    const t = testnet();
    const [first, victim] = running(await t.peers());
    const before = await t.status(victim!);
    expect(before.height).toBeGreaterThan(0);
    await runOk("docker", ["kill", victim!.id]);

    // The network goes on without it (it is dropped after MEMBER_GRACE_MS).
    await t.submitVia(first!.number, entryText("while one replica is killed"));
    await waitConverged(running(await t.peers()), "with one replica killed");

    // Its chain is still in its volume...
    const files = await runOk("docker", [
      "run", "--rm", "--network", "none", "--volumes-from", victim!.id, "--entrypoint", "sh", IMAGE,
      "-c", "find /data -type f -size +0 | wc -l",
    ]);
    expect(Number(files.trim())).toBeGreaterThan(0);

    // ...and it starts from there: its height never goes back below what it had.
    await runOk("docker", ["start", victim!.id]);
    const restarted = await t.refresh(victim!);
    expect(restarted.dataVolume).toBe(victim!.dataVolume);
    let firstHeight = -1;
    await waitFor(
      "the restarted replica to answer status",
      async () => {
        firstHeight = (await t.status(restarted)).height;
        return { ok: true, detail: "" };
      },
      60000,
      100,
    );
    expect(firstHeight).toBeGreaterThanOrEqual(before.height);

    await waitHealthy(5);
    await waitConverged(running(await t.peers()), "after docker start");
    // It takes part again: an entry submitted through it is accepted everywhere.
    await t.submitVia(restarted.number, entryText("via the restarted replica"));
    await waitConverged(running(await t.peers()), "after a submit through the restarted replica");
  });

  step("docker pause a replica longer than the poll timeout: the network goes on and it catches up", async () => {
    const t = testnet();
    const replicas = running(await t.peers());
    const paused = replicas[2]!;
    const other = replicas[0]!;
    await runOk("docker", ["pause", paused.id]);
    const pausedAt = Date.now();
    try {
      await t.submitVia(other.number, entryText("while one replica is paused"));
      await waitConverged(replicas.filter((c) => c.id !== paused.id), "with one replica paused");
      // The fault itself lasts at least a few poll timeouts (this is its length, not a wait for a condition).
      const rest = 3 * POLL_TIMEOUT_MS - (Date.now() - pausedAt);
      if (rest > 0) await sleep(rest);
    } finally {
      await runOk("docker", ["unpause", paused.id]);
    }
    await waitConverged(running(await t.peers()), "after unpause");
    await waitHealthy(5);
  });

  step("scale to 7: the new replicas sync from genesis and Prometheus finds them", async () => {
    const t = testnet();
    const before = new Set((await t.peers()).map((c) => c.id));
    await t.scalePeers(7);
    const all = await waitHealthy(7);
    const added = all.filter((c) => !before.has(c.id));
    expect(added).toHaveLength(2);
    // They started with empty volumes: holding the same chain means they fetched all of it.
    await waitConverged(all, "after scaling to 7");
    await waitPeerTargets(all);
  });

  step("--scale byzantine=2 (equivocators): they join, Prometheus finds them, the honest replicas still agree and hold every entry once", async () => {
    const t = testnet();
    const liars = await t.scaleByzantine(2, "equivocator");
    expect(liars).toHaveLength(2);
    await waitPrometheusTargets(promPort, "byzantine", liars.flatMap((c) => c.ips.map((ip) => `${ip}:9100`)), PROMETHEUS_MS);
    const honest = running(await t.peers());
    // Through an equivocator: it proposes two blocks at the height, to two halves of its neighbours.
    await t.submitVia(1, entryText("through an equivocator"), 90, "byzantine");
    await t.submitVia(honest[0]!.number, entryText("beside two equivocators"), 90);
    await waitConverged(honest, "beside two equivocators");
    await t.scaleByzantine(0, "equivocator");
    for (const c of liars) if (c.dataVolume && (await volumeExists(c.dataVolume))) await runOk("docker", ["volume", "rm", c.dataVolume]);
  });

  step("scale to 4: after the grace period the network accepts blocks again", async () => {
    const t = testnet();
    const before = await t.peers();
    await t.scalePeers(4);
    const after = await waitHealthy(4);
    const kept = new Set(after.map((c) => c.id));
    const removed = before.filter((c) => !kept.has(c.id));
    expect(removed).toHaveLength(3);
    await t.submitVia(after[after.length - 1]!.number, entryText("after scaling to 4"), 90);
    await waitConverged(after, "after scaling to 4");
    await waitPeerTargets(after);
    // Compose (v1 and v2) leaves a scaled-down replica's anonymous volume behind: README says to
    // `docker volume prune`; here exactly those are removed.
    for (const c of removed) {
      if (c.dataVolume && (await volumeExists(c.dataVolume))) await runOk("docker", ["volume", "rm", c.dataVolume]);
    }
  });

  step("down -v leaves no container, network or volume of the project", async () => {
    const t = testnet();
    const r = await t.down();
    expect(r.code).toBe(0);
    expect(await projectLeftovers(t.project)).toEqual([]);
    const left: string[] = [];
    for (const v of t.dataVolumes) if (await volumeExists(v)) left.push(v);
    expect(left).toEqual([]);
  });
});
