import * as grpc from "@grpc/grpc-js";
import { statusName } from "../../wire/status";
import type { SnowchainApi } from "../client";
import { isServiceError } from "../errors";
import { formatAddress, type Address } from "../options";
import { reasonOf, type BatchOutcome, type LoadTarget } from "./runner";
import type { Timers } from "./timers";

/**
 * One peer's submit path: Submit for an entry alone, SubmitBatch for several. A peer built
 * before SubmitBatch answers it UNIMPLEMENTED: that batch is sent again as one Submit per entry,
 * and from then on this peer gets single entries only (`batches` turns false), so a load keeps
 * its concurrency in calls against an old build too.
 */
export class PeerSubmitter implements LoadTarget {
  private unimplemented = false;

  constructor(
    readonly addr: string,
    private readonly api: Pick<SnowchainApi, "submit" | "submitBatch">,
    private readonly timeoutMs: number,
  ) {}

  get batches(): boolean {
    return !this.unimplemented;
  }

  submit(data: Buffer): Promise<unknown> {
    return this.api.submit(data, { timeoutMs: this.timeoutMs });
  }

  async submitBatch(data: readonly Buffer[]): Promise<BatchOutcome> {
    if (!this.unimplemented) {
      try {
        const res = await this.api.submitBatch(data, { timeoutMs: this.timeoutMs });
        // A refusal counts under the status a Submit of that entry alone would have failed with.
        return res.results.map((r) => (r.result === "acknowledged" ? undefined : statusName(r.refused?.code ?? grpc.status.UNKNOWN)));
      } catch (err) {
        if (!isServiceError(err) || err.code !== grpc.status.UNIMPLEMENTED) throw err;
        this.unimplemented = true;
      }
    }
    return Promise.all(data.map((d) => this.submit(d).then(() => undefined, reasonOf)));
  }
}

export interface PeerTargetsDeps {
  /** Every address the host name resolves to. */
  lookupAll(host: string): Promise<string[]>;
  connect(addr: string): SnowchainApi;
  random(): number;
  readonly timers: Timers;
}

/** How often the host name is resolved again, so replicas that come and go are followed. @default 5000 */
export const DEFAULT_RESOLVE_EVERY_MS = 5000;

/**
 * The peers behind one host:port. The name is resolved to ALL its addresses and again every few
 * seconds: in Docker Compose `peer:50051` stands for every replica of the `peer` service.
 */
export class PeerTargets {
  private readonly clients = new Map<string, { api: SnowchainApi; target: LoadTarget }>();
  private list: LoadTarget[] = [];
  private timer: unknown;
  private closed = false;
  /** The last resolution failure, if the last attempt failed. */
  lastError: unknown;

  constructor(
    private readonly addr: Address,
    private readonly deps: PeerTargetsDeps,
    private readonly callTimeoutMs: number,
    private readonly resolveEveryMs = DEFAULT_RESOLVE_EVERY_MS,
  ) {}

  /** Resolves once (a failure leaves no targets and is kept in lastError), then keeps resolving. */
  async start(): Promise<void> {
    await this.refresh();
    this.scheduleRefresh();
  }

  get size(): number {
    return this.list.length;
  }

  addresses(): string[] {
    return this.list.map((t) => t.addr);
  }

  /** A peer chosen uniformly at random, or undefined when none is known. */
  pick(): LoadTarget | undefined {
    if (this.list.length === 0) return undefined;
    return this.list[Math.min(this.list.length - 1, Math.floor(this.deps.random() * this.list.length))];
  }

  async refresh(): Promise<void> {
    let ips: string[];
    try {
      ips = await this.deps.lookupAll(this.addr.host);
      this.lastError = undefined;
    } catch (err) {
      // Keep the peers we have: a DNS hiccup should not stop the load.
      this.lastError = err;
      return;
    }
    if (this.closed) return;
    const wanted = new Set(ips.map((host) => formatAddress({ host, port: this.addr.port })));
    for (const [addr, c] of this.clients) {
      if (!wanted.has(addr)) {
        c.api.close();
        this.clients.delete(addr);
      }
    }
    for (const addr of wanted) {
      if (this.clients.has(addr)) continue;
      const api = this.deps.connect(addr);
      this.clients.set(addr, { api, target: new PeerSubmitter(addr, api, this.callTimeoutMs) });
    }
    this.list = [...this.clients.values()].map((c) => c.target);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer);
    for (const c of this.clients.values()) c.api.close();
    this.clients.clear();
    this.list = [];
  }

  private scheduleRefresh(): void {
    if (this.closed) return;
    this.timer = this.deps.timers.setTimeout(() => {
      void this.refresh().finally(() => this.scheduleRefresh());
    }, this.resolveEveryMs);
  }
}
