/**
 * `--net real` on the local backend: each peer in a network namespace of its own, so that a
 * partition can be real packet drops (iptables in the peer's namespace) instead of a rule at the
 * peer's transport. One bridge in the root namespace joins them (a veth pair per peer); the lab
 * reaches every peer's gRPC and metrics over it, from the bridge's address, which no partition
 * names. Addresses come from 198.18.0.0/15, the benchmarking range nothing on these hosts routes.
 *
 * Everything is named after the lab's process id (namespaces snowlab-<pid>-<i>, links snl<pid>
 * and snl<pid>-<i>), so `lab clean` can tell what a dead lab left from what a live one uses.
 */
import { LabError } from "../errors";
import { processAlive } from "../state";
import type { RunIo } from "../runner";
import { exec, execOk, ids } from "./docker";

export const NETNS_PREFIX = "snowlab-";
/** Interface names are at most 15 characters: snl + a pid (≤ 7 digits) + -49 fits. */
export const LINK_PREFIX = "snl";
const NETNS_RE = /^snowlab-(\d+)-\d+$/;
const LINK_RE = /^snl(\d+)(-\d+)?$/;
/** Third octets tried for a run's /24 of 198.18.0.0/16, away from the Docker engine's swarm2 (198.18.1.0). */
const SUBNETS = { from: 128, count: 120 } as const;
/** Peer i is .10+i: room for the 50 peers a scenario may have. */
const FIRST_HOST = 10;

export class NetnsNetwork {
  private prefix?: string;

  constructor(
    private readonly peers: number,
    /** Whose namespaces these are. @default this process */
    private readonly owner = process.pid,
  ) {}

  /** `ip netns` must work here (root, a kernel with network namespaces): checked before anything starts. */
  static async preflight(): Promise<void> {
    const r = await exec("ip", ["netns", "list"], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new LabError("UNSUPPORTED", `--net real needs \`ip netns\` (iproute2): \`ip netns list\` failed: ${(r.err.trim() || "not found").split("\n")[0]}`);
  }

  nsOf(i: number): string {
    return `${NETNS_PREFIX}${this.owner}-${i}`;
  }

  hostOf(i: number): string {
    if (!this.prefix) throw new LabError("BACKEND", "the network namespaces are not made yet");
    return `${this.prefix}.${FIRST_HOST + i}`;
  }

  /** The command line a peer runs under to live in namespace i (`ip netns exec` execs: the pid stays the peer's). */
  wrap(i: number): string[] {
    return ["ip", "netns", "exec", this.nsOf(i)];
  }

  get bridge(): string {
    return `${LINK_PREFIX}${this.owner}`;
  }

  /** A line for the person running the lab: where the peers live. */
  describe(): string {
    return `peers in network namespaces ${this.nsOf(0)} … ${this.nsOf(this.peers - 1)} on ${this.prefix}.0/24 (bridge ${this.bridge} at ${this.prefix}.1)`;
  }

  /** The bridge, then one namespace and veth pair per peer. On failure, what was made is removed. */
  async create(): Promise<void> {
    try {
      this.prefix = await freeSubnet();
      await ip("link", "add", this.bridge, "type", "bridge");
      await ip("addr", "add", `${this.prefix}.1/24`, "dev", this.bridge);
      await ip("link", "set", this.bridge, "up");
      for (let i = 0; i < this.peers; i++) {
        const ns = this.nsOf(i);
        const veth = `${this.bridge}-${i}`;
        await ip("netns", "add", ns);
        await ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await ip("link", "set", veth, "master", this.bridge, "up");
        await ip("-n", ns, "addr", "add", `${this.hostOf(i)}/24`, "dev", "eth0");
        await ip("-n", ns, "link", "set", "eth0", "up");
        // gRPC's own health checks and anything a peer sends itself go over lo.
        await ip("-n", ns, "link", "set", "lo", "up");
      }
    } catch (err) {
      await this.remove();
      throw err;
    }
  }

  /** Removes every namespace and link of this owner (the peers must be gone: a namespace lives while a process is in it). */
  async remove(): Promise<void> {
    await removeNetns(this.owner);
  }

  /** What `lab clean` needs to know if this lab dies. */
  leftovers(): Record<string, unknown> {
    return { netnsOwner: this.owner };
  }
}

function ip(...args: string[]): Promise<string> {
  return execOk("ip", args, { timeoutMs: 10_000 });
}

/** A /24 of 198.18.0.0/16 no address of the root namespace is in (another lab's bridge, say). */
async function freeSubnet(): Promise<string> {
  const used = await execOk("ip", ["-o", "-4", "addr", "show"], { timeoutMs: 10_000 });
  for (let k = 0; k < SUBNETS.count; k++) {
    const prefix = `198.18.${SUBNETS.from + ((process.pid + k) % SUBNETS.count)}`;
    if (!used.includes(` ${prefix}.`)) return prefix;
  }
  throw new LabError("BACKEND", `no free /24 in 198.18.${SUBNETS.from}.0 … 198.18.${SUBNETS.from + SUBNETS.count - 1}.0 for the peers' namespaces`);
}

/**
 * Removes the namespaces and links of labs with process id `owner`; the names removed. Links go
 * first: the kernel tears a namespace down in the background, and its veth with it, some time
 * after `ip netns del` returns.
 */
export async function removeNetns(owner: number): Promise<string[]> {
  const removed: string[] = [];
  const links = (await listLinks()).filter((l) => LINK_RE.exec(l)?.[1] === String(owner));
  // Veths before the bridge they are enslaved to.
  for (const l of links.sort((a, b) => b.length - a.length)) if ((await exec("ip", ["link", "del", l], { timeoutMs: 10_000 })).code === 0) removed.push(l);
  for (const ns of (await listNetns()).filter((n) => NETNS_RE.exec(n)?.[1] === String(owner))) {
    if ((await exec("ip", ["netns", "del", ns], { timeoutMs: 10_000 })).code === 0) removed.push(ns);
  }
  return removed;
}

/** `lab clean`'s namespace part: namespaces and links named after a lab process that is gone. */
export async function cleanNetns(io: RunIo): Promise<number> {
  if ((await exec("ip", ["netns", "list"], { timeoutMs: 10_000 })).code !== 0) return 0;
  const owners = new Set<number>();
  for (const n of await listNetns()) owners.add(Number(NETNS_RE.exec(n)?.[1] ?? NaN));
  for (const l of await listLinks()) owners.add(Number(LINK_RE.exec(l)?.[1] ?? NaN));
  let cleaned = 0;
  for (const pid of owners) {
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    const removed = await removeNetns(pid);
    if (removed.length === 0) continue;
    io.out(`lab clean: removed ${removed.join(", ")} of lab process ${pid}`);
    cleaned++;
  }
  return cleaned;
}

async function listNetns(): Promise<string[]> {
  // `ip netns list` prints "name (id: 3)" once a namespace has an id.
  return ids((await exec("ip", ["netns", "list"], { timeoutMs: 10_000 })).out).map((l) => l.split(" ")[0]!);
}

async function listLinks(): Promise<string[]> {
  // "519: snl123-0@if2: <…>": the name, without the peer's index.
  return ids((await exec("ip", ["-o", "link", "show"], { timeoutMs: 10_000 })).out).map((l) => (l.split(": ")[1] ?? "").split("@")[0]!);
}
