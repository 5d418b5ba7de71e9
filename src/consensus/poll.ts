import type { BlockId } from "../chain/types";
import type { NodeId, QueryReply, SnowballParams } from "./types";

/**
 * The tally of one poll over the heights fromHeight..toHeight. The sample is a multiset of
 * members: a member picked m times is asked once and its answer counts m times.
 */
export class Poll {
  /** Sampled members that have neither voted nor been dropped, with their multiplicity. */
  private readonly pending: Map<NodeId, number>;
  private outstandingVotes = 0;
  private dropped = 0;
  /** Per height (index h - fromHeight): votes per block and the highest of them. */
  private readonly counts: Map<BlockId, number>[] = [];
  private readonly maxes: number[] = [];

  constructor(
    private readonly params: Pick<SnowballParams, "alphaPreference" | "alphaConfidence">,
    sample: ReadonlyMap<NodeId, number>,
    readonly fromHeight: number,
    readonly toHeight: number,
  ) {
    this.pending = new Map(sample);
    for (const m of sample.values()) this.outstandingVotes += m;
    for (let h = fromHeight; h <= toHeight; h++) {
      this.counts.push(new Map());
      this.maxes.push(0);
    }
  }

  /**
   * Counts `nodeId`'s answer at every height of the poll. A height the reply does not cover, or
   * covers with `undefined`, is a dropped vote there. Votes from members not (or no longer)
   * pending are ignored: each member votes once.
   */
  vote(nodeId: NodeId, reply: QueryReply): void {
    const m = this.take(nodeId);
    if (m === 0) return;
    for (let i = 0; i < this.counts.length; i++) {
      const index = this.fromHeight + i - reply.fromHeight;
      const id = index >= 0 ? reply.preferredIds[index] : undefined;
      if (id === undefined) {
        if (i === 0) this.dropped += m;
        continue;
      }
      const tally = this.counts[i];
      const n = (tally.get(id) ?? 0) + m;
      tally.set(id, n);
      if (n > this.maxes[i]) this.maxes[i] = n;
    }
  }

  /** Drops every vote of `nodeId` (timeout, failure); ignored if it already voted. */
  drop(nodeId: NodeId): void {
    this.dropped += this.take(nodeId);
  }

  /** Votes still expected. */
  get outstanding(): number {
    return this.outstandingVotes;
  }

  /**
   * True when no answer is outstanding, or when no outstanding answer could change the outcome
   * at any height: that height already has an αC quorum, can no longer reach αP, or has αP but
   * can no longer reach αC.
   */
  finished(): boolean {
    const left = this.outstandingVotes;
    if (left === 0) return true;
    const { alphaPreference, alphaConfidence } = this.params;
    for (const max of this.maxes) {
      const settled =
        max >= alphaConfidence ||
        max + left < alphaPreference ||
        (max >= alphaPreference && max + left < alphaConfidence);
      if (!settled) return false;
    }
    return true;
  }

  /** Finished while answers were still outstanding. */
  get endedEarly(): boolean {
    return this.outstandingVotes > 0 && this.finished();
  }

  /** Votes, with multiplicity, for the most-voted block at the lowest height. */
  get topVotes(): number {
    return this.maxes[0] ?? 0;
  }

  /** Whether the lowest height reached an αP quorum. */
  get successful(): boolean {
    return (this.maxes[0] ?? 0) >= this.params.alphaPreference;
  }

  /** Votes per block at each height, lowest first (index h - fromHeight). */
  tallies(): readonly ReadonlyMap<BlockId, number>[] {
    return this.counts;
  }

  /** Votes lost at the lowest height (dropped members, or no answer there), with multiplicity. */
  get droppedVotes(): number {
    return this.dropped;
  }

  private take(nodeId: NodeId): number {
    const m = this.pending.get(nodeId);
    if (m === undefined) return 0;
    this.pending.delete(nodeId);
    this.outstandingVotes -= m;
    return m;
  }
}
