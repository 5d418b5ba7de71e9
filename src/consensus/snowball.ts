import type { BlockId } from "../chain/types";
import type { SnowballParams } from "./types";

interface Candidate {
  /** Successful polls this candidate won (its preference strength). */
  strength: number;
  /** Its key in the initial order (see add). */
  readonly order: string;
}

/**
 * One n-ary Snowball instance: the decision among the candidate blocks at one undecided height.
 * Candidates may arrive at any time (blocks are learnt while polls run) and may be removed when
 * an ancestor is rejected. Parameters are trusted: validate them with validateSnowballParams.
 *
 * Mirrors avalanchego's snow/consensus/snowball/nnary_snowball.go over nnary_snowflake.go: the
 * snowflake part is `last` (the choice of the last successful poll), `conf` and `final`; the
 * snowball part is each candidate's strength and `preferred`.
 */
export class Snowball {
  private readonly candidates = new Map<BlockId, Candidate>();
  /** undefined while there are no candidates, or after the preference was removed (recomputed lazily). */
  private preferred: BlockId | undefined;
  /** The choice of the last successful poll: the block confidence is counted for. */
  private last: BlockId | undefined;
  private conf = 0;
  /**
   * Set once confidence reaches β, and kept when confidence is later reset (a poll that did not
   * cover this height, see recordUnsuccessfulPoll): as avalanchego's snowflake, a decision is
   * not undone by polls. Only removing the decided block clears it.
   */
  private final = false;

  constructor(private readonly params: Pick<SnowballParams, "alphaPreference" | "alphaConfidence" | "beta">) {}

  /**
   * Adds a candidate; adding a known one is a no-op. Until some poll succeeds at this height, the
   * preference is the candidate first in the initial order: lowest `order`, ties broken by the
   * lower id. Not the first one seen: peers that proposed at the same moment each see their own
   * block first, and with every peer preferring a different block no poll can ever reach αP (5
   * peers, 5 proposals: at most ~K/5 votes each). A rule every peer applies alike lets them agree
   * as soon as they know the same candidates; once a poll succeeded, strength decides as Snowball
   * says. `order` must be something the block's content does not choose (the node passes its
   * proposer's score, see chain/proposer.ts), else a proposer can grind its way to the front.
   */
  add(choice: BlockId, order = ""): void {
    if (this.candidates.has(choice)) return;
    this.candidates.set(choice, { strength: 0, order });
    const current = this.preferred;
    if (current !== undefined && this.strength(current) === 0 && this.firstInOrder(choice, current)) {
      this.preferred = choice;
    }
  }

  /**
   * Removes a candidate (its ancestor was rejected). If it was the one confidence was counted
   * for, confidence restarts, and a finalized instance is no longer final: in avalanchego the
   * decided block's whole instance goes with its rejected parent; here the instance spans every
   * parent at this height, so it carries on over the candidates left.
   */
  remove(choice: BlockId): boolean {
    if (!this.candidates.delete(choice)) return false;
    if (this.preferred === choice) this.preferred = undefined;
    if (this.last === choice) {
      this.last = undefined;
      this.conf = 0;
      this.final = false;
    }
    return true;
  }

  has(choice: BlockId): boolean {
    return this.candidates.has(choice);
  }

  get size(): number {
    return this.candidates.size;
  }

  choices(): IterableIterator<BlockId> {
    return this.candidates.keys();
  }

  /**
   * Once finalized, the decided block, whatever the strengths say: they can disagree (a block
   * that won many polls below αC against one that then won β confident ones), and a height that
   * waits for its parent's acceptance must answer queries with the block it will accept
   * (nnary_snowball.go Preference()). Before that, the strongest candidate: first in the initial
   * order while no poll has succeeded (see add); after that, a tie keeps the current preference,
   * and after a removal the earliest added of the strongest.
   */
  get preference(): BlockId | undefined {
    if (this.final) return this.last;
    if (this.preferred === undefined) this.preferred = this.strongest();
    return this.preferred;
  }

  /** Successful polls `choice` has won; 0 for an unknown choice. */
  strength(choice: BlockId): number {
    return this.candidates.get(choice)?.strength ?? 0;
  }

  get confidence(): number {
    return this.conf;
  }

  /** The choice of the last successful poll (the one `confidence` counts). */
  get lastChoice(): BlockId | undefined {
    return this.last;
  }

  get finalized(): boolean {
    return this.final;
  }

  /** The accepted choice once finalized. */
  get decision(): BlockId | undefined {
    return this.final ? this.last : undefined;
  }

  /**
   * Applies one poll's votes at this height and returns whether some candidate reached an αP
   * quorum. Votes for unknown blocks are votes for something else: they count against every
   * candidate. A finalized instance no longer changes (a decision is final) but still answers
   * whether the poll had a quorum here, which the heights above depend on (see Consensus.recordPoll).
   */
  recordPoll(votes: ReadonlyMap<BlockId, number>): boolean {
    let choice: BlockId | undefined;
    let count = 0;
    for (const [id, n] of votes) {
      if (n > count && this.candidates.has(id)) {
        choice = id;
        count = n;
      }
    }
    const quorum = choice !== undefined && count >= this.params.alphaPreference;
    if (this.final) return quorum;
    if (!quorum) {
      this.recordUnsuccessfulPoll();
      return false;
    }
    const chosen = choice as BlockId;
    const strength = this.strength(chosen) + 1;
    (this.candidates.get(chosen) as Candidate).strength = strength;
    // Only `chosen` grew, so the strongest is either it or the current preference (ties keep it).
    const current = this.preference;
    if (current === undefined || (current !== chosen && strength > this.strength(current))) this.preferred = chosen;
    if (chosen !== this.last) {
      this.last = chosen;
      this.conf = 0;
    }
    if (count < this.params.alphaConfidence) {
      this.conf = 0;
    } else if (++this.conf >= this.params.beta) {
      this.final = true;
    }
    return true;
  }

  /**
   * A poll without an αP quorum here: confidence restarts; strengths, the preference and a
   * decision already reached stay (nnary_snowflake.go RecordUnsuccessfulPoll).
   */
  recordUnsuccessfulPoll(): void {
    this.conf = 0;
  }

  /** The strongest candidate; among candidates no poll chose yet, the first in the initial order (see add). */
  private strongest(): BlockId | undefined {
    let best: BlockId | undefined;
    let bestStrength = -1;
    for (const [id, { strength }] of this.candidates) {
      if (strength > bestStrength || (strength === 0 && bestStrength === 0 && this.firstInOrder(id, best as BlockId))) {
        best = id;
        bestStrength = strength;
      }
    }
    return best;
  }

  /** Whether candidate `a` comes before candidate `b` in the initial order. */
  private firstInOrder(a: BlockId, b: BlockId): boolean {
    const orderA = (this.candidates.get(a) as Candidate).order;
    const orderB = (this.candidates.get(b) as Candidate).order;
    return orderA < orderB || (orderA === orderB && a < b);
  }
}
