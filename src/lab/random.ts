/**
 * A seeded random source (mulberry32): the same seed gives the same schedule, targets and
 * nemesis on every machine, which is what makes `--seed` reproduce a run's faults.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** A whole number in [0, n). */
  int(n: number): number;
  /** A copy of `items` in a random order. */
  shuffle<T>(items: readonly T[]): T[];
  /** `k` distinct items of `items`, in a random order. */
  pick<T>(items: readonly T[], k: number): T[];
}

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return { next, int, shuffle, pick: (items, k) => shuffle(items).slice(0, k) };
}

/** A fresh seed when the user gives none (printed, so the run can be repeated). */
export function newSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
