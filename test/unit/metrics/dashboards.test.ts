/**
 * Static checks of grafana/ and prometheus/ that need no Prometheus: every panel is described and
 * names its datasource, series are named by node id, and every metric a query or a rule reads is
 * one the peer exports or a rule records. test/dashboards runs the queries for real.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { LabMetrics } from "../../../src/lab/metrics";
import { createMetrics } from "../../../src/metrics";
import {
  metricsReferenced,
  panelsOf,
  parseDashboard,
  ruleNames,
  variableQuery,
  type Dashboard,
} from "../../../scripts/dashboards/queries";

const ROOT = path.resolve(__dirname, "../../..");
const DASHBOARDS_DIR = path.join(ROOT, "grafana", "dashboards");
const RULES_DIR = path.join(ROOT, "prometheus", "rules");
const DATASOURCE_UID = "snowchain-prometheus";

const DASHBOARDS: Dashboard[] = readdirSync(DASHBOARDS_DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => parseDashboard(f, readFileSync(path.join(DASHBOARDS_DIR, f), "utf8")));
const RULE_TEXTS = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith(".yml"))
  .map((f) => readFileSync(path.join(RULES_DIR, f), "utf8"));
const RECORDED = new Set(RULE_TEXTS.flatMap((t) => ruleNames(t).recording));

/** Metric names the peer exports (its own and prom-client's defaults, histogram series included), and the fault lab's. */
const EXPORTED = new Set(
  [...createMetrics({ nodeId: "n", version: "v" }).registry.getMetricsAsArray(), ...new LabMetrics().registry.getMetricsAsArray()]
    .flatMap((m) => {
      const type = (m as unknown as { type: string }).type;
      return type === "histogram" ? [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name];
    }),
);

function unknownMetrics(expr: string): string[] {
  return metricsReferenced(expr).filter((n) => !(n.includes(":") ? RECORDED.has(n) : EXPORTED.has(n)));
}

describe("grafana dashboards", () => {
  it("are the overview and the peer detail, with their titles", () => {
    expect(DASHBOARDS.map((d) => [d.file, d.json.uid, d.json.title])).toEqual([
      ["overview.json", "snowchain-overview", "snowchain — network overview"],
      ["peer.json", "snowchain-peer", "snowchain — peer detail"],
    ]);
  });

  it("name the datasource the provisioning defines", () => {
    const provisioning = readFileSync(path.join(ROOT, "grafana/provisioning/datasources/prometheus.yml"), "utf8");
    expect(provisioning).toMatch(new RegExp(`^\\s*uid: ${DATASOURCE_UID}\\s*$`, "m"));
  });

  describe.each(DASHBOARDS.map((d): [string, Dashboard] => [d.file, d]))("%s", (_file, d) => {
    const panels = panelsOf(d.json);

    it("has unique panel ids", () => {
      const ids = d.json.panels.flatMap((p) => [p.id, ...(p.panels ?? []).map((c) => c.id)]);
      expect(ids.every((id) => typeof id === "number")).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("describes every panel (how to read it)", () => {
      expect(panels.filter((p) => (p.description ?? "").length < 40).map((p) => p.title)).toEqual([]);
    });

    it("queries the provisioned Prometheus from every panel and target", () => {
      const wrong = panels.filter(
        (p) => p.datasource?.uid !== DATASOURCE_UID || (p.targets ?? []).some((t) => t.datasource?.uid !== DATASOURCE_UID),
      );
      expect(wrong.map((p) => p.title)).toEqual([]);
    });

    it("gives every panel at least one query, each with an expression and a unique refId", () => {
      for (const p of panels) {
        const targets = p.targets ?? [];
        expect({ panel: p.title, count: targets.length > 0 }).toEqual({ panel: p.title, count: true });
        expect(targets.filter((t) => !t.expr?.trim()).map((t) => `${p.title} ${t.refId ?? "?"}`)).toEqual([]);
        expect(new Set(targets.map((t) => t.refId)).size).toBe(targets.length);
      }
    });

    it("names series by node id, never by scraped address", () => {
      const legends = panels.flatMap((p) => (p.targets ?? []).map((t) => t.legendFormat ?? ""));
      expect(legends.filter((l) => /instance/.test(l))).toEqual([]);
    });

    it("reads only metrics the peer exports or the rules record", () => {
      const unknown = d.queries.flatMap((q) => unknownMetrics(q.expr).map((n) => `${q.panel} ${q.refId}: ${n}`));
      expect(unknown).toEqual([]);
    });
  });

  it("peer detail picks the peer through a node_id variable listed from snowchain_node_info", () => {
    const peer = DASHBOARDS.find((d) => d.file === "peer.json");
    const v = peer?.json.templating?.list.find((x) => x.name === "node_id");
    expect(v && variableQuery(v)).toBe("label_values(snowchain_node_info, node_id)");
    expect(peer?.queries.filter((q) => q.expr.includes("snowchain_") && !q.expr.includes("$node_id") && !/^snowchain:height:max$/.test(q.expr))).toEqual([]);
  });
});

describe("prometheus rules", () => {
  it("read only metrics the peer exports or other rules record", () => {
    // Whole files, comments dropped: expressions are the only other place metric names appear.
    const withoutComments = RULE_TEXTS.map((t) => t.replace(/#.*$/gm, ""));
    expect(withoutComments.flatMap(metricsReferenced).length).toBeGreaterThan(10);
    expect(withoutComments.flatMap(unknownMetrics)).toEqual([]);
  });
});
