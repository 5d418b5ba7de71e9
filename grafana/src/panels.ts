/**
 * The shapes both snowchain dashboards are made of, built with Grafana's foundation SDK: the
 * dashboard frame, rows, stats, per-peer time series and their Prometheus queries. overview.ts and
 * peer.ts say what each panel shows; this module says how every panel of a kind looks, so the two
 * dashboards cannot drift apart in units, legends, tooltips or links.
 */
import * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  FieldColorBuilder,
  FieldColorModeId,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  TimePickerBuilder,
  type AnnotationQuery,
  type DataSourceRef,
  type Dashboard,
  type FieldColor,
  type Panel,
  type Threshold,
  type ValueMapping,
  type VariableModel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";

/** The datasource grafana/provisioning/datasources/prometheus.yml provisions, by its fixed uid. */
export const DATASOURCE: DataSourceRef = Object.freeze({ type: "prometheus", uid: "snowchain-prometheus" });

/** A dashboard as the other one links to it. */
export interface DashboardRef {
  uid: string;
  title: string;
  /** /d/<uid>/<slug of the title>, as Grafana serves it. */
  url: string;
  /** The title of the link to it in the other dashboard's top bar. */
  linkTitle: string;
}

export const OVERVIEW: DashboardRef = Object.freeze({
  uid: "snowchain-overview",
  title: "snowchain — network overview",
  url: "/d/snowchain-overview/snowchain-network-overview",
  linkTitle: "Network overview",
});

export const PEER_DETAIL: DashboardRef = Object.freeze({
  uid: "snowchain-peer",
  title: "snowchain — peer detail",
  url: "/d/snowchain-peer/snowchain-peer-detail",
  linkTitle: "Peer detail",
});

/** Grafana's grid is 24 columns wide; a row spans all of them. */
const GRID_WIDTH = 24;

/** One PromQL query of a panel and the legend of the series it returns. */
export interface Query {
  expr: string;
  legend: string;
}

export function query(expr: string, legend: string): Query {
  return { expr, legend };
}

/** What every panel states: what it is, how to read it, what it queries and in which unit. */
export interface PanelSpec {
  title: string;
  /** How to read it: the ⓘ next to the title, where people learn what a change of the line means. */
  description: string;
  /** A Grafana unit id: "short", "ops", "reqps", "s", "bytes", "percentunit". */
  unit: string;
  queries: Query[];
  /** 0 for counts (heights, blocks, members), which have no fraction; unset lets Grafana choose. */
  decimals?: number;
  min?: number;
  max?: number;
}

/** The builder methods stat, time series and table panels share (they are separate SDK classes). */
interface SpecPanelBuilder<B> extends cog.Builder<Panel> {
  title(title: string): B;
  description(description: string): B;
  datasource(datasource: DataSourceRef): B;
  withTarget(target: cog.Builder<cog.Dataquery>): B;
  unit(unit: string): B;
  decimals(decimals: number): B;
  min(min: number): B;
  max(max: number): B;
  colorScheme(color: cog.Builder<FieldColor>): B;
  span(w: number): B;
  height(h: number): B;
}

/**
 * "instant" for a single current value (stats), "table" for one row per series (its labels as
 * columns), "range" for lines over the dashboard's time range.
 */
export type QueryKind = "instant" | "table" | "range";

/**
 * Applies `spec` to `panel`: title, description, datasource, unit and range, queries (refIds A, B,
 * C, … in order) and its size on the grid. The SDK places panels left to right, wrapping at 24
 * columns, so a size is all a panel needs for its place.
 */
export function describePanel<B extends SpecPanelBuilder<B>>(
  panel: B,
  spec: PanelSpec,
  kind: QueryKind,
  size: { w: number; h: number },
): B {
  panel
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.PaletteClassic))
    .span(size.w)
    .height(size.h);
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  spec.queries.forEach((q, i) => panel.withTarget(target(q, refId(i), kind)));
  return panel;
}

function refId(index: number): string {
  return String.fromCharCode("A".charCodeAt(0) + index);
}

function target(q: Query, id: string, kind: QueryKind): DataqueryBuilder {
  const t = new DataqueryBuilder().datasource(DATASOURCE).expr(q.expr).legendFormat(q.legend).refId(id);
  if (kind === "range") return t.range();
  t.instant();
  return kind === "table" ? t.format(PromQueryFormat.Table) : t;
}

// ------------------------------------------------------------------------------------------
// Panels

/** A full-width section heading. Expanded: its panels follow it on the dashboard, not inside it. */
export function row(title: string): RowBuilder {
  return new RowBuilder(title);
}

export interface StatSpec extends PanelSpec {
  /** Colours the value by these steps (the first has value null: below every other step). */
  thresholds?: Threshold[];
  /** Shows text instead of a number, e.g. 0 → "no", 1 → "syncing". */
  mappings?: ValueMapping[];
  /** "name" shows the series' legend (e.g. a version label) instead of its value. */
  textMode?: common.BigValueTextMode;
}

/** Threshold steps for a flag or a count: `below` under `at`, `from` at `at` and above. */
export function colorFrom(at: number, below: string, from: string): Threshold[] {
  return [
    { color: below, value: null },
    { color: from, value: at },
  ];
}

