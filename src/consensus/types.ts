import type { Block, BlockId } from "../chain/types";

/** A member of the network, by node id. */
export type NodeId = string;

/** Snowball parameters (validated by `validateSnowballParams`). */
export interface SnowballParams {
  /** Sample size of a poll. @default 20 */
  readonly k: number;
  /** Votes a block needs in one poll to become (or stay) the preference. @default 15 */
  readonly alphaPreference: number;
  /** Votes a block needs in one poll to raise its confidence. @default 15 */
  readonly alphaConfidence: number;
  /** Consecutive confident polls that accept a block. @default 20 */
  readonly beta: number;
  /** Polls in flight at once. @default 4 */
  readonly concurrentPolls: number;
}

/** What a poll asks of one sampled member. */
export interface Query {
  /** Lowest undecided height of the asker. */
  readonly fromHeight: number;
  /** The asker's preferred block at the top height of the poll. */
  readonly block: Block;
  /** The asker's undecided ancestors of `block`, lowest first, so the callee can learn them. */
  readonly ancestors: readonly Block[];
}

/** A member's answer: its preferred (or accepted) block id at fromHeight, fromHeight+1, ... */
export interface QueryReply {
  readonly fromHeight: number;
  /** `undefined` at a height means "no opinion there": a dropped vote for that height. */
  readonly preferredIds: readonly (BlockId | undefined)[];
  readonly lastAcceptedHeight: number;
}
