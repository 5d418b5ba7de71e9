import { InvalidArgumentError, type Command } from "commander";
import type { LabRunOptions } from "../../lab/cli";
import type { BackendName } from "../../lab/scenario";
import type { CliContext } from "../context";
import { CommandError, UsageError } from "../errors";
import { argParser, parseInteger } from "../options";

/**
 * The lab's code (and its schema and YAML libraries) is loaded only when a lab command runs:
 * every peer starts through this program, and must not pay for the lab in start-up or memory.
 */
const lab = (): Promise<typeof import("../../lab/cli")> => import("../../lab/cli");

/** As lab/scenario.ts BACKENDS (a test keeps them equal): listed here so `--help` needs no lab code. */
export const LAB_BACKENDS: readonly BackendName[] = ["local", "compose"];

interface RunFlags {
  seed?: number;
  results: string;
  backend?: BackendName;
  net: "transport" | "real";
  metricsPort?: number;
  metrics: boolean;
  peerCli?: string;
  project?: string;
}

/** A value from a fixed list (argParser treats a string result as an error message, so not it). */
function oneOf<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`expected ${allowed.join(" or ")}`);
  };
}

/** A LabError about the input (nothing was started) is a bad invocation (exit 2); the rest fail the run (1). */
async function labAction(fn: () => Promise<number> | number): Promise<void> {
  let code: number;
  try {
    code = await fn();
  } catch (err) {
    const { LabError } = await import("../../lab/errors");
    if (err instanceof LabError && ["BAD_SCENARIO", "BAD_TARGET", "UNSUPPORTED"].includes(err.code)) throw new UsageError(err.message);
    throw err;
  }
  if (code !== 0) throw new CommandError("the verdict is not a pass (see the table above)");
}

export function registerLab(program: Command, ctx: CliContext): void {
  const labCommand = program.command("lab").description("the fault lab: run a scenario of load and faults against a testnet it starts, and judge it");
  labCommand
    .command("run")
    .description("run SCENARIO (YAML): setup, start, load, perturb, wait, check, stop, cleanup; exit 0 only when every check passes")
    .argument("<scenario>", "the scenario file (see scenarios/)")
    .option("--seed <n>", "seed of every random choice (targets, nemesis); printed, so a run can be repeated", argParser((s) => parseInteger(s, 0, 2 ** 32 - 1)))
    .option("--results <dir>", "results/<run>/ goes here", "results")
    .option("--backend <name>", `run on this backend instead of the scenario's (${LAB_BACKENDS.join(", ")})`, oneOf(LAB_BACKENDS))
    .option("--net <how>", "network faults at the peers' transport (transport) or as real packet drops (real: needs root)", oneOf(["transport", "real"] as const), "transport")
    .option("--metrics-port <port>", "the lab's /metrics (snowchain_lab_fault_active); 0 picks a free port (default 9190)", argParser((s) => parseInteger(s, 0, 65535)))
    .option("--no-metrics", "do not serve /metrics")
    .option("--peer-cli <path>", "local backend: run the peers from this build of the snowchain CLI (e.g. a deliberately broken one)")
    .option("--project <name>", "compose backend: the Compose project name (default snowchain-lab-<pid>)")
    .action(async (file: string, flags: RunFlags) => {
      const opts: LabRunOptions = {
        results: flags.results,
        net: flags.net,
        noMetrics: !flags.metrics,
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        ...(flags.backend ? { backend: flags.backend } : {}),
        ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
        ...(flags.peerCli ? { peerCli: flags.peerCli } : {}),
        ...(flags.project ? { project: flags.project } : {}),
      };
      await labAction(async () =>
        (await lab()).labRun(file, opts, {
          out: (l) => ctx.out(l),
          err: (l) => ctx.err(l),
          onInterrupt: (h) => ctx.onInterrupt(h),
          // The second Ctrl-C: the user wants the lab gone now. Exit hooks still SIGKILL local peers.
          exitNow: (code) => process.exit(code),
          isRoot: () => process.getuid?.() === 0,
        }),
      );
    });
  labCommand
    .command("check")
    .description("the check stage again: verdict.json and report.html from a run's history.jsonl")
    .argument("<dir>", "a run's directory, results/<run>")
    .action(async (dir: string) => labAction(async () => (await lab()).labCheck(dir, { out: (l) => ctx.out(l), err: (l) => ctx.err(l) })));
  labCommand
    .command("clean")
    .description("remove what labs that were killed left behind: peer processes, Compose projects, data")
    .option("--results <dir>", "where the runs' state is kept", "results")
    .action(async (flags: { results: string }) => labAction(async () => (await lab()).labClean(flags.results, { out: (l) => ctx.out(l), err: (l) => ctx.err(l) })));
}
