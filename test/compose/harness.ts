/**
 * Plain docker / Compose commands for the compose test: nothing here is specific to one machine,
 * so the suite runs wherever `docker` talks to an engine and Compose is installed (v2 plugin or
 * docker-compose 1.29).
 */
import { run, runOk } from "../utils/exec";

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
