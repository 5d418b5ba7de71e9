import { ErrorCode, SnowchainError } from "../errors";
import { isDialable } from "./host-port";

/** Bumped when peers of different versions can no longer understand each other. */
export const PROTOCOL_VERSION = 1;

/** What a node id may be: NODE_ID, and what peers say of themselves. */
export const NODE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A peer as it describes itself on the wire (handshakes, peer exchange). */
export interface PeerAddress {
  readonly nodeId: string;
  readonly address: string;
}

/** Whether a peer named on the wire could be a member: a valid node id at a dialable address. */
export function isValidPeer(info: { readonly node_id: string; readonly address: string }): boolean {
  return NODE_ID.test(info.node_id) && isDialable(info.address);
}

/**
 * A peer's description of itself from the wire, checked; `what` names the field for the error.
 * @throws SnowchainError INVALID_ARGUMENT naming what is wrong.
 */
export function checkPeerInfo(info: { readonly node_id: string; readonly address: string } | null | undefined, what: string): PeerAddress {
  if (!info) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `${what} is missing`);
  if (!NODE_ID.test(info.node_id)) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `${what}.node_id is not a valid node id`);
  if (!isDialable(info.address)) {
    throw new SnowchainError(
      ErrorCode.INVALID_ARGUMENT,
      `${what}.address must be host:port with a port from 1 to 65535, got ${JSON.stringify(info.address.slice(0, 80))}`,
    );
  }
  return { nodeId: info.node_id, address: info.address };
}
