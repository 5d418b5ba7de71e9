/**
 * Turns the scrapes and timings of a run into figures (plain data, what --json prints) and the
 * figures into text. Nothing here is judged pass/fail except the DESIGN targets, which are
 * printed next to the measurement as "met" / "missed" for the reader.
 */
import type { SnowballParams } from "../../src/consensus/types";
import { queryLowerBound, type QueryBound } from "./bound";
import type { LatencySummary } from "./latency";
import type { LoadPhaseResult } from "./load";
import type { Snapshot } from "./net";
import { histDelta, histMean, histMerge, histogram, histQuantile, total, totalsBy, type Histogram, type LabelFilter } from "./prom";

export interface Meta {
  readonly date: string;
  readonly host: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly commit?: string;
  readonly peers: number;
  readonly snowball: SnowballParams;
  readonly env: Readonly<Record<string, string>>;
  readonly entryBytes: number;
  /** How many of the peers are byzantine, and how they lie ("2 × balancing"); absent: all honest. */
  readonly byzantine?: string;
  readonly startupSec: number;
  /** os.loadavg() when the run started: other work on the machine skews every figure. */
  readonly loadAvgAtStart: readonly number[];
}

/** min / mean / max over peers. */
export interface Spread {
  readonly min: number;
  readonly mean: number;
  readonly max: number;
}

/** Quantiles of a peer histogram (merged over peers), in ms; bucket-interpolated. */
export interface HistFigures {
  readonly count: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
  readonly mean?: number;
}

export interface ResourceFigures {
  /** CPU time per peer per wall second, in % of one core. */
  readonly cpuPercentPerPeer: Spread;
  /** All peers together, in cores. */
  readonly cpuCoresTotal: number;
  readonly rssMiBPerPeer: Spread;
  /**
   * The whole machine's busy cores (/proc/stat), and what neither the peers nor the benchmark
   * took: other processes sharing the machine, which the figures should be read against.
   */
  readonly machineCores?: number;
  readonly otherCores?: number;
  /**
   * nodejs_eventloop_lag_p99_seconds at the end of the window minus nodejs_eventloop_lag_min_seconds,
   * max over peers, ms: the monitor records whole intervals between its timer's runs, its sampling
   * interval included, and the shortest one recorded is that interval (whatever a build sets it to).
   */
  readonly eventLoopLagP99Ms: number;
  /** The benchmark process itself, % of one core: it shares the machine with the peers. */
  readonly benchCpuPercent: number;
}

export interface IdleFigures {
  readonly seconds: number;
  readonly resources: ResourceFigures;
  readonly polls: number;
  /** Calls made by all peers during the window, by gRPC method. */
  readonly callsByMethod: Readonly<Record<string, number>>;
  readonly targetCpuPercent: number;
  readonly targetMet: boolean;
}

