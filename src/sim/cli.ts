/**
 * What `snowchain simulate` does, apart from command-line parsing (src/cli/commands/simulate.ts):
 * validate every config before anything runs, run one experiment or a sweep, print the report,
 * write a sweep's CSV and plots, and say what the run cost (wall time and peak RSS, on stderr:
 * stdout stays the same for the same seed).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { setFlagsFromString } from "node:v8";
import { ErrorCode, SnowchainError } from "../errors";
import { runExperiment } from "./experiment";
import { experimentConfig, type ExperimentFlags } from "./experiment-options";
import { reportJson, reportText } from "./report";
import { parseSweep, sweepConfigs, sweepCsv, sweepPlots, type SweepRow } from "./sweep";

export interface SimulateRequest {
  readonly flags: ExperimentFlags;
  readonly json: boolean;
  /** `option=v1,v2,...`, in order: the x axis, then (optionally) one line per value. */
  readonly sweeps: readonly string[];
  /** Runs per sweep point (seeds seed, seed + 1, ...). @default 1 */
  readonly seeds?: number;
  /** Where a sweep writes sweep.csv and its plots. */
  readonly out?: string;
}

export interface SimulateIo {
  out(line: string): void;
  err(line: string): void;
}

/**
 * The simulator allocates a short-lived Map per recorded poll (in Consensus, which it runs
 * unchanged): with V8's default 16 MiB young generation a third of a 10,000-node run went to
 * scavenges. A larger one halves the run and costs ~100 MiB. Set before the run allocates.
 */
const YOUNG_GENERATION_FLAG = "--max-semi-space-size=128";

/** `snowchain simulate`: 0 when it ran (whatever it found: failures are figures, not errors). */
export function simulate(req: SimulateRequest, io: SimulateIo): number {
  const started = process.hrtime.bigint();
  if (req.sweeps.length === 0) {
    if (req.out !== undefined) throw new SnowchainError(ErrorCode.BAD_CONFIG, "--out: only a sweep writes files (give --sweep)", { option: "out" });
    if ((req.seeds ?? 1) !== 1) throw new SnowchainError(ErrorCode.BAD_CONFIG, "--seeds: only a sweep runs several seeds (give --sweep)", { option: "seeds" });
    const config = experimentConfig(req.flags);
    setFlagsFromString(YOUNG_GENERATION_FLAG);
    const result = runExperiment(config);
    if (req.json) io.out(reportJson(config, result));
    else reportText(config, result).forEach((l) => io.out(l));
  } else {
    const sweeps = req.sweeps.map(parseSweep);
    if (req.out === undefined) throw new SnowchainError(ErrorCode.BAD_CONFIG, "--out: a sweep needs a directory for its CSV and plots", { option: "out" });
    const planned = sweepConfigs(req.flags, sweeps, req.seeds ?? 1);
    setFlagsFromString(YOUNG_GENERATION_FLAG);
    const rows: SweepRow[] = [];
    for (const [i, row] of planned.entries()) {
      const t0 = process.hrtime.bigint();
      const result = runExperiment(row.config);
      rows.push({ ...row, result });
      const where = [sweeps[0]!.option + "=" + row.x, row.series === undefined ? "" : `${sweeps[1]!.option}=${row.series}`, `seed ${row.seed}`].filter((s) => s !== "");
      io.err(`run ${i + 1}/${planned.length}: ${where.join(" ")}: ${seconds(process.hrtime.bigint() - t0)} s`);
      if (!req.json) io.out(`${where.join(" ")}: rounds/decision mean ${round2(result.roundsPerDecision.mean)}, missed ${result.decisions.missed}/${result.decisions.expected}, heights decided differently ${result.conflictingHeights}`);
    }
    fs.mkdirSync(req.out, { recursive: true });
    const files = new Map([["sweep.csv", sweepCsv(sweeps, rows)], ...sweepPlots(sweeps, rows)]);
    for (const [name, text] of files) fs.writeFileSync(path.join(req.out, name), text);
    if (req.json) io.out(JSON.stringify({ sweeps, rows: rows.map(({ config, ...rest }) => ({ ...rest, nodes: config.nodes })) }));
    else io.out(`wrote ${[...files.keys()].map((f) => path.join(req.out!, f)).join(", ")}`);
  }
  const usage = process.resourceUsage();
  // CPU time beside the wall time: on a shared machine the wall time says more about the neighbours.
  const cpuS = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  io.err(`simulate: wall ${seconds(process.hrtime.bigint() - started)} s (cpu ${cpuS.toFixed(1)} s), peak RSS ${Math.round(usage.maxRSS / 1024)} MiB`);
  return 0;
}

function seconds(ns: bigint): string {
  return (Number(ns / 1_000_000n) / 1000).toFixed(1);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
