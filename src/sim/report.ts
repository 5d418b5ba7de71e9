import type { Summary } from "./book";
import type { ExperimentConfig, ExperimentResult } from "./experiment";

/** A config as it is printed and written to JSON: plain values, the latency as its spec. */
export function describeConfig(c: ExperimentConfig): Record<string, unknown> {
  return {
    mode: c.scheduling,
    nodes: c.nodes,
    byzantine: c.byzantine,
    strategy: c.strategy,
    ...c.params,
    candidates: c.candidates,
    split: c.split,
    heights: c.heights,
    drop: c.drop,
    latency: c.latency.spec,
    ...(c.scheduling === "async" ? { timeoutMs: c.timeoutMs } : { roundMs: c.roundMs }),
    seed: c.seed,
    limitMs: c.limitMs,
  };
}

/** The one JSON object of `--json`: the config and what happened, the same for the same seed. */
export function reportJson(c: ExperimentConfig, r: ExperimentResult): string {
  return JSON.stringify({ config: describeConfig(c), result: r });
}

const pct = (x: number): string => `${round(100 * x, 3)}%`;

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function summaryLine(s: Summary, unit = ""): string {
  if (s.count === 0) return "none decided";
  const f = (x: number): string => `${round(x, 2)}${unit}`;
  return `mean ${f(s.mean)}  p50 ${f(s.p50)}  p99 ${f(s.p99)}  max ${f(s.max)}`;
}

/** The human report of one run, line by line. */
export function reportText(c: ExperimentConfig, r: ExperimentResult): string[] {
  const p = c.params;
  const network =
    c.scheduling === "async"
      ? `latency ${c.latency.spec} each way, poll timeout ${c.timeoutMs} ms`
      : `rounds of ${round(c.roundMs, 3)} ms`;
  const { expected, made, missed } = r.decisions;
  return [
    `${c.scheduling}: ${c.nodes} nodes (${c.byzantine === 0 ? "none byzantine" : `${c.byzantine} byzantine: ${c.strategy}`}), K=${p.k} αP=${p.alphaPreference} αC=${p.alphaConfidence} β=${p.beta}, ${p.concurrentPolls} concurrent polls`,
    `  ${c.heights} heights of ${c.candidates} candidates split ${c.split.map(pct).join("/")}, ${pct(c.drop)} of messages lost, ${network}, seed ${c.seed}, limit ${c.limitMs} ms`,
    `polls per decision    ${summaryLine(r.pollsPerDecision)}`,
    `rounds per decision   ${summaryLine(r.roundsPerDecision)}`,
    `time to finality      ${summaryLine(r.finalityMs, " ms")} (simulated)`,
    `liveness              ${made} of ${expected} honest decisions made; ${missed} not made before the limit (${pct(expected === 0 ? 0 : missed / expected)}); ${r.heightsDecided} of ${c.heights} heights decided by every honest node`,
    `safety                ${r.conflictingHeights} heights where two honest nodes decided differently (${r.forks} where they first split)`,
    `preference changes    ${r.preferenceChanges} (${round(r.preferenceChanges / Math.max(1, made), 3)} per decision)`,
    `simulated             ${round(r.simulatedMs, 1)} ms, ${r.polls} polls`,
  ];
}
