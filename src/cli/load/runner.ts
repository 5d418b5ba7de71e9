import { statusName } from "../../wire/status";
import { isServiceError } from "../errors";
import { RatePacer } from "./pacer";
import type { Timers } from "./timers";

/** Per entry of a batch: undefined when acknowledged, else the reason it was refused. */
export type BatchOutcome = readonly (string | undefined)[];

/** Somewhere to send entries: one peer. */
export interface LoadTarget {
  readonly addr: string;
  submit(data: Buffer): Promise<unknown>;
  /** True while several entries may go to this peer in one submitBatch call. @default false */
  readonly batches?: boolean;
  /** Several entries in one call; rejects when the call as a whole failed. */
  submitBatch?(data: readonly Buffer[]): Promise<BatchOutcome>;
}

export interface LoadOptions {
  /** Entries per second offered (open loop). */
  readonly ratePerSec: number;
  /** Seconds to run; undefined runs until stop(). */
  readonly durationSec?: number;
  /** Most calls in flight at once; due entries beyond wait for a free slot. */
  readonly concurrency: number;
  /**
   * Most entries in one call. Entries due together (several per wake-up at a high rate, or
   * queued behind a full concurrency) share a submitBatch call to a peer that takes one; an
   * entry due alone goes by itself in a plain submit, as it does with 1. @default 1
   */
  readonly batch?: number;
  /**
   * With batch > 1: after sending, wait at least this long before the next send, so entries
   * due meanwhile share one call (they wait up to this long; below one entry per linger, none
   * waits at all). @default 0
   */
  readonly lingerMs?: number;
  /** How often a progress report is made. @default 5000 */
  readonly reportEveryMs?: number;
}

export interface LoadDeps {
  now(): number;
  readonly timers: Timers;
  /** A random peer, or undefined when none is known (counted as an error "no address"). */
  pickTarget(): LoadTarget | undefined;
  /** The data of the seq-th entry of this run: unique per run. */
  makeData(seq: number): Buffer;
  /** Progress every reportEveryMs, and once at the end with final = true. */
  report(stats: LoadStats, final: boolean): void;
  /** How many peers are known now (reported). @default 0 */
  targetCount?(): number;
  /** Most entries the caller lets go out now, beyond concurrency (a bound on a backlog); call wake() once it grew. @default unbounded */
  room?(): number;
  /** Each entry's outcome: undefined when acknowledged, else the reason (as in errorsByReason). */
  settled?(seq: number, reason: string | undefined): void;
}

export interface LoadStats {
  elapsedMs: number;
  /** Entries sent (or attempted with no address known). */
  submitted: number;
  /** Entries a peer acknowledged into its mempool. */
  ok: number;
  /** Calls made, by method (Submit: one entry; SubmitBatch: up to `batch`). */
  calls: { Submit: number; SubmitBatch: number };
  errors: number;
  /** Due entries dropped because concurrency stayed full for more than the backlog allows. */
  skipped: number;
  inflight: number;
  /** Errors by gRPC status name (or error code). */
  errorsByReason: Record<string, number>;
  /** Peers known when the stats were taken. */
  targets: number;
}

export const DEFAULT_REPORT_EVERY_MS = 5000;

/** Drives a load run: paces submissions, bounds concurrency, counts outcomes. */
export class LoadRunner {
  private readonly pacer: RatePacer;
  private readonly startMs: number;
  private seq = 0;
  private inflight = 0;
  private submitted = 0;
  private ok = 0;
  private skipped = 0;
  private readonly calls = { Submit: 0, SubmitBatch: 0 };
  private readonly batch: number;
  private readonly errorsByReason = new Map<string, number>();
  private pumpTimer: unknown;
  private reportTimer: unknown;
  private stopping = false;
  private finished = false;
  private resolveDone!: (stats: LoadStats) => void;
  private readonly done: Promise<LoadStats>;

