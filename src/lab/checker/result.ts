/**
 * A checker's answer, as Jepsen's checkers give theirs: valid true, false or "unknown" (nothing
 * could be judged), plus what was expected and what was seen, in words a person reads in the
 * verdict table, and details for verdict.json.
 */
export type Validity = true | false | "unknown";

export interface CheckResult {
  /** The row's name in the verdict table: "safety", "entries", "liveness during f1 (kill peer-3)". */
  readonly check: string;
  readonly valid: Validity;
  readonly expected: string;
  readonly observed: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface Verdict {
  readonly valid: Validity;
  readonly results: readonly CheckResult[];
}

/** Jepsen's compose: false if any is false, else unknown if any is unknown, else true. */
export function composeResults(results: readonly CheckResult[]): Verdict {
  const valid: Validity = results.some((r) => r.valid === false) ? false : results.some((r) => r.valid === "unknown") ? "unknown" : true;
  return { valid, results };
}

/** "f1 10.0–20.0s". */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** "12", "12–30", "12, 14, 20–22". */
export function ranges(heights: readonly number[]): string {
  const hs = [...new Set(heights)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < hs.length; ) {
    let j = i;
    while (j + 1 < hs.length && hs[j + 1] === hs[j]! + 1) j++;
    parts.push(i === j ? `${hs[i]}` : `${hs[i]}–${hs[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}
