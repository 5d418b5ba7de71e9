/** Plain docker commands shared by the container suites (test/compose, test/swarm). */
import { run, tail } from "./exec";

/** Throws a clear error when no Docker engine answers: a container suite must fail, never skip. */
export async function requireEngine(): Promise<string> {
  const r = await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 30000 });
  const version = r.stdout.trim();
  if (r.code !== 0 || version === "" || version.includes("<no value>")) {
    throw new Error(
      "No Docker engine answers (`docker info` failed), so this container suite cannot run.\n" +
        "Start one and run again (on the snowchain dev machines: ../shared/docker/engine start, then the stand-in images: see .ci/run).\n" +
        tail(r.stderr || r.stdout, 10),
    );
  }
  return version;
}

export async function volumeExists(name: string): Promise<boolean> {
  return (await run("docker", ["volume", "inspect", name], { timeoutMs: 30000 })).code === 0;
}
