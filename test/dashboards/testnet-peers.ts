/**
 * Real scrape targets for the dashboards test: a LocalTestnet of peer processes (dist/, so
 * `npm run build` first — `npm run test:dashboards` does) on free ports, writing its own file_sd
 * targets file, with a steady stream of entries submitted so that blocks are proposed, polled and
 * accepted and every rate on the dashboards moves.
 *
 * Entries go to peer 0 only, like `snowchain load --addr <one peer>`: this test is about the
 * dashboards, not about consensus under competing proposers (at the time of writing, submitting
 * to every peer at once stalled a 3-peer network within seconds; the process tests own that).
 */
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { LocalTestnet } from "../../src/testnet/local-testnet";
import { freePortRanges } from "../../scripts/dashboards/prometheus";
import type { ScrapeTargets } from "./fake-peers";

/** Entries submitted per second across the network: enough to keep consensus busy, not to saturate it. */
const LOAD_PER_SECOND = 50;
const LOAD_TICK_MS = 100;

export interface TestnetTargets extends ScrapeTargets {
  /** The file_sd file the testnet keeps up to date (LocalTestnet.targetsFile). */
  readonly targetsFile: string;
}

export async function startTestnetPeers(count: number, baseDir: string): Promise<TestnetTargets> {
  const [basePort, baseMetricsPort] = await freePortRanges([count, count]);
  const net = new LocalTestnet({ peers: count, baseDir, basePort, baseMetricsPort, env: { LOG_LEVEL: "warn" } });
  await net.start();
  const targetsFile = path.join(baseDir, "prometheus-targets.json");
  net.targetsFile(targetsFile);

  let sent = 0;
  let failed = 0;
  const load = setInterval(() => {
    for (let k = 0; k < (LOAD_PER_SECOND * LOAD_TICK_MS) / 1000; k++) {
      sent++;
      const data = Buffer.concat([Buffer.from(`dashboards-${sent}-`), randomBytes(16)]);
      net.client(0).Submit({ data }, { deadline: Date.now() + 2000 }, (err) => {
        if (err) failed++;
      });
    }
  }, LOAD_TICK_MS);

  return {
    addresses: net.peers.map((p) => `127.0.0.1:${p.metricsPort}`),
    targetsFile,
    async stop() {
      clearInterval(load);
      await net.stop();
      // Not an assertion (the dashboards are the subject), but worth knowing when a query fails.
      if (failed > 0) process.stderr.write(`dashboards test load: ${failed} of ${sent} submits failed\n`);
    },
  };
}
