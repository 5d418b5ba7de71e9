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

/** `snowchain lab run` as a person runs it (the built CLI in a child process); `onOutput` sees its output so far, as it comes. */
export function runLab(args: readonly string[], results: string, onOutput?: (out: string, pid: number) => void): Promise<LabOutcome> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "lab", "run", ...args, "--results", results, "--metrics-port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const take = (b: Buffer): void => {
      out += b.toString();
      onOutput?.(out, child.pid!);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("close", (code) => {
      const dir = /lab: results in (\S+)/.exec(out)?.[1] ?? "";
      resolve({ code: code ?? -1, out, dir });
    });
  });
}
