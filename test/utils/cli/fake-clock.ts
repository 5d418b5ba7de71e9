import type { Timers } from "../../../src/cli/load/timers";

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/** Lets promise callbacks (completions of fake calls) run, without advancing any clock. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A stopped clock with timers: time moves only in advance(), which runs the timers that fall due
 * in order and lets promise callbacks run after each, so pacing is tested without sleeping.
 */
export class FakeClock implements Timers {
  nowMs: number;
  private pending: Pending[] = [];
  private nextId = 1;

  constructor(startMs = 1_000_000) {
    this.nowMs = startMs;
  }

  readonly now = (): number => this.nowMs;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.push({ id, at: this.nowMs + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }

  /** Timers still waiting. */
  get timerCount(): number {
    return this.pending.length;
  }

  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    await flushPromises();
    for (;;) {
      const due = this.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.nowMs = Math.max(this.nowMs, due.at);
      due.fn();
      await flushPromises();
    }
    this.nowMs = end;
    await flushPromises();
  }
}
