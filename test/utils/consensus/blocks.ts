import type { Block, BlockId } from "../../../src/chain/types";

/**
 * A block for consensus tests. Its id is any string: the consensus module never hashes, and
 * readable ids ("a1", "b2") make failures easy to read.
 */
export function testBlock(id: BlockId, height: number, parentId: BlockId, proposer = "test"): Block {
  return { id, height, parentId, proposer, timestampMs: 0, entries: [], proposerKey: NO_BYTES, signature: NO_BYTES };
}

const NO_BYTES = Buffer.alloc(0);

export const GENESIS = testBlock("genesis", 0, "");
