import type { Random } from "../consensus/ports";

// Module-scope aliases: inside jest's vm context every global lookup (Math) is slow, and a
// simulation draws millions of numbers.
const { floor, imul } = Math;

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). Same seed, same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Random port over mulberry32, with the helpers a simulation keeps needing. */
export class SeededRandom implements Random {
  private readonly gen: () => number;

  constructor(seed: number) {
    this.gen = mulberry32(seed);
  }

  next(): number {
    return this.gen();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return floor(this.gen() * n);
  }

  chance(p: number): boolean {
    return this.gen() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
