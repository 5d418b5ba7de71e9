/**
 * `npm run bench -- --baseline PATH`: the same phases run against a baseline build and the current
 * one, interleaved in one invocation, and every figure printed for both with their ratio. Pure:
 * the order of the runs, the pairing of their figures and the table; bench.ts runs the networks.
 */
import type { IdleFigures, LoadFigures, Report } from "./report";
import { ms, num, pct } from "./report";

export type BuildName = "baseline" | "current";

/** One network run of the comparison: a build, one phase (its index in the phase list) and a round. */
export interface ScheduledRun {
  readonly build: BuildName;
  readonly phase: number;
  readonly round: number;
}

/**
 * The order of the runs: phase by phase, the two builds back to back, so both see the machine
 * in the same state; the build that goes first alternates from one pair to the next (baseline
 * idle, current idle, current light, baseline light, ...), so neither always runs on a machine
 * warmed, or loaded, by the other. `rounds` repeats the whole sequence.
 */
export function interleave(phases: number, rounds: number): ScheduledRun[] {
  const runs: ScheduledRun[] = [];
  let pair = 0;
  for (let round = 0; round < rounds; round++) {
    for (let phase = 0; phase < phases; phase++, pair++) {
      const order: BuildName[] = pair % 2 === 0 ? ["baseline", "current"] : ["current", "baseline"];
      for (const build of order) runs.push({ build, phase, round });
    }
  }
  return runs;
}

export type Unit = "ms" | "%" | "cores" | "MiB" | "/s" | "count";

/** Which way is better for a figure; undefined: context only (e.g. what other processes took). */
export type Better = "lower" | "higher" | undefined;

interface FigureSpec<F> {
  readonly name: string;
  readonly unit: Unit;
  readonly better: Better;
  readonly get: (f: F) => number | undefined;
}

const IDLE_FIGURES: readonly FigureSpec<IdleFigures>[] = [
  { name: "cpu per peer, mean", unit: "%", better: "lower", get: (f) => f.resources.cpuPercentPerPeer.mean },
  { name: "cpu per peer, max", unit: "%", better: "lower", get: (f) => f.resources.cpuPercentPerPeer.max },
  { name: "rss per peer, mean", unit: "MiB", better: "lower", get: (f) => f.resources.rssMiBPerPeer.mean },
  { name: "other processes", unit: "cores", better: undefined, get: (f) => f.resources.otherCores },
];

/** Peer CPU per accepted height: what a decision costs, whatever the rate. */
function cpuMsPerHeight(f: LoadFigures): number | undefined {
  return f.throughput.heightsPerSec > 0 ? (1000 * f.resources.cpuCoresTotal) / f.throughput.heightsPerSec : undefined;
}

const LOAD_FIGURES: readonly FigureSpec<LoadFigures>[] = [
  { name: "finality p50 (client)", unit: "ms", better: "lower", get: (f) => f.finalityMs.p50 },
  { name: "finality p95 (client)", unit: "ms", better: "lower", get: (f) => f.finalityMs.p95 },
  { name: "finality p99 (client)", unit: "ms", better: "lower", get: (f) => f.finalityMs.p99 },
  { name: "ack p50 (client)", unit: "ms", better: "lower", get: (f) => f.ackMs.p50 },
  { name: "ack p99 (client)", unit: "ms", better: "lower", get: (f) => f.ackMs.p99 },
  { name: "entries acked", unit: "/s", better: "higher", get: (f) => f.entries.ackedPerSec },
  { name: "entries accepted", unit: "/s", better: "higher", get: (f) => f.throughput.entriesAcceptedPerSec },
  { name: "unseen after drain", unit: "count", better: "lower", get: (f) => f.entries.unseenAfterDrain },
  { name: "entries per block", unit: "count", better: "higher", get: (f) => f.throughput.entriesPerBlock },
  { name: "blocks rejected per peer", unit: "/s", better: "lower", get: (f) => f.throughput.blocksRejectedPerSec },
  { name: "QueryStream msgs per height", unit: "count", better: "lower", get: (f) => f.calls.queryMessagesPerHeight },
  { name: "polls per height per peer", unit: "count", better: "lower", get: (f) => f.calls.pollsPerHeightPerPeer },
  { name: "submit calls", unit: "/s", better: undefined, get: (f) => f.submit.callsPerSec.Submit + f.submit.callsPerSec.SubmitBatch },
  { name: "entries per submit call", unit: "count", better: undefined, get: (f) => f.submit.entriesPerCall },
  { name: "cpu, all peers", unit: "cores", better: "lower", get: (f) => f.resources.cpuCoresTotal },
  { name: "peer cpu per accepted height", unit: "ms", better: "lower", get: cpuMsPerHeight },
  { name: "rss per peer, mean", unit: "MiB", better: "lower", get: (f) => f.resources.rssMiBPerPeer.mean },
  { name: "bench cpu", unit: "%", better: undefined, get: (f) => f.resources.benchCpuPercent },
  { name: "other processes", unit: "cores", better: undefined, get: (f) => f.resources.otherCores },
];

export interface ComparisonRow {
  readonly phase: string;
  readonly figure: string;
  readonly unit: Unit;
  readonly better: Better;
  /** Median over the rounds that measured it; undefined when none did. */
  readonly baseline?: number;
  readonly current?: number;
  /** current / baseline; undefined when either is missing, infinite, or the baseline is 0. */
  readonly ratio?: number;
  /** For the reader: "better", "worse", "≈" (within SAME_WITHIN), or "" (context figure, or no ratio). */
  readonly verdict: "better" | "worse" | "≈" | "";
}

