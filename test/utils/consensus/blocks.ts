import type { Block, BlockId } from "../../../src/chain/types";
import { SIM_GENESIS, simBlock } from "../../../src/sim/simulation";

/**
 * A block for consensus tests. Its id is any string: the consensus module never hashes, and
 * readable ids ("a1", "b2") make failures easy to read.
 */
export function testBlock(id: BlockId, height: number, parentId: BlockId, proposer = "test"): Block {
  return simBlock(id, height, parentId, proposer);
}

export const GENESIS = SIM_GENESIS;
