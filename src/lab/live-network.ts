/**
 * The lab's live view of the network it runs: each peer's controls and identity (the node id its
 * Status reports: link faults name remotes by it), which peers are up, the link faults in force
 * and the clock skews. It is what faults act through, and what puts a restarted peer's faults
 * back (a peer forgets them when its process ends). Cuts (partitions) go to the backend's packet
 * filter when it has one (`--net real`), every other link fault to the peers' transport; the
 * history records the one link table either way.
 */
import type { LinkFault } from "../wire/generated/snowchain/v1/LinkFault";
import type { Backend } from "./backends/backend";
import { NO_DROPS, type Drops } from "./backends/iptables";
import { LabError } from "./errors";
import type { LinkState } from "./history";
import { PeerControl } from "./peer-control";
import type { Recorder } from "./recorder";
import type { DirectedLink, LinkEffect } from "./schedule";

interface Identity {
  /** Derived from the peer's key: what link faults name remotes by. */
  readonly nodeId: string;
  /** Its human name (NODE_ID): the `node_id` label of its metrics. */
  readonly name: string;
  readonly addr: string;
}

export class LiveNetwork {
  private readonly controls = new Map<string, PeerControl>();
  private readonly ids = new Map<string, Identity>();
  private readonly running = new Set<string>();
  /** Link faults by the fault that set them; `cut`: a whole cut, for the packet filter if there is one. */
  private readonly linkFaults = new Map<string, { links: readonly DirectedLink[]; effect: LinkEffect; cut: boolean }>();
  private readonly skews = new Map<string, number>();

  constructor(
    readonly backend: Backend,
    private readonly rec: Recorder,
    /** The network's size before any scale: where a scale fault returns to. */
    readonly initialPeers: number,
  ) {}

  names(): string[] {
    return this.backend.peers().map((p) => p.name);
  }

  control(name: string): PeerControl | undefined {
    if (!this.running.has(name)) return undefined;
    return this.controlOf(name);
  }

  /** A client for the load: it sends to a paused or killed peer too, and records what that gets it. */
  clientFor(name: string): PeerControl | undefined {
    return this.backend.peers().some((p) => p.name === name) ? this.controlOf(name) : undefined;
  }

