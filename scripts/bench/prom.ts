/**
 * Just enough of the Prometheus text format for the benchmark: scrape a peer's /metrics, sum
 * counters, and take histograms apart (deltas between two scrapes, merged over peers, quantiles
 * interpolated the way PromQL's histogram_quantile does).
 */
import * as http from "node:http";

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export type LabelFilter = Readonly<Record<string, string>>;

/** A cumulative histogram: upper bound (le, Infinity for +Inf) → observations at or below it. */
export interface Histogram {
  readonly buckets: ReadonlyMap<number, number>;
  readonly sum: number;
  readonly count: number;
}

export const EMPTY_HISTOGRAM: Histogram = Object.freeze({ buckets: new Map<number, number>(), sum: 0, count: 0 });

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      for (const l of m[2].matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    out.push({ name: m[1]!, labels, value: parseValue(m[3]!) });
  }
  return out;
}

function parseValue(s: string): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  return Number(s);
}

// One keep-alive agent: a scrape of 50 peers should not open 50 new connections each time.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** GET http://host:port/metrics, parsed. Rejects on a non-200 answer or after timeoutMs. */
export function scrape(host: string, port: number, timeoutMs = 5000): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: "/metrics", agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`${host}:${port}/metrics answered ${res.statusCode}`));
        else resolve(parsePrometheusText(Buffer.concat(chunks).toString("utf8")));
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${host}:${port}/metrics: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** GET http://host:port/readyz: true on 200. */
export function ready(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: "/readyz", agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

export function closeAgent(): void {
  agent.destroy();
}

function matches(s: Sample, name: string, filter: LabelFilter): boolean {
  if (s.name !== name) return false;
  for (const [k, v] of Object.entries(filter)) if (s.labels[k] !== v) return false;
  return true;
}

/** Sum of every series of `name` whose labels include `filter`; 0 when there is none. */
export function total(samples: readonly Sample[], name: string, filter: LabelFilter = {}): number {
  let n = 0;
  for (const s of samples) if (matches(s, name, filter)) n += s.value;
  return n;
}

/** Sums per value of one label, e.g. calls per `method`. */
export function totalsBy(samples: readonly Sample[], name: string, label: string, filter: LabelFilter = {}): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (!matches(s, name, filter)) continue;
    const key = s.labels[label] ?? "";
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/** The histogram `base` (base_bucket, base_sum, base_count), summed over series matching `filter`. */
export function histogram(samples: readonly Sample[], base: string, filter: LabelFilter = {}): Histogram {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (!matches(s, `${base}_bucket`, filter)) continue;
    const le = parseValue(s.labels.le ?? "+Inf");
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return { buckets, sum: total(samples, `${base}_sum`, filter), count: total(samples, `${base}_count`, filter) };
}

/** What was observed between two scrapes of the same histogram. */
export function histDelta(after: Histogram, before: Histogram): Histogram {
  const buckets = new Map<number, number>();
  for (const [le, n] of after.buckets) buckets.set(le, Math.max(0, n - (before.buckets.get(le) ?? 0)));
  return { buckets, sum: after.sum - before.sum, count: Math.max(0, after.count - before.count) };
}

export function histMerge(hs: readonly Histogram[]): Histogram {
  const buckets = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const h of hs) {
    for (const [le, n] of h.buckets) buckets.set(le, (buckets.get(le) ?? 0) + n);
    sum += h.sum;
    count += h.count;
  }
  return { buckets, sum, count };
}

/**
 * The q-quantile as PromQL's histogram_quantile estimates it: linear interpolation inside the
 * bucket holding the rank (from 0 for the first bucket); in the +Inf bucket, the highest finite
 * bound. Undefined when nothing was observed. Only as fine as the buckets (1, 2.5, 5, 10, 25 ms...).
 */
export function histQuantile(h: Histogram, q: number): number | undefined {
  const les = [...h.buckets.keys()].sort((a, b) => a - b);
  const count = les.length > 0 ? h.buckets.get(les[les.length - 1]!)! : 0;
  if (count <= 0) return undefined;
  const rank = q * count;
  let prevLe = 0;
  let prevN = 0;
  for (const le of les) {
    const n = h.buckets.get(le)!;
    if (n >= rank) {
      if (le === Infinity) return prevLe;
      if (n === prevN) return le;
      return prevLe + ((le - prevLe) * (rank - prevN)) / (n - prevN);
    }
    prevLe = le;
    prevN = n;
  }
  return prevLe;
}

export function histMean(h: Histogram): number | undefined {
  return h.count > 0 ? h.sum / h.count : undefined;
}
