import { register as globalRegistry, Registry } from "prom-client";
import { createMetrics, describeMetrics, DURATION_BUCKETS, metricNames } from "../../../src/metrics";

/** The sample lines (not # HELP / # TYPE) of a Prometheus text exposition. */
function samples(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

describe("createMetrics", () => {
  it("labels every series, default process metrics included, with the node id", async () => {
    const m = createMetrics({ nodeId: "node-a", version: "1.2.3" });
    m.grpc.clientHandled.inc({ method: "Query", code: "OK" });
    const lines = samples(await m.registry.metrics());
    expect(lines.some((l) => l.startsWith("process_cpu_seconds_total"))).toBe(true);
    expect(lines.filter((l) => !l.includes('node_id="node-a"'))).toEqual([]);
  });

  it("registers on a registry of its own, never prom-client's global one, so many can coexist", () => {
    const before = globalRegistry.getMetricsAsArray().length;
    const a = createMetrics({ nodeId: "a", version: "v" });
    const b = createMetrics({ nodeId: "b", version: "v" });
    expect(a.registry).not.toBe(b.registry);
    expect(globalRegistry.getMetricsAsArray().length).toBe(before);
  });

  it("uses the registry it is given", () => {
    const registry = new Registry();
    const m = createMetrics({ registry, nodeId: "a", version: "v", collectDefault: false });
    expect(m.registry).toBe(registry);
    expect(metricNames(registry)).toContain("snowchain_node_info");
  });

  it("registers prom-client's default process_/nodejs_ metrics unless told not to", () => {
    const names = (collectDefault?: boolean) =>
      createMetrics({ nodeId: "a", version: "v", collectDefault }).registry.getMetricsAsArray().map((x) => x.name);
    expect(names()).toEqual(expect.arrayContaining(["process_cpu_seconds_total", "nodejs_heap_size_used_bytes"]));
    expect(names(false).filter((n) => !n.startsWith("snowchain_"))).toEqual([]);
  });

  it("reports snowchain_node_info{version, behaviour, id} = 1, the id once the key is loaded", async () => {
    const m = createMetrics({ nodeId: "node-a", version: "1.2.3", behaviour: "silent", collectDefault: false });
    expect(samples(await m.registry.metrics())).toContain('snowchain_node_info{version="1.2.3",behaviour="silent",id="",node_id="node-a"} 1');
    m.setIdentity("0123456789abcdef0123456789abcdef01234567");
    const info = samples(await m.registry.metrics()).filter((l) => l.startsWith("snowchain_node_info"));
    expect(info).toEqual(['snowchain_node_info{version="1.2.3",behaviour="silent",id="0123456789abcdef0123456789abcdef01234567",node_id="node-a"} 1']);
  });

  it("exports poll outcomes and handshake results at 0 before any event, so their rates exist", async () => {
    const lines = samples(await createMetrics({ nodeId: "n", version: "v", collectDefault: false }).registry.metrics());
    for (const series of [
      'snowchain_consensus_polls_total{outcome="successful",node_id="n"} 0',
      'snowchain_consensus_polls_total{outcome="failed",node_id="n"} 0',
      'snowchain_p2p_handshakes_total{result="ok",node_id="n"} 0',
      'snowchain_p2p_handshakes_total{result="refused",node_id="n"} 0',
      'snowchain_p2p_handshakes_total{result="failed",node_id="n"} 0',
    ]) {
      expect(lines).toContain(series);
    }
  });

  describe("follows the naming rules of DESIGN.md", () => {
    const described = describeMetrics(createMetrics({ nodeId: "n", version: "v", collectDefault: false }).registry);

    it.each(described.map((d) => [d.name, d]))("%s is snowchain_<subsystem>_<name> with a known subsystem", (name) => {
      expect(name).toMatch(/^snowchain_(consensus|chain|sync|p2p|grpc|node|byzantine)_[a-z0-9_]+$/);
    });

    it.each(described.map((d) => [d.name, d]))("%s: counters end in _total, histograms in _seconds", (name, d) => {
      if (d.type === "counter") expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      if (d.type === "histogram") expect(name).toMatch(/_seconds$/);
    });

    it("labels are only the low-cardinality ones (never a block or entry id)", () => {
      const labels = new Set(described.flatMap((d) => d.labelNames));
      // `id` is one value per peer, as node_id is: the key-derived node id beside the human name.
      expect([...labels].sort()).toEqual(["behaviour", "bound", "code", "id", "method", "outcome", "result", "version"]);
    });
  });

  it("times durations in buckets from 1 ms to 30 s", async () => {
    const m = createMetrics({ nodeId: "n", version: "v", collectDefault: false });
    m.consensus.finality.observe(0.0005);
    m.consensus.finality.observe(29);
    const buckets = samples(await m.registry.metrics())
      .filter((l) => l.startsWith("snowchain_consensus_finality_seconds_bucket"))
      .map((l) => /le="([^"]+)"/.exec(l)?.[1]);
    expect(buckets).toEqual([...DURATION_BUCKETS.map(String), "+Inf"]);
    expect(DURATION_BUCKETS[0]).toBe(0.001);
    expect(DURATION_BUCKETS[DURATION_BUCKETS.length - 1]).toBe(30);
  });
});
