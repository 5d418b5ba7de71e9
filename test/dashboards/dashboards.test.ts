/**
 * Keeps the dashboards and the Prometheus rules honest: a real Prometheus (Debian's `prometheus`
 * binary, running prometheus/prometheus.local.yml and prometheus/rules/) scrapes peers, and every
 * query of every panel of every dashboard, and every rule, must give data through the HTTP API.
 * Grafana cannot run here; this is how a dashboard is proven.
 *
 * Two sets of peers, each scraped by a Prometheus of its own:
 * - fake peers (MetricsServer + createMetrics, every metric moving): proves the machinery —
 *   Prometheus, config, rules, query evaluation — whatever state the peer is in;
 * - a LocalTestnet of real peer processes under a steady load, scraped through the targets file
 *   the testnet writes: proves the dashboards show real data.
 * When only the second fails, look at the peer; when both do, at the dashboards or the rules.
 *
 * Needs `prometheus` and `promtool` on PATH (apt-get install prometheus) and a build (dist/) for
 * the testnet: missing, the tests fail saying so — this stage never skips. `npm run test:dashboards`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import {
  LocalPrometheus,
  promtool,
  waitFor,
  type PrometheusApi,
} from "../../scripts/dashboards/prometheus";
import {
  checkQuery,
  describeQuery,
  fillVariables,
  parseDashboard,
  resolveVariables,
  ruleNames,
  type Dashboard,
  type DashboardQuery,
} from "../../scripts/dashboards/queries";
import { LabMetrics } from "../../src/lab/metrics";
import { startFakePeers, type ScrapeTargets } from "./fake-peers";
import { startTestnetPeers } from "./testnet-peers";

const ROOT = path.resolve(__dirname, "..", "..");
const RULES_DIR = path.join(ROOT, "prometheus", "rules");
const DASHBOARDS_DIR = path.join(ROOT, "grafana", "dashboards");

const PEERS = 3;
/** Scrapes of every peer before queries run: rates need two samples in their window, and more. */
const SCRAPES = 3;
const SCRAPES_TIMEOUT_MS = 60_000;
const RECORDED_TIMEOUT_MS = 30_000;

// Read at collection time so that each query and each rule is a test of its own, named in the report.
const DASHBOARDS: Dashboard[] = readdirSync(DASHBOARDS_DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => parseDashboard(f, readFileSync(path.join(DASHBOARDS_DIR, f), "utf8")));
const QUERIES: [string, DashboardQuery][] = DASHBOARDS.flatMap((d) => d.queries.map((q): [string, DashboardQuery] => [describeQuery(q), q]));
const RULE_FILES = readdirSync(RULES_DIR).filter((f) => f.endsWith(".yml")).sort();
const RULES = RULE_FILES.map((f) => ruleNames(readFileSync(path.join(RULES_DIR, f), "utf8")));
const RECORDING = RULES.flatMap((r) => r.recording);
const ALERTING = RULES.flatMap((r) => r.alerting);

/** The node_id label each peer's /metrics carries: the lab labels a fault's target with it. */
async function nodeIdsOf(addresses: readonly string[]): Promise<string[]> {
  const ids = await Promise.all(
    addresses.map(async (a) => {
      const text = await (await fetch(`http://${a}/metrics`)).text();
      const m = /node_id="([^"]+)"/.exec(text);
      if (!m) throw new Error(`${a}/metrics names no node_id`);
      return m[1]!;
    }),
  );
  return [...new Set(ids)];
}

function expectToolOk(result: { code: number | null; output: string }): void {
  if (result.code !== 0) throw new Error(`exit code ${String(result.code)}\n${result.output}`);
}

