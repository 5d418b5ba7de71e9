/**
 * The benchmark's view of a LocalTestnet: a promise client per peer, scrapes of every peer's
 * /metrics at one moment, and the waits between phases (ready, idle). Every wait is bounded.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { v1 } from "../../src/wire/proto";
import { GrpcSnowchainApi } from "../../src/cli/client";
import { TOOL_CHANNEL_OPTIONS } from "../../src/wire/channel";
import type { StatusResponse__Output } from "../../src/wire/generated/snowchain/v1/StatusResponse";
import type { LocalTestnet } from "../../src/testnet/local-testnet";
import { ready, scrape, type Sample } from "./prom";

/** Every peer's metrics, scraped together. */
export interface Snapshot {
  /** performance.now() when the scrapes were sent. */
  readonly atMs: number;
  /** Index = peer index; empty for a peer that did not answer (down). */
  readonly peers: readonly (readonly Sample[])[];
  /** process.cpuUsage() of the benchmark process itself at that moment. */
  readonly benchCpu: NodeJS.CpuUsage;
  /** Busy CPU seconds of the whole machine (/proc/stat), undefined where there is none. */
  readonly machineBusySec?: number;
}

/**
 * Busy CPU time of the whole machine from /proc/stat (user+nice+system+irq+softirq+steal), so
 * the figures can show what other processes took from the peers. Undefined off Linux.
 */
export function machineBusySeconds(): number | undefined {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/** USER_HZ: /proc/stat counts in these on every Linux the benchmark runs on. */
const CLOCK_TICKS_PER_SEC = 100;

export class BenchNet {
  private readonly apis = new Map<number, GrpcSnowchainApi>();

  constructor(
    readonly testnet: LocalTestnet,
    private readonly host: string,
  ) {}

  get size(): number {
    return this.testnet.peers.length;
  }

  /** A client of its own (not the testnet's shared one); TOOL_CHANNEL_OPTIONS receive any message a peer may send. */
  api(i: number): GrpcSnowchainApi {
    let a = this.apis.get(i);
    if (!a) {
      const p = this.testnet.peers[i]!;
      a = new GrpcSnowchainApi(new v1.Client(p.addr, grpc.credentials.createInsecure(), TOOL_CHANNEL_OPTIONS));
      this.apis.set(i, a);
    }
    return a;
  }

  async snapshot(): Promise<Snapshot> {
    const atMs = performance.now();
    const benchCpu = process.cpuUsage();
    const machineBusySec = machineBusySeconds();
    // A peer that died is reported as such by the figures; it does not end the run.
    const peers = await Promise.all(this.testnet.peers.map((p) => scrape(this.host, p.metricsPort).catch(() => [])));
    return { atMs, peers, benchCpu, machineBusySec };
  }

  /** Status of every running peer. */
  statuses(timeoutMs = 2000): Promise<StatusResponse__Output[]> {
    return Promise.all(this.testnet.peers.filter((p) => p.running).map((p) => this.api(p.index).status(timeoutMs)));
  }

  /** Peers whose process ended, with how, e.g. "peer-9 (code 1)". */
  exited(): string[] {
    return this.testnet.peers
      .filter((p) => !p.running)
      .map((p) => `${p.nodeId} (${p.lastExit?.signal ? `signal ${p.lastExit.signal}` : `code ${p.lastExit?.code ?? "?"}`})`);
  }

  /** Until every peer is ready (/readyz) and knows every other one. */
  async waitConnected(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const n = this.size;
    let last = "";
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !signal.aborted) {
      try {
        const readies = await Promise.all(this.testnet.peers.map((p) => ready(this.host, p.metricsPort)));
        const st = await this.statuses();
        const notReady = readies.filter((r) => !r).length;
        const short = st.filter((s) => s.known_peers < n - 1).length;
        if (notReady === 0 && short === 0) return;
        last = `${notReady} not ready, ${short} knowing fewer than ${n - 1} members`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      await sleep(250);
    }
    if (!signal.aborted) throw new Error(`the network did not connect within ${timeoutMs / 1000} s (${last})`);
  }

  /**
   * Until nothing is pending anywhere (empty mempools, no undecided block) and every peer has the
   * same accepted height. Returns false when it is still busy after timeoutMs.
   */
  async waitQuiet(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !signal.aborted) {
      try {
        const st = await this.statuses();
        const heights = new Set(st.map((s) => Number(s.height)));
        if (heights.size === 1 && st.every((s) => s.mempool_size === 0 && s.processing_blocks === 0)) return true;
      } catch {
        // a slow answer under load: ask again
      }
      await sleep(250);
    }
    return false;
  }

  close(): void {
    for (const a of this.apis.values()) a.close();
    this.apis.clear();
  }
}

/** Throws when one of the ports cannot be bound on host: another testnet (or test) uses it. */
export async function checkPortsFree(host: string, ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    await new Promise<void>((resolve, reject) => {
      const srv = net.createServer();
      srv.once("error", (err: NodeJS.ErrnoException) =>
        reject(new Error(`port ${host}:${port} is in use (${err.code}); pick other ports with --base-port / --metrics-port`)),
      );
      srv.listen(port, host, () => srv.close(() => resolve()));
    });
  }
}
