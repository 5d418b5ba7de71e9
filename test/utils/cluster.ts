import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import pino from "pino";
import { createClient, fetchChain, GrpcSnowchainApi, type SnowchainApi } from "../../src/cli/client";
import { loadConfig } from "../../src/config";
import type { AcceptedBlock__Output } from "../../src/wire/generated/snowchain/v1/AcceptedBlock";
import { SnowchainNode } from "../../src/node";
import { freePort } from "./ports";

export interface ClusterPeer {
  readonly index: number;
  /** Its human name (NODE_ID), peer-i. */
  readonly name: string;
  /** Its node id, derived from its key. */
  readonly nodeId: string;
  readonly addr: string;
  readonly node: SnowchainNode;
  readonly api: SnowchainApi;
}

/** One in-process peer on 127.0.0.1:port with its data under dir/peer-i. */
export async function startPeer(dir: string, i: number, port: number, seeds: string, env: Record<string, string> = {}): Promise<ClusterPeer> {
  const config = loadConfig({
    NODE_ID: `peer-${i}`,
    LISTEN_ADDR: `127.0.0.1:${port}`,
    ADVERTISE_ADDR: `127.0.0.1:${port}`,
    SEEDS: seeds,
    DATA_DIR: path.join(dir, `peer-${i}`),
    METRICS_PORT: "0",
    HEARTBEAT_MS: "300",
    ...env,
  });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }).child({ node_id: config.name });
  const node = new SnowchainNode(config, log, "test");
  await node.start();
  const addr = `127.0.0.1:${port}`;
  return { index: i, name: config.name, nodeId: node.nodeId, addr, node, api: new GrpcSnowchainApi(createClient(addr)) };
}

/** Peers in this process over real gRPC on loopback, each told of one seed (its predecessor). */
export class Cluster {
  readonly peers: ClusterPeer[] = [];

  private constructor(
    /** Where the peers keep their data: a test may start more peers there. */
    readonly dir: string,
  ) {}

  /** `n` peers with `env`, and what `envOf` adds for peer i (a byzantine behaviour, say). */
  static async start(n: number, env: Record<string, string> = {}, envOf: (i: number) => Record<string, string> = () => ({})): Promise<Cluster> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-cluster-"));
    const cluster = new Cluster(dir);
    const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
    await Promise.all(
      ports.map(async (port, i) => {
        const seed = ports[i === 0 ? (n > 1 ? 1 : 0) : i - 1];
        cluster.peers[i] = await startPeer(dir, i, port, n > 1 ? `127.0.0.1:${seed}` : "", { ...env, ...envOf(i) });
      }),
    );
    return cluster;
  }

  /** One more peer (the next index), told of `seeds`; stopped with the others. */
  async join(seeds: readonly string[], env: Record<string, string> = {}): Promise<ClusterPeer> {
    const peer = await startPeer(this.dir, this.peers.length, await freePort(), seeds.join(","), env);
    this.peers.push(peer);
    return peer;
  }

  async stop(): Promise<void> {
    for (const p of this.peers) p.api.close();
    await Promise.all(this.peers.map((p) => p.node.stop()));
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** Every accepted block of a peer above genesis. */
export async function readChain(api: SnowchainApi): Promise<AcceptedBlock__Output[]> {
  const blocks: AcceptedBlock__Output[] = [];
  await fetchChain(api, 1, undefined, (page) => blocks.push(...page));
  return blocks;
}
