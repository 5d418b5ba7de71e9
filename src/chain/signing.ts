import { ErrorCode, SnowchainError } from "../errors";
import { makeBlock } from "./hash";
import type { Signer } from "./keys";
import type { Block, BlockFields } from "./types";

/** A block proposed by `signer`: its node id as proposer, its key, and its signature of the id. */
export function signedBlock(fields: Omit<BlockFields, "proposer" | "proposerKey" | "signature">, signer: Signer): Block {
  const unsigned = makeBlock({ ...fields, proposer: signer.nodeId });
  return withSignature(unsigned, signer);
}

/** `block` signed by `signer`, who must be its proposer. */
export function withSignature(block: Block, signer: Signer): Block {
  if (block.proposer !== signer.nodeId) {
    throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `block proposer ${block.proposer} is not the signer ${signer.nodeId}`);
  }
  return Object.freeze({ ...block, proposerKey: signer.publicKey, signature: signer.sign(Buffer.from(block.id, "hex")) });
}
