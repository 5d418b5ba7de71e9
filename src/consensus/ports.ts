import type { NodeId, Query, QueryReply } from "./types";

/**
 * How the consensus engine reaches other members. The implementation enforces the poll
 * timeout: a query that is not answered in time rejects, and counts as a dropped vote.
 */
export interface Network {
  query(to: NodeId, query: Query): Promise<QueryReply>;
}

/** Who can be sampled. Includes unresponsive members: they are missing votes, not absent ones. */
export interface Membership {
  /** Every member other than this node. */
  members(): readonly NodeId[];
}

/** Milliseconds since the epoch; a test passes a fake. */
export interface Clock {
  now(): number;
}

/** Uniform in [0, 1); a test passes a seeded one. */
export interface Random {
  next(): number;
}
