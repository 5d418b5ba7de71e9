/**
 * deploy/kubernetes without a cluster: every kustomization rendered by a real kustomize
 * (`kubectl kustomize`), every object checked against the Kubernetes 1.36 OpenAPI schemas and the
 * Prometheus Operator's (validate-schemas.mjs), and what the schemas cannot see checked against
 * the project itself: the peer's own config loader takes each pod's environment, the real CLI
 * takes the load Job's command line, the disruption budget follows the Snowball arithmetic, and
 * every name one object gives another resolves.
 *
 * That `peer` (the headless Service) resolving to many addresses lets a peer find all of them is
 * the Discovery test "handshakes every address a seed name resolves to"
 * (test/unit/p2p/discovery.test.ts); test/compose and test/swarm show it with real DNS.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadConfig, type Config } from "../../src/config";
import { FakeApi } from "../utils/cli/fake-api";
import { FakeContext, runWith } from "../utils/cli/fake-context";
import {
  DEPLOY_DIR,
  REPO_ROOT,
  kustomizeVersion,
  render,
  renderKustomization,
  runNodeScript,
  validateSchemas,
  type K8sObject,
  type SchemaResult,
} from "./render";

// --- the shapes read here (the schemas check the rest) ---------------------------------------------
type Labels = Record<string, string>;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodTemplate {
  metadata: { labels: Labels; annotations?: Labels };
  spec: {
    containers: Container[];
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number };
    volumes?: { name: string }[];
    terminationGracePeriodSeconds?: number;
  };
}
interface StatefulSet extends K8sObject {
  spec: {
    serviceName: string;
    replicas: number;
    selector: { matchLabels: Labels };
    template: PodTemplate;
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}
interface Service extends K8sObject {
  spec: { clusterIP?: string; publishNotReadyAddresses?: boolean; selector: Labels; ports: { name: string; port: number; targetPort: string | number }[] };
}
interface Pdb extends K8sObject {
  spec: { minAvailable?: string | number; maxUnavailable?: string | number; selector: { matchLabels: Labels } };
}
interface Job extends K8sObject {
  spec: { template: PodTemplate };
}
interface ConfigMap extends K8sObject {
  data?: Record<string, string>;
}
interface ServiceMonitor extends K8sObject {
  spec: { jobLabel?: string; selector: { matchLabels: Labels }; endpoints: { port: string; path?: string }[] };
}

// --- what is rendered -------------------------------------------------------------------------------
const OVERLAYS = fs
  .readdirSync(path.join(DEPLOY_DIR, "overlays"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => `overlays/${d.name}`)
  .sort();
const COMPONENTS = fs
  .readdirSync(path.join(DEPLOY_DIR, "components"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => `deploy/kubernetes/components/${d.name}`)
  .sort();
/** Every component at once: they must compose. */
const ALL_COMPONENTS = "base + every component";
const NAMES = ["deploy/kubernetes", ...OVERLAYS.map((o) => `deploy/kubernetes/${o}`), ALL_COMPONENTS];

const renderings = new Map<string, K8sObject[]>();
let schemaResults: Record<string, SchemaResult[]> = {};

beforeAll(async () => {
  await kustomizeVersion();
  for (const name of NAMES) {
    renderings.set(
      name,
      name === ALL_COMPONENTS
        ? await renderKustomization({ resources: ["deploy/kubernetes/base"], components: COMPONENTS })
        : await render(path.join(REPO_ROOT, name)),
    );
  }
  schemaResults = await validateSchemas(Object.fromEntries(renderings));
}, 120_000);

function rendering(name: string): K8sObject[] {
  const objects = renderings.get(name);
  if (!objects) throw new Error(`${name} was not rendered (see the beforeAll error)`);
  return objects;
}

function ofKind<T extends K8sObject>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

function one<T extends K8sObject>(objects: readonly K8sObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found as T;
}

function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function port(container: Container, name: string | number): number {
  if (typeof name === "number") return name;
  const p = container.ports?.find((x) => x.name === name);
  if (!p) throw new Error(`container ${container.name} has no port named ${name}`);
  return p.containerPort;
}

