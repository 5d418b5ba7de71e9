/**
 * One load phase: entries submitted to the peers (open loop at a rate, or closed loop at a fixed
 * concurrency to saturate), each timed from its send to the moment its block shows up on the
 * observer peer's WatchBlocks stream (accepted and durable there). Metrics of every peer are
 * scraped when the measurement window opens (after the warm-up), when it closes (load stops) and
 * after the drain (the last entries accepted).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { loadEntryData, newRunId } from "../../src/cli/load/data";
import { LoadRunner, reasonOf, type LoadStats } from "../../src/cli/load/runner";
import { PeerSubmitter } from "../../src/cli/load/targets";
import { realTimers } from "../../src/cli/load/timers";
import type { AcceptedBlock__Output } from "../../src/wire/generated/snowchain/v1/AcceptedBlock";
import { LatencyRecorder, type LatencySummary } from "./latency";
import type { BenchNet, Snapshot } from "./net";

/** Offered rate of a saturating run: far above what any peer takes, so the concurrency bound rules. */
const SATURATING_RATE = 1_000_000;
const PROGRESS_EVERY_MS = 5000;
const LOOP_RESOLUTION_MS = 2;

export interface LoadPhaseOptions {
  readonly label: string;
  /** Entries per second (open loop), or "max": as many as `concurrency` calls in flight allow. */
  readonly rate: number | "max";
  /** Most submit calls in flight. */
  readonly concurrency: number;
  /** Most entries per call (1: one Submit per entry, the path before SubmitBatch). */
  readonly batch: number;
  /** With batch > 1: how long entries may wait for others to share their call. */
  readonly lingerMs: number;
  /**
   * Saturating phase only: most entries of the phase sent and not yet seen accepted (nor
   * failed). Without it a batched closed loop fills the mempools far faster than consensus
   * empties them, and the phase measures the backlog, not the network.
   */
  readonly maxPending: number;
  /** Seconds of load, warm-up included. */
  readonly durationSec: number;
  /** Seconds at the start whose entries and metrics are left out of the figures. */
  readonly warmupSec: number;
  /** After the load stops, how long to wait for the window's entries to be accepted. */
  readonly drainSec: number;
  readonly entryBytes: number;
  /** Peers that receive submits, each entry to one of them at random. */
  readonly submitPeers: readonly number[];
  /** The peer whose accepted blocks are watched. */
  readonly observer: number;
  readonly submitTimeoutMs: number;
  /** Progress lines (stderr). */
  readonly progress: (line: string) => void;
}

export interface LoadPhaseResult {
  readonly opts: LoadPhaseOptions;
  /** Window start (after warm-up), window end (load stopped), after the drain. */
  readonly a: Snapshot;
  readonly b: Snapshot;
  readonly c: Snapshot;
  readonly runner: LoadStats;
  /** Submit and SubmitBatch calls the bench made during the window (entries in them: window.sent). */
  readonly windowCalls: LoadStats["calls"];
  /** Peers that answered SubmitBatch UNIMPLEMENTED (an older build): they got one Submit per entry. */
  readonly unbatchedPeers: number;
  /** Entries sent during the window, and what became of them. */
  readonly window: { sent: number; acked: number; failed: number; seen: number; unseen: number };
  /** Send → accepted on the observer; entries still unseen after the drain count as longer than any. */
  readonly finality: LatencySummary;
  /** Send → the peer's acknowledgement (durable in its mempool journal). */
  readonly ack: LatencySummary;
  readonly drainSec: number;
  /** p99 event-loop delay of the benchmark process during the window: its own timing error. */
  readonly benchLoopDelayP99Ms: number;
  /** Why the observer's WatchBlocks stream ended early (the peer died?): finality figures are incomplete. */
  readonly watchFailure?: string;
}

// Per-entry state bits.
const SENT = 1;
const ACKED = 2;
const FAILED = 4;
const SEEN = 8;

/** Which entry is which: send times, outcomes, and the match of watched blocks to sends. */
class EntryTracker {
  private readonly prefix: Buffer;
  private sentAt: Float64Array = new Float64Array(1 << 16);
  private state: Uint8Array = new Uint8Array(1 << 16);
  nextSeq = 0;
  /** Entries of the phase seen accepted, or failed: what is not outstanding any more. */
  private done = 0;
  windowFrom = Infinity;
  windowTo = Infinity;
  readonly finality = new LatencyRecorder();
  readonly ack = new LatencyRecorder();

  constructor(
    readonly runId: string,
    private readonly entryBytes: number,
  ) {
    this.prefix = Buffer.from(`${runId} `, "latin1");
  }

  makeData(seq: number): Buffer {
    this.grow(seq);
    this.nextSeq = seq + 1;
    const data = loadEntryData(this.runId, seq, this.entryBytes);
    this.sentAt[seq] = performance.now();
    this.state[seq]! |= SENT;
    return data;
  }

  /** Sent, and neither seen accepted nor failed yet. */
  get outstanding(): number {
    return this.nextSeq - this.done;
  }

  settled(seq: number, ok: boolean): void {
    this.state[seq]! |= ok ? ACKED : FAILED;
    // An entry can be seen in a block before its acknowledgement arrives.
    if (!ok && !(this.state[seq]! & SEEN)) this.done++;
    if (ok && this.inWindow(seq)) this.ack.add(performance.now() - this.sentAt[seq]!);
  }

  onBlock(block: AcceptedBlock__Output): void {
    const now = performance.now();
    const p = this.prefix;
    for (const e of block.entries) {
      const d = e.data;
      if (d.length <= p.length || d.compare(p, 0, p.length, 0, p.length) !== 0) continue;
      const end = d.indexOf(0x20, p.length);
      const seq = parseInt(d.toString("latin1", p.length, end < 0 ? d.length : end), 36);
      if (!Number.isInteger(seq) || seq < 0 || seq >= this.nextSeq || this.state[seq]! & SEEN) continue;
      if (!(this.state[seq]! & FAILED)) this.done++;
      this.state[seq]! |= SEEN;
      if (this.inWindow(seq)) this.finality.add(now - this.sentAt[seq]!);
    }
  }