  /** The name a peer last reported: the `node_id` label of its metrics, which the dashboards filter on. */
  metricsNameOf(name: string): string | undefined {
    return this.ids.get(name)?.name;
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** After a (re)start: learns the peer's identity and puts back what the lab had set on it. */
  async joined(name: string): Promise<void> {
    const c = this.controlOf(name);
    const status = await c.api.status(5000);
    const before = this.ids.get(name);
    const id = { nodeId: status.node_id, name: status.name || status.node_id, addr: status.address || c.addr };
    this.ids.set(name, id);
    this.running.add(name);
    this.rec.record({ type: "peer", peer: name, nodeId: id.nodeId, name: id.name, addr: id.addr });
    this.rec.record({ type: "up", peer: name });
    // A new identity changes how every other peer must name it; otherwise only this one needs its faults again.
    const changed = before !== undefined && (before.nodeId !== id.nodeId || before.addr !== id.addr);
    await this.pushLinks(changed ? undefined : [name]);
    const skew = this.skews.get(name);
    if (skew) await c.setClockSkew(skew);
  }

  left(name: string, how: "killed" | "paused" | "stopped" | "removed"): void {
    this.running.delete(name);
    this.rec.record({ type: "down", peer: name, how });
    if (how === "removed") {
      this.controls.get(name)?.close();
      this.controls.delete(name);
    }
  }

  /** `cut`: the fault is a partition, done as packet drops where the backend can (see pushLinks). */
  async setLinks(faultId: string, links: readonly DirectedLink[], effect: LinkEffect, cut = false): Promise<void> {
    this.linkFaults.set(faultId, { links, effect, cut });
    await this.pushLinks();
  }

  async clearLinks(faultId: string): Promise<void> {
    this.linkFaults.delete(faultId);
    await this.pushLinks();
  }

  async setSkew(name: string, skewMs: number): Promise<void> {
    if (skewMs === 0) this.skews.delete(name);
    else this.skews.set(name, skewMs);
    this.rec.record({ type: "skew", peer: name, skewMs });
    const c = this.control(name);
    if (c) await c.setClockSkew(skewMs);
  }

  /** Every directed link's combined effect: losses compound, delays add, the larger duplication wins. */
  linkTable(): LinkState[] {
    return combine([...this.linkFaults.values()]);
  }

  /**
   * Sends each running peer (or only `only`) the faults of the links it sends on, and has the
   * packet filter (if any) cut what is cut in its namespace.
   */
  async pushLinks(only?: readonly string[]): Promise<void> {
    if (only === undefined) this.rec.record({ type: "links", links: this.linkTable() });
    const senders = (only ?? this.names()).filter((n) => this.running.has(n));
    const filter = this.backend.packetFilter;
    const faults = [...this.linkFaults.values()];
    await Promise.all([
      this.pushTransport(senders, combine(filter ? faults.filter((f) => !f.cut) : faults)),
      ...(filter ? senders.map((p) => this.pushDrops(p, combine(faults.filter((f) => f.cut)))) : []),
    ]);
  }

  /**
   * Remotes are named by node id and by address: a peer names an outgoing message's remote by
   * the address until it knows the member behind it.
   */
  private async pushTransport(senders: readonly string[], table: readonly LinkState[]): Promise<void> {
    await Promise.all(
      senders.map(async (from) => {
        const groups = new Map<string, { effect: LinkState; peers: string[] }>();
        for (const l of table.filter((x) => x.from === from)) {
          const key = `${l.drop}/${l.delayMs}/${l.jitterMs}/${l.duplicate}`;
          const id = this.ids.get(l.to);
          if (!id) continue;
          const g = groups.get(key) ?? { effect: l, peers: [] };
          g.peers.push(id.nodeId, id.addr);
          groups.set(key, g);
        }
        const faults: LinkFault[] = [...groups.values()].map(({ effect, peers }) => ({
          peers: [...new Set(peers)],
          direction: "LINK_DIRECTION_OUT",
          drop: effect.drop,
          delay_ms: Math.round(effect.delayMs),
          jitter_ms: Math.round(effect.jitterMs),
          duplicate: effect.duplicate,
        }));
        try {
          await this.controlOf(from).setLinkFaults(faults);
        } catch (err) {
          throw new LabError("BACKEND", `${from}: SetLinkFaults failed: ${(err as Error).message}`);
        }
      }),
    );
  }

  /** A cut from A to B drops in both namespaces: what A sends to B, and what B gets from A. */
  private async pushDrops(peer: string, cuts: readonly LinkState[]): Promise<void> {
    const drops: Drops = {
      outTo: cuts.filter((l) => l.from === peer).flatMap((l) => this.hostsOf(l.to)),
      inFrom: cuts.filter((l) => l.to === peer).flatMap((l) => this.hostsOf(l.from)),
    };
    try {
      await this.backend.packetFilter!.set(peer, drops);
    } catch (err) {
      throw new LabError("BACKEND", `${peer}: setting its packet drops failed: ${(err as Error).message}`);
    }
  }

  /** The address a peer's packets carry: the one the lab reaches it at, on the network the peers share. */
  private hostsOf(name: string): string[] {
    const addr = this.backend.peers().find((p) => p.name === name)?.addr;
    return addr === undefined ? [] : [addr.slice(0, addr.lastIndexOf(":")).replace(/^\[|\]$/g, "")];
  }

  /** Heals every link and clock on every running peer, ignoring peers that do not answer. */
  async resetAll(): Promise<void> {
    this.linkFaults.clear();
    this.skews.clear();
    const filter = this.backend.packetFilter;
    await Promise.all(
      this.names()
        .filter((n) => this.running.has(n))
        .map((n) => Promise.all([this.controlOf(n).reset().catch(() => undefined), filter?.set(n, NO_DROPS).catch(() => undefined)])),
    );
  }

  close(): void {
    for (const c of this.controls.values()) c.close();
    this.controls.clear();
  }

  private controlOf(name: string): PeerControl {
    let c = this.controls.get(name);
    if (!c) {
      const p = this.backend.peers().find((x) => x.name === name);
      if (!p) throw new LabError("BAD_TARGET", `no peer ${name}`);
      c = new PeerControl(p.addr);
      this.controls.set(name, c);
    }
    return c;
  }
}

/** Link faults combined per directed link: losses compound, delays add, the larger duplication wins. */
function combine(faults: readonly { links: readonly DirectedLink[]; effect: LinkEffect }[]): LinkState[] {
  const table = new Map<string, LinkState>();
  for (const { links, effect } of faults) {
    for (const l of links) {
      const key = `${l.from}>${l.to}`;
      const prev = table.get(key);
      table.set(
        key,
        prev
          ? {
              ...prev,
              drop: 1 - (1 - prev.drop) * (1 - effect.drop),
              delayMs: prev.delayMs + effect.delayMs,
              jitterMs: prev.jitterMs + effect.jitterMs,
              duplicate: Math.max(prev.duplicate, effect.duplicate),
            }
          : { from: l.from, to: l.to, ...effect },
      );
    }
  }
  return [...table.values()];
}