/** A ratio this close to 1 reads as "≈": run-to-run noise on a shared machine is at least this. */
export const SAME_WITHIN = 0.05;

/** The median of the defined, non-NaN values; undefined when there are none. */
export function median(xs: readonly (number | undefined)[]): number | undefined {
  const v = xs.filter((x): x is number => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

export function ratioOf(baseline: number | undefined, current: number | undefined): number | undefined {
  if (baseline === undefined || current === undefined || !Number.isFinite(baseline) || !Number.isFinite(current) || baseline === 0) return undefined;
  return current / baseline;
}

function verdictOf(ratio: number | undefined, better: Better): ComparisonRow["verdict"] {
  if (ratio === undefined || better === undefined) return "";
  if (Math.abs(ratio - 1) <= SAME_WITHIN) return "≈";
  return (ratio < 1) === (better === "lower") ? "better" : "worse";
}

function rowsOf<F>(phase: string, specs: readonly FigureSpec<F>[], base: readonly F[], cur: readonly F[]): ComparisonRow[] {
  return specs.map((s) => {
    const baseline = median(base.map(s.get));
    const current = median(cur.map(s.get));
    // "never" (an entry not accepted at all) is a real outcome: keep it rather than a median of the rest.
    const never = (fs: readonly F[]): boolean => fs.some((f) => s.get(f) === Infinity);
    const b = never(base) ? Infinity : baseline;
    const c = never(cur) ? Infinity : current;
    const ratio = ratioOf(b, c);
    return { phase, figure: s.name, unit: s.unit, better: s.better, baseline: b, current: c, ratio, verdict: verdictOf(ratio, s.better) };
  });
}

/**
 * Pairs the figures of the baseline's reports with the current build's, phase by phase (idle,
 * then each load phase by its label, in the order they appear), one row per figure with the
 * median over rounds and the ratio. A phase measured by only one build still gets its rows.
 */
export function compareReports(baseline: readonly Report[], current: readonly Report[]): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const idles = (rs: readonly Report[]): IdleFigures[] => rs.flatMap((r) => (r.idle ? [r.idle] : []));
  if (idles(baseline).length + idles(current).length > 0) rows.push(...rowsOf("idle", IDLE_FIGURES, idles(baseline), idles(current)));
  const labels: string[] = [];
  for (const r of [...baseline, ...current]) for (const f of r.load) if (!labels.includes(f.label)) labels.push(f.label);
  const loads = (rs: readonly Report[], label: string): LoadFigures[] => rs.flatMap((r) => r.load.filter((f) => f.label === label));
  for (const label of labels) rows.push(...rowsOf(label, LOAD_FIGURES, loads(baseline, label), loads(current, label)));
  return rows;
}

export function formatValue(x: number | undefined, unit: Unit): string {
  if (x === undefined || Number.isNaN(x)) return "-";
  switch (unit) {
    case "ms":
      return ms(x);
    case "%":
      return pct(x, 2);
    case "cores":
      return x.toFixed(2);
    case "MiB":
      return `${x.toFixed(0)} MiB`;
    case "/s":
      return `${num(x, x < 100 ? 1 : 0)}/s`;
    case "count":
      return num(x, x < 100 && !Number.isInteger(x) ? 1 : 0);
  }
}

export function formatRatio(r: number | undefined): string {
  if (r === undefined) return "-";
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

export interface ComparisonHeader {
  readonly baseline: { readonly path: string; readonly commit?: string };
  readonly current: { readonly path: string; readonly commit?: string };
  readonly peers: number;
  readonly rounds: number;
  readonly loadAvgAtStart: readonly number[];
}

/** The side-by-side table: one line per figure, phases separated by a blank line. */
export function formatComparison(h: ComparisonHeader, rows: readonly ComparisonRow[]): string {
  const who = (b: ComparisonHeader["baseline"]): string => `${b.commit ?? "?"} (${b.path})`;
  const lines = [
    `== comparison: baseline ${who(h.baseline)} vs current ${who(h.current)} ==`,
    `  ${h.peers} peers; each phase on a fresh network per build, the two back to back, ${h.rounds} round(s)${h.rounds > 1 ? " (medians)" : ""}; load average at start ${h.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")}`,
  ];
  const widths = { phase: 12, figure: 30, value: 12 };
  const cell = (s: string, w: number): string => s.padEnd(w);
  const right = (s: string, w: number): string => s.padStart(w);
  lines.push(
    "",
    `  ${cell("phase", widths.phase)}${cell("figure", widths.figure)}${right("baseline", widths.value)}${right("current", widths.value)}${right("current/baseline", 18)}`,
  );
  let last = "";
  for (const r of rows) {
    if (last !== "" && r.phase !== last) lines.push("");
    lines.push(
      `  ${cell(r.phase === last ? "" : r.phase, widths.phase)}${cell(r.figure, widths.figure)}${right(formatValue(r.baseline, r.unit), widths.value)}${right(formatValue(r.current, r.unit), widths.value)}${right(formatRatio(r.ratio), 18)}${r.verdict ? `  ${r.verdict}` : ""}`.trimEnd(),
    );
    last = r.phase;
  }
  return `${lines.join("\n")}\n`;
}
