export {
  createMetrics,
  describeMetrics,
  metricNames,
  DURATION_BUCKETS,
  HANDSHAKE_RESULTS,
  METRIC_PREFIX,
  POLL_OUTCOMES,
} from "./metrics";
export type {
  ChainMetrics,
  ConsensusMetrics,
  GrpcCodeName,
  GrpcMetrics,
  HandshakeResult,
  MetricDescription,
  Metrics,
  MetricsOptions,
  NodeMetrics,
  P2pMetrics,
  PollOutcome,
  SyncMetrics,
} from "./metrics";
export { DEFAULT_METRICS_PORT, MetricsServer } from "./server";
export type { MetricsServerDeps, MetricsServerOptions, Readiness } from "./server";
