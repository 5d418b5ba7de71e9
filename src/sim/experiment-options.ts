import { ErrorCode, SnowchainError, isSnowchainError } from "../errors";
import { DEFAULT_SNOWBALL_PARAMS, validateSnowballParams } from "../consensus/params";
import type { SnowballParams } from "../consensus/types";
import { BYZANTINE_STRATEGIES, type ByzantineStrategy } from "./adversary";
import { SCHEDULINGS, type ExperimentConfig, type Scheduling } from "./experiment";
import { DEFAULT_LATENCY_SPEC, parseLatency } from "./latency";

/**
 * The options of `snowchain simulate` as typed on the command line (long names without the
 * dashes), before validation. Sweeps replace one of them per point and validate again, so a
 * swept value is checked exactly like a given one.
 */
export type ExperimentFlags = Partial<Record<ExperimentOption, string>>;

/** Every option an experiment has, with its default as the user would type it. */
export const EXPERIMENT_DEFAULTS = {
  mode: "lockstep",
  nodes: "1000",
  k: String(DEFAULT_SNOWBALL_PARAMS.k),
  "alpha-preference": String(DEFAULT_SNOWBALL_PARAMS.alphaPreference),
  "alpha-confidence": String(DEFAULT_SNOWBALL_PARAMS.alphaConfidence),
  beta: String(DEFAULT_SNOWBALL_PARAMS.beta),
  // Empty: avalanchego's 4, or β when β is below it (sweeps of β down to 1 need no second flag).
  "concurrent-polls": "",
  candidates: "2",
  // Empty: an even split over the candidates.
  split: "",
  heights: "100",
  byzantine: "0",
  // Empty: from --byzantine (a share).
  "byzantine-nodes": "",
  strategy: "balancing",
  drop: "0",
  latency: DEFAULT_LATENCY_SPEC,
  timeout: "100",
  // Empty: one mean round trip of --latency.
  round: "",
  seed: "1",
  // Empty: LIMIT_MS_PER_HEIGHT per height to decide.
  limit: "",
} as const;
export type ExperimentOption = keyof typeof EXPERIMENT_DEFAULTS;

/** The simulate options a sweep may vary (the rest hold commas or make no sense as an axis). */
export const SWEEPABLE: readonly ExperimentOption[] = [
  "mode",
  "nodes",
  "k",
  "alpha-preference",
  "alpha-confidence",
  "beta",
  "concurrent-polls",
  "candidates",
  "heights",
  "byzantine",
  "byzantine-nodes",
  "strategy",
  "drop",
  "timeout",
  "round",
  "seed",
];

/**
 * The default limit, per height: ~70 default lock-step rounds, 5× what an honest network of
 * 10,000 nodes takes at the p99. A stalled run goes to its limit, so this is its cost too.
 */
export const LIMIT_MS_PER_HEIGHT = 2000;

/** Largest --nodes: a lock-step round's arrays and one Consensus per node must fit in memory. */
const MAX_NODES = 1_000_000;
/** The snowball parameter behind each option, to name the option in validateSnowballParams' messages. */
const PARAM_OPTIONS: Readonly<Record<string, ExperimentOption>> = {
  SNOWBALL_K: "k",
  SNOWBALL_ALPHA_PREFERENCE: "alpha-preference",
  SNOWBALL_ALPHA_CONFIDENCE: "alpha-confidence",
  SNOWBALL_BETA: "beta",
  SNOWBALL_CONCURRENT_POLLS: "concurrent-polls",
};

/** A bad option: one line naming it (the CLI prints `error: <message>` and exits 2, as for a bad config). */
function bad(option: ExperimentOption | "sweep", message: string): never {
  throw new SnowchainError(ErrorCode.BAD_CONFIG, `--${option}: ${message}`, { option });
}

