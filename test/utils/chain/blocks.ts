import { makeBlock } from "../../../src/chain/hash";
import type { Block, BlockFields } from "../../../src/chain/types";

/** Distinct, recognisable entry data: `entry-<label>`. */
export function data(label: string | number): Buffer {
  return Buffer.from(`entry-${label}`);
}

/** A block on top of `parent`; fields default to a plausible child with one fresh entry. */
export function childOf(parent: Block, overrides: Partial<BlockFields> = {}): Block {
  const height = overrides.height ?? parent.height + 1;
  return makeBlock({
    height,
    parentId: parent.id,
    proposer: "node-a",
    timestampMs: parent.timestampMs + 1,
    entries: [data(`h${height}`)],
    ...overrides,
  });
}

/** `count` blocks chained on `from`, each with `entriesPerBlock` entries unique to its height. */
export function chainOn(from: Block, count: number, entriesPerBlock = 1): Block[] {
  const blocks: Block[] = [];
  let tip = from;
  for (let i = 0; i < count; i++) {
    const height = tip.height + 1;
    tip = childOf(tip, { entries: Array.from({ length: entriesPerBlock }, (_, j) => data(`h${height}-${j}`)) });
    blocks.push(tip);
  }
  return blocks;
}
