import { ErrorCode, SnowchainError } from "../errors";
import { makeBlock, ZERO_ID } from "./hash";
import type { Block } from "./types";

/**
 * The genesis block of a network: a pure function of the network name, so every peer derives
 * the same one without exchanging it, and peers of different networks refuse each other at the
 * handshake (they compare genesis ids). Timestamp 0 keeps it independent of when a peer starts.
 */
export function genesisBlock(networkName: string): Block {
  if (typeof networkName !== "string" || networkName.length === 0) {
    throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, "network name must be a non-empty string");
  }
  return makeBlock({
    height: 0,
    parentId: ZERO_ID,
    proposer: `genesis:${networkName}`,
    timestampMs: 0,
    entries: [],
  });
}
