/** The command lines the backends run (docker, Compose, ip, iptables), and their output. */
import { spawn } from "node:child_process";
import { LabError } from "../errors";

export interface Exec {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs a command to its end (killed after timeoutMs), `input` on its stdin; never rejects on a non-zero exit. */
export function exec(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<Exec> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { env: opts.env ?? process.env, cwd: opts.cwd, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    // A command that exits before reading all its input makes the pipe fail: its exit code says what went wrong.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(opts.input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    const done = (code: number, extra = ""): void => {
      clearTimeout(timer);
      resolve({ code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() + extra });
    };
    child.once("error", (e) => done(127, `\n${e.message}`));
    child.once("close", (code, signal) => done(code ?? 128, signal ? `\n(killed by ${signal})` : ""));
  });
}

/** Like exec, but a non-zero exit is a LabError naming the command and its last output line. */
export async function execOk(cmd: string, args: readonly string[], opts: Parameters<typeof exec>[2] = {}): Promise<string> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) {
    const last = (r.err.trim() || r.out.trim()).split("\n").slice(-3).join(" / ");
    throw new LabError("BACKEND", `\`${cmd} ${args.join(" ")}\` exited ${r.code}: ${last}`);
  }
  return r.out;
}

/** `docker compose` (v2) when it answers, else docker-compose (1.29). */
export async function composeCommand(): Promise<string[]> {
  if ((await exec("docker", ["compose", "version", "--short"], { timeoutMs: 30_000 })).code === 0) return ["docker", "compose"];
  if ((await exec("docker-compose", ["version", "--short"], { timeoutMs: 30_000 })).code === 0) return ["docker-compose"];
  throw new LabError("UNSUPPORTED", "the compose backend needs Compose: neither `docker compose` nor `docker-compose` answers");
}

/** Lines of `docker … -q` output. */
export function ids(out: string): string[] {
  return out
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
