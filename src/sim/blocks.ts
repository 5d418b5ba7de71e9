import type { Block, BlockId } from "../chain/types";
import type { NodeId } from "../consensus/types";

/** The simulator's blocks carry no signature: none of its nodes checks one (the chain layer is not simulated). */
const NO_BYTES = Buffer.alloc(0);

/** A block for simulations and tests: consensus never hashes, so any string is an id. */
export function simBlock(id: BlockId, height: number, parentId: BlockId, proposer: NodeId): Block {
  return { id, height, parentId, proposer, timestampMs: 0, entries: [], proposerKey: NO_BYTES, signature: NO_BYTES };
}

export const SIM_GENESIS: Block = Object.freeze(simBlock("genesis", 0, "", "genesis"));
