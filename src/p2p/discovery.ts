import * as dns from "node:dns";
import type { Logger } from "pino";
import { formatHostPort, type HostPort } from "../wire/host-port";
import { isValidPeer, type PeerAddress } from "../wire/peer-info";
import type { Handshaker } from "./handshake";
import type { MemberInfo, MemberTable } from "./membership";
import { CallError } from "./peer-client";
import type { PeerPool } from "./peer-network";
import type { Sessions } from "./sessions";

/** Bootstrap rounds (about 1 + 2 + 4 s) that must find nobody else before a peer runs alone. */
const ALONE_ROUNDS = 3;

/**
 * A live neighbor is pinged once it has been silent this many heartbeats: answers to this peer's
 * queries already prove it alive and carry its height, so a busy network pings nobody, and an
 * idle one pings each neighbor every third beat (6 s by default) instead of every beat. A ping
 * is a unary call, several times a stream message's CPU (docs/benchmarks.md, "what one wake-up
 * costs"); avalanchego pings every 22.5 s (utils/constants/networking.go: DefaultPingFrequency,
 * 3/4 of its 30 s DefaultPingPongTimeout). Unreachable members are still tried every beat, so one
 * that comes back is taken back within a beat.
 */
export const SILENT_BEATS = 3;

/** Most peers asked for and taken from one peer exchange: a peer naming thousands cannot make us dial them all. */
const EXCHANGE_MAX = 32;

/**
 * Most handshakes in flight. Peer lists from remotes start handshakes, so without a bound one
 * caller could make this peer dial any number of addresses at once; past it, addresses are
 * skipped (seeds and peer exchange come round again).
 */
export const MAX_HANDSHAKES_IN_FLIGHT = 64;

export interface DiscoveryOptions {
  readonly selfId: string;
  readonly selfAddress: string;
  readonly seeds: readonly HostPort[];
  /** Heartbeat period: pings (of members silent for SILENT_BEATS), peer exchange, membership sweep. */
  readonly heartbeatMs: number;
}

export interface DiscoveryDeps {
  readonly table: MemberTable;
  readonly pool: PeerPool;
  /** The handshake protocol: proves both sides' identities and trades session tokens. */
  readonly handshaker: Handshaker;
  readonly sessions: Sessions;
  readonly log: Logger;
  readonly now: () => number;
  readonly lastAcceptedHeight: () => number;
  readonly onRemoteHeight: (nodeId: string, height: number) => void;
  readonly onHandshake: (result: "ok" | "refused" | "failed") => void;
  readonly onDropped: (member: MemberInfo) => void;
  /**
   * Called once, when this peer may take part in consensus: it reached the network through its
   * seeds (and the peers they told of), or it has no seeds, or for a few attempts its seeds
   * named only itself (a network of one). Polling before would let a starting peer decide alone.
   */
  readonly onJoined: (alone: boolean) => void;
  /** Resolves a host name to all its addresses (injected so tests need no DNS). */
  readonly resolve?: (host: string) => Promise<string[]>;
}

/** Addresses of a host: in Compose the service name `peer` resolves to every replica. */
async function resolveAll(host: string): Promise<string[]> {
  const found = await dns.promises.lookup(host, { all: true });
  return found.map((a) => a.address);
}

/**
 * How a peer finds and keeps the network: handshakes with every address of every seed (retrying
 * with backoff while nothing answers: replicas start together), peer exchange, and a heartbeat
 * that pings neighbors and unreachable members (so a peer that comes back is taken back),
 * re-resolves seeds (new replicas) and drops members past the grace period.
 */
export class Discovery {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private beats = 0;
  /** The table's size at the last heartbeat exchange. */
  private exchangedAtSize = -1;
  private readonly resolve: (host: string) => Promise<string[]>;
  private readonly handshaking = new Set<string>();
  private joined = false;
  /** Addresses that answered with our own node id. */
  private readonly selfAliases = new Set<string>();
  /** Bootstrap rounds in a row whose seeds resolved to nothing but this peer. */
  private aloneRounds = 0;

  constructor(
    private readonly opts: DiscoveryOptions,
    private readonly deps: DiscoveryDeps,
  ) {
    this.resolve = deps.resolve ?? resolveAll;
  }