/**
 * The environment the kubelet gives a container of pod `podName`: envFrom ConfigMaps, then env in
 * order, fieldRefs filled in and $(VAR) expanded from what is defined before it, as Kubernetes does.
 */
function podEnv(objects: readonly K8sObject[], container: Container, podName: string, podIp: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (!from.configMapRef) continue;
    Object.assign(env, one<ConfigMap>(objects, "ConfigMap", from.configMapRef.name).data ?? {});
  }
  const fields: Record<string, string> = { "metadata.name": podName, "metadata.namespace": "snowchain", "status.podIP": podIp };
  for (const v of container.env ?? []) {
    if (v.valueFrom?.fieldRef) {
      const value = fields[v.valueFrom.fieldRef.fieldPath];
      if (value === undefined) throw new Error(`${v.name}: no test value for fieldRef ${v.valueFrom.fieldRef.fieldPath}`);
      env[v.name] = value;
    } else if (v.valueFrom?.configMapKeyRef) {
      const { name, key } = v.valueFrom.configMapKeyRef;
      env[v.name] = one<ConfigMap>(objects, "ConfigMap", name).data?.[key] ?? "";
    } else {
      // $$ escapes; a reference to something not (yet) defined stays as written.
      env[v.name] = (v.value ?? "").replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, ref?: string) =>
        ref === undefined ? "$" : (env[ref] ?? m),
      );
    }
  }
  return env;
}

/** The Config the real peer makes of the first pod of a StatefulSet. */
function peerConfig(objects: readonly K8sObject[], set: StatefulSet): { config: Config; container: Container; env: Record<string, string> } {
  const container = set.spec.template.spec.containers[0]!;
  const env = podEnv(objects, container, `${set.metadata.name}-0`, "10.1.2.3");
  return { config: loadConfig(env), container, env };
}

function percent(value: string | number | undefined): number {
  const m = /^(\d+)%$/.exec(String(value ?? ""));
  if (!m) throw new Error(`${JSON.stringify(value)} is not a percentage (a fixed count would not follow a scale-up)`);
  return Number(m[1]);
}

/** The job="..." every dashboard query selects. */
function dashboardJobs(): Set<string> {
  const dir = path.join(REPO_ROOT, "grafana", "dashboards");
  const jobs = new Set<string>();
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    for (const m of fs.readFileSync(path.join(dir, f), "utf8").matchAll(/job=\\"([^"\\]+)\\"/g)) jobs.add(m[1]!);
  }
  return jobs;
}

