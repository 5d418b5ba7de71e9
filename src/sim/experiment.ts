import type { SnowballParams } from "../consensus/types";
import type { ByzantineStrategy } from "./adversary";
import { DecisionBook, type BookTotals, type Summary } from "./book";
import type { LatencyModel } from "./latency";
import { LockstepSimulation } from "./lockstep";
import { Proposals } from "./proposals";
import { SeededRandom } from "./random";
import { Simulation } from "./simulation";

/**
 * How nodes take turns: `lockstep` is the papers' synchronous model (every node makes its
 * concurrent polls each round against the state at the round's start; lockstep.ts), `async`
 * the event-driven network of engines with concurrent polls and out-of-order replies
 * (simulation.ts).
 */
export const SCHEDULINGS = ["lockstep", "async"] as const;
export type Scheduling = (typeof SCHEDULINGS)[number];

/** One run of `snowchain simulate`, validated (experiment-options.ts). */
export interface ExperimentConfig {
  readonly scheduling: Scheduling;
  readonly nodes: number;
  readonly params: SnowballParams;
  /** Conflicting candidates at every height. */
  readonly candidates: number;
  /** Initial shares of the candidates among the honest nodes (sums to 1). */
  readonly split: readonly number[];
  /** Heights decided one after the other. */
  readonly heights: number;
  /** Byzantine nodes (the last ones): they poll honestly and answer by `strategy`. */
  readonly byzantine: number;
  readonly strategy: ByzantineStrategy;
  /** Share of messages lost, each way. */
  readonly drop: number;
  readonly latency: LatencyModel;
  /** async: a query unanswered this long is a dropped vote. */
  readonly timeoutMs: number;
  /** lockstep: the simulated length of a round (a mean round trip unless told otherwise). */
  readonly roundMs: number;
  readonly seed: number;
  /** Simulated time after which what is undecided counts as a liveness failure. */
  readonly limitMs: number;
}

/** What a run reports: deterministic for a config (no wall time in it). */
export interface ExperimentResult {
  readonly honest: number;
  /** Honest decisions the run was for (honest nodes × heights), made, and missed at the limit. */
  readonly decisions: { readonly expected: number; readonly made: number; readonly missed: number };
  /** Heights every honest node decided. */
  readonly heightsDecided: number;
  /** Safety: heights where two honest nodes accepted different blocks. */
  readonly conflictingHeights: number;
  /** Of those, the heights where honest nodes first split (the heights above a split follow different parents). */
  readonly forks: number;
  readonly pollsPerDecision: Summary;
  /** Rounds per decision (async: polls ÷ concurrent polls). */
  readonly roundsPerDecision: Summary;
  /** Simulated ms from a height's first candidate to each honest node's acceptance. */
  readonly finalityMs: Summary;
  readonly preferenceChanges: number;
  /** Simulated time the run took (the limit when it ran out). */
  readonly simulatedMs: number;
  /** Polls of every node that polls, byzantine ones included. */
  readonly polls: number;
}

/** Runs one experiment to the end or the limit. */
export function runExperiment(config: ExperimentConfig): ExperimentResult {
  return config.scheduling === "lockstep" ? runLockstep(config) : runAsync(config);
}

function runLockstep(c: ExperimentConfig): ExperimentResult {
  const sim = new LockstepSimulation({
    nodes: c.nodes,
    params: c.params,
    seed: c.seed,
    heights: c.heights,
    candidates: c.candidates,
    split: c.split,
    byzantine: c.byzantine,
    strategy: c.strategy,
    drop: c.drop,
    roundMs: c.roundMs,
  });
  const stats = sim.run(Math.floor(c.limitMs / c.roundMs));
  return result(sim.book.totals(), stats.simulatedMs, stats.polls);
}

function runAsync(c: ExperimentConfig): ExperimentResult {
  const honestFrom = c.nodes - c.byzantine;
  // The proposals exist before the nodes (their initial order reads them): a seed of their own.
  const seeds = new SeededRandom(c.seed);
  const proposals = new Proposals(seeds.int(2 ** 32), c.nodes, (i) => i < honestFrom, c.candidates, c.split, c.heights);
  const sim = new Simulation({
    nodes: c.nodes,
    params: c.params,
    seed: seeds.int(2 ** 32),
    byzantine: c.byzantine,
    strategy: c.strategy,
    drop: c.drop,
    latency: c.latency.draw,
    timeoutMs: c.timeoutMs,
    // Every block a node needs comes with the proposals (decideInTurn), as in lockstep.ts.
    fetchUnknown: false,
    initialOrder: (i) => proposals.initialOrder(i),
  });
  const book = new DecisionBook(honestFrom, c.heights);
  sim.decideInTurn(proposals, book);
  sim.start();
  sim.runSync({ until: () => book.allAccepted(c.heights), forMs: c.limitMs });
  const stats = sim.stats();
  return result(book.totals(), Math.min(stats.simulatedMs, c.limitMs), stats.polls);
}

function result(t: BookTotals, simulatedMs: number, polls: number): ExperimentResult {
  return {
    honest: t.honest,
    decisions: { expected: t.expected, made: t.decided, missed: t.expected - t.decided },
    heightsDecided: t.heightsDecided,
    conflictingHeights: t.conflictingHeights,
    forks: t.forks,
    pollsPerDecision: t.polls,
    roundsPerDecision: t.rounds,
    finalityMs: t.finalityMs,
    preferenceChanges: t.preferenceChanges,
    simulatedMs,
    polls,
  };
}
