import type { AcceptedReport, FellowReport, ReportOutcome } from "../behaviour/behaviour";
import type { Block, BlockId, Entry } from "../chain/types";
import type { Network } from "../consensus/ports";
import type { NodeId, Query, QueryReply } from "../consensus/types";
import { ErrorCode, SnowchainError } from "../errors";
import { blockFromWire } from "../wire/convert";
import { reportToWire } from "../wire/report";
import type { MemberInfo, MemberTable } from "./membership";
import type { Benchlist } from "./benchlist";
import { CallError, PeerClient, type CallObserver, type PeerClientOptions } from "./peer-client";

/** One PeerClient per remote address, made on first use. */
export class PeerPool {
  private readonly clients = new Map<string, PeerClient>();

  constructor(
    private readonly opts: PeerClientOptions,
    private readonly observe: CallObserver,
  ) {}

  client(address: string): PeerClient {
    let c = this.clients.get(address);
    if (!c) {
      c = new PeerClient(address, this.opts, this.observe);
      this.clients.set(address, c);
    }
    return c;
  }

  drop(address: string): void {
    this.clients.get(address)?.close();
    this.clients.delete(address);
  }

  closeAll(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

export interface PeerNetworkOptions {
  /** Most entries a block from the wire may have (bounds the hashing a remote can cause). */
  readonly maxBlockEntries: number;
}

export interface PeerNetworkDeps {
  readonly table: MemberTable;
  readonly pool: PeerPool;
  /** Members whose queries keep timing out: failed at once for a while (see Benchlist). */
  readonly benchlist: Benchlist;
  readonly now: () => number;
  /** Every answer tells how far its sender is: the node starts a sync when it is behind. */
  readonly onRemoteHeight: (nodeId: NodeId, lastAcceptedHeight: number) => void;
}

const ID_BYTES = 32;
/** Weight of each new round trip in smoothedRttMs (RFC 6298's α). */
const RTT_GAIN = 1 / 8;

/** The answers of a member that will not take reports (until it restarts as something else). */
const REPORT_REFUSALS: ReadonlySet<string> = new Set(["UNIMPLEMENTED", "FAILED_PRECONDITION"]);

/**
 * The members as the rest of the peer reaches them, by node id, over gRPC: the consensus
 * Network port (a query is a message on the member's stream), the sync's SyncPeers, block
 * fetches and gossip. Wire messages become domain values here.
 */
export class PeerNetwork implements Network {
  private answeredMs = Number.NEGATIVE_INFINITY;
  private srttMs: number | undefined;

  constructor(
    private readonly opts: PeerNetworkOptions,
    private readonly deps: PeerNetworkDeps,
  ) {}

  async query(to: NodeId, query: Query): Promise<QueryReply> {
    const client = this.clientOf(to);
    const { benchlist } = this.deps;
    if (benchlist.isBenched(to, this.deps.now())) throw new CallError("QueryStream", "UNAVAILABLE", `member ${to} is benched: its last queries timed out`);
    const startedMs = this.deps.now();
    let res;
    try {
      res = await client.query(query.fromHeight, query.block.height, [...query.ancestors, query.block]);
    } catch (err) {
      this.deps.table.markFailed(to, this.deps.now());
      if (err instanceof CallError && err.code === "DEADLINE_EXCEEDED") benchlist.timedOut(to, this.deps.now());
      throw err;
    }
    const now = this.deps.now();
    const rtt = now - startedMs;
    this.srttMs = this.srttMs === undefined ? rtt : this.srttMs + (rtt - this.srttMs) * RTT_GAIN;
    benchlist.answered(to);
    this.deps.table.markOk(to, now);
    if (now > this.answeredMs) this.answeredMs = now;
    this.deps.onRemoteHeight(to, res.last_accepted_height);
    return {
      fromHeight: res.from_height,
      // A malformed id is no opinion: a dropped vote at that height, not a failed peer.
      preferredIds: res.preferred_ids.map((b) => (b.length === ID_BYTES ? b.toString("hex") : undefined)),
      lastAcceptedHeight: res.last_accepted_height,
    };
  }

  /** A query about any heights, carrying any blocks (the flooder's): its answer is not a vote. */
  queryRange(to: NodeId, fromHeight: number, toHeight: number, blocks: readonly Block[]): Promise<unknown> {
    return this.clientOf(to).query(fromHeight, toHeight, blocks);
  }

  /**
   * The smoothed round trip of answered queries (ms), as TCP's SRTT (RFC 6298, gain 1/8): how
   * slowly the network answers now, event-loop lag of both ends included. Undefined before any answer.
   */
  get smoothedRttMs(): number | undefined {
    return this.srttMs;
  }

  /** When a member last answered a query (ms); −∞ before any did. */
  get lastAnswerMs(): number {
    return this.answeredMs;
  }

  sampleLive(n: number): NodeId[] {
    return this.deps.table.sampleLive(n).map((m) => m.nodeId);
  }

  async accepted(member: NodeId, height: number): Promise<AcceptedReport> {
    const res = await this.clientOf(member).getAccepted(height);
    return {
      lastAcceptedHeight: res.last_accepted_height,
      lastAcceptedId: res.last_accepted_id.length === ID_BYTES ? res.last_accepted_id.toString("hex") : "",
      idAtHeight: res.id_at_height.length === ID_BYTES ? res.id_at_height.toString("hex") : undefined,
    };
  }

  async fetchRange(member: NodeId, fromHeight: number, toHeight: number, timeoutMs: number): Promise<Block[]> {
    const res = await this.clientOf(member).fetchRange(fromHeight, toHeight, timeoutMs);
    return res.blocks.map((b) => blockFromWire(b, this.opts.maxBlockEntries));
  }

  /** A block by id from a member; undefined when it does not have it. */
  async fetchBlock(member: NodeId, id: BlockId): Promise<Block | undefined> {
    const wire = await this.clientOf(member).fetchBlock(id);
    return wire ? blockFromWire(wire, this.opts.maxBlockEntries) : undefined;
  }

  /** Hands pending entries to the member leading the next height; a failure only costs the proposer window. */
  forwardEntries(to: NodeId, entries: readonly Entry[]): void {
    try {
      this.clientOf(to)
        .forwardEntries(entries.map((e) => e.data))
        .catch(() => {});
    } catch {
      // not a member any more: the window runs out and this peer proposes itself
    }
  }

  /** Sends a new block to a neighbour; a failure only means that neighbour did not hear of it. */
  gossip(to: Pick<MemberInfo, "address">, block: Block): void {
    this.deps.pool
      .client(to.address)
      .gossip([block])
      .catch(() => {});
  }

  /**
   * A byzantine report to a member: refused when it serves no Collusion (an honest peer:
   * UNIMPLEMENTED) or is of another group (FAILED_PRECONDITION); any other failure may pass.
   */
  async report(to: Pick<MemberInfo, "address">, report: FellowReport): Promise<ReportOutcome> {
    try {
      await this.deps.pool.client(to.address).report(reportToWire(report));
      return "accepted";
    } catch (err) {
      return err instanceof CallError && REPORT_REFUSALS.has(err.code) ? "refused" : "failed";
    }
  }

  private clientOf(nodeId: NodeId): PeerClient {
    const member = this.deps.table.get(nodeId);
    if (!member) throw new SnowchainError(ErrorCode.NOT_FOUND, `member ${nodeId} is not known`);
    return this.deps.pool.client(member.address);
  }
}
