/**
 * The local backend: real peer processes through the LocalTestnet (the harness of `npm run
 * testnet`), on loopback ports the lab finds free, data and logs under the run's directory.
 * Faults are signals: SIGKILL, SIGSTOP/SIGCONT, SIGTERM and a start on the same data directory.
 * With `--net real` each peer runs in a network namespace of its own (netns.ts) and partitions
 * are iptables drops there (iptables.ts).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { LocalTestnet } from "../../testnet/local-testnet";
import { LabError } from "../errors";
import type { Backend, BackendPeer } from "./backend";
import { IptablesFilter, type PacketFilter } from "./iptables";
import { NetnsNetwork } from "./netns";

export interface LocalBackendOptions {
  readonly peers: number;
  /** Data directories go to dir/net, logs to dir/logs. */
  readonly dir: string;
  /** The snowchain CLI the peers run (another build, e.g. a deliberately broken one). @default this package's dist */
  readonly cliPath?: string;
  /** `--net real`: each peer in a network namespace, partitions as packet drops. @default false */
  readonly realNet?: boolean;
  /** Lines for the person running the lab (where the peers live). @default none */
  readonly say?: (line: string) => void;
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
  readonly packetFilter?: PacketFilter;
  private net?: LocalTestnet;
  private readonly netns?: NetnsNetwork;

  constructor(private readonly opts: LocalBackendOptions) {
    if (opts.realNet) {
      const netns = new NetnsNetwork(opts.peers);
      this.netns = netns;
      this.packetFilter = new IptablesFilter(async (peer) => netns.wrap(this.index(peer)));
    }
  }

  async preflight(): Promise<void> {
    const cli = this.opts.cliPath;
    if (cli !== undefined && !fs.existsSync(cli)) throw new LabError("BAD_TARGET", `--peer-cli: ${cli} does not exist`);
    if (this.netns) await Promise.all([NetnsNetwork.preflight(), IptablesFilter.preflight()]);
  }

  async start(env: Readonly<Record<string, string>>, envOf?: (name: string) => Record<string, string>): Promise<void> {
    const netns = this.netns;
    if (netns) {
      await netns.create();
      this.opts.say?.(`lab: --net real: ${netns.describe()}`);
    }
    // In namespaces of their own, every peer has the whole port range to itself.
    const base = netns ? undefined : await freeBlock(this.opts.peers);
    this.net = new LocalTestnet({
      peers: this.opts.peers,
      baseDir: path.join(this.opts.dir, "net"),
      logDir: path.join(this.opts.dir, "logs"),
      ...(base !== undefined ? { basePort: base, baseMetricsPort: base + this.opts.peers } : {}),
      ...(netns ? { hostOf: (i: number) => netns.hostOf(i), wrap: (i: number) => netns.wrap(i) } : {}),
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
    // A stop that had to SIGKILL is still a stop: the processes are gone either way.
    await n?.stop().catch(() => undefined);
    fs.rmSync(path.join(this.opts.dir, "net"), { recursive: true, force: true });
    // After the peers: a namespace lives on while a process is in it. Made before the peers, so removed even if none started.
    await this.netns?.remove();
  }

  leftovers(): Record<string, unknown> {
    return {
      pids: (this.net?.peers ?? []).map((p) => p.pid).filter((p) => p !== undefined),
      dataDir: path.join(this.opts.dir, "net"),
      ...this.netns?.leftovers(),
    };
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
