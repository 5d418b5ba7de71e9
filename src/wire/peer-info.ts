import { isDialable } from "./host-port";

/** Bumped when peers of different versions can no longer understand each other. */
export const PROTOCOL_VERSION = 2;

/** The metadata key (binary) in which every peer-to-peer call after the handshake carries its session token. */
export const SESSION_METADATA = "snowchain-session-bin";

/** What a node id may be: NODE_ID, and what peers say of themselves. */
export const NODE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A peer as it describes itself on the wire (handshakes, peer exchange). */
export interface PeerAddress {
  readonly nodeId: string;
  readonly address: string;
  readonly name?: string;
}

/** Whether a peer named on the wire could be a member: a valid node id at a dialable address. */
export function isValidPeer(info: { readonly node_id: string; readonly address: string }): boolean {
  return NODE_ID.test(info.node_id) && isDialable(info.address);
}
