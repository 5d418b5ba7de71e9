/**
 * Open-loop pacing at a fixed rate: slot k is due at `startMs + k * 1000 / ratePerSec`, whether
 * or not earlier calls have answered, so a slow network shows up as latency and errors instead
 * of silently lowering the offered load. Pure: the caller passes the time.
 */
export interface RatePacerOptions {
  /** Slots in the whole run; Infinity runs until stopped. @default Infinity */
  readonly limit?: number;
  /**
   * Most due slots kept waiting (for a free concurrency slot). Older ones are dropped and
   * reported as skipped, so a stall is not followed by a burst. @default one second's worth
   */
  readonly maxBacklog?: number;
}

export class RatePacer {
  private consumed = 0;
  private readonly limit: number;
  private readonly maxBacklog: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly startMs: number,
    opts: RatePacerOptions = {},
  ) {
    if (!(ratePerSec > 0)) throw new RangeError(`rate must be > 0, got ${ratePerSec}`);
    this.limit = opts.limit ?? Infinity;
    this.maxBacklog = Math.max(1, opts.maxBacklog ?? Math.ceil(ratePerSec));
  }

  /** Slots whose time has come by `nowMs`, from the start (capped at the limit). */
  scheduledBy(nowMs: number): number {
    if (nowMs < this.startMs) return 0;
    // The epsilon keeps a slot due at exactly its time despite floating-point rounding.
    const n = Math.floor(((nowMs - this.startMs) * this.ratePerSec) / 1000 + 1e-9) + 1;
    return Math.min(n, this.limit);
  }

  /**
   * Slots due now and not yet taken; when more than maxBacklog are waiting the oldest are
   * consumed as `skipped`.
   */
  poll(nowMs: number): { due: number; skipped: number } {
    let due = Math.max(0, this.scheduledBy(nowMs) - this.consumed);
    let skipped = 0;
    if (due > this.maxBacklog) {
      skipped = due - this.maxBacklog;
      this.consumed += skipped;
      due = this.maxBacklog;
    }
    return { due, skipped };
  }

  /** Marks `n` due slots as sent. */
  take(n: number): void {
    this.consumed += n;
  }

  /** When the first slot not yet taken is due. */
  nextDueMs(): number {
    return this.startMs + (this.consumed * 1000) / this.ratePerSec;
  }

  /** Every slot of a limited run was sent or skipped. */
  get exhausted(): boolean {
    return this.consumed >= this.limit;
  }
}
