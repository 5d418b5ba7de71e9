/**
 * The lab undoes what it did on Ctrl-C, dies at once on a second Ctrl-C, and `lab clean` removes
 * what such a lab left: real runs, real signals, and a look at every process on the machine.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { waitFor } from "../utils/wait";
import { ROOT } from "./run-lab";

const CLI = path.join(ROOT, "dist", "src", "cli", "main.js");

/** Live processes whose command line mentions `needle` (the run's own directory). */
function processesMentioning(needle: string): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/environ`, "utf8").includes(needle) && Number(d) !== process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function startLab(results: string): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [CLI, "lab", "run", "scenarios/kill-minority.yaml", "--seed", "3", "--results", results, "--no-metrics"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

describe("a lab run interrupted", () => {
  let results: string;
  beforeEach(() => (results = fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-lab-int-"))));
  afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

  it("by one Ctrl-C ends its faults, stops every peer and removes its network, with no verdict", async () => {
    const lab = startLab(results);
    await waitFor("the lab to start perturbing", () => (/f1 start/.test(lab.output()) ? true : undefined), 60_000, 100);
    expect(processesMentioning(results).length).toBeGreaterThan(0);
    lab.child.kill("SIGINT");
    const exit = await lab.exited;
    expect(lab.output()).toMatch(/interrupted: ending the faults and stopping the network/);
    expect(exit.code).toBe(1);
    expect(processesMentioning(results)).toEqual([]);
    expect(fs.readdirSync(path.join(results, ".running"))).toEqual([]);
    const dir = /lab: results in (\S+)/.exec(lab.output())![1]!;
    expect(fs.existsSync(path.join(dir, "net"))).toBe(false);
  });

  it("by a second Ctrl-C dies at once; its peers die with it, and `lab clean` removes what is left", async () => {
    const lab = startLab(results);
    await waitFor("the lab to start perturbing", () => (/perturbing/.test(lab.output()) ? true : undefined), 60_000, 100);
    lab.child.kill("SIGINT");
    // Signals sent back to back can arrive as one: the second press comes once the first is seen.
    await waitFor("the lab to take the first Ctrl-C", () => (/interrupted:/.test(lab.output()) ? true : undefined), 10_000, 20);
    lab.child.kill("SIGINT");
    const exit = await lab.exited;
    expect(exit.code).toBe(130);
    expect(lab.output()).toMatch(/killed at once: run `snowchain lab clean`/);
    // The peers hold the lab's end of a pipe on stdin: they stop when it dies, whatever killed it.
    await waitFor("every peer of the killed lab to exit", () => (processesMentioning(results).length === 0 ? true : undefined), 20_000, 100);
    expect(fs.readdirSync(path.join(results, ".running"))).toHaveLength(1);
    const clean = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [CLI, "lab", "clean", "--results", results], { cwd: ROOT });
      let out = "";
      c.stdout.on("data", (b: Buffer) => (out += b.toString()));
      c.on("exit", () => resolve(out));
    });
    expect(clean).toMatch(/cleaned 1 run\(s\)/);
    expect(fs.readdirSync(path.join(results, ".running"))).toEqual([]);
    const dir = /lab: results in (\S+)/.exec(lab.output())![1]!;
    expect(fs.existsSync(path.join(dir, "net"))).toBe(false);
  });
});
