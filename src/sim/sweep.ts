import { ErrorCode, SnowchainError } from "../errors";
import type { ExperimentConfig, ExperimentResult } from "./experiment";
import { SWEEPABLE, experimentConfig, type ExperimentFlags, type ExperimentOption } from "./experiment-options";
import { linePlot, type PlotSeries } from "./svg-plot";

/** One `--sweep option=v1,v2,...`. */
export interface Sweep {
  readonly option: ExperimentOption;
  readonly values: readonly string[];
}

function bad(message: string): never {
  throw new SnowchainError(ErrorCode.BAD_CONFIG, `--sweep: ${message}`, { option: "sweep" });
}

/** Parses `option=v1,v2,...`. @throws SnowchainError BAD_CONFIG naming --sweep */
export function parseSweep(text: string): Sweep {
  const m = /^([a-z-]+)=(.+)$/.exec(text.trim());
  if (m === null) bad(`${JSON.stringify(text)} is not OPTION=V1,V2,... (e.g. nodes=10,100,1000)`);
  const option = m[1] as ExperimentOption;
  if (!SWEEPABLE.includes(option)) bad(`${JSON.stringify(m[1])} cannot be swept (one of ${SWEEPABLE.join(", ")})`);
  const values = m[2]!.split(",").map((v) => v.trim());
  if (values.some((v) => v === "")) bad(`${JSON.stringify(text)} has an empty value`);
  if (new Set(values).size !== values.length) bad(`${JSON.stringify(text)} repeats a value`);
  return { option, values };
}

/** A sweep's value as a number for the x axis: 0.05, 5% or 100; NaN when it is not one. */
function numeric(value: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(value);
  return m === null ? NaN : Number(m[1]) / (m[2] === "%" ? 100 : 1);
}

/** One run of a sweep: where it is on the axes, and what it gave. */
export interface SweepRow {
  /** The first sweep's value (the x axis). */
  readonly x: string;
  /** The second sweep's value (one line per value), if there is a second sweep. */
  readonly series: string | undefined;
  readonly seed: number;
  readonly config: ExperimentConfig;
  readonly result: ExperimentResult;
}

/**
 * Every config of a sweep, validated before anything runs (a bad value fails at once, not after
 * minutes): the first sweep is the x axis, a second one gives a line per value, and each point
 * runs `seeds` times (seeds base, base + 1, ...).
 */
export function sweepConfigs(base: ExperimentFlags, sweeps: readonly Sweep[], seeds: number): Omit<SweepRow, "result">[] {
  if (sweeps.length === 0 || sweeps.length > 2) bad("give one or two (the x axis, then one line per value of the second)");
  const [axis, lines] = sweeps as [Sweep, Sweep | undefined];
  if (lines !== undefined && lines.option === axis.option) bad(`${axis.option} is swept twice`);
  if (axis.values.some((v) => Number.isNaN(numeric(v)))) bad(`the first sweep is the x axis and needs numbers: ${axis.option}=${axis.values.join(",")} (give ${axis.option} second)`);
  if (seeds > 1 && sweeps.some((s) => s.option === "seed")) bad("seed is swept and --seeds is above 1: one or the other");
  const rows: Omit<SweepRow, "result">[] = [];
  for (const series of lines?.values ?? [undefined]) {
    for (const x of axis.values) {
      const flags: ExperimentFlags = { ...base, [axis.option]: x, ...(lines && series !== undefined ? { [lines.option]: series } : {}) };
      const first = experimentConfig(flags);
      for (let i = 0; i < seeds; i++) {
        const config = i === 0 ? first : { ...first, seed: (first.seed + i) >>> 0 };
        rows.push({ x, series, seed: config.seed, config });
      }
    }
  }
  return rows;
}

const MEASURES = ["mean", "p50", "p99", "max"] as const;

