/**
 * The local backend: real peer processes through the LocalTestnet (the harness of `npm run
 * testnet`), on loopback ports the lab finds free, data and logs under the run's directory.
 * Faults are signals: SIGKILL, SIGSTOP/SIGCONT, SIGTERM and a start on the same data directory.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { LocalTestnet } from "../../testnet/local-testnet";
import { LabError } from "../errors";
import type { Backend, BackendPeer } from "./backend";

export interface LocalBackendOptions {
  readonly peers: number;
  /** Data directories go to dir/net, logs to dir/logs. */
  readonly dir: string;
  /** The snowchain CLI the peers run (another build, e.g. a deliberately broken one). @default this package's dist */
  readonly cliPath?: string;
}

/** Ports tried for the first peer: below the ephemeral range, away from `npm run testnet`'s 50051. */
const PORT_RANGE = { from: 20_000, to: 30_000 } as const;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A block of `n` consecutive free ports for gRPC and another for metrics. */
async function freeBlock(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from - 2 * n));
    const ports = Array.from({ length: n }, (_, i) => [base + i, base + n + i]).flat();
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new LabError("BACKEND", `no ${2 * n} free consecutive ports between ${PORT_RANGE.from} and ${PORT_RANGE.to}`);
}

export class LocalBackend implements Backend {
  readonly name = "local" as const;
  private net?: LocalTestnet;

  constructor(private readonly opts: LocalBackendOptions) {}

  async preflight(): Promise<void> {
    const cli = this.opts.cliPath;
    if (cli !== undefined && !fs.existsSync(cli)) throw new LabError("BAD_TARGET", `--peer-cli: ${cli} does not exist`);
  }

  async start(env: Readonly<Record<string, string>>, envOf?: (name: string) => Record<string, string>): Promise<void> {
    const base = await freeBlock(this.opts.peers);
    this.net = new LocalTestnet({
      peers: this.opts.peers,
      baseDir: path.join(this.opts.dir, "net"),
      logDir: path.join(this.opts.dir, "logs"),
      basePort: base,
      baseMetricsPort: base + this.opts.peers,
      env: { ...env },
      ...(envOf ? { envOf: (i: number) => envOf(`peer-${i}`) } : {}),
      ...(this.opts.cliPath ? { cliPath: this.opts.cliPath } : {}),
    });
    // For a Prometheus of one's own: local-prometheus --targets-file <run>/prometheus-targets.json --lab 127.0.0.1:9190
    this.net.targetsFile(path.join(this.opts.dir, "prometheus-targets.json"));
    await this.net.start();
  }

  peers(): readonly BackendPeer[] {
    return (this.net?.peers ?? []).map((p) => ({ name: p.nodeId, addr: p.addr }));
  }

  async kill(name: string): Promise<void> {
    await this.testnet().kill(this.index(name));
  }

  async stop(name: string): Promise<void> {
    await this.testnet().stop(this.index(name));
  }

  async startAgain(name: string): Promise<void> {
    await this.testnet().restart(this.index(name));
  }

  async pause(name: string): Promise<void> {
    this.testnet().pause(this.index(name));
  }

  async resume(name: string): Promise<void> {
    this.testnet().resume(this.index(name));
  }

  async scale(): Promise<{ added: string[]; removed: string[] }> {
    // planFaults refuses scale on this backend before anything starts.
    throw new LabError("UNSUPPORTED", "the local backend cannot scale");
  }

  async teardown(): Promise<void> {
    const n = this.net;
    this.net = undefined;
    if (!n) return;
    // A stop that had to SIGKILL is still a stop: the processes are gone either way.
    await n.stop().catch(() => undefined);
    fs.rmSync(path.join(this.opts.dir, "net"), { recursive: true, force: true });
  }

  leftovers(): Record<string, unknown> {
    return { pids: (this.net?.peers ?? []).map((p) => p.pid).filter((p) => p !== undefined), dataDir: path.join(this.opts.dir, "net") };
  }

  private testnet(): LocalTestnet {
    if (!this.net) throw new LabError("BACKEND", "the local network is not running");
    return this.net;
  }

  private index(name: string): number {
    const i = this.testnet().peers.findIndex((p) => p.nodeId === name);
    if (i < 0) throw new LabError("BAD_TARGET", `no peer ${name}`);
    return i;
  }
}