// --- the tests --------------------------------------------------------------------------------------
describe("the Kubernetes schemas", () => {
  test("every object of every rendering is valid against Kubernetes 1.36 and the Prometheus Operator's CRDs", () => {
    const problems = Object.entries(schemaResults).flatMap(([name, results]) =>
      results.filter((r) => r.errors.length > 0).map((r) => `${name}: ${r.kind}/${r.name}: ${r.errors.join("; ")}`),
    );
    expect(problems).toEqual([]);
    const kinds = new Set(Object.values(schemaResults).flatMap((rs) => rs.map((r) => r.kind)));
    expect([...kinds].sort()).toEqual(
      ["ConfigMap", "Job", "Namespace", "PodDisruptionBudget", "PrometheusRule", "Service", "ServiceMonitor", "StatefulSet"].sort(),
    );
    expect(Object.keys(schemaResults).sort()).toEqual([...NAMES].sort());
  });

  test("reject broken objects, naming the field", async () => {
    const base = rendering("deploy/kubernetes");
    const broken = (kind: string, name: string, mutate: (o: Record<string, any>) => void): unknown => {
      const copy = structuredClone(one(base, kind, name)) as Record<string, any>;
      mutate(copy);
      return copy;
    };
    const results = await validateSchemas({
      broken: [
        broken("StatefulSet", "peer", (o) => (o.spec.template.spec.containers[0].ports[0].containerPort = "50051")),
        broken("StatefulSet", "peer", (o) => delete o.spec.selector),
        broken("Service", "peer", (o) => (o.spec.publishNotReadyAddresses = "yes")),
        broken("PodDisruptionBudget", "peer", (o) => (o.spec.minAvailable = { percent: 75 })),
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "ServiceMonitor",
          metadata: { name: "typo" },
          spec: { selector: {}, endpoints: [{ port: "metrics", interval: "5 seconds" }] },
        },
        { apiVersion: "apps/v2", kind: "StatefulSet", metadata: { name: "future" } },
      ],
    });
    const errors = results.broken!.map((r) => r.errors.join("; "));
    expect(errors[0]).toMatch(/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/);
    expect(errors[1]).toMatch(/spec must have required property '?selector'?/);
    expect(errors[2]).toMatch(/spec\/publishNotReadyAddresses must be boolean/);
    expect(errors[3]).toMatch(/spec\/minAvailable must be/);
    expect(errors[4]).toMatch(/spec\/endpoints\/0\/interval must match pattern/);
    expect(errors[5]).toMatch(/no schema for apps\/v2 StatefulSet/);
  });

  test("every object fits the 256 KiB of annotations that client-side `kubectl apply` keeps a copy of it in", () => {
    for (const [name, objects] of renderings) {
      for (const o of objects) {
        expect({ object: `${name}: ${o.kind}/${o.metadata.name}`, tooBig: JSON.stringify(o).length > 256 * 1024 }).toEqual({
          object: `${name}: ${o.kind}/${o.metadata.name}`,
          tooBig: false,
        });
      }
    }
  });
});

