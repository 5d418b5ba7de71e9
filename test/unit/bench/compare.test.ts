import { compareReports, formatComparison, formatRatio, formatValue, interleave, median, ratioOf, type ComparisonRow } from "../../../scripts/bench/compare";
import type { IdleFigures, LoadFigures, Report, ResourceFigures } from "../../../scripts/bench/report";

function resources(cpuCoresTotal: number, cpuPercentMean: number, otherCores = 0.1): ResourceFigures {
  return {
    cpuPercentPerPeer: { min: cpuPercentMean, mean: cpuPercentMean, max: cpuPercentMean },
    cpuCoresTotal,
    rssMiBPerPeer: { min: 70, mean: 70, max: 70 },
    machineCores: cpuCoresTotal + otherCores,
    otherCores,
    eventLoopLagP99Ms: 1,
    benchCpuPercent: 5,
  };
}

function idle(cpuPercent: number): IdleFigures {
  return { seconds: 10, resources: resources(cpuPercent / 10, cpuPercent), polls: 0, callsByMethod: {}, targetCpuPercent: 1, targetMet: cpuPercent < 1 };
}

const HIST = { count: 1, p50: 1, p95: 1, p99: 1, mean: 1 };

/** A load phase's figures: what the comparison reads, the rest plausible constants. */
function load(label: string, f: { p50: number; p99?: number; accepted: number; heightsPerSec?: number; cores?: number; entriesPerCall?: number }): LoadFigures {
  return {
    label,
    mode: label === "saturation" ? "max" : "rate",
    concurrency: 512,
    submitPeers: 10,
    observer: 0,
    windowSec: 17,
    drainSec: 1,
    entries: { sent: 100, acked: 100, failed: 0, errorsByReason: {}, seenAccepted: 100, unseenAfterDrain: 0, ackedPerSec: f.accepted },
    finalityMs: { n: 100, p50: f.p50, p95: f.p50 * 2, p99: f.p99 ?? f.p50 * 3, max: f.p50 * 4, mean: f.p50 },
    ackMs: { n: 100, p50: 5, p95: 8, p99: 10, max: 12, mean: 5 },
    peerFinalityMs: HIST,
    pollDurationMs: HIST,
    queryRttMs: HIST,
    queryServeMs: HIST,
    target: { beta: 20, concurrentPolls: 4 },
    throughput: {
      entriesAcceptedPerSec: f.accepted,
      blocksAcceptedPerSec: f.heightsPerSec ?? 10,
      heightsPerSec: f.heightsPerSec ?? 10,
      entriesPerBlock: f.accepted / (f.heightsPerSec ?? 10),
      blocksRejectedPerSec: 0,
      targetEntriesPerSec: 10_000,
    },
    calls: {
      queryMessagesPerHeight: 600,
      queryMessagesPerHeightPerPeer: 60,
      queryMessagesPerSec: 6000,
      queryErrors: 0,
      pollsPerHeightPerPeer: 20,
      failedPollShare: 0,
      votesDroppedPerPoll: 0,
      preferenceChanges: 0,
      byMethod: {},
    },
    submit: {
      batch: 100,
      unbatchedPeers: 0,
      callsPerSec: { Submit: 0, SubmitBatch: f.accepted / (f.entriesPerCall ?? 1) },
      entriesPerCall: f.entriesPerCall ?? 1,
      servedMs: { Submit: HIST, SubmitBatch: HIST },
      newEntriesPerSec: f.accepted,
    },
    sync: { blocksFetched: 0, peersSyncingAtEnd: 0 },
    mempool: { sumAtEnd: 0, maxAtEnd: 0 },
    peersMeasured: 10,
    resources: resources(f.cores ?? 1, (100 * (f.cores ?? 1)) / 10),
    benchLoopDelayP99Ms: 1,
  };
}

function report(commit: string, idleCpu: number | undefined, ...loads: LoadFigures[]): Report {
  return {
    meta: {
      date: "2026-01-01T00:00:00.000Z",
      host: "vm",
      cpus: 2,
      cpuModel: "test",
      memoryGiB: 8,
      node: "v20",
      commit,
      peers: 10,
      snowball: { k: 20, alphaPreference: 15, alphaConfidence: 15, beta: 20, concurrentPolls: 4 },
      env: {},
      entryBytes: 128,
      startupSec: 2,
      loadAvgAtStart: [1, 1, 1],
    },
    exited: [],
    idle: idleCpu === undefined ? undefined : idle(idleCpu),
    load: loads,
  };
}

function row(rows: readonly ComparisonRow[], phase: string, figure: string): ComparisonRow {
  const r = rows.find((x) => x.phase === phase && x.figure === figure);
  if (!r) throw new Error(`no row ${phase} / ${figure}`);
  return r;
}

describe("the comparison's run order", () => {
  it("runs each phase for both builds back to back, alternating which goes first", () => {
    expect(interleave(3, 1).map((r) => `${r.build[0]}${r.phase}`)).toEqual(["b0", "c0", "c1", "b1", "b2", "c2"]);
  });

  it("repeats the sequence per round, carrying the alternation on", () => {
    const runs = interleave(1, 3);
    expect(runs.map((r) => `${r.build[0]}${r.round}`)).toEqual(["b0", "c0", "c1", "b1", "b2", "c2"]);
    expect(runs.every((r) => r.phase === 0)).toBe(true);
  });
});

