import type { Command } from "commander";
import type { CliContext } from "../context";
import { argParser, parseInteger } from "../options";

/**
 * The simulator's code is loaded only when `simulate` runs: every peer starts through this
 * program, and must not pay for the simulator in start-up or memory.
 */
const sim = (): Promise<typeof import("../../sim/cli")> => import("../../sim/cli");

/**
 * The options of one experiment, as sim/experiment-options.ts EXPERIMENT_DEFAULTS names them (a
 * test keeps the two equal): listed here so `--help` needs no simulator code. Values are
 * validated there, all at once, so a sweep's values are checked exactly like these.
 */
export const SIMULATE_OPTIONS: readonly (readonly [flag: string, description: string])[] = [
  ["--mode <how>", "lockstep (the papers' synchronous rounds) or async (engines over a network with latency, concurrent polls, out-of-order replies) (default lockstep)"],
  ["--nodes <n>", "nodes in the network (default 1000)"],
  ["--k <n>", "sample size of a poll (default 20)"],
  ["--alpha-preference <n>", "votes that make a block the preference; K/2 < αP ≤ αC (default 15)"],
  ["--alpha-confidence <n>", "votes that raise confidence; αC ≤ K (default 15)"],
  ["--beta <n>", "consecutive confident polls that decide (default 20)"],
  ["--concurrent-polls <n>", "polls in flight per node; ≤ β (default 4, or β when smaller)"],
  ["--candidates <n>", "conflicting blocks at every height (default 2)"],
  ["--split <shares>", "the honest nodes' initial preferences over the candidates, e.g. 0.6,0.4 (default even)"],
  ["--heights <n>", "decisions to make, one height after the other (default 100)"],
  ["--byzantine <share>", "share of byzantine nodes, 0..1 or 5% (default 0)"],
  ["--byzantine-nodes <n>", "byzantine nodes as a count (instead of --byzantine)"],
  ["--strategy <name>", "how byzantine nodes answer: silent, random, contrarian, balancing, balancing-pooled, balancing-full (default balancing)"],
  ["--drop <share>", "share of messages lost, each way (default 0)"],
  ["--latency <dist>", "one-way delay (async; its mean sets a lock-step round): fixed:MS, uniform:MIN-MAX, exp:MEAN, normal:MEAN,SD, lognormal:MEDIAN,SIGMA or a mixture 97%uniform:1-20+3%uniform:20-250 (the default)"],
  ["--timeout <ms>", "async: a query unanswered this long is a dropped vote (default 100)"],
  ["--round <ms>", "lockstep: simulated length of a round (default one mean round trip of --latency)"],
  ["--seed <n>", "seed of every random choice: the same seed gives the same output (default 1)"],
  ["--limit <ms>", "simulated time after which what is undecided counts as a liveness failure (default 2000 per height)"],
];

interface SimulateCommandFlags extends Record<string, unknown> {
  json?: boolean;
  sweep: string[];
  seeds?: number;
  out?: string;
}

const kebab = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function registerSimulate(program: Command, ctx: CliContext): void {
  const command = program
    .command("simulate")
    .description("thousands of nodes in one process on the peers' own Snowball and byzantine behaviours: polls and rounds per decision, finality, liveness and safety failures (see docs/experiments.md)");
  for (const [flag, description] of SIMULATE_OPTIONS) command.option(flag, description);
  command
    .option("--json", "print one JSON object instead of text")
    .option("--sweep <option=values>", "run once per value, e.g. nodes=10,100,1000; a second --sweep draws one line per value (writes sweep.csv and SVG plots into --out)", (v: string, all: string[]) => [...all, v], [])
    .option("--seeds <n>", "sweep: runs per point, seeds seed, seed+1, ... (plots show their mean) (default 1)", argParser((s) => parseInteger(s, 1, 1000)))
    .option("--out <dir>", "sweep: the directory for sweep.csv, rounds.svg, liveness.svg and safety.svg")
    .action(async (opts: SimulateCommandFlags) => {
      const { json, sweep, seeds, out, ...rest } = opts;
      const flags = Object.fromEntries(Object.entries(rest).map(([k, v]) => [kebab(k), String(v)]));
      (await sim()).simulate(
        { flags, json: json === true, sweeps: sweep, ...(seeds !== undefined ? { seeds } : {}), ...(out !== undefined ? { out } : {}) },
        { out: (l) => ctx.out(l), err: (l) => ctx.err(l) },
      );
    });
}
