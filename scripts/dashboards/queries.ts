/**
 * What the dashboards and rules ask of Prometheus, and whether Prometheus answers it.
 *
 * Grafana cannot run here, so each dashboard is proven by evaluating every query of every panel
 * (template variables filled with real values, Grafana's $__ intervals with the durations Grafana
 * would use against this Prometheus) through Prometheus' HTTP API. Used by test/dashboards, by
 * the unit lint of the dashboards and by check.ts (any running Prometheus, e.g. Compose's).
 */
import { readdir, readFile } from "node:fs/promises";
import * as path from "node:path";
import { PromQueryError, type PrometheusApi, type PromQueryData } from "./prometheus";

// ------------------------------------------------------------------------------------------
// Grafana dashboard JSON (the parts read here)

export interface GrafanaTarget {
  expr?: string;
  refId?: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
  instant?: boolean;
  format?: string;
}

export interface GrafanaPanel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: GrafanaTarget[];
  /** Panels of a collapsed row. */
  panels?: GrafanaPanel[];
}

export interface GrafanaVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: { type?: string; uid?: string };
}

export interface GrafanaAnnotation {
  name: string;
  datasource?: { type?: string; uid?: string };
  expr?: string;
}

export interface GrafanaDashboard {
  uid: string;
  annotations?: { list: GrafanaAnnotation[] };
  title: string;
  panels: GrafanaPanel[];
  templating?: { list: GrafanaVariable[] };
  time?: { from: string; to: string };
}

/** One query of one panel. */
export interface DashboardQuery {
  /** The JSON file name, e.g. "overview.json". */
  file: string;
  dashboard: string;
  panel: string;
  refId: string;
  /** As written in the dashboard, variables unfilled. */
  expr: string;
}

export interface Dashboard {
  file: string;
  json: GrafanaDashboard;
  /** Every panel's queries, then every Prometheus annotation's (the fault lab's windows). */
  queries: DashboardQuery[];
}

/** Every panel, those nested in collapsed rows included, rows themselves excluded. */
export function panelsOf(dashboard: GrafanaDashboard): GrafanaPanel[] {
  return dashboard.panels.flatMap((p) => (p.type === "row" ? (p.panels ?? []) : [p]));
}

export function parseDashboard(file: string, text: string): Dashboard {
  const json = JSON.parse(text) as GrafanaDashboard;
  const queries = panelsOf(json).flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({
      file,
      dashboard: json.title,
      panel: panel.title ?? `panel ${panel.id ?? "?"}`,
      refId: t.refId ?? "?",
      expr: t.expr ?? "",
    })),
  );
  // Annotations query Prometheus too (Grafana's built-in one does not): each is proven like a panel.
  const annotations = (json.annotations?.list ?? [])
    .filter((a) => a.datasource?.type === "prometheus" && a.expr)
    .map((a) => ({ file, dashboard: json.title, panel: `annotation ${a.name}`, refId: "annotation", expr: a.expr! }));
  return { file, json, queries: [...queries, ...annotations] };
}

/** Every *.json in `dir` (grafana/dashboards), sorted by file name. */
export async function loadDashboards(dir: string): Promise<Dashboard[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  return Promise.all(files.map(async (f) => parseDashboard(f, await readFile(path.join(dir, f), "utf8"))));
}

// ------------------------------------------------------------------------------------------
// Variables

/**
 * Grafana's built-in interval variables, as Grafana computes them for these dashboards against
 * this Prometheus: the datasource's scrape interval is 5 s (timeInterval), so $__interval bottoms
 * out at 5 s and $__rate_interval = max(4 × scrape interval, $__interval + scrape interval) = 20 s;
 * $__range is the dashboards' default time range, 15 m.
 */
export const GRAFANA_BUILTINS: Readonly<Record<string, string>> = Object.freeze({
  __interval: "5s",
  __interval_ms: "5000",
  __rate_interval: "20s",
  __rate_interval_ms: "20000",
  __range: "15m",
  __range_s: "900",
  __range_ms: "900000",
});

const VARIABLE = /\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g;

/**
 * Fills `$name`, `${name}`, `${name:format}` and `[[name]]` from `values` and GRAFANA_BUILTINS.
 * Unknown names are left as they are, as Grafana does; Prometheus then rejects the query.
 */
export function fillVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(VARIABLE, (whole, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? "";
    return values[name] ?? GRAFANA_BUILTINS[name] ?? whole;
  });
}

