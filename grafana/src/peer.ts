/**
 * snowchain — peer detail: one peer in depth, picked by node id. Generated into
 * grafana/dashboards/peer.json by `npm run dashboards`; the shapes are in panels.ts. Every query
 * filters on node_id="$node_id", the peer the variable picks.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  MappingType,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
  type Dashboard,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DATASOURCE, OVERVIEW, PEER_DETAIL, colorFrom, query, row, snowchainDashboard, stat, timeseries } from "./panels";

export function peerDashboard(): Dashboard {
  return snowchainDashboard({
    ...PEER_DETAIL,
    description: "One peer in depth: consensus, data, network and resources. Pick the peer by node id.",
    linkTo: OVERVIEW,
    variables: [nodeIdVariable()],
    faultTarget: "$node_id",
    panels: [
      row("Peer"),
      stat({
        title: "Version",
        description:
          "snowchain version this peer runs (snowchain_node_info). 'No data' means Prometheus cannot scrape the peer right now.",
        unit: "short",
        queries: [
          query('max by (version) (snowchain_node_info{node_id="$node_id"})', "{{version}}"),
        ],
        // The version is a label, not a value: show the series' name ({{version}}).
        textMode: common.BigValueTextMode.Name,
      }),
      stat({
        title: "Scrape up",
        description:
          "1 while Prometheus can scrape this peer, 0 while it cannot (paused, hung). A killed Compose replica leaves DNS, so this turns to 'No data' after about 10 minutes rather than 0.",
        unit: "short",
        decimals: 0,
        queries: [
          query('max(up{job="snowchain"} * on(instance) group_left() max by (instance) (last_over_time(snowchain_node_info{node_id="$node_id"}[10m])))', "up"),
        ],
        thresholds: colorFrom(1, "red", "green"),
      }),
      stat({
        title: "Last accepted height",
        description: "Height of the last block this peer accepted.",
        unit: "short",
        decimals: 0,
        queries: [
          query('max(snowchain_consensus_last_accepted_height{node_id="$node_id"})', "height"),
        ],
      }),
      stat({
        title: "Behind highest peer",
        description:
          "Blocks this peer is behind the highest reachable peer. Peers are scraped up to 5 s apart, so under load a few seconds' worth of blocks is normal; after a restart it starts high and falls as sync catches up.",
        unit: "short",
        decimals: 0,
        queries: [
          query('max(snowchain:height_lag{node_id="$node_id"})', "behind"),
        ],
      }),
      stat({
        title: "Syncing",
        description:
          "Whether a sync (catch-up from other peers) is running now. Expected right after start or restart; a sync that never ends means no peer serves the missing blocks.",
        unit: "short",
        queries: [
          query('max(snowchain_sync_active{node_id="$node_id"})', "sync"),
        ],
        mappings: [
          {
            type: MappingType.ValueToText,
            options: { "0": { text: "no", index: 0 }, "1": { text: "syncing", index: 1 } },
          },
        ],
      }),
      stat({
        title: "Members dropped (time range)",
        description:
          "Members this peer dropped from its membership in the selected time range, after they stayed unreachable longer than the grace period. A scale-down drops the removed replicas; a partition longer than the grace drops the other side (and can fork the chain).",
        unit: "short",
        decimals: 0,
        queries: [
          query('sum(increase(snowchain_p2p_members_dropped_total{node_id="$node_id"}[$__range]))', "dropped"),
        ],
      }),
      row("Consensus"),
      timeseries({
        title: "Height: this peer and the highest",
        description:
          "This peer's last accepted height against the highest reachable peer's. Overlapping lines: in step. A gap that opens: this peer is stuck. A gap that closes steeply: a catch-up.",
        unit: "short",
        decimals: 0,
        queries: [
          query('max by (node_id) (snowchain_consensus_last_accepted_height{node_id="$node_id"})', "{{node_id}}"),
          query("snowchain:height:max", "highest peer"),
        ],
      }),
      timeseries({
        title: "Blocks per second",
        description:
          "Blocks this peer accepted and rejected per second. Rejections come with competing blocks at one height; their entries go back to the mempool.",
        unit: "ops",
        queries: [
          query('sum(rate(snowchain_consensus_blocks_accepted_total{node_id="$node_id"}[$__rate_interval]))', "accepted"),
          query('sum(rate(snowchain_consensus_blocks_rejected_total{node_id="$node_id"}[$__rate_interval]))', "rejected"),
        ],
      }),
      timeseries({
        title: "Finality on this peer",
        description:
          "Quantiles of block timestamp → acceptance on this peer. A peer far above the network's finality is slow to collect votes (few neighbors, overloaded) or is catching up (blocks accepted by sync are old).",
        unit: "s",
        queries: [
          query('histogram_quantile(0.50, sum by (le) (rate(snowchain_consensus_finality_seconds_bucket{node_id="$node_id"}[$__rate_interval])))', "p50"),
          query('histogram_quantile(0.95, sum by (le) (rate(snowchain_consensus_finality_seconds_bucket{node_id="$node_id"}[$__rate_interval])))', "p95"),
          query('histogram_quantile(0.99, sum by (le) (rate(snowchain_consensus_finality_seconds_bucket{node_id="$node_id"}[$__rate_interval])))', "p99"),
        ],
      }),
      timeseries({
        title: "Polls per second",
        description:
          "This peer's finished polls by outcome, and how many ended early (alpha_c reached, or out of reach, before every answer came). Failed polls rise when members are missing or votes split.",
        unit: "ops",
        queries: [
          query('sum by (outcome) (rate(snowchain_consensus_polls_total{node_id="$node_id"}[$__rate_interval]))', "{{outcome}}"),
          query('sum(rate(snowchain_consensus_polls_ended_early_total{node_id="$node_id"}[$__rate_interval]))', "ended early"),
        ],
      }),
      timeseries({
        title: "Votes dropped per second",
        description:
          "Missing, late or failed answers to this peer's polls, counted with their multiplicity in the sample of K. Near 0 when healthy; each dead member costs about K/members dropped votes per poll until it is dropped.",
        unit: "ops",
        queries: [
          query('sum(rate(snowchain_consensus_votes_dropped_total{node_id="$node_id"}[$__rate_interval]))', "dropped"),
        ],
      }),
      timeseries({
        title: "Poll duration",
        description:
          "Time from sending a poll to its end. Healthy polls end early at the alpha_c quorum (about one round trip); polls that wait for missing members end at the poll timeout.",
        unit: "s",
        queries: [
          query('histogram_quantile(0.50, sum by (le) (rate(snowchain_consensus_poll_duration_seconds_bucket{node_id="$node_id"}[$__rate_interval])))', "p50"),
          query('histogram_quantile(0.95, sum by (le) (rate(snowchain_consensus_poll_duration_seconds_bucket{node_id="$node_id"}[$__rate_interval])))', "p95"),
          query('histogram_quantile(0.99, sum by (le) (rate(snowchain_consensus_poll_duration_seconds_bucket{node_id="$node_id"}[$__rate_interval])))', "p99"),
        ],
      }),
      timeseries({
        title: "Undecided blocks and polls in flight",
        description:
          "Blocks neither accepted nor rejected, and polls sent but not ended. Both return to 0 on an idle network; polls in flight are bounded by the concurrent-polls setting.",
        unit: "short",
        decimals: 0,
        queries: [
          query('max(snowchain_consensus_processing_blocks{node_id="$node_id"})', "undecided blocks"),
          query('max(snowchain_consensus_polls_in_flight{node_id="$node_id"})', "polls in flight"),
        ],
      }),
      timeseries({
        title: "Confidence and preference changes",
        description:
          "Confidence: consecutive successful polls for the preferred block at the lowest undecided height; the block is accepted when it reaches beta (20 by default), then it restarts for the next height. A sawtooth that never reaches beta is a stall. Preference changes: switches of the preferred block (contention).",
        unit: "short",
        queries: [
          query('max(snowchain_consensus_confidence{node_id="$node_id"})', "confidence"),
          query('sum(rate(snowchain_consensus_preference_changes_total{node_id="$node_id"}[$__rate_interval]))', "preference changes/s"),
        ],
      }),
      row("Data"),
      timeseries({
        title: "Entries per second",
        description:
          "Entries submitted to this peer by clients and entries this peer accepted (from any submitter). Accepted follows the whole network's submissions, not only this peer's.",
        unit: "ops",
        queries: [
          query('sum(rate(snowchain_chain_entries_submitted_total{node_id="$node_id"}[$__rate_interval]))', "submitted here"),
          query('sum(rate(snowchain_chain_entries_accepted_total{node_id="$node_id"}[$__rate_interval]))', "accepted"),
        ],
      }),
      timeseries({
        title: "Mempool entries",
        description:
          "Entries waiting to be proposed in a block. Rises with load and drains as blocks are accepted; it keeps growing when the network stalls, and jumps when rejected blocks return their entries.",
        unit: "short",
        decimals: 0,
        queries: [
          query('max(snowchain_chain_mempool_entries{node_id="$node_id"})', "mempool"),
        ],
      }),
      timeseries({
        title: "Sync",
        description:
          "Whether a sync runs (1), blocks fetched from other peers per second, and sync rounds per second that adopted nothing because the sampled members did not agree (more than half must report the fetched block as accepted). A restarted peer shows a burst of fetched blocks while syncing, then 0. Disagreements mean a member lies about its chain (a sync-liar) or the network forked.",
        unit: "short",
        queries: [
          query('max(snowchain_sync_active{node_id="$node_id"})', "syncing"),
          query('sum(rate(snowchain_sync_blocks_fetched_total{node_id="$node_id"}[$__rate_interval]))', "blocks fetched/s"),
          query('sum(rate(snowchain_sync_disagreements_total{node_id="$node_id"}[$__rate_interval]))', "disagreements/s"),
        ],
      }),
      row("Network"),
      timeseries({
        title: "Members",
        description:
          "Known: the membership this peer samples from (self excluded). Live: known members not marked unreachable. Neighbors: members with an open connection. Benched: members whose last queries timed out, whose votes are dropped at once for a while instead of waited for. Known above live means dead members still in the sample (missing votes); known falls when the grace period drops them.",
        unit: "short",
        decimals: 0,
        queries: [
          query('max(snowchain_p2p_known_members{node_id="$node_id"})', "known"),
          query('max(snowchain_p2p_live_members{node_id="$node_id"})', "live"),
          query('max(snowchain_p2p_live_neighbors{node_id="$node_id"})', "neighbors"),
          query('max(snowchain_p2p_benched_members{node_id="$node_id"})', "benched"),
        ],
      }),
      timeseries({
        title: "Handshakes per second by result",
        description:
          "ok: a member joined or reconnected. refused: the other side is another network (genesis or protocol version). failed: unreachable. Bursts of failed follow killed peers as this peer retries them.",
        unit: "ops",
        queries: [
          query('sum by (result) (rate(snowchain_p2p_handshakes_total{node_id="$node_id"}[$__rate_interval]))', "{{result}}"),
        ],
      }),
      timeseries({
        title: "gRPC calls served by method and code",
        description:
          "Incoming calls per second by method and status. Non-OK codes on calls served point at this peer (overloaded, not ready, bad requests).",
        unit: "reqps",
        queries: [
          query('sum by (method, code) (rate(snowchain_grpc_server_handled_total{node_id="$node_id"}[$__rate_interval]))', "{{method}} {{code}}"),
        ],
      }),
      timeseries({
        title: "gRPC calls made by method and code",
        description:
          "Outgoing calls per second by method and status. DEADLINE_EXCEEDED / UNAVAILABLE here are calls to dead, paused or partitioned members.",
        unit: "reqps",
        queries: [
          query('sum by (method, code) (rate(snowchain_grpc_client_handled_total{node_id="$node_id"}[$__rate_interval]))', "{{method}} {{code}}"),
        ],
      }),
      timeseries({
        title: "gRPC latency p95",
        description:
          "95th percentile round trip of calls made and handling time of calls served, by method. Round trips at the deadline are calls to unreachable members.",
        unit: "s",
        width: 24,
        queries: [
          query('histogram_quantile(0.95, sum by (le, method) (rate(snowchain_grpc_client_handling_seconds_bucket{node_id="$node_id"}[$__rate_interval])))', "{{method}} round trip"),
          query('histogram_quantile(0.95, sum by (le, method) (rate(snowchain_grpc_server_handling_seconds_bucket{node_id="$node_id"}[$__rate_interval])))', "{{method}} serve"),
        ],
      }),
      row("Resources"),
      timeseries({
        title: "CPU",
        description:
          "CPU time per second of this peer process (1 = one core).",
        unit: "percentunit",
        min: 0,
        width: 8,
        queries: [
          query('sum(rate(process_cpu_seconds_total{job="snowchain", node_id="$node_id"}[$__rate_interval]))', "cpu"),
        ],
      }),
      timeseries({
        title: "Memory",
        description:
          "Resident memory, V8 heap used and heap total. Heap used saw-tooths with garbage collection; a rising floor under constant load is a leak.",
        unit: "bytes",
        min: 0,
        width: 8,
        queries: [
          query('max(process_resident_memory_bytes{job="snowchain", node_id="$node_id"})', "resident"),
          query('sum(nodejs_heap_size_used_bytes{job="snowchain", node_id="$node_id"})', "heap used"),
          query('sum(nodejs_heap_size_total_bytes{job="snowchain", node_id="$node_id"})', "heap total"),
        ],
      }),
      timeseries({
        title: "Event loop lag and GC",
        description:
          "Event loop delay (p50, p99) and time spent in garbage collection per second. A p99 lag near the poll timeout makes this peer's answers late for everyone (dropped votes elsewhere).",
        unit: "s",
        width: 8,
        queries: [
          query('max(nodejs_eventloop_lag_p50_seconds{job="snowchain", node_id="$node_id"})', "lag p50"),
          query('max(nodejs_eventloop_lag_p99_seconds{job="snowchain", node_id="$node_id"})', "lag p99"),
          query('sum(rate(nodejs_gc_duration_seconds_sum{job="snowchain", node_id="$node_id"}[$__rate_interval]))', "GC s/s"),
        ],
      }),
    ],
  });
}

/**
 * $node_id: every peer that reports snowchain_node_info, sorted, one at a time. Listed again when
 * the time range changes, so a peer that joined since the dashboard opened can be picked.
 */
function nodeIdVariable(): QueryVariableBuilder {
  return new QueryVariableBuilder("node_id")
    .label("Peer (node id)")
    .datasource(DATASOURCE)
    .query("label_values(snowchain_node_info, node_id)")
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .includeAll(false)
    .multi(false)
    .regex("");
}
