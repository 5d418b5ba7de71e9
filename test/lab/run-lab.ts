import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "dist", "src", "cli", "main.js");

export interface LabOutcome {
  code: number;
  out: string;
  /** results/<run>/ of the run. */
  dir: string;
}

/** `snowchain lab run` as a person runs it (the built CLI in a child process). */
export function runLab(args: readonly string[], results: string): Promise<LabOutcome> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "lab", "run", ...args, "--results", results, "--metrics-port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    child.on("close", (code) => {
      const dir = /lab: results in (\S+)/.exec(out)?.[1] ?? "";
      resolve({ code: code ?? -1, out, dir });
    });
  });
}
