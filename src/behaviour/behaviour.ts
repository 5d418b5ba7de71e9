import type { Signer } from "../chain/keys";
import type { BehaviourName } from "./names";
import type { Block, BlockId, Entry } from "../chain/types";
import type { FellowReport, ReportOutcome } from "./fellow-report";

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
  /** The processing candidates at an undecided height. */
  candidatesAt(height: number): readonly BlockId[];
  /** An accepted or processing block by id. */
  blockById(id: BlockId): Block | undefined;
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

/** What a colluding balancer does on its own: find fellows among the members and report to them. */
export interface FellowActions {
  /** Every live member, not only the neighbours: where a balancer looks for fellows. */
  members(): readonly GossipTarget[];
  /** Sends a report to a member's Collusion service; resolves how it was taken (never rejects). */
  report(to: GossipTarget, report: FellowReport): Promise<ReportOutcome>;
}

/** What an active behaviour (the flooder, a colluding balancer) may do on its own, beyond answering. */
export interface BehaviourActions extends FellowActions {
  /** The members it may reach. */
  neighbours(): readonly GossipTarget[];
  /** Sends a query about heights from..to to a member, carrying `blocks`; resolves when answered. */
  query(to: string, fromHeight: number, blocks: readonly Block[]): Promise<unknown>;
  /** Sends blocks to a member. */
  gossip(to: GossipTarget, block: Block): void;
}

/**
 * The decisions a byzantine peer would make differently from an honest one, in one replaceable
 * piece: how this peer answers a query, what it proposes, who hears of its proposals, what it
 * serves to a peer that syncs from it, and the height it claims. Everything else (validation,
 * consensus, storage, the network) is the same for every behaviour, so an adversary lies only
 * where a real one could. Its own polls are always honest: an adversary still wants to know the
 * truth.
 */
export interface Behaviour {
  readonly name: BehaviourName;
  /**
   * The answer to a query about heights from..to (the query's blocks already learnt): a block id
   * per height from `fromHeight` (undefined: no opinion there), or undefined for no answer at all.
   */
  answer(fromHeight: number, toHeight: number, asker: string): (BlockId | undefined)[] | undefined;
  /** A member asked, preferring `tipId` (its preferred block at the query's top height). */
  observeQuery?(asker: string, tipId: BlockId | undefined): void;
  /**
   * A fellow's report (a balancer with a BYZANTINE_GROUP; others have none and serve no
   * Collusion): returns how many observations it merged; throws WRONG_GROUP or OVERLOADED.
   */
  takeReport?(sender: string, report: FellowReport): number;
  /** The blocks to propose for a draft: an honest peer makes exactly one. */
  propose(draft: ProposalDraft): Block[];
  /**
   * Whether it proposes only in its turn (first of a height's proposer order, or once its window
   * passed) and otherwise forwards its entries to the leader, as the protocol asks. An
   * equivocator does not wait: it proposes whenever it has entries.
   */
  readonly waitsItsTurn: boolean;
  /** Which neighbours are sent which of the proposed blocks. */
  gossip(blocks: readonly Block[], neighbours: readonly GossipTarget[]): Gossip[];
  /** The accepted blocks served to a peer that syncs from this one, heights from..to; undefined: no answer. */
  serveRange(fromHeight: number, toHeight: number): Block[] | undefined;
  /** What this peer says it accepted, to a peer that syncs; undefined: no answer. */
  serveAccepted(height: number): AcceptedReport | undefined;
  /** The last accepted height this peer tells others (pings, handshakes, answers). */
  claimedHeight(real: number): number;
  /** Starts what the behaviour does on its own (the flooder's traffic). */
  start?(actions: BehaviourActions): void;
  stop?(): void;
}

export { BEHAVIOUR_NAMES, type BehaviourName } from "./names";
export type { FellowReport, MemberObservation, ReportOutcome } from "./fellow-report";
