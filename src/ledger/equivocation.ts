import type { Logger } from "pino";
import type { Block, BlockId } from "../chain/types";
import type { Metrics } from "../metrics/metrics";

/** Two signed blocks of one proposer on one parent (so at one height). */
export interface Equivocation {
  readonly proposer: string;
  readonly height: number;
  readonly blocks: readonly [BlockId, BlockId];
}

/**
 * Two validly signed blocks of one proposer on one parent (both passed validation, signatures
 * included) are evidence that it equivocated: logged with both ids and counted. The blocks stay
 * candidates — Snowball decides between them like any conflict — but the proposer is named.
 * One parent, not merely one height: an honest proposer whose block lost with its parent
 * proposes again at that height on the parent that won, and that is no lie.
 */
export class EquivocationDetector {
  /** Undecided heights → proposer and parent → the first block seen from it there. */
  private readonly proposals = new Map<number, Map<string, BlockId>>();

  constructor(
    private readonly deps: { readonly log: Logger; readonly metrics?: Metrics; readonly onEquivocation?: (e: Equivocation) => void },
  ) {}

  /** A block that just became a candidate. */
  check(block: Block): void {
    let at = this.proposals.get(block.height);
    if (!at) this.proposals.set(block.height, (at = new Map()));
    const key = `${block.proposer}/${block.parentId}`;
    const first = at.get(key);
    if (first === undefined) {
      at.set(key, block.id);
      return;
    }
    if (first === block.id) return;
    this.deps.metrics?.byzantine.equivocations.inc();
    this.deps.log.warn({ proposer: block.proposer, height: block.height, first, second: block.id }, "equivocation: one proposer signed two blocks on one parent");
    this.deps.onEquivocation?.({ proposer: block.proposer, height: block.height, blocks: [first, block.id] });
  }

  /** Heights up to `height` are decided: nothing more to compare there. */
  decidedUpTo(height: number): void {
    for (const h of this.proposals.keys()) if (h <= height) this.proposals.delete(h);
  }
}
