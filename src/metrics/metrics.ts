/**
 * Every metric snowchain exports, defined in one place (lodestar's `createLodestarMetrics` shape).
 *
 * Names are `snowchain_<subsystem>_<name>`; counters end in `_total`; durations are `_seconds`
 * histograms over DURATION_BUCKETS; labels are low-cardinality (never a block or entry id).
 * Every series carries `node_id` as a registry default label, so dashboards name peers by node id,
 * not by the IP address Prometheus scraped. docs/metrics.md documents each metric; a unit test
 * keeps the two in step.
 *
 * Parts never import prom-client themselves: node.ts hands them the typed fields they update
 * (the consensus core returns plain numbers and node.ts turns them into gauges).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { PollReport } from "../consensus/engine";

/** Histogram buckets for every `_seconds` metric: 1 ms to 30 s, roughly ×2.5 per step. */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]);

/** Prefix of every metric this module defines (prom-client's process_/nodejs_ ones excluded). */
export const METRIC_PREFIX = "snowchain_";

/** `outcome` of `snowchain_consensus_polls_total`. */
export type PollOutcome = "successful" | "failed";
export const POLL_OUTCOMES: readonly PollOutcome[] = ["successful", "failed"];

/** `result` of `snowchain_byzantine_reports_sent_total` (received ones are accepted or refused). */
export type ReportResult = "accepted" | "refused" | "failed";

/** `result` of `snowchain_p2p_handshakes_total`. */
export type HandshakeResult = "ok" | "refused" | "failed";
export const HANDSHAKE_RESULTS: readonly HandshakeResult[] = ["ok", "refused", "failed"];

/**
 * `code` of the gRPC metrics: a gRPC status name, as `@grpc/grpc-js`'s `status` enum spells it
 * (`status[code]` turns the number into this name).
 */
export type GrpcCodeName =
  | "OK"
  | "CANCELLED"
  | "UNKNOWN"
  | "INVALID_ARGUMENT"
  | "DEADLINE_EXCEEDED"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "PERMISSION_DENIED"
  | "RESOURCE_EXHAUSTED"
  | "FAILED_PRECONDITION"
  | "ABORTED"
  | "OUT_OF_RANGE"
  | "UNIMPLEMENTED"
  | "INTERNAL"
  | "UNAVAILABLE"
  | "DATA_LOSS"
  | "UNAUTHENTICATED";

export interface MetricsOptions {
  /** Where the metrics are registered. @default a new Registry (never prom-client's global one) */
  registry?: Registry;
  /** This peer's node id: the `node_id` default label on every series. */
  nodeId: string;
  /** snowchain version: the `version` label of `snowchain_node_info`. */
  version: string;
  /** The `behaviour` label of `snowchain_node_info` (BEHAVIOUR). @default "honest" */
  behaviour?: string;
  /** Also register prom-client's default process_/nodejs_ metrics. @default true */
  collectDefault?: boolean;
}

export interface ConsensusMetrics {
  /** Height of the last block this peer accepted (0 = genesis only). */
  lastAcceptedHeight: Gauge;
  blocksAccepted: Counter;
  blocksRejected: Counter;
  /** Block timestamp → local acceptance, observed once per accepted block. */
  finality: Histogram;
  /** Finished polls by outcome: successful = some block reached αP votes. */
  polls: Counter<"outcome">;
  /** Polls that ended before every answer arrived (αC reached or no longer reachable). */
  pollsEndedEarly: Counter;
  /** Missing, late or failed answers, counted with their sample multiplicity. */
  votesDropped: Counter;
  pollDuration: Histogram;
  /** Blocks this peer knows that are neither accepted nor rejected. */
  processingBlocks: Gauge;
  /** Confidence of the preferred block at the lowest undecided height (0 when none). */
  confidence: Gauge;
  preferenceChanges: Counter;
  pollsInFlight: Gauge;
  /** The last poll's share of K for the most-voted block at the lowest undecided height: how split the network looks. */
  pollTopShare: Gauge;
}

