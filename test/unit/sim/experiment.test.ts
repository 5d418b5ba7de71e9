import { DecisionBook } from "../../../src/sim/book";
import { simBlock } from "../../../src/sim/blocks";
import { runExperiment } from "../../../src/sim/experiment";
import { experimentConfig, type ExperimentFlags } from "../../../src/sim/experiment-options";
import { reportJson } from "../../../src/sim/report";

const run = (flags: ExperimentFlags): string => {
  const config = experimentConfig(flags);
  return reportJson(config, runExperiment(config));
};

describe("snowchain simulate's runs", () => {
  it.each([
    ["lockstep", { nodes: "300", heights: "4", byzantine: "0.1", strategy: "balancing", drop: "0.02" }],
    ["async", { mode: "async", nodes: "40", heights: "2", byzantine: "0.1", strategy: "random", latency: "exp:10", drop: "0.02" }],
  ])("%s: the same seed gives the same JSON, another seed another", (_mode, flags) => {
    const a = run({ ...flags, seed: "7" });
    expect(run({ ...flags, seed: "7" })).toBe(a);
    expect(run({ ...flags, seed: "8" })).not.toBe(a);
    const { result } = JSON.parse(a) as { result: { decisions: { made: number } } };
    expect(result.decisions.made).toBeGreaterThan(0);
  });

  it("decides every height with no adversary, each node in at least β ÷ concurrent polls rounds", () => {
    const r = runExperiment(experimentConfig({ nodes: "500", heights: "5" }));
    expect(r.decisions).toEqual({ expected: 2500, made: 2500, missed: 0 });
    expect(r.conflictingHeights).toBe(0);
    expect(r.roundsPerDecision.count).toBe(2500);
    expect(r.roundsPerDecision.p50).toBeGreaterThanOrEqual(20 / 4);
    expect(r.pollsPerDecision.p50).toBeGreaterThanOrEqual(20);
  });

  it("reports a safety violation when β = 1 lets an even split decide both ways in one round", () => {
    const r = runExperiment(experimentConfig({ nodes: "1000", heights: "3", beta: "1", seed: "3", limit: "1000" }));
    expect(r.conflictingHeights).toBeGreaterThan(0);
    expect(r.forks).toBeGreaterThan(0);
    // With the defaults the same network never splits.
    expect(runExperiment(experimentConfig({ nodes: "1000", heights: "3", seed: "3" })).conflictingHeights).toBe(0);
  });

  it("counts what a full-information balancer keeps undecided at the limit as liveness failures", () => {
    const config = experimentConfig({ nodes: "400", heights: "3", byzantine: "0.25", strategy: "balancing-full", limit: "3000" });
    const r = runExperiment(config);
    expect(r.simulatedMs).toBeLessThanOrEqual(3000);
    expect(r.decisions.missed).toBeGreaterThan(0);
    expect(r.decisions.made + r.decisions.missed).toBe(300 * 3);
    expect(r.heightsDecided).toBeLessThan(3);
  });

  it("a limit shorter than β ÷ concurrent polls rounds leaves every decision missed", () => {
    const r = runExperiment(experimentConfig({ nodes: "50", heights: "2", round: "10", limit: "40" }));
    expect(r.decisions).toEqual({ expected: 100, made: 0, missed: 100 });
    expect(r.roundsPerDecision.count).toBe(0);
  });
});

describe("DecisionBook's safety counter", () => {
  it("counts a height where two honest nodes accepted different blocks once, and its first split as a fork", () => {
    const book = new DecisionBook(3, 2);
    const a1 = simBlock("1.0", 1, "genesis", "x");
    const b1 = simBlock("1.1", 1, "genesis", "y");
    book.accept(0, a1, 20, 5, 100);
    book.accept(1, a1, 20, 5, 100);
    expect(book.totals().conflictingHeights).toBe(0);
    book.accept(2, b1, 20, 5, 100);
    // Above the split the nodes follow different parents: a conflict, but not a new fork.
    book.accept(0, simBlock("2.0", 2, "1.0", "x"), 40, 10, 200);
    book.accept(2, simBlock("2.0/1", 2, "1.1", "y"), 40, 10, 200);
    expect(book.totals()).toMatchObject({ conflictingHeights: 2, forks: 1, decided: 5, expected: 6 });
  });
});
