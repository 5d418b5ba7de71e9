import type { Membership } from "../consensus/ports";
import type { NodeId } from "../consensus/types";

export interface MemberInfo {
  readonly nodeId: NodeId;
  /** host:port the member can be dialed at. */
  readonly address: string;
  /** Its human name, as it told in the handshake. */
  readonly name?: string;
}

interface Member extends MemberInfo {
  /** When a call to it last succeeded (ms). */
  lastOkMs: number;
  /** When calls started failing, undefined while it answers. */
  failingSinceMs: number | undefined;
}

export interface MembershipOptions {
  readonly selfId: NodeId;
  readonly selfAddress: string;
  /** Unreachable longer than this and a member is dropped. */
  readonly graceMs: number;
  /** Size of the neighbor set (gossip and heartbeat targets). */
  readonly maxNeighbors: number;
}

export type MembershipEvent =
  | { readonly type: "joined"; readonly member: MemberInfo }
  | { readonly type: "moved"; readonly member: MemberInfo; readonly previousAddress: string }
  | { readonly type: "down"; readonly member: MemberInfo }
  | { readonly type: "up"; readonly member: MemberInfo }
  | { readonly type: "dropped"; readonly member: MemberInfo };

/**
 * The members this peer knows and whether they answer. Unresponsive members stay in the sample
 * (they are missing votes, like avalanchego's validator set) until they have been unreachable for
 * longer than the grace period; then they are dropped, which lets a scaled-down network recover.
 * Pure: time comes in as arguments, randomness as a function.
 */
export class MemberTable implements Membership {
  private readonly byId = new Map<NodeId, Member>();
  private neighborIds: NodeId[] = [];
  private memberIds: NodeId[] = [];

  constructor(
    private readonly opts: MembershipOptions,
    private readonly random: () => number,
    private readonly onEvent: (event: MembershipEvent) => void = () => {},
  ) {}

  /**
   * A member that proved itself (handshake): added, or taken back at its (possibly new) address.
   * Returns false, changing nothing, when another member holds that address and still answers:
   * a new id cannot evict a live member. One that stopped answering there is replaced (its
   * process is gone; a new one, with a new key, took its place).
   */
  upsert(info: MemberInfo, nowMs: number): boolean {
    if (info.nodeId === this.opts.selfId || info.address === this.opts.selfAddress) return false;
    if (this.holdsLive(info.address, info.nodeId)) return false;
    for (const m of [...this.byId.values()]) {
      if (m.address === info.address && m.nodeId !== info.nodeId) this.remove(m);
    }
    const known = this.byId.get(info.nodeId);
    if (!known) {
      this.byId.set(info.nodeId, { ...info, lastOkMs: nowMs, failingSinceMs: undefined });
      this.changed();
      this.onEvent({ type: "joined", member: info });
      return true;
    }
    if (known.address !== info.address) {
      const previousAddress = known.address;
      this.byId.set(info.nodeId, { ...info, lastOkMs: nowMs, failingSinceMs: undefined });
      this.changed();
      this.onEvent({ type: "moved", member: info, previousAddress });
      return true;
    }
    this.markOk(info.nodeId, nowMs);
    return true;
  }

  /** Whether a live member other than `nodeId` holds `address`. */
  holdsLive(address: string, nodeId: NodeId): boolean {
    for (const m of this.byId.values()) {
      if (m.address === address && m.nodeId !== nodeId && m.failingSinceMs === undefined) return true;
    }
    return false;
  }

  markOk(nodeId: NodeId, nowMs: number): void {
    const m = this.byId.get(nodeId);
    if (!m) return;
    m.lastOkMs = nowMs;
    if (m.failingSinceMs !== undefined) {
      m.failingSinceMs = undefined;
      this.refreshNeighbors();
      this.onEvent({ type: "up", member: m });
    }
  }

  markFailed(nodeId: NodeId, nowMs: number): void {
    const m = this.byId.get(nodeId);
    if (!m || m.failingSinceMs !== undefined) return;
    m.failingSinceMs = nowMs;
    this.refreshNeighbors();
    this.onEvent({ type: "down", member: m });
  }

  /** How long `nodeId` has been silent: ms since a call to it last succeeded (∞ for a stranger). */
  silentMs(nodeId: NodeId, nowMs: number): number {
    const m = this.byId.get(nodeId);
    return m === undefined ? Number.POSITIVE_INFINITY : nowMs - m.lastOkMs;
  }

  /** Drops members unreachable for longer than the grace period; returns them. */
  sweep(nowMs: number): MemberInfo[] {
    const dropped: MemberInfo[] = [];
    for (const m of [...this.byId.values()]) {
      if (m.failingSinceMs !== undefined && nowMs - m.failingSinceMs > this.opts.graceMs) {
        this.remove(m);
        dropped.push({ nodeId: m.nodeId, address: m.address });
      }
    }
    return dropped;
  }

  /** Every member but this peer, responsive or not: what polls sample from. */
  members(): readonly NodeId[] {
    return this.memberIds;
  }

  get(nodeId: NodeId): MemberInfo | undefined {
    return this.byId.get(nodeId);
  }

  has(nodeId: NodeId): boolean {
    return this.byId.has(nodeId);
  }

  isLive(nodeId: NodeId): boolean {
    const m = this.byId.get(nodeId);
    return m !== undefined && m.failingSinceMs === undefined;
  }

  all(): MemberInfo[] {
    return [...this.byId.values()];
  }

  live(): MemberInfo[] {
    return [...this.byId.values()].filter((m) => m.failingSinceMs === undefined);
  }

  unreachable(): MemberInfo[] {
    return [...this.byId.values()].filter((m) => m.failingSinceMs !== undefined);
  }

  /** A bounded set of live members this peer gossips to and pings. */
  neighbors(): MemberInfo[] {
    return this.neighborIds.map((id) => this.byId.get(id)!);
  }

  /** Up to `max` random live members, for peer exchange. */
  sampleLive(max: number): MemberInfo[] {
    return shuffle(this.live(), this.random).slice(0, max);
  }

  get size(): number {
    return this.byId.size;
  }

  private remove(m: Member): void {
    this.byId.delete(m.nodeId);
    this.changed();
    this.onEvent({ type: "dropped", member: { nodeId: m.nodeId, address: m.address } });
  }

  private changed(): void {
    this.memberIds = [...this.byId.keys()];
    this.refreshNeighbors();
  }

  /** Keeps live neighbors, fills free places with random live members. */
  private refreshNeighbors(): void {
    const kept = this.neighborIds.filter((id) => this.isLive(id));
    const keptSet = new Set(kept);
    const candidates = shuffle(
      this.live().filter((m) => !keptSet.has(m.nodeId)),
      this.random,
    );
    for (const c of candidates) {
      if (kept.length >= this.opts.maxNeighbors) break;
      kept.push(c.nodeId);
    }
    this.neighborIds = kept;
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
