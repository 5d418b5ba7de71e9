/** Plain docker commands shared by the container suites (test/compose, test/swarm). */
import * as fs from "node:fs";
import { run, runOk, tail } from "./exec";

/** The image the repository's Dockerfile builds, under the name docker-compose.yml and docker-stack.yml use. */
export const IMAGE = "snowchain:local";

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

/** `docker build` of the repository's Dockerfile (host network: `npm ci` needs the registry). */
export async function buildImage(image: string, context: string): Promise<void> {
  await runOk("docker", ["build", "--force-rm", "--network", "host", "-t", image, context], { timeoutMs: 900000 });
}

/**
 * This process's environment less every variable a Compose or stack file reads (its `${NAME...}`)
 * and `also`: the container suites run with these cleared and set the few they need, so that a
 * developer's shell does not change what is tested.
 */
export function environmentWithout(file: string, also: readonly string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const m of fs.readFileSync(file, "utf8").matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) delete env[m[1]!];
  for (const name of also) delete env[name];
  return env;
}
