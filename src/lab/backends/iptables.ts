/**
 * Partitions as real packet drops (`--net real`): iptables in each peer's network namespace,
 * entered by whatever command the backend has for it (`ip netns exec` for local namespaces,
 * `nsenter -t <pid> -n` for a container). The kernel here has no netem, so only whole cuts are
 * done this way; loss, delay and duplication stay at the peers' transport.
 */
import { LabError } from "../errors";
import { exec, execOk } from "./docker";

/** What one peer's namespace drops: packets it sends to these addresses, packets it gets from those. */
export interface Drops {
  readonly outTo: readonly string[];
  readonly inFrom: readonly string[];
}

export const NO_DROPS: Drops = { outTo: [], inFrom: [] };

/** Where a backend can cut links for real. */
export interface PacketFilter {
  /** Makes the drops in `peer`'s namespace exactly `drops` (NO_DROPS: every packet passes again). */
  set(peer: string, drops: Drops): Promise<void>;
}

/**
 * The whole filter table of a peer's namespace, for iptables-restore: replaced in one step, so a
 * window's start and end are atomic and nothing of an earlier window survives. Nothing else
 * writes that table in a peer's namespace (Docker's embedded DNS uses nat). DROP, not REJECT: a
 * cut link is silent, as a lost cable is, and as the transport's drop is.
 */
export function filterTable(d: Drops): string {
  const lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"];
  for (const a of [...new Set(d.inFrom)].sort()) lines.push(`-A INPUT -s ${a}/32 -m comment --comment snowlab -j DROP`);
  for (const a of [...new Set(d.outTo)].sort()) lines.push(`-A OUTPUT -d ${a}/32 -m comment --comment snowlab -j DROP`);
  lines.push("COMMIT", "");
  return lines.join("\n");
}

export class IptablesFilter implements PacketFilter {
  /** @param enter the command line that runs a program in `peer`'s network namespace */
  constructor(private readonly enter: (peer: string) => Promise<readonly string[]>) {}

  /** iptables-restore must be on PATH: checked before anything starts. */
  static async preflight(): Promise<void> {
    if ((await exec("iptables-restore", ["--version"], { timeoutMs: 10_000 })).code !== 0) {
      throw new LabError("UNSUPPORTED", "--net real needs iptables (iptables-restore is not on PATH; on Debian: apt-get install iptables)");
    }
  }

  async set(peer: string, drops: Drops): Promise<void> {
    const [cmd, ...args] = await this.enter(peer);
    await execOk(cmd!, [...args, "iptables-restore", "-w", "5"], { input: filterTable(drops), timeoutMs: 15_000 });
  }
}
