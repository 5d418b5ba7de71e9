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
  /** Every member other than this node (or every member, see includesSelf). */
  members(): readonly NodeId[];
  /**
   * `members()` lists this node too. A simulator shares one list of all its nodes among them
   * (one list per node would be O(N²) memory); the sample stays uniform over the N members.
   * @default false
   */
  readonly includesSelf?: boolean;
}

/** Milliseconds since the epoch; a test passes a fake. */
export interface Clock {
  now(): number;
}

/** Uniform in [0, 1); a test passes a seeded one. */
export interface Random {
  next(): number;
}
