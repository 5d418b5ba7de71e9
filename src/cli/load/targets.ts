import type { SnowchainApi } from "../client";
import { formatAddress, type Address } from "../options";
import type { LoadTarget } from "./runner";
import type { Timers } from "./timers";

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
      const timeoutMs = this.callTimeoutMs;
      this.clients.set(addr, { api, target: { addr, submit: (data) => api.submit(data, { timeoutMs }) } });
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
