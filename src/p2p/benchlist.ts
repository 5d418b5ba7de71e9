/** Queries in a row a member must fail by timing out before it is benched. @default 3 */
const FAILS_TO_BENCH = 3;
/** How long a benched member's queries fail at once before one is let through again. @default 2000 */
const BENCH_MS = 2_000;

/**
 * Members that keep not answering, benched for a while: their queries fail at once (a dropped
 * vote, exactly what the timeout would have given) instead of holding a poll open for the whole
 * poll timeout. Without it one silent member in five (paused, cut off, or lying by silence) makes a
 * fifth of all polls wait their timeout — and since polls are applied in the order they were
 * issued, everything waits with them. After BENCH_MS one query goes through again; an answer
 * takes the member off the bench. Mirrors avalanchego's benchlist (snow/networking/benchlist),
 * with thresholds sized for a testnet (seconds, not minutes). Safety is untouched: a benched
 * member's votes are dropped, as a timeout drops them.
 */
export class Benchlist {
  private readonly failures = new Map<string, number>();
  private readonly benchedUntil = new Map<string, number>();

  constructor(private readonly onChange: (benched: number) => void = () => {}) {}

  /** Whether a query to `nodeId` should fail at once now. */
  isBenched(nodeId: string, nowMs: number): boolean {
    const until = this.benchedUntil.get(nodeId);
    if (until === undefined) return false;
    if (nowMs < until) return true;
    // Time is up: this query goes through; one more timeout benches it again at once.
    this.benchedUntil.delete(nodeId);
    this.failures.set(nodeId, FAILS_TO_BENCH - 1);
    this.onChange(this.benchedUntil.size);
    return false;
  }

  /** A query to `nodeId` timed out. */
  timedOut(nodeId: string, nowMs: number): void {
    const n = (this.failures.get(nodeId) ?? 0) + 1;
    this.failures.set(nodeId, n);
    if (n >= FAILS_TO_BENCH && !this.benchedUntil.has(nodeId)) {
      this.benchedUntil.set(nodeId, nowMs + BENCH_MS);
      this.onChange(this.benchedUntil.size);
    }
  }

  /** `nodeId` answered: it is not silent. */
  answered(nodeId: string): void {
    this.failures.delete(nodeId);
    if (this.benchedUntil.delete(nodeId)) this.onChange(this.benchedUntil.size);
  }

  /** A member left the membership. */
  forget(nodeId: string): void {
    this.answered(nodeId);
  }

  get size(): number {
    return this.benchedUntil.size;
  }
}
