/** Exact latency quantiles of what the benchmark itself timed (every observation kept). */
export interface LatencySummary {
  readonly n: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
  readonly max?: number;
  readonly mean?: number;
  /** Observations that never completed (counted above every other, so a quantile may be Infinity). */
  readonly censored?: number;
}

export class LatencyRecorder {
  private readonly values: number[] = [];

  add(ms: number): void {
    this.values.push(ms);
  }

  get size(): number {
    return this.values.length;
  }

  /**
   * Nearest-rank quantiles, in the unit added (ms). `censored` observations that never finished
   * (entries never seen accepted) rank above all others: a quantile falling among them is
   * Infinity, and max is Infinity. The mean is over finished ones only.
   */
  summary(censored = 0): LatencySummary {
    const n = this.values.length;
    const all = n + censored;
    if (all === 0) return { n };
    const sorted = Float64Array.from(this.values).sort();
    const at = (q: number): number => {
      const rank = Math.min(all - 1, Math.max(0, Math.ceil(q * all) - 1));
      return rank < n ? sorted[rank]! : Infinity;
    };
    let sum = 0;
    for (const v of sorted) sum += v;
    const out: LatencySummary = {
      n,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      max: censored > 0 ? Infinity : sorted[n - 1],
      mean: n > 0 ? sum / n : undefined,
    };
    return censored > 0 ? { ...out, censored } : out;
  }
}