  start(): void {
    this.running = true;
    if (this.opts.seeds.length === 0) this.join(true);
    void this.bootstrap(0);
  }

  private join(alone: boolean): void {
    if (this.joined) return;
    this.joined = true;
    this.deps.log.info({ alone, members: this.deps.table.size }, alone ? "no other peer found: running as a network of one" : "joined the network");
    this.deps.onJoined(alone);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Peers a remote named (PeerManager.ExchangePeers): unknown ones become members only by answering a handshake. */
  learnOf(peers: readonly PeerAddress[]): void {
    for (const p of peers) {
      if (this.deps.table.get(p.nodeId)?.address !== p.address) void this.handshake(p.address);
    }
  }

  /** Live members to tell a remote about, never the remote itself. */
  peersFor(callerId: string, max: number): PeerAddress[] {
    return this.deps.table
      .sampleLive(max + 1)
      .filter((m) => m.nodeId !== callerId)
      .slice(0, max);
  }

  /**
   * A ping from a member, at this height. It does not make the member live: only answers this
   * peer receives do (a caller that cannot be reached back must not keep a place in the sample
   * by calling). Strangers' pings change nothing.
   */
  pinged(nodeId: string, lastAcceptedHeight: number): void {
    if (!this.deps.table.has(nodeId)) return;
    this.deps.onRemoteHeight(nodeId, lastAcceptedHeight);
  }

  /** Dials an address, proves both identities (Handshaker), and makes the remote a member. */
  async handshake(address: string): Promise<MemberInfo | undefined> {
    if (address === this.opts.selfAddress || this.handshaking.has(address)) return undefined;
    if (this.handshaking.size >= MAX_HANDSHAKES_IN_FLIGHT) return undefined;
    this.handshaking.add(address);
    try {
      const result = await this.deps.handshaker.dial(address);
      if (result.kind === "self") {
        this.selfAliases.add(address);
        this.deps.pool.drop(address); // ourselves under another address (a seed that is us)
        return undefined;
      }
      if (result.kind === "refused") {
        this.deps.onHandshake("refused");
        this.deps.log.warn({ address, reason: result.reason }, "peer refused");
        if (!this.deps.table.all().some((m) => m.address === address)) this.deps.pool.drop(address);
        return undefined;
      }
      this.deps.onHandshake("ok");
      if (result.member.address !== address) this.deps.pool.drop(address);
      return result.member;
    } catch (err) {
      // The remote checks our genesis and protocol too: its FAILED_PRECONDITION is a refusal, not a failure.
      const refused = err instanceof CallError && (err.code === "FAILED_PRECONDITION" || err.code === "ALREADY_EXISTS" || err.code === "UNAUTHENTICATED");
      this.deps.onHandshake(refused ? "refused" : "failed");
      if (refused) this.deps.log.warn({ address, reason: err.message }, "peer refused us");
      else this.deps.log.debug({ address, err: (err as Error).message }, "handshake failed");
      // A client per address that never answered would pile up (peer lists name any address).
      if (!this.deps.table.all().some((m) => m.address === address)) this.deps.pool.drop(address);
      return undefined;
    } finally {
      this.handshaking.delete(address);
    }
  }

  /** A member's answer said it does not know our session (it restarted): handshake again. */
  rehandshake(address: string): void {
    this.deps.sessions.forget(address);
    if (this.running) void this.handshake(address);
  }

  private async seedAddresses(): Promise<{ addresses: string[]; unresolved: number }> {
    const addresses: string[] = [];
    let unresolved = 0;
    await Promise.all(
      this.opts.seeds.map(async (seed) => {
        try {
          for (const host of await this.resolve(seed.host)) addresses.push(formatHostPort({ host, port: seed.port }));
        } catch (err) {
          unresolved++;
          this.deps.log.debug({ seed: formatHostPort(seed), err: (err as Error).message }, "seed does not resolve yet");
        }
      }),
    );
    return { addresses, unresolved };
  }

  /** Until some member answers, retry the seeds with backoff (1 s doubling to 10 s). */
  private async bootstrap(attempt: number): Promise<void> {
    if (!this.running) return;
    const others = await this.contactSeeds();
    if (!this.running) return;
    if (this.deps.table.size > 0) {
      this.join(false);
    } else if (this.opts.seeds.length > 0) {
      // Replicas start together: a seed name may resolve to this peer alone for a moment.
      this.aloneRounds = others === 0 ? this.aloneRounds + 1 : 0;
      if (this.aloneRounds >= ALONE_ROUNDS) {
        // A network of one: the heartbeat goes on looking for others at its own pace.
        this.join(true);
        this.schedule();
        return;
      }
      const delay = Math.min(10_000, 1000 * 2 ** attempt);
      if (attempt >= 2) this.deps.log.info({ retryInMs: delay }, "no seed answered yet");
      this.timer = setTimeout(() => void this.bootstrap(attempt + 1), delay);
      return;
    }
    this.schedule();
  }

  /**
   * Handshakes every seed address not known yet. Returns how many seed addresses may be another
   * peer: all but those that answered with our own id. A seed that does not resolve counts as
   * one (it may be a peer that is not up yet), so only seeds that are provably this peer make it
   * a network of one.
   */
  private async contactSeeds(): Promise<number> {
    const { addresses, unresolved } = await this.seedAddresses();
    const known = new Set(this.deps.table.all().map((m) => m.address));
    const fresh = addresses.filter((a) => a !== this.opts.selfAddress && !known.has(a) && !this.selfAliases.has(a));
    const members = await Promise.all(fresh.map((a) => this.handshake(a)));
    await Promise.all(members.filter((m): m is MemberInfo => m !== undefined).map((m) => this.exchange(m)));
    return unresolved + addresses.filter((a) => a !== this.opts.selfAddress && !this.selfAliases.has(a)).length;
  }

  /** Tells a member whom we know, learns whom it knows, and handshakes the new ones. */
  private async exchange(member: MemberInfo): Promise<void> {
    try {
      const res = await this.deps.pool.client(member.address).exchangePeers({
        known: this.deps.table.sampleLive(EXCHANGE_MAX).map((m) => ({ node_id: m.nodeId, address: m.address, name: m.name ?? "" })),
        max: EXCHANGE_MAX,
      });
      this.deps.table.markOk(member.nodeId, this.deps.now());
      const fresh = res.peers.slice(0, EXCHANGE_MAX).filter(
        (p) => p.node_id !== this.opts.selfId && isValidPeer(p) && this.deps.table.get(p.node_id)?.address !== p.address,
      );
      await Promise.all(fresh.map((p) => this.handshake(p.address)));
    } catch {
      this.deps.table.markFailed(member.nodeId, this.deps.now());
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.heartbeat().finally(() => this.schedule()), this.opts.heartbeatMs);
  }

  private async heartbeat(): Promise<void> {
    this.beats++;
    const t = this.deps.table;
    const now = this.deps.now();
    // Half a beat of slack: the last answer came a round trip after its beat started.
    const quiet = (SILENT_BEATS - 0.5) * this.opts.heartbeatMs;
    const targets = [...t.neighbors().filter((m) => t.silentMs(m.nodeId, now) >= quiet), ...t.unreachable()];
    const pings = targets.map(async (m) => {
      try {
        const res = await this.deps.pool.client(m.address).ping();
        t.markOk(m.nodeId, this.deps.now());
        this.deps.onRemoteHeight(m.nodeId, res.last_accepted_height);
      } catch {
        t.markFailed(m.nodeId, this.deps.now());
      }
    });
    const [partner] = t.sampleLive(1);
    const work: Promise<void>[] = [...pings];
    // Peer exchange spreads news of members joining; it too runs every SILENT_BEATS beats at
    // idle, and every beat while the table is growing or shrinking (members joining or dropped).
    const size = t.size;
    if (partner && (this.beats % SILENT_BEATS === 0 || size !== this.exchangedAtSize)) {
      this.exchangedAtSize = size;
      work.push(this.exchange(partner));
    }
    // New replicas appear under the seed name; re-resolve now and then (and always when alone).
    if (t.size === 0 || this.beats % 5 === 0) work.push(this.contactSeeds().then(() => {}));
    await Promise.all(work);
    for (const m of t.sweep(this.deps.now())) {
      this.deps.pool.drop(m.address);
      this.deps.onDropped(m);
    }
  }
}
