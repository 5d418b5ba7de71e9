import { makeBlock } from "../../../src/chain/hash";
import { generateSigner, type Signer } from "../../../src/chain/keys";
import { withSignature } from "../../../src/chain/signing";
import type { Block, BlockFields } from "../../../src/chain/types";

const signers = new Map<string, Signer>();

/** A test identity per label, the same one for the whole test run ("liar" is always the same key). */
export function signerFor(label: string): Signer {
  let s = signers.get(label);
  if (!s) signers.set(label, (s = generateSigner().signer));
  return s;
}

/** The identity blocks are signed with unless a test says otherwise. */
export const TEST_SIGNER = signerFor("node-a");

/** Distinct, recognisable entry data: `entry-<label>`. */
export function data(label: string | number): Buffer {
  return Buffer.from(`entry-${label}`);
}

/**
 * A block on top of `parent`, signed by `signer`; fields default to a plausible child with one
 * fresh entry. A test that sets `proposer` itself gets the block unsigned (a forgery, or a
 * malformed proposer) unless the proposer is the signer's.
 */
export function childOf(parent: Block, overrides: Partial<BlockFields> = {}, signer: Signer = TEST_SIGNER): Block {
  const height = overrides.height ?? parent.height + 1;
  const block = makeBlock({
    height,
    parentId: parent.id,
    proposer: signer.nodeId,
    timestampMs: parent.timestampMs + 1,
    entries: [data(`h${height}`)],
    ...overrides,
  });
  return block.proposer === signer.nodeId ? withSignature(block, signer) : block;
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
