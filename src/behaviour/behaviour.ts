import type { Signer } from "../chain/keys";
import type { Block, BlockId, Entry } from "../chain/types";

/** What a behaviour may read of the peer's chain. The Ledger is one. */
export interface LedgerView {
  readonly lastAcceptedHeight: number;
  /** Accepted and stored: what a sync can be served. */
  readonly durableHeight: number;
  acceptedAt(height: number): Block | undefined;
  /** Durable accepted blocks in [from, to]. */
  acceptedRange(fromHeight: number, toHeight: number): Block[];
  /** The preference at each undecided height, as a chain on the last accepted block. */
  preferredChain(): readonly Block[];
}

/** A proposal as the Producer assembled it: where, what, by whom (who signs), when. */
export interface ProposalDraft {
  readonly parent: Block;
  readonly entries: readonly Entry[];
  readonly signer: Signer;
  readonly timestampMs: number;
}

/** Who is sent a block: a neighbour by node id and address. */
export interface GossipTarget {
  readonly nodeId: string;
  readonly address: string;
}

/** What a peer tells of its accepted chain to one that syncs (MessageManager.GetAccepted). */
export interface AcceptedReport {
  readonly lastAcceptedHeight: number;
  readonly lastAcceptedId: BlockId;
  /** The block accepted at the height asked about; undefined above lastAcceptedHeight. */
  readonly idAtHeight: BlockId | undefined;
}

export interface Gossip {
  readonly block: Block;
  readonly to: readonly GossipTarget[];
}

/**
 * The decisions a byzantine peer would make differently from an honest one, in one replaceable
 * piece: how this peer answers a query, what it proposes, who hears of its proposals, and what
 * it serves to a peer that syncs from it. Everything else (validation, consensus, storage, the
 * network) is the same for every behaviour, so an adversary lies only where a real one could.
 */
export interface Behaviour {
  readonly name: string;
  /**
   * The answer to a query about heights from..to (the query's blocks already learnt): a block id
   * per height from `fromHeight` (undefined: no opinion there), or undefined for no answer at all.
   */
  answer(fromHeight: number, toHeight: number): (BlockId | undefined)[] | undefined;
  /** The blocks to propose for a draft: an honest peer makes exactly one. */
  propose(draft: ProposalDraft): Block[];
  /** Which neighbours are sent which of the proposed blocks. */
  gossip(blocks: readonly Block[], neighbours: readonly GossipTarget[]): Gossip[];
  /** The accepted blocks served to a peer that syncs from this one, heights from..to. */
  serveRange(fromHeight: number, toHeight: number): Block[];
  /** What this peer says it accepted, to a peer that syncs: its tip and its block at `height`. */
  serveAccepted(height: number): AcceptedReport;
}
