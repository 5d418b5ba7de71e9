import * as net from "node:net";
import { createMetrics, MetricsServer, type Readiness } from "../../../src/metrics";

describe("MetricsServer", () => {
  const metrics = createMetrics({ nodeId: "node-under-test", version: "9.9.9" });
  let readiness: Readiness = { ready: false, reason: "syncing" };
  let readinessThrows = false;
  const server = new MetricsServer(
    { port: 0, host: "127.0.0.1" },
    {
      registry: metrics.registry,
      readiness: () => {
        if (readinessThrows) throw new Error("boom");
        return readiness;
      },
    },
  );
  let base = "";

  beforeAll(async () => {
    const port = await server.start();
    expect(port).toBeGreaterThan(0);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(() => server.stop());

  it("serves the registry on /metrics in Prometheus text format, node_id on every series", async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(metrics.registry.contentType);
    const body = await res.text();
    expect(body).toContain('snowchain_node_info{version="9.9.9",behaviour="honest",id="",node_id="node-under-test"} 1');
    expect(body).toContain("# TYPE snowchain_consensus_finality_seconds histogram");
    expect(body).toMatch(/^process_cpu_seconds_total\{node_id="node-under-test"\} /m);
  });

  it("answers /healthz with 200 ok while the process runs", async () => {
    const res = await fetch(`${base}/healthz`);
    expect([res.status, await res.text()]).toEqual([200, "ok\n"]);
  });

  it("answers /readyz 503 with the reason, then 200 once ready", async () => {
    readiness = { ready: false, reason: "no live neighbor" };
    let res = await fetch(`${base}/readyz`);
    expect([res.status, await res.text()]).toEqual([503, "no live neighbor\n"]);
    readiness = { ready: true, reason: "ready" };
    res = await fetch(`${base}/readyz`);
    expect([res.status, await res.text()]).toEqual([200, "ready\n"]);
  });

  it("answers /readyz 503 when the readiness check throws", async () => {
    readinessThrows = true;
    try {
      const res = await fetch(`${base}/readyz`);
      expect([res.status, await res.text()]).toEqual([503, "readiness check failed: boom\n"]);
    } finally {
      readinessThrows = false;
    }
  });

  it("answers 404 on any other path and 405 on other methods", async () => {
    const missing = await fetch(`${base}/nope`);
    expect([missing.status, await missing.text()]).toEqual([404, "not found\n"]);
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    await post.arrayBuffer();
    expect(post.status).toBe(405);
  });

  it("ignores the query string when routing", async () => {
    const res = await fetch(`${base}/healthz?verbose=1`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });
});

describe("MetricsServer lifecycle", () => {
  const deps = () => ({
    registry: createMetrics({ nodeId: "n", version: "v", collectDefault: false }).registry,
    readiness: () => ({ ready: true, reason: "ready" }),
  });

  it("rejects start() when the port is taken", async () => {
    const first = new MetricsServer({ port: 0, host: "127.0.0.1" }, deps());
    const port = await first.start();
    try {
      await expect(new MetricsServer({ port, host: "127.0.0.1" }, deps()).start()).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });

  it("stops listening on stop(), even with a kept-alive connection open; stop() twice is fine", async () => {
    const server = new MetricsServer({ port: 0, host: "127.0.0.1" }, deps());
    const port = await server.start();
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: "keep-alive" } });
    await res.text();
    await server.stop();
    await server.stop();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
