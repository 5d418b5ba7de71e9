/**
 * Stand-in scrape targets for the dashboards test until the local testnet runs real peers: each
 * is a MetricsServer on 127.0.0.1 (port 0) serving createMetrics() — the very module the peer
 * uses — with every metric moving as a busy network's would, so each panel has data.
 */
import { createMetrics, MetricsServer, type Metrics } from "../../src/metrics";

export interface ScrapeTargets {
  /** host:port of each metrics endpoint. */
  readonly addresses: string[];
  stop(): Promise<void>;
}

const TICK_MS = 100;

/** Moves every metric a little, as one tick of a network under load would. */
function tick(m: Metrics, step: number, peers: number): void {
  const c = m.consensus;
  c.lastAcceptedHeight.set(Math.floor(step / 3));
  if (step % 3 === 0) {
    c.blocksAccepted.inc();
    c.finality.observe(0.05 + Math.random() * 0.3);
    m.chain.entriesAccepted.inc(25);
  }
  if (step % 20 === 0) c.blocksRejected.inc();
  c.polls.inc({ outcome: "successful" }, 4);
  if (step % 5 === 0) c.polls.inc({ outcome: "failed" });
  c.pollsEndedEarly.inc(3);
  c.votesDropped.inc(step % 4 === 0 ? 1 : 0);
  c.pollDuration.observe(0.002 + Math.random() * 0.01);
  c.processingBlocks.set(1 + (step % 3));
  c.confidence.set(step % 20);
  if (step % 7 === 0) c.preferenceChanges.inc();
  c.pollsInFlight.set(step % 5);

  m.chain.entriesSubmitted.inc(25 / peers);
  m.chain.mempoolEntries.set(50 + (step % 30));
  m.sync.active.set(step % 50 < 5 ? 1 : 0);
  m.sync.blocksFetched.inc(step % 50 < 5 ? 2 : 0);

  m.p2p.knownMembers.set(peers - 1);
  m.p2p.liveMembers.set(peers - 1);
  m.p2p.liveNeighbors.set(peers - 1);
  if (step % 10 === 0) m.p2p.handshakes.inc({ result: "ok" });

  for (const method of ["Query", "FetchRange", "Ping"]) {
    m.grpc.serverHandled.inc({ method, code: "OK" }, 3);
    m.grpc.serverHandling.observe({ method }, 0.0005 + Math.random() * 0.002);
    m.grpc.clientHandled.inc({ method, code: "OK" }, 3);
    m.grpc.clientHandling.observe({ method }, 0.001 + Math.random() * 0.004);
  }
  if (step % 10 === 0) m.grpc.clientHandled.inc({ method: "Query", code: "DEADLINE_EXCEEDED" });
}

export async function startFakePeers(count: number): Promise<ScrapeTargets> {
  const peers = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const metrics = createMetrics({ nodeId: `fake-${i}`, version: "0.0.0-fake" });
      const server = new MetricsServer(
        { port: 0, host: "127.0.0.1" },
        { registry: metrics.registry, readiness: () => ({ ready: true, reason: "ready" }) },
      );
      const port = await server.start();
      return { metrics, server, address: `127.0.0.1:${port}` };
    }),
  );
  let step = 0;
  const timer = setInterval(() => {
    step++;
    for (const p of peers) tick(p.metrics, step, count);
  }, TICK_MS);
  return {
    addresses: peers.map((p) => p.address),
    async stop() {
      clearInterval(timer);
      await Promise.all(peers.map((p) => p.server.stop()));
    },
  };
}