  constructor(
    private readonly opts: LoadOptions,
    private readonly deps: LoadDeps,
  ) {
    this.startMs = deps.now();
    this.batch = Math.max(1, opts.batch ?? 1);
    const limit = opts.durationSec === undefined ? Infinity : Math.ceil(opts.durationSec * opts.ratePerSec - 1e-9);
    this.pacer = new RatePacer(opts.ratePerSec, this.startMs, {
      limit,
      maxBacklog: Math.max(opts.concurrency, Math.ceil(opts.ratePerSec)),
    });
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Starts sending; resolves with the final stats once stopped and every call has settled. */
  run(): Promise<LoadStats> {
    this.scheduleReport();
    this.pump();
    return this.done;
  }

  /** Sends what is due now if it was held back by `room` (call when room grew). */
  wake(): void {
    if (!this.stopping && !this.finished && this.pumpTimer === undefined) this.pump();
  }

  /** Stops sending new entries; run() resolves when the calls in flight settle. */
  stop(): void {
    this.stopping = true;
    this.clearPump();
    this.maybeFinish();
  }

  stats(): LoadStats {
    const errorsByReason = Object.fromEntries(this.errorsByReason);
    return {
      elapsedMs: this.deps.now() - this.startMs,
      submitted: this.submitted,
      ok: this.ok,
      calls: { ...this.calls },
      errors: [...this.errorsByReason.values()].reduce((a, b) => a + b, 0),
      skipped: this.skipped,
      inflight: this.inflight,
      errorsByReason,
      targets: this.deps.targetCount?.() ?? 0,
    };
  }

  private pump(): void {
    this.clearPump();
    if (this.stopping) return;
    const now = this.deps.now();
    const { due, skipped } = this.pacer.poll(now);
    this.skipped += skipped;
    let left = Math.min(due, Math.max(0, this.deps.room?.() ?? Infinity));
    let sent = 0;
    // One call per free slot at most, also for entries that find no peer (they fail at once).
    for (let slots = this.opts.concurrency - this.inflight; left > 0 && slots > 0; slots--) {
      const n = this.launch(left);
      left -= n;
      sent += n;
    }
    this.pacer.take(sent);
    if (this.pacer.exhausted) return this.stop();
    // Concurrency or room is full: the next completion (or wake()) pumps again.
    if (due > sent) return;
    const linger = this.batch > 1 ? (this.opts.lingerMs ?? 0) : 0;
    const wait = Math.max(1, linger, Math.ceil(this.pacer.nextDueMs() - now));
    this.pumpTimer = this.deps.timers.setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, wait);
  }

  /** One call with up to `most` entries (one unless the target batches); returns how many it took. */
  private launch(most: number): number {
    const target = this.deps.pickTarget();
    const n = target?.batches && target.submitBatch ? Math.min(most, this.batch) : 1;
    const first = this.seq;
    this.seq += n;
    this.submitted += n;
    if (!target) {
      this.outcomes(first, ["no address"]);
      return n;
    }
    this.inflight++;
    let call: Promise<BatchOutcome>;
    try {
      if (n === 1) {
        this.calls.Submit++;
        call = target.submit(this.deps.makeData(first)).then(() => [undefined]);
      } else {
        this.calls.SubmitBatch++;
        call = target.submitBatch!(Array.from({ length: n }, (_, k) => this.deps.makeData(first + k))).then((outcome) => {
          if (outcome.length !== n) throw new Error(`${outcome.length} results for ${n} entries`);
          return outcome;
        });
      }
    } catch (err) {
      call = Promise.reject(err);
    }
    call.then(
      (outcome) => this.settle(first, outcome),
      (err: unknown) => this.settle(first, new Array<string>(n).fill(reasonOf(err))),
    );
    return n;
  }

  /** The call of entries first.. ended with `outcome`, one per entry. */
  private settle(first: number, outcome: BatchOutcome): void {
    this.inflight--;
    this.outcomes(first, outcome);
    if (this.stopping) this.maybeFinish();
    // No timer pending while running means pump() was waiting for a free slot.
    else if (this.pumpTimer === undefined) this.pump();
  }

  private outcomes(first: number, reasons: BatchOutcome): void {
    reasons.forEach((reason, k) => {
      if (reason === undefined) this.ok++;
      else this.errorsByReason.set(reason, (this.errorsByReason.get(reason) ?? 0) + 1);
      this.deps.settled?.(first + k, reason);
    });
  }

  private maybeFinish(): void {
    if (this.finished || !this.stopping || this.inflight > 0) return;
    this.finished = true;
    if (this.reportTimer !== undefined) this.deps.timers.clearTimeout(this.reportTimer);
    const stats = this.stats();
    this.deps.report(stats, true);
    this.resolveDone(stats);
  }

  private scheduleReport(): void {
    const every = this.opts.reportEveryMs ?? DEFAULT_REPORT_EVERY_MS;
    this.reportTimer = this.deps.timers.setTimeout(() => {
      if (this.finished) return;
      this.deps.report(this.stats(), false);
      this.scheduleReport();
    }, every);
  }

  private clearPump(): void {
    if (this.pumpTimer !== undefined) {
      this.deps.timers.clearTimeout(this.pumpTimer);
      this.pumpTimer = undefined;
    }
  }
}

/** A short, low-cardinality reason for a failed call: its gRPC status name or error code. */
export function reasonOf(err: unknown): string {
  if (isServiceError(err)) return statusName(err.code);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return err instanceof Error ? err.name : "error";
}