/** The sweep as CSV: the swept options, the seed, then every figure of the run. */
export function sweepCsv(sweeps: readonly Sweep[], rows: readonly SweepRow[]): string {
  const header = [
    ...sweeps.map((s) => s.option),
    "seed",
    "nodes",
    "byzantine_nodes",
    "heights",
    ...["polls", "rounds", "finality_ms"].flatMap((m) => MEASURES.map((q) => `${m}_${q}`)),
    "decisions_expected",
    "decisions_missed",
    "missed_share",
    "conflicting_heights",
    "forks",
    "preference_changes",
    "simulated_ms",
  ];
  const lines = [header.join(",")];
  for (const { x, series, seed, config, result: r } of rows) {
    const figures = [r.pollsPerDecision, r.roundsPerDecision, r.finalityMs].flatMap((s) => MEASURES.map((q) => s[q]));
    const cells = [x, ...(series !== undefined ? [series] : []), seed, config.nodes, config.byzantine, config.heights, ...figures];
    cells.push(r.decisions.expected, r.decisions.missed, missedShare(r), r.conflictingHeights, r.forks, r.preferenceChanges, r.simulatedMs);
    lines.push(cells.map((c) => (typeof c === "number" ? (Number.isFinite(c) ? String(round6(c)) : "") : csvCell(String(c)))).join(","));
  }
  return `${lines.join("\n")}\n`;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function missedShare(r: ExperimentResult): number {
  return r.decisions.expected === 0 ? 0 : r.decisions.missed / r.decisions.expected;
}

/** Per line and x, the mean over seeds of `figure`. */
function seriesOf(rows: readonly SweepRow[], label: (series: string | undefined) => string, figure: (row: SweepRow) => number): PlotSeries[] {
  const lines = new Map<string | undefined, Map<number, number[]>>();
  for (const row of rows) {
    const byX = lines.get(row.series) ?? new Map<number, number[]>();
    lines.set(row.series, byX);
    const x = numeric(row.x);
    byX.set(x, [...(byX.get(x) ?? []), figure(row)]);
  }
  return [...lines].map(([series, byX]) => ({
    name: label(series),
    points: [...byX].sort((a, b) => a[0] - b[0]).map(([x, ys]) => [x, ys.reduce((a, b) => a + b, 0) / ys.length] as const),
  }));
}

/** The three plots of a sweep, by file name: rounds to decide, liveness failures, safety failures. */
export function sweepPlots(sweeps: readonly Sweep[], rows: readonly SweepRow[]): Map<string, string> {
  const [axis, lines] = sweeps as [Sweep, Sweep | undefined];
  const named = (suffix: string) => (series: string | undefined): string =>
    [lines && series !== undefined ? `${lines.option}=${series}` : undefined, suffix].filter((s) => s !== undefined && s !== "").join(" ") || "measured";
  const xLabel = axis.option === "byzantine" ? "byzantine share of the nodes" : axis.option;
  const logX = axis.option === "nodes";
  const rounds: PlotSeries[] = [
    ...seriesOf(rows, named("mean"), (r) => r.result.roundsPerDecision.mean),
    ...seriesOf(rows, named("p99"), (r) => r.result.roundsPerDecision.p99),
  ];
  // Amores-Sesar, Cachin, Schneider: Ω(log n / log k) rounds. A least-squares a + b·log10 N
  // through the means shows whether they grow like log N (a straight line on this axis).
  const means = rounds[0]?.points ?? [];
  if (logX && lines === undefined && means.length >= 3) {
    const { a, b } = fitLog(means);
    const round2 = (v: number): number => Math.round(v * 100) / 100;
    rounds.push({ name: `${round2(a)} + ${round2(b)}·log10 N`, reference: true, points: means.map(([x]) => [x, a + b * Math.log10(x)] as const) });
  }
  return new Map([
    ["rounds.svg", linePlot({ title: "Rounds to decide", xLabel, yLabel: "rounds per decision", series: rounds, logX })],
    [
      "liveness.svg",
      linePlot({ title: "Decisions not made before the limit", xLabel, yLabel: "share of honest decisions missed", series: seriesOf(rows, named(""), (r) => missedShare(r.result)), logX }),
    ],
    [
      "safety.svg",
      linePlot({ title: "Safety failures", xLabel, yLabel: "share of heights decided differently", series: seriesOf(rows, named(""), (r) => r.result.conflictingHeights / r.config.heights), logX }),
    ],
  ]);
}

/** Least squares y = a + b·log10(x). */
function fitLog(points: readonly (readonly [number, number])[]): { a: number; b: number } {
  const xs = points.map(([x]) => Math.log10(x));
  const ys = points.map(([, y]) => y);
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const b = sxx === 0 ? 0 : sxy / sxx;
  return { a: my - b * mx, b };
}
