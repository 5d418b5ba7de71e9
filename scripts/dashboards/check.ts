/**
 * Checks every dashboard query and every rule against a running Prometheus, e.g. Compose's:
 *
 *   node dist/scripts/dashboards/check.js [--url http://127.0.0.1:9090]
 *
 * Prints one line per failing query (dashboard, panel, query), a summary, and exits 1 on any
 * failure. Give the network some load first: rates of counters that never moved are NaN, which
 * counts as a failure (the panel would be blank).
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { findRepoRoot, PrometheusApi } from "./prometheus";
import { checkQuery, describeQuery, fillVariables, loadDashboards, loadRuleNames, resolveVariables } from "./queries";

export interface CheckFailure {
  what: string;
  expr: string;
  problem: string;
}

export interface CheckReport {
  checked: number;
  failures: CheckFailure[];
}

/** Evaluates every dashboard query (variables filled) and every rule of the repository. */
export async function checkAll(api: PrometheusApi, repoRoot: string): Promise<CheckReport> {
  const failures: CheckFailure[] = [];
  let checked = 0;

  for (const d of await loadDashboards(path.join(repoRoot, "grafana", "dashboards"))) {
    let vars: Record<string, string>;
    try {
      vars = await resolveVariables(api, d.json);
    } catch (err: unknown) {
      failures.push({ what: `${d.file} variables`, expr: "", problem: String(err) });
      continue;
    }
    for (const q of d.queries) {
      checked++;
      const expr = fillVariables(q.expr, vars);
      const v = await checkQuery(api, expr);
      if (!v.ok) failures.push({ what: describeQuery(q), expr, problem: v.problem });
    }
  }

  const expected = await loadRuleNames(path.join(repoRoot, "prometheus", "rules"));
  const loaded = await api.rules();
  for (const name of [...expected.recording, ...expected.alerting]) {
    checked++;
    const rule = loaded.find((r) => r.name === name);
    if (!rule) {
      failures.push({ what: `rule ${name}`, expr: "", problem: "not loaded by Prometheus" });
      continue;
    }
    if (rule.health === "err") {
      failures.push({ what: `rule ${name}`, expr: rule.query, problem: `unhealthy: ${rule.lastError ?? ""}` });
    }
    if (rule.type === "recording") {
      const v = await checkQuery(api, rule.query);
      if (!v.ok) failures.push({ what: `recording rule ${name}`, expr: rule.query, problem: v.problem });
    }
  }
  return { checked, failures };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { url: { type: "string", default: "http://127.0.0.1:9090" } } });
  const report = await checkAll(new PrometheusApi(values.url ?? ""), await findRepoRoot());
  for (const f of report.failures) {
    process.stdout.write(`FAIL ${f.what}: ${f.problem}\n${f.expr ? `     ${f.expr.replace(/\s+/g, " ")}\n` : ""}`);
  }
  process.stdout.write(`${report.checked} checked, ${report.failures.length} failed\n`);
  process.exitCode = report.failures.length ? 1 : 0;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
}