export interface LoadFigures {
  readonly label: string;
  readonly mode: "rate" | "max";
  readonly offeredRate?: number;
  /** Most submit calls in flight. */
  readonly concurrency: number;
  /** Saturation only: most entries sent and not yet accepted. */
  readonly maxPending?: number;
  readonly submitPeers: number;
  readonly observer: number;
  readonly windowSec: number;
  readonly drainSec: number;
  readonly entries: {
    readonly sent: number;
    readonly acked: number;
    readonly failed: number;
    readonly errorsByReason: Readonly<Record<string, number>>;
    readonly seenAccepted: number;
    readonly unseenAfterDrain: number;
    readonly ackedPerSec: number;
  };
  /** Client side, exact: send → block on the observer's WatchBlocks. */
  readonly finalityMs: LatencySummary;
  readonly ackMs: LatencySummary;
  /** snowchain_consensus_finality_seconds over every peer: block timestamp → accepted. */
  readonly peerFinalityMs: HistFigures;
  readonly pollDurationMs: HistFigures;
  /** snowchain_grpc_client_handling_seconds{method="QueryStream"}: one query's round trip. */
  readonly queryRttMs: HistFigures;
  /** snowchain_grpc_server_handling_seconds{method="QueryStream"}: time to answer one query. */
  readonly queryServeMs: HistFigures;
  readonly target: {
    readonly beta: number;
    readonly concurrentPolls: number;
    /**
     * The poll round trip the target uses: the mean poll duration (exact: _sum / _count). The
     * p50 is interpolated inside 1 ms-wide (and wider) buckets, too coarse at these durations.
     */
    readonly pollRttMs?: number;
    /** 2 × β/c × pollRttMs. */
    readonly boundMs?: number;
    /** The same with the bucket-interpolated poll duration p50. */
    readonly boundByPollP50Ms?: number;
    /** The same with the mean QueryStream round trip as the poll round trip. */
    readonly boundByQueryRttMs?: number;
    /** Client-side finality p50. */
    readonly finalityP50Ms?: number;
    readonly met?: boolean;
  };
  readonly throughput: {
    readonly entriesAcceptedPerSec: number;
    readonly blocksAcceptedPerSec: number;
    readonly heightsPerSec: number;
    readonly entriesPerBlock: number;
    /** Blocks rejected per second, mean over peers (competing proposals lost). */
    readonly blocksRejectedPerSec: number;
    readonly targetEntriesPerSec: number;
  };
  readonly calls: {
    /** QueryStream messages sent by all peers per accepted height. */
    readonly queryMessagesPerHeight: number;
    readonly queryMessagesPerHeightPerPeer: number;
    readonly queryMessagesPerSec: number;
    readonly queryErrors: number;
    readonly pollsPerHeightPerPeer: number;
    /** The protocol's floor for queryMessagesPerHeightPerPeer (bound.ts), and β/d for polls. */
    readonly lowerBound: QueryBound & { readonly pollsPerHeightPerPeer: number };
    readonly failedPollShare: number;
    readonly votesDroppedPerPoll: number;
    /** Summed over peers: contention between competing proposals. */
    readonly preferenceChanges: number;
    /** Calls made by all peers in the window, by gRPC method (stream messages for QueryStream). */
    readonly byMethod: Readonly<Record<string, number>>;
  };
  /** The submit path itself: how entries reached the peers, and what that cost. */
  readonly submit: SubmitFigures;
  /** Catch-up syncs during the window: a peer fetching accepted blocks instead of deciding them. */
  readonly sync: { readonly blocksFetched: number; readonly peersSyncingAtEnd: number };
  readonly mempool: { readonly sumAtEnd: number; readonly maxAtEnd: number };
  /** Peers scraped at both ends of the window: fewer than the network when one died. */
  readonly peersMeasured: number;
  readonly resources: ResourceFigures;
  readonly benchLoopDelayP99Ms: number;
  /** Set when the observer's block stream failed mid-phase (e.g. the observer died). */
  readonly watchFailure?: string;
}

export interface SubmitFigures {
  /** Most entries per call the bench was told to send (1: one Submit per entry). */
  readonly batch: number;
  /** Peers that had no SubmitBatch (an older build) and got one Submit per entry. */
  readonly unbatchedPeers: number;
  /** Calls the bench made per second of the window, by method. */
  readonly callsPerSec: { readonly Submit: number; readonly SubmitBatch: number };
  /** Entries sent per call in the window. */
  readonly entriesPerCall: number;
  /** Time the peers took to answer, from their own histograms (snowchain_grpc_server_handling_seconds). */
  readonly servedMs: { readonly Submit: HistFigures; readonly SubmitBatch: HistFigures };
  /** New entries the peers took into their mempools per second (snowchain_chain_entries_submitted_total). */
  readonly newEntriesPerSec: number;
  /** The bench's CPU time per acknowledged entry, µs: the client's share of the submit path. */
  readonly benchCpuUsPerAckedEntry?: number;
}

export interface Report {
  readonly meta: Meta;
  /** Peers whose process ended during the run, and how. */
  readonly exited: readonly string[];
  readonly idle?: IdleFigures;
  readonly load: LoadFigures[];
  readonly profile?: string;
}

export const IDLE_TARGET_CPU_PERCENT = 1;
export const THROUGHPUT_TARGET = 10_000;

