import type { Block, BlockId } from "../chain/types";
import type { NodeId } from "../consensus/types";

/**
 * How much undecided data one sender can make this peer hold. An honest member delivers at most
 * a few blocks per undecided height (its own proposal, and others' in its query answers); a
 * member that sends dozens of valid siblings at once (each with its own new entries) would
 * otherwise fill memory and, once they lose, the mempool. Past the bound its further blocks are
 * refused until some of its undecided ones are decided. Blocks this peer proposed or fetched by
 * itself are not counted against anyone.
 */
export const MAX_UNDECIDED_PER_SENDER = { blocks: 32, bytes: 16 * 1024 * 1024 } as const;

interface Held {
  readonly ids: Map<BlockId, number>;
  bytes: number;
}

export class SenderQuota {
  private readonly bySender = new Map<NodeId, Held>();

  constructor(private readonly limits: { readonly blocks: number; readonly bytes: number } = MAX_UNDECIDED_PER_SENDER) {}

  /**
   * Why `sender` may not add `block` now, or undefined (then call `record` once it is added).
   * `undecided` tells which of its earlier blocks still count: decided or dropped ones free their place.
   */
  check(sender: NodeId, block: Block, undecided: (id: BlockId) => boolean): string | undefined {
    const held = this.bySender.get(sender);
    if (!held) return undefined;
    for (const [id, bytes] of held.ids) {
      if (undecided(id)) continue;
      held.ids.delete(id);
      held.bytes -= bytes;
    }
    if (held.ids.size === 0) {
      this.bySender.delete(sender);
      return undefined;
    }
    if (held.ids.size + 1 > this.limits.blocks) return `its ${held.ids.size} undecided blocks here are the most one sender may have (${this.limits.blocks})`;
    const size = blockBytes(block);
    if (held.bytes + size > this.limits.bytes) {
      return `its undecided blocks here hold ${held.bytes} bytes of entries; with this one's ${size} that is more than one sender may have (${this.limits.bytes})`;
    }
    return undefined;
  }

  record(sender: NodeId, block: Block): void {
    let held = this.bySender.get(sender);
    if (!held) {
      held = { ids: new Map(), bytes: 0 };
      this.bySender.set(sender, held);
    }
    const size = blockBytes(block);
    held.ids.set(block.id, size);
    held.bytes += size;
  }
}

function blockBytes(block: Block): number {
  let n = 0;
  for (const e of block.entries) n += e.data.length;
  return n;
}
