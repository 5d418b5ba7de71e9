import type { Block, BlockId } from "../chain/types";

/** mean, p50, p99 and max of a sample; all NaN when it is empty. */
export interface Summary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Summarizes the first `n` values (sorts them in place). Percentiles are nearest-rank. */
export function summarize(values: Float64Array, n: number): Summary {
  if (n === 0) return { count: 0, mean: NaN, p50: NaN, p99: NaN, max: NaN };
  const v = values.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i]!;
  const rank = (p: number): number => v[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!;
  return { count: n, mean: sum / n, p50: rank(0.5), p99: rank(0.99), max: v[n - 1]! };
}

/** A growable sample of numbers. */
class Sample {
  values = new Float64Array(1024);
  n = 0;

  push(x: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = x;
  }
}

/** What a run's honest nodes decided, as the books say. */
export interface BookTotals {
  readonly honest: number;
  /** Honest decisions made: (node, height) pairs accepted. */
  readonly decided: number;
  /** Honest decisions the run was for: honest nodes × heights. */
  readonly expected: number;
  /** Heights every honest node accepted. */
  readonly heightsDecided: number;
  /** Heights at which two honest nodes accepted different blocks. */
  readonly conflictingHeights: number;
  /** Conflicts that are new: two honest nodes accepted different children of the same parent. */
  readonly forks: number;
  readonly preferenceChanges: number;
  readonly polls: Summary;
  readonly rounds: Summary;
  readonly finalityMs: Summary;
}

/**
 * The books of a run, kept as decisions happen, in O(1) each: per honest node and height the
 * polls and rounds it had made when it learnt the height's first candidate, and per decision how
 * many more it took; who accepted what, for safety. A "round" is a lock-step round; the
 * asynchronous simulator passes polls ÷ concurrent polls.
 */
export class DecisionBook {
  private readonly startPolls: Float64Array;
  private readonly startRounds: Float64Array;
  private readonly started: Uint8Array;
  /** When the first candidate of each height was made (ms of simulated time). */
  private readonly proposedMs: number[] = [0];
  private readonly acceptedCount: Int32Array;
  private readonly firstAccepted: (BlockId | undefined)[] = [];
  private readonly conflicting = new Set<number>();
  /** Parent id → the first child an honest node accepted on it; null once a second one was (counted). */
  private readonly childOf = new Map<BlockId, BlockId | null>();
  private forks = 0;
  private preferenceChanges = 0;
  private decided = 0;
  private readonly polls = new Sample();
  private readonly rounds = new Sample();
  private readonly finality = new Sample();

  constructor(
    /** Honest nodes, numbered 0.. by the caller. */
    readonly honest: number,
    readonly heights: number,
  ) {
    const cells = honest * (heights + 1);
    this.startPolls = new Float64Array(cells);
    this.startRounds = new Float64Array(cells);
    this.started = new Uint8Array(cells);
    this.acceptedCount = new Int32Array(heights + 1);
  }

  /** The first candidate of `height` was made now. */
  proposed(height: number, nowMs: number): void {
    if (height <= this.heights && this.proposedMs[height] === undefined) this.proposedMs[height] = nowMs;
  }

  /** Honest node `node` learnt its first candidate at `height` after `polls` polls and `rounds` rounds. */
  start(node: number, height: number, polls: number, rounds: number): void {
    if (height > this.heights) return;
    const cell = node * (this.heights + 1) + height;
    if (this.started[cell] === 1) return;
    this.started[cell] = 1;
    this.startPolls[cell] = polls;
    this.startRounds[cell] = rounds;
  }

  /** Honest node `node` accepted `block` with `polls` polls and `rounds` rounds made so far. */
  accept(node: number, block: Block, polls: number, rounds: number, nowMs: number): void {
    const h = block.height;
    if (h > this.heights) return;
    const cell = node * (this.heights + 1) + h;
    this.decided++;
    this.acceptedCount[h]!++;
    this.polls.push(polls - this.startPolls[cell]!);
    this.rounds.push(rounds - this.startRounds[cell]!);
    this.finality.push(nowMs - (this.proposedMs[h] ?? 0));
    const first = this.firstAccepted[h];
    if (first === undefined) this.firstAccepted[h] = block.id;
    else if (first !== block.id) this.conflicting.add(h);
    const sibling = this.childOf.get(block.parentId);
    if (sibling === undefined) this.childOf.set(block.parentId, block.id);
    else if (sibling !== null && sibling !== block.id) {
      this.forks++;
      this.childOf.set(block.parentId, null);
    }
  }

  changedPreferences(count: number): void {
    this.preferenceChanges += count;
  }

  /** Whether every honest node accepted `height`. */
  allAccepted(height: number): boolean {
    return this.acceptedCount[height] === this.honest;
  }

  totals(): BookTotals {
    let heightsDecided = 0;
    for (let h = 1; h <= this.heights; h++) if (this.allAccepted(h)) heightsDecided++;
    return {
      honest: this.honest,
      decided: this.decided,
      expected: this.honest * this.heights,
      heightsDecided,
      conflictingHeights: this.conflicting.size,
      forks: this.forks,
      preferenceChanges: this.preferenceChanges,
      polls: summarize(this.polls.values, this.polls.n),
      rounds: summarize(this.rounds.values, this.rounds.n),
      finalityMs: summarize(this.finality.values, this.finality.n),
    };
  }
}