function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { min: 0, mean: 0, max: 0 };
  return { min: Math.min(...xs), mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs) };
}

/** Indexes of the peers scraped in both snapshots (a peer that died is left out). */
function present(a: Snapshot, b: Snapshot): number[] {
  return b.peers.map((_, i) => i).filter((i) => a.peers[i]!.length > 0 && b.peers[i]!.length > 0);
}

/** Per peer present in both: value at b minus value at a. */
function deltas(a: Snapshot, b: Snapshot, name: string, filter: LabelFilter = {}): number[] {
  return present(a, b).map((i) => total(b.peers[i]!, name, filter) - total(a.peers[i]!, name, filter));
}

function maxOf(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : Math.max(...xs);
}

function sum(xs: readonly number[]): number {
  return xs.reduce((p, x) => p + x, 0);
}

function mergedDelta(a: Snapshot, b: Snapshot, base: string, filter: LabelFilter = {}): Histogram {
  return histMerge(present(a, b).map((i) => histDelta(histogram(b.peers[i]!, base, filter), histogram(a.peers[i]!, base, filter))));
}

function histFigures(h: Histogram): HistFigures {
  const ms = (x: number | undefined): number | undefined => (x === undefined ? undefined : x * 1000);
  return {
    count: h.count,
    p50: ms(histQuantile(h, 0.5)),
    p95: ms(histQuantile(h, 0.95)),
    p99: ms(histQuantile(h, 0.99)),
    mean: ms(histMean(h)),
  };
}

function resources(a: Snapshot, b: Snapshot): ResourceFigures {
  const sec = (b.atMs - a.atMs) / 1000;
  const cpu = deltas(a, b, "process_cpu_seconds_total");
  const live = present(a, b).map((i) => b.peers[i]!);
  const rss = live.map((s) => total(s, "process_resident_memory_bytes") / 2 ** 20);
  const lag = live.map((s) => (total(s, "nodejs_eventloop_lag_p99_seconds") - total(s, "nodejs_eventloop_lag_min_seconds")) * 1000);
  const bench = (b.benchCpu.user + b.benchCpu.system - a.benchCpu.user - a.benchCpu.system) / 1e6;
  const machineCores =
    a.machineBusySec === undefined || b.machineBusySec === undefined ? undefined : (b.machineBusySec - a.machineBusySec) / sec;
  return {
    cpuPercentPerPeer: spread(cpu.map((c) => (100 * c) / sec)),
    cpuCoresTotal: sum(cpu) / sec,
    rssMiBPerPeer: spread(rss),
    machineCores,
    otherCores: machineCores === undefined ? undefined : Math.max(0, machineCores - sum(cpu) / sec - bench / sec),
    eventLoopLagP99Ms: Math.max(0, maxOf(lag)),
    benchCpuPercent: (100 * bench) / sec,
  };
}

/** Calls made by all peers between a and b, by gRPC method. */
function callsByMethod(a: Snapshot, b: Snapshot): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const i of present(a, b)) {
    const before = totalsBy(a.peers[i]!, "snowchain_grpc_client_handled_total", "method");
    for (const [method, n] of totalsBy(b.peers[i]!, "snowchain_grpc_client_handled_total", "method")) {
      const d = n - (before.get(method) ?? 0);
      if (d > 0) calls[method] = (calls[method] ?? 0) + d;
    }
  }
  return calls;
}

function formatCalls(calls: Readonly<Record<string, number>>, perSec?: number): string {
  return (
    Object.entries(calls)
      .sort(([, x], [, y]) => y - x)
      .map(([k, v]) => `${k} ${num(perSec ? v / perSec : v, perSec ? 1 : 0)}`)
      .join(", ") || "none"
  );
}

export function idleFigures(a: Snapshot, b: Snapshot): IdleFigures {
  const res = resources(a, b);
  const calls = callsByMethod(a, b);
  return {
    seconds: (b.atMs - a.atMs) / 1000,
    resources: res,
    polls: sum(deltas(a, b, "snowchain_consensus_polls_total")),
    callsByMethod: calls,
    targetCpuPercent: IDLE_TARGET_CPU_PERCENT,
    targetMet: res.cpuPercentPerPeer.max < IDLE_TARGET_CPU_PERCENT,
  };
}