  windowCounts(): { sent: number; acked: number; failed: number; seen: number; unseen: number } {
    let sent = 0;
    let acked = 0;
    let failed = 0;
    let seen = 0;
    let unseen = 0;
    const to = Math.min(this.windowTo, this.nextSeq);
    for (let s = this.windowFrom; s < to; s++) {
      const st = this.state[s]!;
      sent++;
      if (st & ACKED) acked++;
      if (st & FAILED) failed++;
      if (st & SEEN) seen++;
      else if (st & ACKED) unseen++;
    }
    return { sent, acked, failed, seen, unseen };
  }

  private inWindow(seq: number): boolean {
    return seq >= this.windowFrom && seq < this.windowTo;
  }

  private grow(seq: number): void {
    if (seq < this.state.length) return;
    let n = this.state.length;
    while (n <= seq) n *= 2;
    const st = new Uint8Array(n);
    st.set(this.state);
    this.state = st;
    const at = new Float64Array(n);
    at.set(this.sentAt);
    this.sentAt = at;
  }
}

/** Sleeps, or returns early (without throwing) when `signal` aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  await sleep(ms, undefined, { signal }).catch(() => {});
}

export async function runLoadPhase(net: BenchNet, o: LoadPhaseOptions, signal: AbortSignal): Promise<LoadPhaseResult> {
  const tracker = new EntryTracker(newRunId(Date.now(), Math.random), o.entryBytes);

  // Watch from the next height, so no block is missed while the stream is being set up.
  const observer = net.api(o.observer);
  const fromHeight = Number((await observer.status()).height) + 1;
  const watchAbort = new AbortController();
  const stopWatch = (): void => watchAbort.abort();
  signal.addEventListener("abort", stopWatch, { once: true });
  let watchError: unknown;
  // Accepted entries make room for more in a saturating phase (see maxPending).
  let onAccepted = (): void => undefined;
  const watching = observer
    .watchBlocks(
      fromHeight,
      (b) => {
        tracker.onBlock(b);
        onAccepted();
      },
      watchAbort.signal,
    )
    .catch((err: unknown) => (watchError = err));

  const targets = o.submitPeers.map((i) => new PeerSubmitter(net.testnet.peers[i]!.addr, net.api(i), o.submitTimeoutMs));
  const ratePerSec = o.rate === "max" ? SATURATING_RATE : o.rate;
  const runner: LoadRunner = new LoadRunner(
    { ratePerSec, concurrency: o.concurrency, reportEveryMs: PROGRESS_EVERY_MS, batch: o.batch, lingerMs: o.lingerMs },
    {
      now: () => Date.now(),
      timers: realTimers,
      pickTarget: () => targets[Math.floor(Math.random() * targets.length)],
      makeData: (seq) => tracker.makeData(seq),
      settled: (seq, reason) => tracker.settled(seq, reason === undefined),
      room: o.rate === "max" ? () => o.maxPending - tracker.outstanding : undefined,
      report: (s, final) => {
        if (final) return;
        const w = tracker.windowCounts();
        o.progress(
          `  ${o.label} ${(s.elapsedMs / 1000).toFixed(0)}s: sent ${s.submitted} acked ${s.ok} errors ${s.errors} in flight ${s.inflight}` +
            (Number.isFinite(tracker.windowFrom) ? ` | window: seen accepted ${w.seen}/${w.acked}` : ""),
        );
      },
    },
  );
  onAccepted = () => runner.wake();
  const onAbort = (): void => runner.stop();
  signal.addEventListener("abort", onAbort, { once: true });

  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const running = runner.run();
  await pause(o.warmupSec * 1000, signal);
  tracker.windowFrom = tracker.nextSeq;
  const callsBefore = runner.stats().calls;
  loop.enable();
  const a = await net.snapshot();
  await pause((o.durationSec - o.warmupSec) * 1000, signal);
  tracker.windowTo = tracker.nextSeq;
  const callsAfter = runner.stats().calls;
  runner.stop();
  const b = await net.snapshot();
  loop.disable();
  const stats = await running;
  signal.removeEventListener("abort", onAbort);

  // The drain: bounded; entries still unseen at its end are reported as such.
  const drainStart = performance.now();
  const drainUntil = drainStart + o.drainSec * 1000;
  while (!signal.aborted && watchError === undefined && performance.now() < drainUntil) {
    const w = tracker.windowCounts();
    if (w.seen >= w.acked && w.unseen === 0) break;
    await pause(100, signal);
  }
  const drainSec = (performance.now() - drainStart) / 1000;
  const c = await net.snapshot();
  stopWatch();
  await watching;
  signal.removeEventListener("abort", stopWatch);
  const watchFailure = watchError !== undefined && !signal.aborted ? reasonOf(watchError) : undefined;

  const window = tracker.windowCounts();
  return {
    opts: o,
    a,
    b,
    c,
    runner: stats,
    windowCalls: { Submit: callsAfter.Submit - callsBefore.Submit, SubmitBatch: callsAfter.SubmitBatch - callsBefore.SubmitBatch },
    unbatchedPeers: targets.filter((t) => !t.batches).length,
    window,
    finality: tracker.finality.summary(window.unseen),
    ack: tracker.ack.summary(),
    drainSec,
    // The monitor records whole timer intervals: the resolution itself is not delay.
    benchLoopDelayP99Ms: loop.count > 0 ? Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS) : 0,
    watchFailure,
  };
}