export interface ChainMetrics {
  /** Entries clients submitted to this peer and it acknowledged. */
  entriesSubmitted: Counter;
  /** Entries in blocks this peer accepted. */
  entriesAccepted: Counter;
  /** Pending entries this peer forwarded to the leader of the next height. */
  entriesForwarded: Counter;
  mempoolEntries: Gauge;
}

export interface SyncMetrics {
  blocksFetched: Counter;
  /** 1 while a sync (catch-up) runs, else 0. */
  active: Gauge;
  /** Fetched accepted blocks that do not continue this peer's accepted chain: a fork. */
  conflicts: Counter;
  /** Syncs that found no block a majority of the sampled members accepted, so adopted nothing. */
  disagreements: Counter;
}

export interface ByzantineMetrics {
  /** Two validly signed blocks of one proposer at one height: evidence against that proposer. */
  equivocations: Counter;
  /** A colluding balancer's reports to members (BYZANTINE_GROUP), by how they were taken. */
  reportsSent: Counter<"result">;
  /** Reports a colluding balancer was sent, taken or refused (another group, past the rate, malformed). */
  reportsReceived: Counter<"result">;
  /** Members' observations from fellows' reports that went into this balancer's estimate. */
  observationsMerged: Counter;
}

export interface P2pMetrics {
  /** Members whose queries fail at once for now, their last ones having timed out. */
  benchedMembers: Gauge;
  /** Members in this peer's membership (the sampling set), self excluded. */
  knownMembers: Gauge;
  /** Known members not currently marked unreachable. */
  liveMembers: Gauge;
  /** Members this peer holds an established connection to. */
  liveNeighbors: Gauge;
  handshakes: Counter<"result">;
  /** Members dropped after staying unreachable longer than the grace period. */
  membersDropped: Counter;
}

/**
 * `bound` of `snowchain_grpc_streams_refused_total`: what a stream crossed. messages, bytes:
 * answers written and not sent (QueryStream); watchers: streams open from one caller address;
 * lag: blocks accepted while a watcher did not read (WatchBlocks).
 */
export type StreamBound = "messages" | "bytes" | "watchers" | "lag";

export interface GrpcMetrics {
  /** Calls this peer served, by short method name and status code name. */
  serverHandled: Counter<"method" | "code">;
  /** Streams ended or refused with RESOURCE_EXHAUSTED because their caller did not read (or opened too many). */
  streamsRefused: Counter<"method" | "bound">;
  serverHandling: Histogram<"method">;
  /** Calls this peer made. */
  clientHandled: Counter<"method" | "code">;
  clientHandling: Histogram<"method">;
}

export interface NodeMetrics {
  /** Always 1; `version`, `behaviour` and `id` (and the `node_id` default label) identify the peer. */
  info: Gauge<"version" | "behaviour" | "id">;
}