export function loadFigures(r: LoadPhaseResult, snowball: SnowballParams, depth: number): LoadFigures {
  const { a, b, c } = r;
  const sec = (b.atMs - a.atMs) / 1000;
  const n = Math.max(1, present(a, b).length);
  const heightOf = (s: Snapshot): number => maxOf(s.peers.map((p) => total(p, "snowchain_consensus_last_accepted_height")));
  const heights = heightOf(b) - heightOf(a);
  const entriesAccepted = maxOf(deltas(a, b, "snowchain_chain_entries_accepted_total"));
  const blocksAccepted = maxOf(deltas(a, b, "snowchain_consensus_blocks_accepted_total"));
  const rejected = sum(deltas(a, b, "snowchain_consensus_blocks_rejected_total")) / n;
  const polls = sum(deltas(a, b, "snowchain_consensus_polls_total"));
  const failedPolls = sum(deltas(a, b, "snowchain_consensus_polls_total", { outcome: "failed" }));
  const q = { method: "QueryStream" };
  const queryMsgs = sum(deltas(a, b, "snowchain_grpc_client_handled_total", q));
  const queryOk = sum(deltas(a, b, "snowchain_grpc_client_handled_total", { ...q, code: "OK" }));
  const pollDuration = histFigures(mergedDelta(a, b, "snowchain_consensus_poll_duration_seconds"));
  const queryRtt = histFigures(mergedDelta(a, b, "snowchain_grpc_client_handling_seconds", q));
  const factor = (2 * snowball.beta) / snowball.concurrentPolls;
  const times = (x: number | undefined): number | undefined => (x === undefined ? undefined : factor * x);
  const boundMs = times(pollDuration.mean);
  const finalityP50 = r.finality.p50;
  const mempools = b.peers.filter((s) => s.length > 0).map((s) => total(s, "snowchain_chain_mempool_entries"));
  const w = r.window;
  return {
    label: r.opts.label,
    mode: r.opts.rate === "max" ? "max" : "rate",
    offeredRate: r.opts.rate === "max" ? undefined : r.opts.rate,
    concurrency: r.opts.concurrency,
    maxPending: r.opts.rate === "max" ? r.opts.maxPending : undefined,
    submitPeers: r.opts.submitPeers.length,
    observer: r.opts.observer,
    windowSec: sec,
    drainSec: r.drainSec,
    entries: {
      sent: w.sent,
      acked: w.acked,
      failed: w.failed,
      errorsByReason: r.runner.errorsByReason,
      seenAccepted: w.seen,
      unseenAfterDrain: w.unseen,
      ackedPerSec: w.acked / sec,
    },
    finalityMs: r.finality,
    ackMs: r.ack,
    peerFinalityMs: histFigures(mergedDelta(a, c, "snowchain_consensus_finality_seconds")),
    pollDurationMs: pollDuration,
    queryRttMs: queryRtt,
    queryServeMs: histFigures(mergedDelta(a, b, "snowchain_grpc_server_handling_seconds", q)),
    target: {
      beta: snowball.beta,
      concurrentPolls: snowball.concurrentPolls,
      pollRttMs: pollDuration.mean,
      boundMs,
      boundByPollP50Ms: times(pollDuration.p50),
      boundByQueryRttMs: times(queryRtt.mean),
      finalityP50Ms: finalityP50,
      met: boundMs === undefined || finalityP50 === undefined ? undefined : finalityP50 <= boundMs,
    },
    throughput: {
      entriesAcceptedPerSec: entriesAccepted / sec,
      blocksAcceptedPerSec: blocksAccepted / sec,
      heightsPerSec: heights / sec,
      entriesPerBlock: blocksAccepted > 0 ? entriesAccepted / blocksAccepted : 0,
      blocksRejectedPerSec: rejected / sec,
      targetEntriesPerSec: THROUGHPUT_TARGET,
    },
    calls: {
      queryMessagesPerHeight: heights > 0 ? queryMsgs / heights : NaN,
      queryMessagesPerHeightPerPeer: heights > 0 ? queryMsgs / heights / n : NaN,
      queryMessagesPerSec: queryMsgs / sec,
      queryErrors: queryMsgs - queryOk,
      pollsPerHeightPerPeer: heights > 0 ? polls / heights / n : NaN,
      lowerBound: { ...queryLowerBound(snowball, depth, n), pollsPerHeightPerPeer: snowball.beta / depth },
      failedPollShare: polls > 0 ? failedPolls / polls : 0,
      votesDroppedPerPoll: polls > 0 ? sum(deltas(a, b, "snowchain_consensus_votes_dropped_total")) / polls : 0,
      preferenceChanges: sum(deltas(a, b, "snowchain_consensus_preference_changes_total")),
      byMethod: callsByMethod(a, b),
    },
    submit: submitFigures(r, a, b, sec),
    sync: {
      blocksFetched: sum(deltas(a, b, "snowchain_sync_blocks_fetched_total")),
      peersSyncingAtEnd: sum(b.peers.map((p) => total(p, "snowchain_sync_active"))),
    },
    mempool: { sumAtEnd: sum(mempools), maxAtEnd: maxOf(mempools) },
    peersMeasured: present(a, b).length,
    resources: resources(a, b),
    benchLoopDelayP99Ms: r.benchLoopDelayP99Ms,
    watchFailure: r.watchFailure,
  };
}