describe.each(NAMES)("%s", (name) => {
  test("every peer StatefulSet: the real config loader takes its environment; it seeds from a headless Service that publishes unready pods", () => {
    const objects = rendering(name);
    const sets = ofKind<StatefulSet>(objects, "StatefulSet");
    expect(sets.map((s) => s.metadata.name)).toContain("peer");
    for (const set of sets) {
      const labels = set.spec.template.metadata.labels;
      expect(selects(set.spec.selector.matchLabels, labels)).toBe(true);
      // Two sets must not claim each other's pods.
      for (const other of sets.filter((s) => s !== set)) expect(selects(other.spec.selector.matchLabels, labels)).toBe(false);

      const { config, container, env } = peerConfig(objects, set);
      expect(config.name).toBe(`${set.metadata.name}-0`);
      expect(config.advertise).toEqual({ host: "10.1.2.3", port: port(container, "grpc") });
      expect(config.listen.port).toBe(port(container, "grpc"));
      expect(config.metricsPort).toBe(port(container, "metrics"));

      const service = one<Service>(objects, "Service", set.spec.serviceName);
      expect(service.spec.clusterIP).toBe("None");
      expect(service.spec.publishNotReadyAddresses).toBe(true);
      expect(selects(service.spec.selector, labels)).toBe(true);
      const grpc = service.spec.ports.find((p) => p.name === "grpc")!;
      expect(port(container, grpc.targetPort)).toBe(config.listen.port);
      expect(config.seeds).toEqual([{ host: service.metadata.name, port: grpc.port }]);

      // Data in the pod's own claim; nothing else writable.
      const mounts = container.volumeMounts ?? [];
      expect(mounts.map((m) => m.mountPath)).toEqual([config.dataDir]);
      expect(env.DATA_DIR).toBe("/data");
      expect(set.spec.volumeClaimTemplates?.map((c) => c.metadata.name)).toEqual([mounts[0]!.name]);
      expect(set.spec.template.spec.volumes ?? []).toEqual([]);
    }
  });

  test("every pod: non-root, read-only root filesystem, no privilege escalation, requests and limits, probes on the peer's endpoints", () => {
    const objects = rendering(name);
    const templates: [string, PodTemplate][] = [
      ...ofKind<StatefulSet>(objects, "StatefulSet").map((s): [string, PodTemplate] => [`StatefulSet/${s.metadata.name}`, s.spec.template]),
      ...ofKind<Job>(objects, "Job").map((j): [string, PodTemplate] => [`Job/${j.metadata.name}`, j.spec.template]),
    ];
    for (const [what, t] of templates) {
      expect({ what, pod: t.spec.securityContext?.runAsNonRoot, user: t.spec.securityContext?.runAsUser }).toEqual({ what, pod: true, user: 1000 });
      for (const c of t.spec.containers) {
        expect({ what, security: c.securityContext }).toEqual({
          what,
          security: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        });
        for (const r of ["cpu", "memory"]) {
          expect({ what, r, request: !!c.resources?.requests?.[r], limit: !!c.resources?.limits?.[r] }).toEqual({ what, r, request: true, limit: true });
        }
      }
    }
    for (const set of ofKind<StatefulSet>(objects, "StatefulSet")) {
      const c = set.spec.template.spec.containers[0]!;
      const metrics = port(c, "metrics");
      const probe = (p: Probe | undefined) => p?.httpGet && { path: p.httpGet.path, port: port(c, p.httpGet.port) };
      expect(probe(c.livenessProbe)).toEqual({ path: "/healthz", port: metrics });
      expect(probe(c.startupProbe)).toEqual({ path: "/healthz", port: metrics });
      expect(probe(c.readinessProbe)).toEqual({ path: "/readyz", port: metrics });
      expect(set.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(10);
      const a = set.spec.template.metadata.annotations ?? {};
      expect([a["prometheus.io/scrape"], Number(a["prometheus.io/port"]), a["prometheus.io/path"]]).toEqual(["true", metrics, "/metrics"]);
    }
  });

  test("the disruption budget keeps αC/K of the honest peers available, whatever their number", () => {
    const objects = rendering(name);
    const [pdb, ...more] = ofKind<Pdb>(objects, "PodDisruptionBudget");
    expect(more).toEqual([]);
    const peer = one<StatefulSet>(objects, "StatefulSet", "peer");
    const { alphaConfidence, k } = peerConfig(objects, peer).config.snowball;
    // minAvailable rounds up (ceil(P% × N) kept), so P ≥ 100·αC/K keeps r ≥ αC/K for every N;
    // maxUnavailable would round the disrupted count up instead.
    expect(pdb!.spec.maxUnavailable).toBeUndefined();
    const p = percent(pdb!.spec.minAvailable);
    expect(p * k).toBeGreaterThanOrEqual(100 * alphaConfidence);
    for (const n of [1, 3, 4, 5, 6, 7, 10, 20, 50]) {
      const disrupted = n - Math.ceil((p * n) / 100);
      expect({ n, disrupted, ok: disrupted * k <= n * (k - alphaConfidence) }).toEqual({ n, disrupted, ok: true });
    }
    // It counts the honest peers, and only them.
    for (const set of ofKind<StatefulSet>(objects, "StatefulSet")) {
      expect({ set: set.metadata.name, selected: selects(pdb!.spec.selector.matchLabels, set.spec.template.metadata.labels) }).toEqual({
        set: set.metadata.name,
        selected: set.metadata.name === "peer",
      });
    }
  });

  test("every name one object gives another resolves in the same rendering", () => {
    const objects = rendering(name);
    const templates = [...ofKind<StatefulSet>(objects, "StatefulSet"), ...ofKind<Job>(objects, "Job")].map((o) => o.spec.template);
    for (const t of templates) {
      for (const c of t.spec.containers) {
        for (const from of c.envFrom ?? []) expect(() => one(objects, "ConfigMap", from.configMapRef!.name)).not.toThrow();
      }
    }
    const namespaces = new Set(objects.filter((o) => o.kind !== "Namespace").map((o) => o.metadata.namespace));
    expect([...namespaces]).toEqual(["snowchain"]);
    expect(one(objects, "Namespace", "snowchain")).toBeDefined();
  });

  test("every Job's command line is one the real `snowchain` CLI runs against the peers' Service", async () => {
    const objects = rendering(name);
    for (const job of ofKind<Job>(objects, "Job")) {
      const args = job.spec.template.spec.containers[0]!.args ?? [];
      const service = one<Service>(objects, "Service", "peer");
      const grpcPort = service.spec.ports.find((p) => p.name === "grpc")!.port;
      const ctx = new FakeContext();
      ctx.dns.set(service.metadata.name, ["10.1.2.3", "10.1.2.4"]);
      const apis = new Map<string, FakeApi>();
      ctx.connectTo = (addr) => apis.set(addr, new FakeApi()).get(addr)!;
      const running = runWith(ctx, ...args);
      const duration = Number(args[args.indexOf("--duration") + 1]);
      expect(duration).toBeGreaterThan(0); // a Job that never ends would hold its pod for ever
      await ctx.clock.advance((duration + 5) * 1000);
      const r = await running;
      expect({ code: r.code, stderr: r.stderr.filter((l) => !l.startsWith("load: ")) }).toEqual({ code: 0, stderr: [] });
      // It resolved the Service's name to its addresses and paced the whole run.
      expect([...apis.keys()].sort()).toEqual([`10.1.2.3:${grpcPort}`, `10.1.2.4:${grpcPort}`]);
      const rate = Number(args[args.indexOf("--rate") + 1]);
      expect([...apis.values()].reduce((n, a) => n + a.calls.length, 0)).toBe(rate * duration);
    }
  });
});

describe("Prometheus and Grafana", () => {
  test("the dashboards ConfigMap holds every grafana/dashboards/*.json as it is, labelled for Grafana's sidecar", () => {
    const cm = one<ConfigMap>(rendering("deploy/kubernetes"), "ConfigMap", "snowchain-dashboards");
    expect(cm.metadata.labels?.grafana_dashboard).toBe("1");
    const dir = path.join(REPO_ROOT, "grafana", "dashboards");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    expect(Object.keys(cm.data ?? {}).sort()).toEqual(files);
    for (const f of files) expect(cm.data![f]).toBe(fs.readFileSync(path.join(dir, f), "utf8"));
  });

  test("the PrometheusRule is generated from prometheus/rules/*.yml as they stand", async () => {
    const r = await runNodeScript("deploy/kubernetes/components/monitoring/generate-rules.mjs", ["--check"]);
    expect({ code: r.code, stderr: r.stderr.trim() }).toEqual({ code: 0, stderr: "" });
  });

  test("the ServiceMonitor scrapes the peers' metrics port as the job the dashboards select, and the datasource has their uid", () => {
    const objects = rendering("deploy/kubernetes/overlays/monitoring");
    const [monitor, ...more] = ofKind<ServiceMonitor>(objects, "ServiceMonitor");
    expect(more).toEqual([]);
    const service = one<Service>(objects, "Service", "peer");
    expect(selects(monitor!.spec.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
    expect(monitor!.spec.endpoints.map((e) => [e.port, e.path])).toEqual([["metrics", "/metrics"]]);
    expect(service.spec.ports.map((p) => p.name)).toContain("metrics");
    // Without jobLabel the job would be the Service's name, `peer`.
    const job = service.metadata.labels?.[monitor!.spec.jobLabel ?? ""];
    expect(new Set([job])).toEqual(dashboardJobs());

    const uids = new Set<string>();
    for (const f of fs.readdirSync(path.join(REPO_ROOT, "grafana", "dashboards")).filter((f) => f.endsWith(".json"))) {
      const text = fs.readFileSync(path.join(REPO_ROOT, "grafana", "dashboards", f), "utf8");
      for (const m of text.matchAll(/"type": "prometheus",\s*"uid": "([^"]+)"/g)) uids.add(m[1]!);
    }
    const datasources = ofKind<ConfigMap>(objects, "ConfigMap").filter((c) => c.metadata.labels?.grafana_datasource === "1");
    expect(datasources).toHaveLength(1);
    const provisioned = Object.values(datasources[0]!.data ?? {}).join("\n");
    expect([...uids].map((uid) => provisioned.includes(`uid: ${uid}`))).toEqual([...uids].map(() => true));
    expect(uids.size).toBe(1);
  });
});
