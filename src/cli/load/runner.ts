import { statusName } from "../../wire/status";
import { isServiceError } from "../errors";
import { RatePacer } from "./pacer";
import type { Timers } from "./timers";

/** Somewhere to send an entry: one peer. */
export interface LoadTarget {
  readonly addr: string;
  submit(data: Buffer): Promise<unknown>;
}

export interface LoadOptions {
  /** Entries per second offered (open loop). */
  readonly ratePerSec: number;
  /** Seconds to run; undefined runs until stop(). */
  readonly durationSec?: number;
  /** Most calls in flight at once; due entries beyond wait for a free slot. */
  readonly concurrency: number;
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
}

export interface LoadStats {
  elapsedMs: number;
  /** Entries sent (or attempted with no address known). */
  submitted: number;
  /** Entries a peer acknowledged into its mempool. */
  ok: number;
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
    const n = Math.min(due, this.opts.concurrency - this.inflight);
    this.pacer.take(n);
    for (let i = 0; i < n; i++) this.launch();
    if (this.pacer.exhausted) return this.stop();
    // Concurrency is full: the next completion pumps again.
    if (due > n) return;
    const wait = Math.max(1, Math.ceil(this.pacer.nextDueMs() - now));
    this.pumpTimer = this.deps.timers.setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, wait);
  }

  private launch(): void {
    const seq = this.seq++;
    this.submitted++;
    const target = this.deps.pickTarget();
    if (!target) {
      this.fail("no address");
      return;
    }
    this.inflight++;
    let call: Promise<unknown>;
    try {
      call = target.submit(this.deps.makeData(seq));
    } catch (err) {
      call = Promise.reject(err);
    }
    call.then(
      () => this.settle(undefined),
      (err: unknown) => this.settle(err),
    );
  }

  private settle(err: unknown): void {
    this.inflight--;
    if (err === undefined) this.ok++;
    else this.fail(reasonOf(err));
    if (this.stopping) this.maybeFinish();
    // No timer pending while running means pump() was waiting for a free slot.
    else if (this.pumpTimer === undefined) this.pump();
  }

  private fail(reason: string): void {
    this.errorsByReason.set(reason, (this.errorsByReason.get(reason) ?? 0) + 1);
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