describe("promtool", () => {
  it("accepts the Compose config, prometheus/prometheus.yml, and the rule files it loads", async () => {
    expectToolOk(await promtool(["check", "config", "prometheus/prometheus.yml"], ROOT));
  });

  it("accepts the local config, prometheus/prometheus.local.yml", async () => {
    expectToolOk(await promtool(["check", "config", "prometheus/prometheus.local.yml"], ROOT));
  });

  it("accepts every rule file in prometheus/rules", async () => {
    expect(RULE_FILES.length).toBeGreaterThan(0);
    const result = await promtool(["check", "rules", ...RULE_FILES.map((f) => `prometheus/rules/${f}`)], ROOT);
    expectToolOk(result);
    const found = [...result.output.matchAll(/SUCCESS: (\d+) rules found/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(found).toBe(RECORDING.length + ALERTING.length);
  });

  it("passes the rule unit tests: each alert fires on its fault and stays quiet otherwise", async () => {
    expectToolOk(await promtool(["test", "rules", "prometheus/tests/rules.test.yml"], ROOT));
  });
});

/** Where the scraped peers come from; `targetsFile` when they keep their own file_sd file. */
type StartTargets = (workDir: string) => Promise<ScrapeTargets & { targetsFile?: string }>;

const SOURCES: [string, StartTargets][] = [
  ["fake peers", () => startFakePeers(PEERS)],
  ["a local testnet under load", (workDir) => startTestnetPeers(PEERS, path.join(workDir, "testnet"))],
];

describe.each(SOURCES)("every dashboard query and every rule, against a real Prometheus scraping %s", (_source, startTargets) => {
  let workDir: string | undefined;
  let targets: (ScrapeTargets & { targetsFile?: string }) | undefined;
  let prometheus: LocalPrometheus | undefined;
  // A fault lab's /metrics with a fault on every peer, for the dashboards' fault annotations.
  const lab = new LabMetrics();
  const variables = new Map<string, Promise<Record<string, string>>>();

  const api = (): PrometheusApi => {
    if (!prometheus) throw new Error("Prometheus did not start (see the beforeAll error above)");
    return prometheus.http;
  };

  /** Per peer, how many scrapes Prometheus holds and whether the last one succeeded. */
  async function scrapes(): Promise<Map<string, { count: number; up: boolean }>> {
    const counts = await api().query('count_over_time(up{job="snowchain"}[10m])');
    const last = await api().query('up{job="snowchain"}');
    const byInstance = new Map<string, { count: number; up: boolean }>();
    if (counts.resultType !== "vector" || last.resultType !== "vector") return byInstance;
    for (const s of counts.result) byInstance.set(s.metric.instance, { count: Number(s.value[1]), up: false });
    for (const s of last.result) {
      const entry = byInstance.get(s.metric.instance);
      if (entry) entry.up = s.value[1] === "1";
    }
    return byInstance;
  }

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), "snowchain-dashboards-"));
    targets = await startTargets(workDir);
    const labPort = await lab.listen(0, "127.0.0.1");
    lab.faultStarted("kill", await nodeIdsOf(targets.addresses));
    prometheus = new LocalPrometheus({
      labTargets: [`127.0.0.1:${labPort}`],
      dir: path.join(workDir, "prometheus"),
      // Peers that keep their own targets file are followed through it, as `npm run testnet` users do.
      targets: targets.targetsFile ? [] : targets.addresses,
      targetsFile: targets.targetsFile,
      repoRoot: ROOT,
    });
    try {
      await prometheus.start();
    } catch (err: unknown) {
      const missing = err instanceof Error && /ENOENT/.test(err.message);
      throw new Error(
        missing ? "the `prometheus` binary is not on PATH: apt-get install -y prometheus" : `Prometheus did not start: ${String(err)}`,
      );
    }

    const expected = targets.addresses;
    await waitFor(
      async () => {
        const seen = await scrapes();
        return expected.every((a) => (seen.get(a)?.count ?? 0) >= SCRAPES);
      },
      { timeoutMs: SCRAPES_TIMEOUT_MS },
    );
    // Recording rules run every evaluation interval after the scrapes: wait until each has
    // recorded data (the tests below say which did not, if the deadline passes).
    await waitFor(
      async () => {
        for (const name of RECORDING) if (!(await checkQuery(api(), name)).ok) return false;
        return true;
      },
      { timeoutMs: RECORDED_TIMEOUT_MS },
    );
  });

  afterAll(async () => {
    await lab.close();
    await prometheus?.stop();
    await targets?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it(`scrapes every one of the ${PEERS} peers, at least ${SCRAPES} times, last scrape up`, async () => {
    const seen = await scrapes();
    for (const address of targets?.addresses ?? []) {
      expect({ address, ...seen.get(address) }).toEqual({ address, count: expect.any(Number), up: true });
      expect(seen.get(address)?.count).toBeGreaterThanOrEqual(SCRAPES);
    }
    expect(targets?.addresses).toHaveLength(PEERS);
  });

  function variablesOf(d: Dashboard): Promise<Record<string, string>> {
    let v = variables.get(d.file);
    if (!v) {
      v = resolveVariables(api(), d.json);
      variables.set(d.file, v);
    }
    return v;
  }

  it.each(DASHBOARDS.map((d): [string, Dashboard] => [d.file, d]))(
    "%s: every template variable lists real values",
    async (_file, d) => {
      const values = await variablesOf(d);
      for (const v of d.json.templating?.list ?? []) expect(values[v.name]).toEqual(expect.any(String));
    },
  );

  it.each(QUERIES)("%s gives data", async (_name, q) => {
    const d = DASHBOARDS.find((x) => x.file === q.file);
    if (!d) throw new Error(`no dashboard ${q.file}`);
    const expr = fillVariables(q.expr, await variablesOf(d));
    expect(expr).not.toMatch(/\$\w|\[\[/);
    const verdict = await checkQuery(api(), expr);
    if (!verdict.ok) throw new Error(`${describeQuery(q)}: ${verdict.problem}\nquery: ${expr}`);
  });

  it("loads every rule of prometheus/rules, each healthy", async () => {
    const loaded = await api().rules();
    expect(loaded.map((r) => r.name).sort()).toEqual([...RECORDING, ...ALERTING].sort());
    const unhealthy = loaded.filter((r) => r.health === "err").map((r) => `${r.name}: ${r.lastError ?? ""}`);
    expect(unhealthy).toEqual([]);
  });

  it.each(RECORDING)("recording rule %s: its expression and its recorded series give data", async (name) => {
    const rule = (await api().rules()).find((r) => r.name === name);
    if (!rule) throw new Error(`${name} is not loaded`);
    const direct = await checkQuery(api(), rule.query);
    if (!direct.ok) throw new Error(`${name}: expression: ${direct.problem}\nquery: ${rule.query}`);
    const recorded = await checkQuery(api(), name);
    if (!recorded.ok) throw new Error(`${name}: recorded series: ${recorded.problem}`);
  });

  it.each(ALERTING)("alert %s: its expression evaluates", async (name) => {
    const rule = (await api().rules()).find((r) => r.name === name);
    if (!rule) throw new Error(`${name} is not loaded`);
    // A healthy network fires no alert: an empty result is right here; an error is not.
    await expect(api().query(rule.query)).resolves.toEqual(expect.objectContaining({ resultType: "vector" }));
  });
});