/** A single current value, 4 × 4, six to a line: the "at a glance" strip atop each dashboard. */
export function stat(spec: StatSpec): StatBuilder {
  const panel = describePanel(new StatBuilder(), spec, "instant", { w: 4, h: 4 }).reduceOptions(
    // The last value that is not null: the newest scrape, or the one before a peer went away.
    new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).fields("").values(false),
  );
  if (spec.thresholds) {
    panel
      .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds))
      .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(spec.thresholds));
  }
  if (spec.mappings) panel.mappings(spec.mappings);
  if (spec.textMode) panel.textMode(spec.textMode);
  return panel;
}

export interface TimeseriesSpec extends PanelSpec {
  /** Columns of the 24-column grid; two panels to a line unless said otherwise. */
  width?: number;
}

/** Lines over the time range, 8 high; every series in the tooltip, highest first. */
export function timeseries(spec: TimeseriesSpec): TimeseriesBuilder {
  return describePanel(new TimeseriesBuilder(), spec, "range", { w: spec.width ?? GRID_WIDTH / 2, h: 8 })
    .drawStyle(common.GraphDrawStyle.Line)
    .lineWidth(1)
    .fillOpacity(0)
    .showPoints(common.VisibilityMode.Never)
    // A gap is a missed scrape (a paused or killed peer): it must show as a gap, not a bridge.
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

/**
 * A time series whose series carry a node_id label: clicking one opens that peer's detail
 * dashboard for the same time range, which is how people go from "which peer?" to "why?".
 */
export function perPeerTimeseries(spec: TimeseriesSpec): TimeseriesBuilder {
  // ${__field.labels.node_id} and ${__url_time_range} are Grafana's to fill when the link is
  // clicked (the clicked series' label, the dashboard's time range), not JavaScript's.
  return timeseries(spec).dataLinks([
    new DashboardLinkBuilder("Peer detail for ${__field.labels.node_id}").url(
      `${PEER_DETAIL.url}?var-node_id=\${__field.labels.node_id}&\${__url_time_range}`,
    ),
  ]);
}

// ------------------------------------------------------------------------------------------
// Dashboards

export interface DashboardSpec extends Pick<DashboardRef, "uid" | "title"> {
  description: string;
  /** The other dashboard, linked from the top bar with the same time range. */
  linkTo: DashboardRef;
  variables?: cog.Builder<VariableModel>[];
  /** Only the lab faults on this target (a node id, or a variable such as $node_id). @default every fault */
  faultTarget?: string;
  /** Rows and panels top to bottom; each panel follows its row. */
  panels: (RowBuilder | (cog.Builder<Panel> & { id(id: number): unknown }))[];
}

/** Auto-refresh choices: a testnet changes within seconds, so nothing slower than 5 m. */
const REFRESH_INTERVALS = ["5s", "10s", "30s", "1m", "5m"];

/**
 * The fault lab's windows (snowchain_lab_fault_active, served by `snowchain lab run` while it
 * runs) as Grafana annotations from Prometheus: one region per fault, titled by its kind, tagged
 * with kind and target. The SDK's builder has no field for the Prometheus annotation's step and
 * formats, so they are added to what it builds.
 */
export function labFaults(target?: string): cog.Builder<AnnotationQuery> {
  const selector = target === undefined ? "" : `{target="${target}"}`;
  const base = new AnnotationQueryBuilder()
    .name("Lab faults")
    .datasource(DATASOURCE)
    .enable(true)
    .hide(false)
    .iconColor("rgba(242, 73, 92, 1)")
    .expr(`max by (kind, target) (snowchain_lab_fault_active${selector}) > 0`);
  return {
    build: (): AnnotationQuery =>
      Object.assign(base.build(), { step: "5s", titleFormat: "lab: {{kind}}", textFormat: "{{kind}} on {{target}}", tagKeys: "kind,target", useValueForTime: false }),
  };
}

/**
 * A snowchain dashboard: read-only (provisioned from files, so edits in the UI would be lost),
 * refreshed every 5 s (the scrape interval) over the last 15 m, crosshair shared between panels so
 * one moment can be followed across them. Panels are numbered 1, 2, … in order, rows included.
 */
export function snowchainDashboard(spec: DashboardSpec): Dashboard {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(["snowchain"])
    .timezone("browser")
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh("5s")
    .version(1)
    .time({ from: "now-15m", to: "now" })
    .timepicker(new TimePickerBuilder().refreshIntervals(REFRESH_INTERVALS))
    .variables(spec.variables ?? [])
    .annotation(
      // Grafana's own annotations and alert markers, as Grafana adds them to a new dashboard.
      new AnnotationQueryBuilder()
        .name("Annotations & Alerts")
        .datasource({ type: "grafana", uid: "-- Grafana --" })
        .builtIn(1)
        .enable(true)
        .hide(true)
        .iconColor("rgba(0, 211, 255, 1)")
        .type("dashboard"),
    )
    .annotation(labFaults(spec.faultTarget))
    .link(
      new DashboardLinkBuilder(spec.linkTo.linkTitle)
        .type(DashboardLinkType.Link)
        .url(spec.linkTo.url)
        .icon("dashboard")
        .keepTime(true),
    );
  spec.panels.forEach((p, i) => {
    p.id(i + 1);
    if (p instanceof RowBuilder) builder.withRow(p);
    else builder.withPanel(p);
  });
  return builder.build();
}
