/** Prometheus as the container suites see it: its HTTP API on a published port. */
import { getJson, waitFor } from "./exec";

interface PromTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  health: string;
}

/**
 * Waits until the targets Prometheus found through DNS name `dnsName` (dns_sd_configs) are exactly
 * `want` (host:port), every one of them scraped successfully.
 */
export async function waitPrometheusTargets(promPort: number, dnsName: string, want: readonly string[], timeoutMs: number): Promise<void> {
  const sorted = [...want].sort();
  await waitFor(
    `Prometheus scraping ${want.length} peer targets found through DNS (${dnsName})`,
    async () => {
      const body = await getJson<{ data: { activeTargets: PromTarget[] } }>(`http://127.0.0.1:${promPort}/api/v1/targets?state=active`);
      const peers = body.data.activeTargets.filter((t) => t.discoveredLabels.__meta_dns_name === dnsName);
      const up = peers
        .filter((t) => t.health === "up")
        .map((t) => t.discoveredLabels.__address__ ?? "")
        .sort();
      return {
        ok: peers.length === sorted.length && JSON.stringify(up) === JSON.stringify(sorted),
        detail: `want up ${sorted.join(" ")}; targets ${peers.map((t) => `${t.discoveredLabels.__address__}=${t.health}`).join(" ")}`,
      };
    },
    timeoutMs,
    1000,
  );
}