describe("pairing and ratios", () => {
  it("pairs idle with idle and each load phase with the one of the same label", () => {
    const base = report("cc32c5c", 1.2, load("load", { p50: 40, accepted: 20 }), load("saturation", { p50: 3000, accepted: 1500 }));
    const cur = report("abc1234", 0.6, load("load", { p50: 30, accepted: 20 }), load("saturation", { p50: 1500, accepted: 6000 }));
    const rows = compareReports([base], [cur]);
    expect([...new Set(rows.map((r) => r.phase))]).toEqual(["idle", "load", "saturation"]);
    expect(row(rows, "idle", "cpu per peer, mean")).toMatchObject({ baseline: 1.2, current: 0.6, ratio: 0.5, verdict: "better" });
    expect(row(rows, "load", "finality p50 (client)")).toMatchObject({ baseline: 40, current: 30, ratio: 0.75, verdict: "better" });
    expect(row(rows, "saturation", "entries accepted")).toMatchObject({ baseline: 1500, current: 6000, ratio: 4, verdict: "better" });
    expect(row(rows, "load", "entries accepted")).toMatchObject({ ratio: 1, verdict: "≈" });
  });

  it("says worse by each figure's own direction, and nothing for context figures", () => {
    const rows = compareReports(
      [report("a", undefined, load("saturation", { p50: 1000, accepted: 6000, cores: 1 }))],
      [report("b", undefined, load("saturation", { p50: 2000, accepted: 3000, cores: 1.5 }))],
    );
    expect(row(rows, "saturation", "finality p50 (client)").verdict).toBe("worse");
    expect(row(rows, "saturation", "entries accepted").verdict).toBe("worse");
    expect(row(rows, "saturation", "cpu, all peers")).toMatchObject({ ratio: 1.5, verdict: "worse" });
    expect(row(rows, "saturation", "other processes").verdict).toBe("");
  });

  it("derives the peers' CPU per accepted height", () => {
    const rows = compareReports(
      [report("a", undefined, load("load", { p50: 1, accepted: 20, heightsPerSec: 20, cores: 1.4 }))],
      [report("b", undefined, load("load", { p50: 1, accepted: 20, heightsPerSec: 10, cores: 0.35 }))],
    );
    expect(row(rows, "load", "peer cpu per accepted height")).toMatchObject({ baseline: 70, current: 35, ratio: 0.5 });
  });

  it("takes the median over rounds, and keeps 'never' when any round had an entry never accepted", () => {
    const b = [1, 5, 3].map((p50) => report("a", undefined, load("load", { p50, accepted: 20 })));
    const c = [2, 4].map((p50) => report("b", undefined, load("load", { p50, p99: p50 === 4 ? Infinity : 10, accepted: 20 })));
    const rows = compareReports(b, c);
    expect(row(rows, "load", "finality p50 (client)")).toMatchObject({ baseline: 3, current: 3, ratio: 1 });
    expect(row(rows, "load", "finality p99 (client)")).toMatchObject({ current: Infinity, ratio: undefined, verdict: "" });
  });

  it("keeps a phase only one build measured, without a ratio", () => {
    const rows = compareReports([report("a", 1)], [report("b", undefined, load("load", { p50: 30, accepted: 20 }))]);
    expect(row(rows, "idle", "cpu per peer, mean")).toMatchObject({ baseline: 1, current: undefined, ratio: undefined });
    expect(row(rows, "load", "finality p50 (client)")).toMatchObject({ baseline: undefined, current: 30, ratio: undefined });
  });

  it("has no ratio against a baseline of 0", () => {
    expect(ratioOf(0, 5)).toBeUndefined();
    expect(ratioOf(2, 0)).toBe(0);
    expect(ratioOf(undefined, 1)).toBeUndefined();
    expect(median([undefined, NaN])).toBeUndefined();
    expect(median([4, 1, undefined, 2, 3])).toBe(2.5);
  });
});

describe("the comparison table", () => {
  it("formats each value in its unit and the ratio as a factor", () => {
    expect(formatValue(41.4, "ms")).toBe("41 ms");
    expect(formatValue(2540, "ms")).toBe("2.54 s");
    expect(formatValue(Infinity, "ms")).toBe("never");
    expect(formatValue(0.726, "%")).toBe("0.73 %");
    expect(formatValue(1.434, "cores")).toBe("1.43");
    expect(formatValue(12_345.6, "/s")).toBe("12,346/s");
    expect(formatValue(6.2, "/s")).toBe("6.2/s");
    expect(formatValue(648.4, "count")).toBe("648");
    expect(formatValue(undefined, "count")).toBe("-");
    expect(formatRatio(0.5)).toBe("0.50×");
    expect(formatRatio(12.34)).toBe("12.3×");
    expect(formatRatio(undefined)).toBe("-");
  });

  it("prints a header naming both builds, then one aligned line per figure, phases apart", () => {
    const rows = compareReports([report("cc32c5c", 1.2, load("load", { p50: 40, accepted: 20 }))], [report("abc1234", 0.6, load("load", { p50: 30, accepted: 20 }))]);
    const text = formatComparison(
      { baseline: { path: "/work/wt/baseline", commit: "cc32c5c" }, current: { path: "/work/wt/submit", commit: "abc1234" }, peers: 10, rounds: 1, loadAvgAtStart: [3.5, 2, 1] },
      rows,
    );
    const lines = text.split("\n");
    expect(lines[0]).toBe("== comparison: baseline cc32c5c (/work/wt/baseline) vs current abc1234 (/work/wt/submit) ==");
    expect(lines[1]).toContain("load average at start 3.50 2.00 1.00");
    expect(lines).toContain("  idle        cpu per peer, mean                  1.20 %      0.60 %             0.50×  better");
    expect(lines).toContain("  load        finality p50 (client)                40 ms       30 ms             0.75×  better");
    expect(lines).toContain("              finality p95 (client)                80 ms       60 ms             0.75×  better");
    // A blank line between phases.
    expect(lines[lines.findIndex((l) => l.startsWith("  load")) - 1]).toBe("");
  });
});
