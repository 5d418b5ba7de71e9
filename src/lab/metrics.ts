/**
 * The lab's own /metrics while a run goes on: snowchain_lab_fault_active{kind,target} is 1 while
 * a fault is in force (0 after), so Prometheus records the fault windows and the dashboards draw
 * them as annotations. Its own registry: nothing of a peer's metrics.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Gauge, Registry } from "prom-client";

/** Where the lab serves /metrics unless told otherwise (`--metrics-port`, 0 for any free port). */
export const DEFAULT_LAB_METRICS_PORT = 9190;

export class LabMetrics {
  readonly registry = new Registry();
  private readonly active: Gauge<"kind" | "target">;
  private readonly info: Gauge<"scenario" | "seed" | "backend">;
  private server?: http.Server;

  constructor() {
    this.active = new Gauge({
      name: "snowchain_lab_fault_active",
      help: "1 while the fault lab holds a fault of this kind on this target (a peer, or a group of links), 0 after.",
      labelNames: ["kind", "target"],
      registers: [this.registry],
    });
    this.info = new Gauge({
      name: "snowchain_lab_run_info",
      help: "1 while a lab run is under way: its scenario, seed and backend.",
      labelNames: ["scenario", "seed", "backend"],
      registers: [this.registry],
    });
  }

  runStarted(scenario: string, seed: number, backend: string): void {
    this.info.set({ scenario, seed: String(seed), backend }, 1);
  }

  faultStarted(kind: string, targets: readonly string[]): void {
    for (const target of targets) this.active.set({ kind, target }, 1);
  }

  faultEnded(kind: string, targets: readonly string[]): void {
    for (const target of targets) this.active.set({ kind, target }, 0);
  }

  /** Serves /metrics on host:port; resolves with the port (port 0 picks one). */
  listen(port: number, host: string): Promise<number> {
    this.server = http.createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end("not found: the lab serves /metrics\n");
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": this.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    const srv = this.server;
    return new Promise((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(port, host, () => resolve((srv.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    if (!srv) return Promise.resolve();
    srv.closeAllConnections();
    return new Promise((resolve) => srv.close(() => resolve()));
  }
}
