import * as path from "node:path";
import pino from "pino";
import { loadConfig } from "../../../src/config";
import { SnowchainNode } from "../../../src/node";

export interface LoopbackPeer {
  readonly nodeId: string;
  /** host:port it listens on and advertises. */
  readonly addr: string;
  readonly node: SnowchainNode;
}

/**
 * A real in-process peer on any loopback address (127.0.0.0/8 is all loopback on Linux), so
 * several peers can share one port the way Compose replicas share `peer:50051`.
 */
export async function startPeerAt(dir: string, nodeId: string, host: string, port: number, env: Record<string, string> = {}): Promise<LoopbackPeer> {
  const addr = `${host}:${port}`;
  const config = loadConfig({
    NODE_ID: nodeId,
    LISTEN_ADDR: addr,
    ADVERTISE_ADDR: addr,
    DATA_DIR: path.join(dir, nodeId),
    METRICS_PORT: "0",
    HEARTBEAT_MS: "300",
    ...env,
  });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }).child({ node_id: nodeId });
  const node = new SnowchainNode(config, log, "test");
  await node.start();
  return { nodeId, addr, node };
}
