/**
 * Commands and waits for the suites that drive outside programs (docker, Compose, Swarm, kubectl):
 * run a command and get its code and output, poll a condition with a deadline.
 */
import { execFile } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command after this long. @default 60000 */
  timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. @default nothing (stdin left open) */
  input?: string;
}

const MAX_OUTPUT = 64 * 1024 * 1024;

/** Runs a command and resolves with its exit code and output; never rejects on a non-zero exit. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60000, maxBuffer: MAX_OUTPUT },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        let code = 0;
        if (e) {
          if (typeof e.code === "number") code = e.code;
          else code = 127; // spawn failure (ENOENT) or killed by the timeout
          if (e.killed) stderr += `\n(killed after ${opts.timeoutMs ?? 60000} ms)`;
          else if (typeof e.code === "string") stderr += `\n(${e.code}: ${e.message})`;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like run(), but throws with the command line and its output when it exits non-zero. */
export async function runOk(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) {
    throw new Error(`\`${[file, ...args].join(" ")}\` exited ${r.code}\n${tail(r.stderr || r.stdout, 40)}`);
  }
  return r.stdout;
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns { ok: true } or the deadline passes; then throws with what the
 * last check saw. A check that throws counts as not yet (its message is kept).
 */
export async function waitFor(
  what: string,
  check: () => Promise<{ ok: boolean; detail: string }>,
  timeoutMs: number,
  intervalMs = 500,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let detail = "(not checked yet)";
  for (;;) {
    try {
      const r = await check();
      if (r.ok) return;
      detail = r.detail;
    } catch (err) {
      detail = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${detail}`);
    await sleep(intervalMs);
  }
}

/** GET a URL and parse its JSON body. */
export async function getJson<T>(url: string, timeoutMs = 5000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** `promise`, or its error with `context()` (logs, say) appended to the message. */
export async function explained<T>(promise: Promise<T>, context: () => Promise<string>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${await context().catch((e: unknown) => String(e))}`);
  }
}
