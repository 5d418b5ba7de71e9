import type { SnowballParams } from "../../src/consensus/types";

/** The fewest QueryStream messages a decided height can cost a peer, and how that follows from the parameters. */
export interface QueryBound {
  /** Poll turns per decided height: β polls cover a height, c start together, each covers up to d undecided heights. */
  readonly turnsPerHeight: number;
  /** Distinct other members asked in one turn: c polls of K draws (with replacement) share their queries. */
  readonly membersPerTurn: number;
  readonly messagesPerHeightPerPeer: number;
}

/**
 * The protocol's own floor for "calls per decided height per peer", so the bench can show the gap
 * to it: with every poll successful, a height needs β polls that cover it; the engine starts up to
 * c polls in one turn and asks each distinct member once for all of them (engine.ts `ask`), and a
 * poll covers every undecided height up to MAX_PROCESSING_HEIGHTS = d. Each of c·K draws lands on
 * one of the n members (itself included), so a turn asks (n − 1)(1 − (1 − 1/n)^(cK)) others.
 */
export function queryLowerBound(p: Pick<SnowballParams, "k" | "beta" | "concurrentPolls">, depth: number, peers: number): QueryBound {
  const turnsPerHeight = p.beta / (p.concurrentPolls * depth);
  const membersPerTurn = peers <= 1 ? 0 : (peers - 1) * (1 - (1 - 1 / peers) ** (p.concurrentPolls * p.k));
  return { turnsPerHeight, membersPerTurn, messagesPerHeightPerPeer: turnsPerHeight * membersPerTurn };
}
