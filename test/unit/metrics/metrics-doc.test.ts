import { readFileSync } from "node:fs";
import * as path from "node:path";
import { createMetrics, describeMetrics, type MetricDescription } from "../../../src/metrics";

const DOC = path.resolve(__dirname, "../../../docs/metrics.md");

/** The rows of the metrics table: | `name` | type | `label`, `label` or — | meaning |. */
function documentedMetrics(markdown: string): MetricDescription[] {
  const rows = markdown.split("\n").filter((l) => /^\|\s*`snowchain_[a-z0-9_]+`\s*\|/.test(l));
  return rows.map((row) => {
    const [name, type, labels] = row.split("|").slice(1, 4).map((c) => c.trim());
    return {
      name: name.replace(/`/g, ""),
      type: type as MetricDescription["type"],
      labelNames: [...labels.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).sort(),
    };
  });
}

describe("docs/metrics.md", () => {
  const registered = describeMetrics(createMetrics({ nodeId: "n", version: "v", collectDefault: false }).registry);
  const documented = documentedMetrics(readFileSync(DOC, "utf8"));

  it("documents every metric createMetrics registers", () => {
    const names = new Set(documented.map((d) => d.name));
    expect(registered.map((r) => r.name).filter((n) => !names.has(n))).toEqual([]);
  });

  it("documents no snowchain_ metric that createMetrics does not register", () => {
    const names = new Set(registered.map((r) => r.name));
    expect(documented.map((d) => d.name).filter((n) => !names.has(n))).toEqual([]);
  });

  it("documents each metric once", () => {
    const names = documented.map((d) => d.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it("gives each metric its registered type and labels", () => {
    const byName = new Map(documented.map((d) => [d.name, d]));
    const wrong = registered.filter((r) => {
      const d = byName.get(r.name);
      return d && (d.type !== r.type || d.labelNames.join(",") !== r.labelNames.join(","));
    });
    expect(wrong.map((r) => ({ registered: r, documented: byName.get(r.name) }))).toEqual([]);
  });
});
