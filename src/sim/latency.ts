import type { SeededRandom } from "./random";

/** One-way delay of a message in ms, drawn from the simulation's PRNG. */
export type Latency = (random: SeededRandom) => number;

/** A latency distribution with what the simulator needs to know about it besides drawing. */
export interface LatencyModel {
  readonly draw: Latency;
  /** The mean one-way delay in ms: a lock-step round lasts one mean round trip unless told otherwise. */
  readonly meanMs: number;
  /** The spec it was parsed from, normalized (printed with the results). */
  readonly spec: string;
}

/**
 * The default: 1–20 ms, and 3% of messages 20–250 ms, so some answers arrive after a 100 ms
 * poll timeout, as on a loaded network.
 */
export const DEFAULT_LATENCY_SPEC = "97%uniform:1-20+3%uniform:20-250";

const { exp, log, sqrt, cos, PI, max } = Math;

interface Part {
  readonly weight: number;
  readonly draw: Latency;
  readonly mean: number;
  readonly spec: string;
}

/**
 * Parses a latency distribution:
 *   fixed:MS | uniform:MIN-MAX | exp:MEAN | normal:MEAN,SD (cut at 0) | lognormal:MEDIAN,SIGMA
 * or a mixture of them joined by `+`, each with its share in percent (`97%uniform:1-20+3%exp:100`;
 * parts without a share split what the others leave). Returns the reason when it is not one.
 */
export function parseLatency(text: string): LatencyModel | string {
  const pieces = text.trim().split("+");
  const parsed: { share: number | undefined; part: Omit<Part, "weight"> }[] = [];
  for (const piece of pieces) {
    const m = /^(?:(\d+(?:\.\d+)?)%)?([a-z]+):(.*)$/.exec(piece.trim());
    if (m === null) return `${JSON.stringify(piece)} is not [P%]fixed:MS, uniform:MIN-MAX, exp:MEAN, normal:MEAN,SD or lognormal:MEDIAN,SIGMA`;
    const part = distribution(m[2]!, m[3]!);
    if (typeof part === "string") return part;
    parsed.push({ share: m[1] === undefined ? undefined : Number(m[1]) / 100, part });
  }
  const given = parsed.reduce((sum, p) => sum + (p.share ?? 0), 0);
  const unshared = parsed.filter((p) => p.share === undefined).length;
  if (given > 1 + 1e-9 || (unshared === 0 && Math.abs(given - 1) > 1e-9)) return `the shares of ${JSON.stringify(text)} must add up to 100%`;
  const parts: Part[] = parsed.map(({ share, part }) => ({ ...part, weight: share ?? (1 - given) / unshared }));
  const meanMs = parts.reduce((sum, p) => sum + p.weight * p.mean, 0);
  const spec = parts.length === 1 ? parts[0]!.spec : parts.map((p) => `${round6(p.weight * 100)}%${p.spec}`).join("+");
  if (parts.length === 1) return { draw: parts[0]!.draw, meanMs, spec };
  const cumulative = parts.map((_, i) => parts.slice(0, i + 1).reduce((s, p) => s + p.weight, 0));
  const draws = parts.map((p) => p.draw);
  const last = parts.length - 1;
  return {
    draw: (r) => {
      const u = r.next();
      let i = 0;
      while (i < last && u >= cumulative[i]!) i++;
      return draws[i]!(r);
    },
    meanMs,
    spec,
  };
}

function distribution(name: string, args: string): Omit<Part, "weight"> | string {
  const nums = args.split(/[-,]/).map((s) => (/^\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : NaN));
  const want = (n: number, shape: string): string | undefined =>
    nums.length === n && nums.every((x) => Number.isFinite(x)) ? undefined : `${name}:${args}: expected ${name}:${shape} (numbers ≥ 0)`;
  switch (name) {
    case "fixed": {
      const bad = want(1, "MS");
      if (bad) return bad;
      const [ms] = nums as [number];
      return { draw: () => ms, mean: ms, spec: `fixed:${ms}` };
    }
    case "uniform": {
      const bad = want(2, "MIN-MAX");
      if (bad) return bad;
      const [lo, hi] = nums as [number, number];
      if (hi < lo) return `uniform:${args}: MAX must not be below MIN`;
      return { draw: (r) => lo + r.next() * (hi - lo), mean: (lo + hi) / 2, spec: `uniform:${lo}-${hi}` };
    }
    case "exp": {
      const bad = want(1, "MEAN");
      if (bad) return bad;
      const [mean] = nums as [number];
      return { draw: (r) => -mean * log(1 - r.next()), mean, spec: `exp:${mean}` };
    }
    case "normal": {
      const bad = want(2, "MEAN,SD");
      if (bad) return bad;
      const [mean, sd] = nums as [number, number];
      // Cut at 0 (a message cannot arrive before it is sent); the mean shifts a little when sd is large.
      return { draw: (r) => max(0, mean + sd * gaussian(r)), mean, spec: `normal:${mean},${sd}` };
    }
    case "lognormal": {
      const bad = want(2, "MEDIAN,SIGMA");
      if (bad) return bad;
      const [median, sigma] = nums as [number, number];
      if (median <= 0) return `lognormal:${args}: MEDIAN must be > 0`;
      const mu = log(median);
      return { draw: (r) => exp(mu + sigma * gaussian(r)), mean: exp(mu + (sigma * sigma) / 2), spec: `lognormal:${median},${sigma}` };
    }
    default:
      return `unknown latency distribution ${JSON.stringify(name)} (fixed, uniform, exp, normal, lognormal)`;
  }
}

/** A standard normal draw (Box–Muller). */
function gaussian(r: SeededRandom): number {
  return sqrt(-2 * log(1 - r.next())) * cos(2 * PI * r.next());
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The default latency model (DEFAULT_LATENCY_SPEC). */
export const DEFAULT_LATENCY_MODEL: LatencyModel = parseLatency(DEFAULT_LATENCY_SPEC) as LatencyModel;