/** The typed metrics object node.ts builds once and hands to each part. */
export interface Metrics {
  readonly registry: Registry;
  readonly consensus: ConsensusMetrics;
  readonly chain: ChainMetrics;
  readonly sync: SyncMetrics;
  readonly byzantine: ByzantineMetrics;
  /** Labels `snowchain_node_info` with the node id derived from the peer's key. */
  setIdentity(id: string): void;
  readonly p2p: P2pMetrics;
  readonly grpc: GrpcMetrics;
  readonly node: NodeMetrics;
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = opts.registry ?? new Registry();
  registry.setDefaultLabels({ node_id: opts.nodeId });
  if (opts.collectDefault ?? true) {
    // No prefix: the standard process_/nodejs_ names every Node.js dashboard knows.
    // The event-loop lag monitor is a timer that wakes the loop each `precision` ms (10 by
    // default); on a VM a wake-up costs 50–300 µs (docs/benchmarks.md), so 10 ms would be a third
    // of an idle peer's CPU and 100 ms half of a lone peer's. At 500 ms a busy loop is still
    // sampled twice a second, and a stall shorter than that is seen in proportion to its length.
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 500 });
  }
  const registers = [registry];
  const counter = <L extends string = string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string = string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string = string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Histogram<L>({ name, help, labelNames, buckets: [...DURATION_BUCKETS], registers });

  const consensus: ConsensusMetrics = {
    lastAcceptedHeight: gauge("snowchain_consensus_last_accepted_height", "Height of the last accepted block"),
    blocksAccepted: counter("snowchain_consensus_blocks_accepted_total", "Blocks accepted"),
    blocksRejected: counter("snowchain_consensus_blocks_rejected_total", "Blocks rejected"),
    finality: histogram(
      "snowchain_consensus_finality_seconds",
      "Time from a block's timestamp to its acceptance by this peer",
    ),
    polls: counter("snowchain_consensus_polls_total", "Finished polls by outcome", ["outcome"]),
    pollsEndedEarly: counter(
      "snowchain_consensus_polls_ended_early_total",
      "Polls ended before every answer arrived (alpha reached or out of reach)",
    ),
    votesDropped: counter(
      "snowchain_consensus_votes_dropped_total",
      "Votes missing, late or failed, counted with their sample multiplicity",
    ),
    pollDuration: histogram("snowchain_consensus_poll_duration_seconds", "Time from sending a poll to its end"),
    processingBlocks: gauge("snowchain_consensus_processing_blocks", "Blocks neither accepted nor rejected"),
    confidence: gauge(
      "snowchain_consensus_confidence",
      "Confidence of the preferred block at the lowest undecided height",
    ),
    preferenceChanges: counter(
      "snowchain_consensus_preference_changes_total",
      "Times the preferred block at an undecided height changed",
    ),
    pollsInFlight: gauge("snowchain_consensus_polls_in_flight", "Polls sent and not yet ended"),
    pollTopShare: gauge(
      "snowchain_consensus_poll_top_share",
      "Share of K that the last poll gave the most-voted block at the lowest undecided height (1: unanimous; near 0.5: split)",
    ),
  };
  const chain: ChainMetrics = {
    entriesSubmitted: counter("snowchain_chain_entries_submitted_total", "Entries submitted to this peer"),
    entriesAccepted: counter("snowchain_chain_entries_accepted_total", "Entries in accepted blocks"),
    entriesForwarded: counter("snowchain_chain_entries_forwarded_total", "Pending entries forwarded to the leader of the next height"),
    mempoolEntries: gauge("snowchain_chain_mempool_entries", "Entries waiting in the mempool"),
  };
  const sync: SyncMetrics = {
    blocksFetched: counter("snowchain_sync_blocks_fetched_total", "Blocks fetched from other peers by sync"),
    active: gauge("snowchain_sync_active", "1 while a sync runs, else 0"),
    conflicts: counter(
      "snowchain_sync_conflicts_total",
      "Accepted blocks fetched from a peer that do not continue this peer's accepted chain (a fork)",
    ),
    disagreements: counter(
      "snowchain_sync_disagreements_total",
      "Sync rounds where no fetched block was reported accepted by more than half of the sampled members (nothing adopted)",
    ),
  };
  const p2p: P2pMetrics = {
    benchedMembers: gauge("snowchain_p2p_benched_members", "Members benched: their queries fail at once for a while, after timing out several times in a row"),
    knownMembers: gauge("snowchain_p2p_known_members", "Members known to this peer, self excluded"),
    liveMembers: gauge("snowchain_p2p_live_members", "Known members not marked unreachable"),
    liveNeighbors: gauge("snowchain_p2p_live_neighbors", "Members with an established connection"),
    handshakes: counter("snowchain_p2p_handshakes_total", "Handshakes by result", ["result"]),
    membersDropped: counter(
      "snowchain_p2p_members_dropped_total",
      "Members dropped after being unreachable longer than the grace period",
    ),
  };
  const grpc: GrpcMetrics = {
    serverHandled: counter("snowchain_grpc_server_handled_total", "gRPC calls served", ["method", "code"]),
    serverHandling: histogram("snowchain_grpc_server_handling_seconds", "gRPC call serving time", ["method"]),
    streamsRefused: counter(
      "snowchain_grpc_streams_refused_total",
      "Streams ended or refused with RESOURCE_EXHAUSTED: the caller left too much unread, or opened too many",
      ["method", "bound"],
    ),
    clientHandled: counter("snowchain_grpc_client_handled_total", "gRPC calls made", ["method", "code"]),
    clientHandling: histogram("snowchain_grpc_client_handling_seconds", "gRPC call round trip time", ["method"]),
  };
  const node: NodeMetrics = {
    info: gauge("snowchain_node_info", "Always 1; labels identify the peer", ["version", "behaviour", "id"]),
  };
  const byzantine: ByzantineMetrics = {
    equivocations: counter(
      "snowchain_byzantine_equivocations_total",
      "Pairs of validly signed blocks of one proposer at one height this peer received: evidence of an equivocating proposer",
    ),
    reportsSent: counter("snowchain_byzantine_reports_sent_total", "Collusion reports this balancing peer sent to members (BYZANTINE_GROUP), by result: accepted, refused, failed", ["result"]),
    reportsReceived: counter("snowchain_byzantine_reports_received_total", "Collusion reports this balancing peer was sent, by result: accepted or refused", ["result"]),
    observationsMerged: counter("snowchain_byzantine_observations_merged_total", "Members' observations from fellows' reports merged into this balancing peer's split estimate"),
  };

  // Series with a fixed, small label set exist from the first scrape (at 0), so a rate or a
  // ratio over them is 0 rather than absent before the first event.
  for (const outcome of POLL_OUTCOMES) consensus.polls.inc({ outcome }, 0);
  for (const result of HANDSHAKE_RESULTS) p2p.handshakes.inc({ result }, 0);
  // `id` (the key-derived node id) is known once the peer loaded its key: setIdentity fills it in.
  node.info.set({ version: opts.version, behaviour: opts.behaviour ?? "honest", id: "" }, 1);

  return {
    registry,
    consensus,
    chain,
    sync,
    p2p,
    grpc,
    node,
    byzantine,
    setIdentity(id: string): void {
      node.info.reset();
      node.info.set({ version: opts.version, behaviour: opts.behaviour ?? "honest", id }, 1);
    },
  };
}

