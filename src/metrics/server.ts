/**
 * The peer's HTTP endpoint on METRICS_PORT: what Prometheus scrapes and what an orchestrator
 * probes. Plain node:http: three routes do not need a framework.
 *
 *   GET /metrics  the registry in Prometheus text format
 *   GET /healthz  200 "ok" while the process can answer at all (liveness)
 *   GET /readyz   200 "ready", or 503 with the reason (readiness: synced, at least one live neighbor)
 *
 * HEAD is answered like GET without a body; every other method gets 405, every other path 404.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** Default of METRICS_PORT. */
export const DEFAULT_METRICS_PORT = 9100;

export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one (start() resolves it). */
  port: number;
  /** Address to bind. @default "0.0.0.0" (Prometheus scrapes from another container) */
  host?: string;
}

export interface Readiness {
  ready: boolean;
  /** Why the peer is (not) ready, e.g. "syncing" or "no live neighbor". */
  reason: string;
}

export interface MetricsServerDeps {
  registry: Registry;
  /** Asked on every /readyz; must be cheap and must not throw (a throw answers 503). */
  readiness: () => Readiness;
}

const DEFAULT_HOST = "0.0.0.0";
const TEXT = "text/plain; charset=utf-8";

export class MetricsServer {
  private server: http.Server | undefined;

  constructor(
    private readonly opts: MetricsServerOptions,
    private readonly deps: MetricsServerDeps,
  ) {}

  /** Listens; resolves the bound port (again, if already started). Rejects if the port cannot be bound. */
  async start(): Promise<number> {
    if (this.server) return (this.server.address() as AddressInfo).port;
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // Only reachable if writing the response itself failed; the socket is gone or unusable.
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
    // Prometheus reuses its scrape connection every scrape interval (5 s here). Node's default
    // 5 s keep-alive timeout races with that and fails the odd scrape with EOF: outlast it.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once("error", onError);
      server.listen(this.opts.port, this.opts.host ?? DEFAULT_HOST, () => {
        server.off("error", onError);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  /** Stops listening and closes open connections. Safe to call twice or before start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) {
      return send(res, 405, "method not allowed\n", TEXT, head, { Allow: "GET, HEAD" });
    }
    switch (path) {
      case "/metrics": {
        let body: string;
        try {
          body = await this.deps.registry.metrics();
        } catch (err: unknown) {
          return send(res, 500, `collecting metrics failed: ${errorText(err)}\n`, TEXT, head);
        }
        return send(res, 200, body, this.deps.registry.contentType, head);
      }
      case "/healthz":
        return send(res, 200, "ok\n", TEXT, head);
      case "/readyz": {
        let readiness: Readiness;
        try {
          readiness = this.deps.readiness();
        } catch (err: unknown) {
          readiness = { ready: false, reason: `readiness check failed: ${errorText(err)}` };
        }
        const text = readiness.reason || (readiness.ready ? "ready" : "not ready");
        return send(res, readiness.ready ? 200 : 503, `${text}\n`, TEXT, head);
      }
      default:
        return send(res, 404, "not found\n", TEXT, head);
    }
  }
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  contentType: string,
  head: boolean,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
  });
  res.end(head ? undefined : body);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
