import type { Network } from "../consensus/ports";
import type { NodeId, Query, QueryReply } from "../consensus/types";
import { ErrorCode, SnowchainError } from "../errors";
import type { MemberTable } from "./membership";
import { PeerClient, type CallObserver, type PeerClientOptions } from "./peer-client";

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

export interface PeerNetworkDeps {
  readonly table: MemberTable;
  readonly pool: PeerPool;
  readonly now: () => number;
  /** Every answer tells how far its sender is: the node starts a sync when it is behind. */
  readonly onRemoteHeight: (nodeId: NodeId, lastAcceptedHeight: number) => void;
}

const ID_BYTES = 32;

/** The consensus Network port over gRPC: a query is a message on the member's stream. */
export class PeerNetwork implements Network {
  constructor(private readonly deps: PeerNetworkDeps) {}

  async query(to: NodeId, query: Query): Promise<QueryReply> {
    const member = this.deps.table.get(to);
    if (!member) throw new SnowchainError(ErrorCode.NOT_FOUND, `member ${to} is not known`);
    const client = this.deps.pool.client(member.address);
    let res;
    try {
      res = await client.query(query.fromHeight, query.block.height, [...query.ancestors, query.block]);
    } catch (err) {
      this.deps.table.markFailed(to, this.deps.now());
      throw err;
    }
    this.deps.table.markOk(to, this.deps.now());
    this.deps.onRemoteHeight(to, res.last_accepted_height);
    return {
      fromHeight: res.from_height,
      // A malformed id is no opinion: a dropped vote at that height, not a failed peer.
      preferredIds: res.preferred_ids.map((b) => (b.length === ID_BYTES ? b.toString("hex") : undefined)),
      lastAcceptedHeight: res.last_accepted_height,
    };
  }
}