/** What docs/metrics.md says of each metric: its name, type and own labels. */
export interface MetricDescription {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary";
  /** The metric's own label names, sorted; default labels (node_id) excluded. */
  labelNames: string[];
}

/** The metrics in `registry` that snowchain defines (prefix `snowchain_`), sorted by name. */
export function describeMetrics(registry: Registry): MetricDescription[] {
  return registry
    .getMetricsAsArray()
    .filter((m) => m.name.startsWith(METRIC_PREFIX))
    .map((m) => {
      // prom-client's typings declare `type` as a numeric enum and omit `labelNames`; at run time
      // both are plain fields of every metric ("counter", ["method", "code"]).
      const raw = m as unknown as { type: MetricDescription["type"]; labelNames?: readonly string[] };
      return { name: m.name, type: raw.type, labelNames: [...(raw.labelNames ?? [])].sort() };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Names of the metrics in `registry` that snowchain defines (prefix `snowchain_`), sorted. */
export function metricNames(registry: Registry): string[] {
  return describeMetrics(registry).map((m) => m.name);
}

/** One poll's report as metrics: outcome, early end, dropped votes, duration, and the gauges it moves. */
export function recordPoll(m: Metrics, r: PollReport, now: { readonly inFlight: number; readonly confidence: number }): void {
  m.consensus.polls.inc({ outcome: r.successful ? "successful" : "failed" });
  if (r.endedEarly) m.consensus.pollsEndedEarly.inc();
  if (r.droppedVotes > 0) m.consensus.votesDropped.inc(r.droppedVotes);
  m.consensus.pollDuration.observe(r.durationMs / 1000);
  m.consensus.pollsInFlight.set(now.inFlight);
  m.consensus.pollTopShare.set(r.topShare);
  m.consensus.confidence.set(now.confidence);
}