/** The query text of a Grafana query variable (string or query-editor object form). */
export function variableQuery(v: GrafanaVariable): string {
  return typeof v.query === "string" ? v.query : (v.query?.query ?? "");
}

const LABEL_VALUES = /^\s*label_values\(\s*(?:(.+?)\s*,\s*)?(\w+)\s*\)\s*$/;

/**
 * A value for each template variable, taken from Prometheus the way Grafana would list it (the
 * first value, sorted). Supports the `label_values([match,] label)` queries these dashboards use;
 * throws on any other kind, or on a variable with no values: a dashboard whose variable lists
 * nothing shows nothing.
 */
export async function resolveVariables(
  api: PrometheusApi,
  dashboard: GrafanaDashboard,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== "query") throw new Error(`${dashboard.title}: variable $${v.name} of type ${v.type} is not supported`);
    const m = LABEL_VALUES.exec(variableQuery(v));
    if (!m) throw new Error(`${dashboard.title}: variable $${v.name}: unsupported query "${variableQuery(v)}"`);
    const [, match, label] = m;
    const found = (await api.labelValues(label, match ? fillVariables(match, values) : undefined)).sort();
    if (found.length === 0) throw new Error(`${dashboard.title}: variable $${v.name} (${variableQuery(v)}) has no values`);
    values[v.name] = found[0];
  }
  return values;
}

// ------------------------------------------------------------------------------------------
// Evaluation

export type Verdict = { ok: true; series: number } | { ok: false; problem: string };

/**
 * Evaluates `expr` now. Not ok when Prometheus rejects it, when it returns no series, or when
 * every value is NaN (0/0, or a quantile of a histogram that saw nothing in the window): in each
 * case the panel would show nothing.
 */
export async function checkQuery(api: PrometheusApi, expr: string): Promise<Verdict> {
  let data: PromQueryData;
  try {
    data = await api.query(expr);
  } catch (err: unknown) {
    if (err instanceof PromQueryError) return { ok: false, problem: `Prometheus rejected it: ${err.message}` };
    throw err;
  }
  return verdictOf(data);
}

export function verdictOf(data: PromQueryData): Verdict {
  let values: string[];
  switch (data.resultType) {
    case "vector":
      values = data.result.map((s) => s.value[1]);
      break;
    case "matrix":
      values = data.result.flatMap((s) => s.values.map((v) => v[1]));
      break;
    default:
      values = [data.result[1]];
  }
  if (values.length === 0) return { ok: false, problem: "empty result: no series" };
  if (values.every((v) => v === "NaN")) return { ok: false, problem: `every one of ${values.length} value(s) is NaN` };
  return { ok: true, series: data.resultType === "vector" || data.resultType === "matrix" ? data.result.length : 1 };
}

/** A readable name for a query in failure messages and test titles. */
export function describeQuery(q: DashboardQuery): string {
  return `${q.file} › "${q.panel}" › ${q.refId}`;
}

// ------------------------------------------------------------------------------------------
// Rules and metric names

export interface RuleNames {
  recording: string[];
  alerting: string[];
}

/**
 * The record and alert names of a rule file. Reads `- record: name` / `- alert: name` lines (the
 * layout of prometheus/rules/*.yml); promtool and Prometheus check the rest of the YAML.
 */
export function ruleNames(yamlText: string): RuleNames {
  const names = (key: string) =>
    [...yamlText.matchAll(new RegExp(`^\\s*-?\\s*${key}:\\s*["']?([\\w:]+)["']?\\s*$`, "gm"))].map((m) => m[1]);
  return { recording: names("record"), alerting: names("alert") };
}

/** Every rule name in the *.yml files of `dir` (prometheus/rules). */
export async function loadRuleNames(dir: string): Promise<RuleNames> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yml")).sort();
  const all: RuleNames = { recording: [], alerting: [] };
  for (const f of files) {
    const n = ruleNames(await readFile(path.join(dir, f), "utf8"));
    all.recording.push(...n.recording);
    all.alerting.push(...n.alerting);
  }
  return all;
}

/**
 * Metric names an expression reads: snowchain_*, recorded snowchain:*, process_* and nodejs_*.
 * For the lint that catches a misspelt name before any Prometheus runs.
 */
export function metricsReferenced(expr: string): string[] {
  const found = expr.match(/\b(?:snowchain_[a-z0-9_]+|snowchain:[A-Za-z0-9_:]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+)/g) ?? [];
  return [...new Set(found)];
}
