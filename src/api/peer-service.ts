import type { PeerManagerHandlers } from "../wire/generated/snowchain/v1/PeerManager";
import type { HandshakeRequest__Output } from "../wire/generated/snowchain/v1/HandshakeRequest";
import type { HandshakeResponse } from "../wire/generated/snowchain/v1/HandshakeResponse";
import type { HelloRequest__Output } from "../wire/generated/snowchain/v1/HelloRequest";
import type { HelloResponse } from "../wire/generated/snowchain/v1/HelloResponse";
import type { ExchangePeersRequest__Output } from "../wire/generated/snowchain/v1/ExchangePeersRequest";
import type { ExchangePeersResponse } from "../wire/generated/snowchain/v1/ExchangePeersResponse";
import type { PingRequest__Output } from "../wire/generated/snowchain/v1/PingRequest";
import type { PingResponse } from "../wire/generated/snowchain/v1/PingResponse";
import { nodeIdOf } from "../chain/keys";
import { ErrorCode, SnowchainError } from "../errors";
import { isValidPeer, type PeerAddress } from "../wire/peer-info";
import { callerHost, peerUnary, throughTransport, unary, type PeerHandlerContext } from "./handler";

/** The handshake's answering side (p2p's Handshaker implements it). */
export interface HandshakeAnswers {
  /** @throws SnowchainError WRONG_NETWORK, INVALID_ARGUMENT */
  answerHello(req: HelloRequest__Output): HelloResponse;
  /** `source`: the caller's host, for rate limits. @throws SnowchainError UNAUTHENTICATED, ADDRESS_TAKEN, INVALID_ARGUMENT, OVERLOADED, UNREACHABLE */
  answerHandshake(req: HandshakeRequest__Output, source: string): Promise<HandshakeResponse>;
}

/** What the PeerManager service asks of membership (p2p's Discovery implements it). */
export interface PeerDirectory {
  /** Peers a member named: the unknown ones are only candidates, dialled to prove themselves. */
  learnOf(peers: readonly PeerAddress[]): void;
  /** Up to `max` live members for a member, never that member itself. */
  peersFor(callerId: string, max: number): PeerAddress[];
  /** A member pinged us, telling its height. */
  pinged(nodeId: string, lastAcceptedHeight: number): void;
}

export interface PeerServiceDeps extends PeerHandlerContext {
  readonly handshakes: HandshakeAnswers;
  readonly directory: PeerDirectory;
  readonly selfId: string;
  readonly lastAcceptedHeight: () => number;
}

/** Most peers named in, or returned by, one peer exchange. */
const MAX_EXCHANGE = 64;

/** The sender of a handshake message, for the transport: the node id its key stands for. */
const keyHolder = (call: { request: { public_key: Buffer } }): string => (call.request.public_key.length > 0 ? nodeIdOf(call.request.public_key) : "");

export function peerService(deps: PeerServiceDeps): PeerManagerHandlers {
  const { directory, handshakes } = deps;
  return {
    // The two handshake calls are the only peer calls a stranger may make: they are how it stops being one.
    Hello: throughTransport(deps, "Hello", keyHolder, unary<HelloRequest__Output, HelloResponse>(deps, "Hello", (req) => handshakes.answerHello(req))),
    Handshake: throughTransport(deps, "Handshake", keyHolder, unary<HandshakeRequest__Output, HandshakeResponse>(deps, "Handshake", (req, call) => handshakes.answerHandshake(req, callerHost(call)))),
    ExchangePeers: peerUnary<ExchangePeersRequest__Output, ExchangePeersResponse>(deps, "ExchangePeers", (req, sender) => {
      if (req.known.length > MAX_EXCHANGE) {
        throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `known lists ${req.known.length} peers, at most ${MAX_EXCHANGE} allowed`);
      }
      directory.learnOf(req.known.filter(isValidPeer).map((p) => ({ nodeId: p.node_id, address: p.address })));
      const peers = directory.peersFor(sender, Math.min(req.max || MAX_EXCHANGE, MAX_EXCHANGE));
      return { peers: peers.map((m) => ({ node_id: m.nodeId, address: m.address, name: m.name ?? "" })) };
    }),
    Ping: peerUnary<PingRequest__Output, PingResponse>(deps, "Ping", (req, sender) => {
      directory.pinged(sender, req.last_accepted_height);
      return { node_id: deps.selfId, last_accepted_height: deps.lastAcceptedHeight() };
    }),
  };
}
