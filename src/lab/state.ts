/**
 * What a running lab has started, on disk (results/.running/<run>.json), so that `snowchain lab
 * clean` can remove what a lab killed with SIGKILL (or a second Ctrl-C) left behind.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface RunState {
  readonly backend: string;
  readonly leftovers: Record<string, unknown>;
}

export interface StoredRunState extends RunState {
  readonly runId: string;
  readonly pid: number;
}

function stateDir(resultsDir: string): string {
  return path.join(path.resolve(resultsDir), ".running");
}

export function rememberRun(resultsDir: string, runId: string, state: RunState): void {
  const dir = stateDir(resultsDir);
  fs.mkdirSync(dir, { recursive: true });
  const stored: StoredRunState = { runId, pid: process.pid, ...state };
  fs.writeFileSync(path.join(dir, `${runId}.json`), `${JSON.stringify(stored)}\n`);
}

export function forgetRun(resultsDir: string, runId: string): void {
  fs.rmSync(path.join(stateDir(resultsDir), `${runId}.json`), { force: true });
}

export function rememberedRuns(resultsDir: string): StoredRunState[] {
  const dir = stateDir(resultsDir);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as StoredRunState);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
