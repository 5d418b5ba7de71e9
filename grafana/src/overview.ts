/**
 * snowchain — network overview: the whole testnet at a glance, every peer a line. Generated into
 * grafana/dashboards/overview.json by `npm run dashboards`; the shapes are in panels.ts.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import { type Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as TableBuilder } from "@grafana/grafana-foundation-sdk/table";
import {
  OVERVIEW,
  PEER_DETAIL,
  colorFrom,
  describePanel,
  perPeerTimeseries,
  query,
  row,
  snowchainDashboard,
  stat,
  timeseries,
} from "./panels";

export function overviewDashboard(): Dashboard {
  return snowchainDashboard({
    ...OVERVIEW,
    description: "The whole testnet at a glance: are peers up, agreeing and finalizing, and what it costs.",
    linkTo: PEER_DETAIL,
    panels: [
      row("Network at a glance"),
      stat({
        title: "Peers up",
        description:
          "Peers answering Prometheus' scrapes, out of the peers Prometheus knows of. In Compose, `docker pause` keeps a peer a target that fails (up < targets); `docker kill` and scale-down remove it from DNS within 5 s, so both numbers drop. A killed peer is then visible as 'unreachable members' below.",
        unit: "short",
        decimals: 0,
        queries: [
          query('sum(up{job="snowchain"})', "up"),
          query('count(up{job="snowchain"})', "targets"),
        ],
      }),
      stat({
        title: "Height (highest peer)",
        description:
          "Last accepted height of the most advanced reachable peer. It should climb while entries are submitted; frozen while 'undecided blocks' is above 0 means the network is stalled (too many members missing to reach the alpha quorum).",
        unit: "short",
        decimals: 0,
        queries: [
          query("snowchain:height:max", "height"),
        ],
      }),
      stat({
        title: "Height spread",
        description:
          "Highest minus lowest last accepted height among reachable peers. Prometheus scrapes peers up to 5 s apart, so at a high block rate a few seconds' worth of blocks is normal here. A spread that keeps growing means one peer is stuck; after a restart it jumps, then falls back as the peer catches up by sync.",
        unit: "short",
        decimals: 0,
        queries: [
          query("snowchain:height_spread", "spread"),
        ],
      }),
      stat({
        title: "Entries accepted / s",
        description:
          "Entries per second landing in the accepted chain (every peer accepts every entry, so this is the fastest peer's rate over 1m, not a sum). 0 while entries are being submitted means consensus is stalled.",
        unit: "ops",
        queries: [
          query("max(snowchain:entries_accepted:rate1m)", "entries/s"),
        ],
      }),
      stat({
        title: "Finality p50",
        description:
          "Median time from a block's timestamp to its acceptance, over all peers and the last minute. Shows 'No data'/NaN while no block is accepted (an idle network). Compare with p95/p99 below: a long tail means some peers decide late.",
        unit: "s",
        queries: [
          query("snowchain:finality_seconds:p50", "p50"),
        ],
      }),
      stat({
        title: "Alerts firing",
        description:
          "snowchain alerts currently firing in Prometheus (prometheus/rules/alerts.yml): peer down, peer not accepting, height spread, poll failures, unreachable members, network stalled. Open Prometheus' /alerts page for which ones.",
        unit: "short",
        decimals: 0,
        queries: [
          query('sum(ALERTS{alertstate="firing", alertname=~"Snowchain.*"}) or vector(0)', "firing"),
        ],
        // Any firing alert is a problem to look at.
        thresholds: colorFrom(1, "green", "red"),
      }),
      peersTable(),
      row("Consensus progress"),
      perPeerTimeseries({
        title: "Last accepted height per peer",
        description:
          "One line per peer. Healthy: the lines overlap and climb together. A stall: every line goes flat while undecided blocks stay above 0. A stuck or paused peer: its line goes flat (or ends) while the others climb. A catch-up: a restarted peer's line reappears low and climbs steeply until it joins the others. Click a line for that peer's detail.",
        unit: "short",
        decimals: 0,
        queries: [
          query("max by (node_id) (snowchain_consensus_last_accepted_height)", "{{node_id}}"),
        ],
      }),
      perPeerTimeseries({
        title: "Height spread and lag",
        description:
          "Spread: highest minus lowest reachable peer. Lag: how many blocks each peer is behind the highest. Peers are scraped up to 5 s apart, so under load a steady lag of a few seconds' worth of blocks is scrape skew, not a problem. During a catch-up a peer's lag jumps up then falls to near 0; a lag that keeps growing is a peer that cannot follow (see its sync and neighbors).",
        unit: "short",
        decimals: 0,
        queries: [
          query("snowchain:height_spread", "spread (max − min)"),
          query("snowchain:height_lag", "{{node_id}} behind"),
        ],
      }),
      perPeerTimeseries({
        title: "Blocks accepted per second",
        description:
          "Blocks each peer accepts per second (1m rate) and blocks rejected across the network. Every peer should accept at the same rate; a line at 0 while others are not is a stuck peer. Rejections are normal in bursts (competing blocks at one height: the losers are rejected and their entries return to the mempool).",
        unit: "ops",
        queries: [
          query("snowchain:blocks_accepted:rate1m", "{{node_id}}"),
          query("sum(snowchain:blocks_rejected:rate1m)", "rejected (all peers)"),
        ],
      }),
      timeseries({
        title: "Entries per second",
        description:
          "Accepted: entries landing in the chain (the fastest peer, 1m rate). Submitted: entries clients handed to any peer. Accepted should follow submitted; if submitted stays up while accepted falls to 0, entries pile up in mempools (the network stalled).",
        unit: "ops",
        queries: [
          query("max(snowchain:entries_accepted:rate1m)", "accepted (network)"),
          query("sum(snowchain:entries_submitted:rate1m)", "submitted (all peers)"),
        ],
      }),
      timeseries({
        title: "Finality (block timestamp → acceptance)",
        description:
          "Quantiles of the time from a block's timestamp to its acceptance, all peers, 1m window. p50 tracks beta consecutive successful polls × the poll round trip. When peers are killed, polls lose votes and p95/p99 rise first; gaps mean no block was accepted in the window.",
        unit: "s",
        queries: [
          query("snowchain:finality_seconds:p50", "p50"),
          query("snowchain:finality_seconds:p95", "p95"),
          query("snowchain:finality_seconds:p99", "p99"),
        ],
      }),
      perPeerTimeseries({
        title: "Poll success ratio",
        description:
          "Share of each peer's polls that reached the alpha_p quorum (1m). Near 100% when healthy. It drops when members are missing (each missing member is a dropped vote) or votes are split between competing blocks; below 1 − alpha_c/K of the sample answering, polls fail and the network stalls. Gaps mean no polls: nothing undecided.",
        unit: "percentunit",
        min: 0,
        max: 1,
        queries: [
          query("snowchain:poll_success_ratio:rate1m", "{{node_id}}"),
        ],
      }),
      perPeerTimeseries({
        title: "Preference changes per second",
        description:
          "Times a peer switched its preferred block at an undecided height. Near 0 when one block per height is proposed; bursts show contention (several peers proposing at once) being resolved. A sustained high rate with no acceptances would be a network that cannot make up its mind.",
        unit: "ops",
        queries: [
          query("sum by (node_id) (rate(snowchain_consensus_preference_changes_total[$__rate_interval]))", "{{node_id}}"),
        ],
      }),
      perPeerTimeseries({
        title: "Undecided blocks per peer",
        description:
          "Blocks each peer knows that are neither accepted nor rejected. Small and short-lived when healthy; it returns to 0 when the network is idle. Growing on every peer while heights are flat is a stall; growing on one peer alone is a peer that cannot get its polls answered.",
        unit: "short",
        decimals: 0,
        queries: [
          query("max by (node_id) (snowchain_consensus_processing_blocks)", "{{node_id}}"),
        ],
      }),
      row("Network"),
      perPeerTimeseries({
        title: "Live neighbors and unreachable members per peer",
        description:
          "Neighbors: members each peer holds a live connection to. Unreachable: members it still samples but cannot reach (known − live); they count as missing votes until the grace period drops them. Killing a peer makes every survivor's unreachable count rise by one, then fall back when it is dropped or restarted.",
        unit: "short",
        decimals: 0,
        queries: [
          query("max by (node_id) (snowchain_p2p_live_neighbors)", "{{node_id}} neighbors"),
          query("snowchain:members_unreachable", "{{node_id}} unreachable"),
        ],
      }),
      timeseries({
        title: "gRPC calls per second by method",
        description:
          "Calls served (incoming) and made (outgoing) across all peers, by method. Query traffic follows poll activity and drops to near 0 on an idle network; FetchRange traffic appears while a peer syncs.",
        unit: "reqps",
        queries: [
          query("sum by (method) (rate(snowchain_grpc_server_handled_total[$__rate_interval]))", "{{method}} served"),
          query("sum by (method) (rate(snowchain_grpc_client_handled_total[$__rate_interval]))", "{{method}} made"),
        ],
      }),
      perPeerTimeseries({
        title: "gRPC errors per second",
        description:
          "Calls that did not end OK, by peer and status code (0 when all succeed). Outgoing DEADLINE_EXCEEDED / UNAVAILABLE appear on every survivor when a peer is killed or paused; served errors point at the peer itself (overload, bad requests).",
        unit: "reqps",
        queries: [
          query('sum by (node_id, code) (rate(snowchain_grpc_client_handled_total{code!="OK"}[$__rate_interval])) or on(node_id) 0 * sum by (node_id) (rate(snowchain_grpc_client_handled_total[$__rate_interval]))', "{{node_id}} made {{code}}"),
          query('sum by (node_id, code) (rate(snowchain_grpc_server_handled_total{code!="OK"}[$__rate_interval])) or on(node_id) 0 * sum by (node_id) (rate(snowchain_grpc_server_handled_total[$__rate_interval]))', "{{node_id}} served {{code}}"),
        ],
      }),
      timeseries({
        title: "gRPC latency p95 by method",
        description:
          "95th percentile time of calls made (round trip, as the caller sees it) and served (handler time), by method. Round trips well above serve times point at the network or an overloaded event loop; a jump to the deadline means calls to a dead or paused peer.",
        unit: "s",
        queries: [
          query("histogram_quantile(0.95, sum by (le, method) (rate(snowchain_grpc_client_handling_seconds_bucket[$__rate_interval])))", "{{method}} round trip"),
          query("histogram_quantile(0.95, sum by (le, method) (rate(snowchain_grpc_server_handling_seconds_bucket[$__rate_interval])))", "{{method}} serve"),
        ],
      }),
      row("Byzantine peers"),
      stat({
        title: "Byzantine peers",
        description:
          "Peers running a byzantine behaviour (BEHAVIOUR other than honest: silent, random, contrarian, balancing, equivocator, sync-liar, flooder), out of all peers reachable. Up to 1 − αC/K of the sample (25% with the defaults) the honest peers go on, only slower; never do they accept different blocks at a height.",
        unit: "short",
        thresholds: colorFrom(1, "green", "orange"),
        queries: [query('count(snowchain_node_info{behaviour!="honest"}) or vector(0)', "byzantine")],
      }),
      perPeerTimeseries({
        title: "Equivocations seen per peer",
        description:
          "Pairs of validly signed blocks of one proposer at one height that each peer received: evidence of an equivocator (its log names the proposer and both block ids). A peer that only ever held one of the two blocks sees nothing; one that held the losing one and then learnt the winner counts it. Always 0 among honest peers.",
        unit: "short",
        width: 10,
        queries: [query("sum by (node_id) (increase(snowchain_byzantine_equivocations_total[$__rate_interval]))", "{{node_id}}")],
      }),
      perPeerTimeseries({
        title: "Sync rounds refused per peer",
        description:
          "Sync rounds that adopted nothing because fewer than half of the sampled members reported the fetched block as accepted: a member served a fabricated chain (a sync-liar), or the network forked. The liar's taller claims are outvoted before anything is fetched; this counts the fetches that were.",
        unit: "short",
        width: 10,
        queries: [query("sum by (node_id) (increase(snowchain_sync_disagreements_total[$__rate_interval]))", "{{node_id}}")],
      }),
      perPeerTimeseries({
        title: "How split the last poll was, per peer",
        description:
          "The share of K that each peer's last poll gave the most-voted block at its lowest undecided height. 1: every sampled vote agreed; near 0.5: the network is split between two candidates — the metastability a balancing adversary keeps alive; under αP/K (0.75 with the defaults) the poll failed. On an idle network the value stays at the last poll's. Honest networks sit near 1 and dip briefly when proposals conflict.",
        unit: "percentunit",
        min: 0,
        max: 1,
        width: 24,
        queries: [query("max by (node_id) (snowchain_consensus_poll_top_share)", "{{node_id}}")],
      }),
      row("Resources"),
      perPeerTimeseries({
        title: "CPU per peer",
        description:
          "CPU time each peer process uses per second (1 = one full core). An idle network should stay well under 1% per peer; under load it scales with polls per second.",
        unit: "percentunit",
        min: 0,
        queries: [
          query('sum by (node_id) (rate(process_cpu_seconds_total{job="snowchain"}[$__rate_interval]))', "{{node_id}}"),
        ],
      }),
      perPeerTimeseries({
        title: "Memory per peer",
        description:
          "Resident memory of each peer process. It should level off; steady growth under a constant load points at a leak (for example undecided blocks or mempool entries never released).",
        unit: "bytes",
        min: 0,
        queries: [
          query('max by (node_id) (process_resident_memory_bytes{job="snowchain"})', "{{node_id}}"),
        ],
      }),
    ],
  });
}

/** One line per reachable peer, to tell which container (scraped address) runs which node id. */
function peersTable(): TableBuilder {
  return describePanel(
    new TableBuilder(),
    {
      title: "Peers",
      description:
        "Every reachable peer: its name (node_id), its key-derived node id (id, what blocks name as proposer), its behaviour (honest or byzantine), version and the address Prometheus scrapes (to match a container to a peer). A killed peer disappears from this table; a paused one too (its scrapes fail).",
      unit: "short",
      queries: [query("max by (node_id, id, behaviour, version, instance) (snowchain_node_info)", "")],
    },
    "table",
    { w: 24, h: 6 },
  )
    .showHeader(true)
    .cellHeight(common.TableCellHeight.Sm)
    .withTransformation({
      // The labels are the content; the sample's time and value (always 1) are not.
      id: "organize",
      options: { excludeByName: { Time: true, Value: true }, indexByName: { node_id: 0, id: 1, behaviour: 2, version: 3, instance: 4 } },
    });
}