function submitFigures(r: LoadPhaseResult, a: Snapshot, b: Snapshot, sec: number): SubmitFigures {
  const calls = r.windowCalls;
  const callCount = calls.Submit + calls.SubmitBatch;
  const served = (method: string): HistFigures => histFigures(mergedDelta(a, b, "snowchain_grpc_server_handling_seconds", { method }));
  const benchCpuSec = (b.benchCpu.user + b.benchCpu.system - a.benchCpu.user - a.benchCpu.system) / 1e6;
  return {
    batch: r.opts.batch,
    unbatchedPeers: r.unbatchedPeers,
    callsPerSec: { Submit: calls.Submit / sec, SubmitBatch: calls.SubmitBatch / sec },
    entriesPerCall: callCount > 0 ? r.window.sent / callCount : 0,
    servedMs: { Submit: served("Submit"), SubmitBatch: served("SubmitBatch") },
    newEntriesPerSec: sum(deltas(a, b, "snowchain_chain_entries_submitted_total")) / sec,
    benchCpuUsPerAckedEntry: r.window.acked > 0 ? (1e6 * benchCpuSec) / r.window.acked : undefined,
  };
}

// ---- text ----

export function ms(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return "-";
  if (x === Infinity) return "never";
  if (x < 10) return `${x.toFixed(2)} ms`;
  if (x < 1000) return `${x.toFixed(0)} ms`;
  return `${(x / 1000).toFixed(2)} s`;
}

export function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return "-";
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(x: number, digits = 1): string {
  return `${x.toFixed(digits)} %`;
}

function quantiles(s: { p50?: number; p95?: number; p99?: number }): string {
  return `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}`;
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? "" : met ? "  [met]" : "  [missed]";
}

function machineLine(r: ResourceFigures): string {
  if (r.machineCores === undefined) return `  machine               bench process ${pct(r.benchCpuPercent)} of a core`;
  return `  machine               ${r.machineCores.toFixed(2)} cores busy: peers ${r.cpuCoresTotal.toFixed(2)}, bench ${(r.benchCpuPercent / 100).toFixed(2)}, other processes ${(r.otherCores ?? 0).toFixed(2)}`;
}

