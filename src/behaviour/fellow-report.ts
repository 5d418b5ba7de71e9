import type { BlockId } from "../chain/types";
import { MAX_QUERY_HEIGHTS } from "../wire/limits";

/** What a balancing peer saw of one member: its preferred block at some undecided heights. */
export interface MemberObservation {
  readonly member: string;
  readonly chain: ReadonlyMap<number, BlockId>;
}

/** What balancing peers of one BYZANTINE_GROUP tell each other (the Collusion service's Report). */
export interface FellowReport {
  readonly group: string;
  readonly observations: readonly MemberObservation[];
}

/**
 * How a report was taken: accepted by a fellow; refused (the callee serves no Collusion, or
 * another group's); failed (no answer, overloaded, gone): worth trying again soon.
 */
export type ReportOutcome = "accepted" | "refused" | "failed";

/** Every bound of the collusion, in one place (the service checks the wire against them too). */
export const COLLUSION_LIMITS = {
  /** How often what changed is sent: changes of one member within it travel once. */
  flushMs: 100,
  /** Members one report tells of; the rest wait for the next flush. */
  maxObservationsPerReport: 64,
  /** Heights one observation names: a balancer answers no further above its floor than that. */
  maxHeightsPerObservation: MAX_QUERY_HEIGHTS,
  /** Reports one flush sends (fellows first, then members tried for the first time): ≤ 160/s. */
  maxReportsPerFlush: 16,
  /** Reports taken from one sender per second; past it a report is refused as overloaded. */
  maxReportsPerSecondFrom: 20,
  /** Members remembered as fellows or not, and senders whose rate is counted. */
  maxFellowsRemembered: 256,
  /** Members with changes waiting to be sent. */
  maxPendingMembers: 4096,
  /** A member that refused (an honest peer, another group) is tried again after this. */
  retryRefusedMs: 60_000,
  /** A member whose report failed (timeout, overloaded) is tried again after this. */
  retryFailedMs: 1_000,
} as const;
