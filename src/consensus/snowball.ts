import type { BlockId } from "../chain/types";
import type { SnowballParams } from "./types";

/**
 * One n-ary Snowball instance: the decision among the candidate blocks at one undecided height.
 * Candidates may arrive at any time (blocks are learnt while polls run) and may be removed when
 * an ancestor is rejected. Parameters are trusted: validate them with validateSnowballParams.
 */
export class Snowball {
  /** Candidate → successful polls it won (its preference strength). */
  private readonly strengths = new Map<BlockId, number>();
  /** undefined while there are no candidates, or after the preference was removed (recomputed lazily). */
  private preferred: BlockId | undefined;
  /** The choice of the last successful poll: the block confidence is counted for. */
  private last: BlockId | undefined;
  private conf = 0;

  constructor(private readonly params: Pick<SnowballParams, "alphaPreference" | "alphaConfidence" | "beta">) {}

  /**
   * Adds a candidate; adding a known one is a no-op. Until some poll succeeds at this height,
   * the preference is the candidate with the lowest id, not the first one seen: peers that
   * proposed at the same moment each see their own block first, and with every peer preferring
   * a different block no poll can ever reach αP (5 peers, 5 proposals: at most ~K/5 votes each).
   * A rule every peer applies alike lets them agree as soon as they know the same candidates;
   * once a poll succeeded, strength decides as Snowball says.
   */
  add(choice: BlockId): void {
    if (this.strengths.has(choice)) return;
    this.strengths.set(choice, 0);
    const current = this.preference;
    if (current !== undefined && this.strength(current) === 0 && choice < current) this.preferred = choice;
  }

  /**
   * Removes a candidate (its ancestor was rejected). If it was the one confidence was counted
   * for, confidence restarts: a finalized instance is no longer final.
   */
  remove(choice: BlockId): boolean {
    if (!this.strengths.delete(choice)) return false;
    if (this.preferred === choice) this.preferred = undefined;
    if (this.last === choice) {
      this.last = undefined;
      this.conf = 0;
    }
    return true;
  }

  has(choice: BlockId): boolean {
    return this.strengths.has(choice);
  }

  get size(): number {
    return this.strengths.size;
  }

  choices(): IterableIterator<BlockId> {
    return this.strengths.keys();
  }

  /**
   * The strongest candidate: the lowest id while no poll has succeeded (see add); after that, a
   * tie keeps the current preference, and after a removal the earliest added of the strongest.
   */
  get preference(): BlockId | undefined {
    if (this.preferred === undefined) this.preferred = this.strongest();
    return this.preferred;
  }

  /** Successful polls `choice` has won; 0 for an unknown choice. */
  strength(choice: BlockId): number {
    return this.strengths.get(choice) ?? 0;
  }

  get confidence(): number {
    return this.conf;
  }

  /** The choice of the last successful poll (the one `confidence` counts). */
  get lastChoice(): BlockId | undefined {
    return this.last;
  }

  get finalized(): boolean {
    return this.conf >= this.params.beta;
  }

  /** The accepted choice once finalized. */
  get decision(): BlockId | undefined {
    return this.finalized ? this.last : undefined;
  }

  /**
   * Applies one poll's votes at this height. Votes for unknown blocks are votes for something
   * else: they count against every candidate. A finalized instance no longer changes (as in
   * avalanchego: a decision is final); returns whether the poll reached an αP quorum.
   */
  recordPoll(votes: ReadonlyMap<BlockId, number>): boolean {
    if (this.finalized) return false;
    let choice: BlockId | undefined;
    let count = 0;
    for (const [id, n] of votes) {
      if (n > count && this.strengths.has(id)) {
        choice = id;
        count = n;
      }
    }
    if (choice === undefined || count < this.params.alphaPreference) {
      this.conf = 0;
      return false;
    }
    const strength = this.strength(choice) + 1;
    this.strengths.set(choice, strength);
    // Only `choice` grew, so the strongest is either it or the current preference (ties keep it).
    const current = this.preference;
    if (current === undefined || (current !== choice && strength > this.strength(current))) this.preferred = choice;
    if (choice !== this.last) {
      this.last = choice;
      this.conf = 0;
    }
    this.conf = count >= this.params.alphaConfidence ? this.conf + 1 : 0;
    return true;
  }

  /** The strongest candidate; among candidates no poll chose yet, the lowest id (see add). */
  private strongest(): BlockId | undefined {
    let best: BlockId | undefined;
    let bestStrength = -1;
    for (const [id, s] of this.strengths) {
      if (s > bestStrength || (s === 0 && bestStrength === 0 && best !== undefined && id < best)) {
        best = id;
        bestStrength = s;
      }
    }
    return best;
  }
}
