import type { Block, BlockId } from "../chain/types";
import { SeededRandom } from "./random";
import { simBlock } from "./blocks";

/**
 * The blocks of a run that decides heights one after the other, each from a fresh split: every
 * block accepted at height h gets `candidates` conflicting children at h + 1, made the first time
 * any node accepts it (so the run needs memory for the heights it reaches, not a tree of
 * candidates^heights blocks). A node learns all children of the block it accepted at once, as
 * if gossip had brought them, and starts out preferring the one of its side: at each height the
 * nodes' sides are drawn anew, in the shares of `split` (exact among the honest nodes), so every
 * decision starts from the same split and only votes can end it.
 */
export class Proposals {
  private readonly random: SeededRandom;
  /** Children by parent id. */
  private readonly children = new Map<BlockId, Block[]>();
  /** Each child's index among its siblings (its side). */
  private readonly sideOfBlock = new Map<BlockId, number>();
  /** Per height: each node's side there. */
  private readonly sides: Uint8Array[] = [];
  /** Families made per height: more than one means honest nodes accepted different parents. */
  private readonly families: number[] = [];
  /** Every block made, by id. */
  readonly blocks = new Map<BlockId, Block>();
  /** Called with each block made, in the order they are made (the simulators number them). */
  onBlock: ((block: Block) => void) | undefined;

  constructor(
    seed: number,
    private readonly nodes: number,
    /** Which nodes' sides must follow `split` exactly; the others draw theirs at random by the shares. */
    private readonly isHonest: (index: number) => boolean,
    readonly candidates: number,
    /** Shares of the candidates, summing to 1. */
    readonly split: readonly number[],
    /** The last height: blocks there get no children. */
    readonly heights: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  /** The children of `parent` (made on the first call, with the nodes' sides at their height); none above the last height. */
  childrenOf(parent: Block): readonly Block[] {
    let kids = this.children.get(parent.id);
    if (kids !== undefined) return kids;
    const height = parent.height + 1;
    if (height > this.heights) return [];
    const family = this.families[height] ?? 0;
    this.families[height] = family + 1;
    if (family === 0) this.sides[height] = this.drawSides();
    kids = [];
    for (let side = 0; side < this.candidates; side++) {
      // Readable ids: "7.0", "7.1" at height 7; a second family there (after a fork) is "7.0/1", ...
      const id = family === 0 ? `${height}.${side}` : `${height}.${side}/${family}`;
      const block = simBlock(id, height, parent.id, `side${side}`);
      kids.push(block);
      this.sideOfBlock.set(id, side);
      this.blocks.set(id, block);
      this.onBlock?.(block);
    }
    this.children.set(parent.id, kids);
    return kids;
  }

  /** Node `index`'s side at `height`; 0 before the height's first block was made. */
  sideOf(index: number, height: number): number {
    return this.sides[height]?.[index] ?? 0;
  }

  /**
   * The initial order (ConsensusOptions.initialOrder) of node `index`: its own side's block
   * first, so learning the other candidates does not move its preference, and only a
   * successful poll can.
   */
  initialOrder(index: number): (block: Block) => string {
    return (block) => (this.sideOfBlock.get(block.id) === this.sideOf(index, block.height) ? "0" : "1");
  }

  /** Exactly round(share × honest) honest nodes per side (the remainder to the largest shares), the rest at random. */
  private drawSides(): Uint8Array {
    const sides = new Uint8Array(this.nodes);
    const honest: number[] = [];
    for (let i = 0; i < this.nodes; i++) {
      if (this.isHonest(i)) honest.push(i);
      else sides[i] = this.drawSide();
    }
    const order = this.random.shuffle(honest);
    let next = 0;
    const counts = this.split.map((share) => Math.floor(share * honest.length));
    let left = honest.length - counts.reduce((a, b) => a + b, 0);
    const bySize = this.split.map((share, side) => [share, side] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (let i = 0; left > 0; i = (i + 1) % bySize.length, left--) counts[bySize[i]![1]]!++;
    counts.forEach((count, side) => {
      for (let c = 0; c < count; c++) sides[order[next++]!] = side;
    });
    return sides;
  }

  private drawSide(): number {
    const u = this.random.next();
    let sum = 0;
    for (let side = 0; side < this.split.length - 1; side++) {
      sum += this.split[side]!;
      if (u < sum) return side;
    }
    return this.split.length - 1;
  }
}