function resourceLines(r: ResourceFigures): string[] {
  const c = r.cpuPercentPerPeer;
  const m = r.rssMiBPerPeer;
  return [
    `  cpu per peer          mean ${pct(c.mean)}  min ${pct(c.min)}  max ${pct(c.max)} of a core   (all peers ${r.cpuCoresTotal.toFixed(2)} cores)`,
    machineLine(r),
    `  rss per peer          mean ${m.mean.toFixed(0)} MiB  min ${m.min.toFixed(0)}  max ${m.max.toFixed(0)}`,
    `  event-loop lag p99    max over peers ${ms(r.eventLoopLagP99Ms)}`,
  ];
}

function submitLine(s: SubmitFigures): string {
  const how =
    s.batch === 1
      ? "one Submit per entry (--batch 1)"
      : `SubmitBatch of ≤ ${s.batch}` + (s.unbatchedPeers > 0 ? ` (${s.unbatchedPeers} peer(s) without SubmitBatch got Submit)` : "");
  const served = (h: HistFigures): string => (h.count > 0 ? `p50 ${ms(h.p50)} mean ${ms(h.mean)}` : "-");
  return (
    `  submit path           ${how}: SubmitBatch ${num(s.callsPerSec.SubmitBatch)}/s + Submit ${num(s.callsPerSec.Submit)}/s, ${num(s.entriesPerCall, 1)} entries/call; ` +
    `served in: SubmitBatch ${served(s.servedMs.SubmitBatch)}, Submit ${served(s.servedMs.Submit)}; peers took ${num(s.newEntriesPerSec)} new entries/s; ` +
    `bench ${s.benchCpuUsPerAckedEntry === undefined ? "-" : `${num(s.benchCpuUsPerAckedEntry, 1)} µs`} CPU per acked entry`
  );
}

