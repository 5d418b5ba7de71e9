/** The peer-to-peer messages, by their rpc name (QueryStream messages are "Query"; "Report" is the byzantine Collusion service's). */
export type PeerMessageKind = "Hello" | "Handshake" | "ExchangePeers" | "Ping" | "Query" | "Gossip" | "FetchBlock" | "FetchRange" | "GetAccepted" | "ForwardEntries" | "Report";

/**
 * The seam every peer-to-peer message passes through, both ways: outgoing ones as this peer's
 * PeerClients put them on the wire, incoming ones as the server hands them to their handlers.
 * The direct transport passes everything at once; the lab's faults (drop, delay, duplicate, per
 * remote peer and direction) are one decorator of it, so no call site knows about faults.
 *
 * A transport may call `send`/`deliver` later, more than once, or never: callers keep their own
 * deadlines (a message never sent is a call that times out, as a lost packet would be).
 */
export interface Transport {
  /** An outgoing message to the peer at `address`; `send` puts it on the wire. */
  send(address: string, kind: PeerMessageKind, send: () => void): void;
  /** An incoming message from `nodeId` (as the message names its sender; "" when it does not); `deliver` handles it. */
  receive(nodeId: string, kind: PeerMessageKind, deliver: () => void): void;
}

/** Every message passes at once, exactly once. */
export const DIRECT_TRANSPORT: Transport = Object.freeze({
  send: (_address: string, _kind: PeerMessageKind, send: () => void) => send(),
  receive: (_nodeId: string, _kind: PeerMessageKind, deliver: () => void) => deliver(),
});

/** One link fault: what happens to messages between this peer and some remotes, one way or both. */
export interface LinkFault {
  /** Remote peers by node id; empty means every remote. */
  readonly peers: readonly string[];
  /** "out": messages this peer sends; "in": messages it receives. */
  readonly direction: "in" | "out" | "both";
  /** Share of messages lost, 0..1. @default 0 */
  readonly drop?: number;
  /** Added latency in ms. @default 0 */
  readonly delayMs?: number;
  /** The latency varies uniformly by ± this many ms. @default 0 */
  readonly jitterMs?: number;
  /** Share of messages delivered twice, 0..1. @default 0 */
  readonly duplicate?: number;
}
