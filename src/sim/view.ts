import type { LedgerView } from "../behaviour/behaviour";
import type { Block, BlockId } from "../chain/types";
import type { Consensus } from "../consensus/consensus";

/**
 * What a simulated node's behaviour may read of its chain: the peer's LedgerView, over the
 * node's Consensus and the ids it accepted (the simulator keeps no store, so every accepted
 * block is durable at once).
 */
export class SimView implements LedgerView {
  /** preferredChain() as last computed; undefined once the node's state may have moved (changed()). */
  private chain: readonly Block[] | undefined;

  constructor(
    private readonly consensus: Consensus,
    /** Accepted block ids by height; genesis at 0. */
    private readonly accepted: readonly BlockId[],
    /** Every block of the run by id: what this node accepted is looked up there. */
    private readonly blocks: ReadonlyMap<BlockId, Block>,
  ) {}

  get lastAcceptedHeight(): number {
    return this.consensus.lastAcceptedHeight;
  }

  get durableHeight(): number {
    return this.consensus.lastAcceptedHeight;
  }

  acceptedAt(height: number): Block | undefined {
    const id = this.accepted[height];
    return id === undefined ? undefined : this.blocks.get(id);
  }

  acceptedRange(fromHeight: number, toHeight: number): Block[] {
    const out: Block[] = [];
    for (let h = fromHeight; h <= Math.min(toHeight, this.lastAcceptedHeight); h++) out.push(this.acceptedAt(h) as Block);
    return out;
  }

  /**
   * The preference as a chain: computed once, then again only after changed(). A lock-step
   * round reads it for every node (its own poll, its answer), and most polls change nothing.
   */
  preferredChain(): readonly Block[] {
    return (this.chain ??= this.consensus.preferredChain());
  }

  /** The node recorded a poll that decided something, or learnt blocks: its preference may have moved. */
  changed(): void {
    this.chain = undefined;
  }

  candidatesAt(height: number): readonly BlockId[] {
    return this.consensus.candidatesAt(height);
  }

  /** A processing block, or one this node accepted. */
  blockById(id: BlockId): Block | undefined {
    const processing = this.consensus.get(id);
    if (processing !== undefined) return processing;
    const block = this.blocks.get(id);
    return block !== undefined && this.accepted[block.height] === id ? block : undefined;
  }
}