export function formatReport(rep: Report): string {
  const m = rep.meta;
  const s = m.snowball;
  const env = Object.entries(m.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const lines: string[] = [
    `snowchain bench — ${m.peers} peers${m.byzantine ? ` (${m.byzantine})` : ""}, K=${s.k} αP=${s.alphaPreference} αC=${s.alphaConfidence} β=${s.beta} c=${s.concurrentPolls}, ${m.entryBytes}-byte entries`,
    `  ${m.date}, ${m.host}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB.toFixed(0)} GiB, node ${m.node}${m.commit ? `, commit ${m.commit}` : ""}`,
    `  peer env: ${env || "(none)"};  network connected ${m.startupSec.toFixed(1)} s after spawn;  load average at start ${m.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")}`,
  ];
  if (rep.idle) {
    const i = rep.idle;
    const calls = formatCalls(i.callsByMethod);
    lines.push(
      "",
      `== idle: ${i.seconds.toFixed(1)} s, no load ==`,
      `  cpu per peer          mean ${pct(i.resources.cpuPercentPerPeer.mean, 2)}  max ${pct(i.resources.cpuPercentPerPeer.max, 2)} of a core   target < ${i.targetCpuPercent} %${verdict(i.targetMet)}`,
      `  rss per peer          mean ${i.resources.rssMiBPerPeer.mean.toFixed(0)} MiB  max ${i.resources.rssMiBPerPeer.max.toFixed(0)}`,
      machineLine(i.resources),
      `  polls ${num(i.polls)};  calls made by all peers: ${calls}`,
    );
  }
  for (const f of rep.load) {
    const offered = f.mode === "max" ? `saturating: ${f.concurrency} calls in flight, ≤ ${num(f.maxPending ?? Infinity)} entries pending,` : `${num(f.offeredRate ?? 0)} entries/s offered (open loop)`;
    const e = f.entries;
    const errs = Object.entries(e.errorsByReason)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const t = f.target;
    lines.push(
      "",
      `== ${f.label}: ${offered} to ${f.submitPeers} peer(s); window ${f.windowSec.toFixed(1)} s after warm-up, drain ${f.drainSec.toFixed(1)} s ==`,
      `  entries               sent ${num(e.sent)}  acked ${num(e.acked)} (${num(e.ackedPerSec)}/s)  failed ${num(e.failed)}${errs ? ` (${errs})` : ""}  seen accepted ${num(e.seenAccepted)}  unseen after drain ${num(e.unseenAfterDrain)}`,
      `  finality (client)     ${quantiles(f.finalityMs)}  max ${ms(f.finalityMs.max)}   send → accepted on peer-${f.observer}, n=${num(f.finalityMs.n)}`,
      `  ack (client)          ${quantiles(f.ackMs)}   send → durable in the peer's mempool`,
      `  finality (peers)      ${quantiles(f.peerFinalityMs)}   block timestamp → accepted, ${num(f.peerFinalityMs.count)} obs.`,
      `  poll duration         ${quantiles(f.pollDurationMs)}  mean ${ms(f.pollDurationMs.mean)}`,
      `  QueryStream rtt       ${quantiles(f.queryRttMs)}  mean ${ms(f.queryRttMs.mean)}   (served in: p50 ${ms(f.queryServeMs.p50)}, mean ${ms(f.queryServeMs.mean)})`,
      `  target p50 ≤ 2·β/c·poll = 2·${t.beta}/${t.concurrentPolls}·${ms(t.pollRttMs)} (mean poll) = ${ms(t.boundMs)}  [with poll p50: ${ms(t.boundByPollP50Ms)}, with QueryStream mean: ${ms(t.boundByQueryRttMs)}];  measured p50 ${ms(t.finalityP50Ms)}${verdict(t.met)}`,
      `  throughput            ${num(f.throughput.entriesAcceptedPerSec)} entries/s  ${num(f.throughput.blocksAcceptedPerSec, 1)} blocks/s  ${num(f.throughput.entriesPerBlock, 1)} entries/block  rejected ${num(f.throughput.blocksRejectedPerSec, 2)} blocks/s per peer` +
        (f.mode === "max" ? `   target ≥ ${num(f.throughput.targetEntriesPerSec)}${verdict(f.throughput.entriesAcceptedPerSec >= f.throughput.targetEntriesPerSec)}` : ""),
      `  calls per decision    ${num(f.calls.queryMessagesPerHeight)} QueryStream msgs per height (${num(f.calls.queryMessagesPerHeightPerPeer, 1)} per peer), ${num(f.calls.queryMessagesPerSec)} msgs/s; polls per height per peer ${num(f.calls.pollsPerHeightPerPeer, 1)}; failed polls ${pct(100 * f.calls.failedPollShare)}; dropped votes/poll ${num(f.calls.votesDroppedPerPoll, 2)}; query errors ${num(f.calls.queryErrors)}`,
      `  protocol's floor      ${num(f.calls.lowerBound.messagesPerHeightPerPeer, 1)} msgs per height per peer (β/(c·d) = ${num(f.calls.lowerBound.turnsPerHeight, 2)} turns × ${num(f.calls.lowerBound.membersPerTurn, 1)} distinct members of c·K draws), ${num(f.calls.lowerBound.pollsPerHeightPerPeer, 1)} polls per height per peer (β/d); measured ${num(f.calls.queryMessagesPerHeightPerPeer / f.calls.lowerBound.messagesPerHeightPerPeer, 1)}× the floor`,
      `  calls/s, all peers    ${formatCalls(f.calls.byMethod, f.windowSec)}`,
      submitLine(f.submit),
      `  sync                  ${num(f.sync.blocksFetched)} blocks fetched by catch-up syncs in the window (summed over peers)`,
      `  mempool at end        ${num(f.mempool.sumAtEnd)} entries over all peers (max ${num(f.mempool.maxAtEnd)})` +
        (f.peersMeasured < rep.meta.peers ? `;  only ${f.peersMeasured} of ${rep.meta.peers} peers measured (the others were down)` : ""),
      ...resourceLines(f.resources),
      `  bench event-loop p99  ${ms(f.benchLoopDelayP99Ms)} (client timings are this coarse)`,
    );
    if (f.watchFailure) lines.push(`  !! the watch of peer-${f.observer} failed (${f.watchFailure}): client finality is incomplete`);
  }
  if (rep.exited.length > 0) lines.push("", `!! peers that exited during the run: ${rep.exited.join(", ")} — see their logs`);
  if (rep.profile) lines.push("", rep.profile);
  return `${lines.join("\n")}\n`;
}