/** Turns the flags (defaults for those not given) into a validated ExperimentConfig. @throws SnowchainError BAD_CONFIG naming the option */
export function experimentConfig(given: ExperimentFlags): ExperimentConfig {
  const flags = { ...EXPERIMENT_DEFAULTS, ...given };
  const int = (option: ExperimentOption, min: number, max: number): number => {
    const text = flags[option].trim();
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) bad(option, `${JSON.stringify(flags[option])} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const ms = (option: ExperimentOption): number => {
    const n = /^\d+(\.\d+)?$/.test(flags[option].trim()) ? Number(flags[option]) : NaN;
    if (!(n > 0)) bad(option, `${JSON.stringify(flags[option])} must be a number of milliseconds > 0`);
    return n;
  };

  const scheduling = oneOf("mode", flags.mode, SCHEDULINGS) as Scheduling;
  const nodes = int("nodes", 1, MAX_NODES);
  const beta = int("beta", 0, 10_000);
  const params = snowballParams({
    k: int("k", 0, 10_000),
    alphaPreference: int("alpha-preference", 0, 10_000),
    alphaConfidence: int("alpha-confidence", 0, 10_000),
    beta,
    concurrentPolls: flags["concurrent-polls"] === "" ? Math.max(1, Math.min(DEFAULT_SNOWBALL_PARAMS.concurrentPolls, beta)) : int("concurrent-polls", 0, 10_000),
  });
  const candidates = int("candidates", 1, 255);
  const heights = int("heights", 1, 1_000_000);
  const byzantine = byzantineNodes(flags, nodes);
  const latency = parseLatency(flags.latency);
  if (typeof latency === "string") bad("latency", latency);
  const drop = share("drop", flags.drop);
  if (drop >= 1) bad("drop", `${flags.drop}: every message lost decides nothing (a share below 1)`);
  return {
    scheduling,
    nodes,
    params,
    candidates,
    split: splitOf(flags.split, candidates),
    heights,
    byzantine,
    strategy: oneOf("strategy", flags.strategy, BYZANTINE_STRATEGIES) as ByzantineStrategy,
    drop,
    latency,
    timeoutMs: ms("timeout"),
    roundMs: flags.round === "" ? 2 * latency.meanMs || 1 : ms("round"),
    seed: int("seed", 0, 2 ** 32 - 1),
    limitMs: flags.limit === "" ? heights * LIMIT_MS_PER_HEIGHT : ms("limit"),
  };
}

/** validateSnowballParams' rules (avalanchego's), its messages naming our options instead of the peer's variables. */
function snowballParams(p: SnowballParams): SnowballParams {
  try {
    return validateSnowballParams(p);
  } catch (err) {
    if (!isSnowchainError(err, ErrorCode.BAD_CONFIG)) throw err;
    const variable = String(err.fields.variable);
    const option = PARAM_OPTIONS[variable];
    if (option === undefined) throw err;
    return bad(option, err.message.replace(`${variable}=`, ""));
  }
}

function oneOf(option: ExperimentOption, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) bad(option, `${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
  return value;
}

/** A share: 0.05 or 5%, from 0 to 1. */
function share(option: ExperimentOption, text: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(text.trim());
  const n = m === null ? NaN : Number(m[1]) / (m[2] === "%" ? 100 : 1);
  if (!(n >= 0 && n <= 1)) bad(option, `${JSON.stringify(text)} must be a share from 0 to 1 (0.05 or 5%)`);
  return n;
}

/** --byzantine-nodes, else round(--byzantine × nodes); at least one node must stay honest. */
function byzantineNodes(flags: Record<ExperimentOption, string>, nodes: number): number {
  const count = flags["byzantine-nodes"].trim();
  if (count !== "") {
    const n = /^\d+$/.test(count) ? Number(count) : NaN;
    if (!Number.isSafeInteger(n)) bad("byzantine-nodes", `${JSON.stringify(count)} must be a whole number`);
    if (n >= nodes) bad("byzantine-nodes", `${n} byzantine of ${nodes} nodes leaves no honest node`);
    return n;
  }
  const s = share("byzantine", flags.byzantine);
  const n = Math.round(s * nodes);
  if (n >= nodes) bad("byzantine", `${flags.byzantine} of ${nodes} nodes leaves no honest node`);
  return n;
}

/** The initial split: empty for even, else one share per candidate (0.6,0.4 or 60%,40%), summing to 1. */
function splitOf(text: string, candidates: number): number[] {
  if (text.trim() === "") return Array.from({ length: candidates }, () => 1 / candidates);
  const shares = text.split(",").map((s) => share("split", s));
  if (shares.length !== candidates) bad("split", `${JSON.stringify(text)} has ${shares.length} shares for ${candidates} candidates`);
  const sum = shares.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9) bad("split", `${JSON.stringify(text)} adds up to ${sum}, not 1`);
  return shares;
}
