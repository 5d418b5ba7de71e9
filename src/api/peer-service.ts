import type { PeerManagerHandlers } from "../wire/generated/snowchain/v1/PeerManager";
import type { HandshakeRequest__Output } from "../wire/generated/snowchain/v1/HandshakeRequest";
import type { HandshakeResponse } from "../wire/generated/snowchain/v1/HandshakeResponse";
import type { ExchangePeersRequest__Output } from "../wire/generated/snowchain/v1/ExchangePeersRequest";
import type { ExchangePeersResponse } from "../wire/generated/snowchain/v1/ExchangePeersResponse";
import type { PingRequest__Output } from "../wire/generated/snowchain/v1/PingRequest";
import type { PingResponse } from "../wire/generated/snowchain/v1/PingResponse";
import { ErrorCode, SnowchainError } from "../errors";
import { checkPeerInfo, isValidPeer, PROTOCOL_VERSION, type PeerAddress } from "../wire/peer-info";
import { peerUnary, type HandlerContext } from "./handler";

/**
 * What the PeerManager service asks of membership (p2p's Discovery implements it): the service
 * turns wire messages into these calls and their results back into wire messages.
 */
export interface PeerDirectory {
  /**
   * A remote introduces itself: checked to be of this network, then taken as a member.
   * @throws SnowchainError WRONG_NETWORK with the reason.
   */
  answerHandshake(caller: PeerAddress, protocolVersion: number, genesisId: string, lastAcceptedHeight: number): PeerAddress;
  /** Peers a remote named: the unknown ones are only candidates, dialled to prove themselves. */
  learnOf(peers: readonly PeerAddress[]): void;
  /** Up to `max` live members for a remote, never the remote itself. */
  peersFor(callerId: string | undefined, max: number): PeerAddress[];
  /** A member pinged us, telling its height. */
  pinged(nodeId: string, lastAcceptedHeight: number): void;
}

export interface PeerServiceDeps extends HandlerContext {
  readonly directory: PeerDirectory;
  readonly selfId: string;
  readonly genesisId: string;
  readonly lastAcceptedHeight: () => number;
}

/** Most peers named in, or returned by, one peer exchange. */
const MAX_EXCHANGE = 64;

export function peerService(deps: PeerServiceDeps): PeerManagerHandlers {
  const { directory } = deps;
  return {
    Handshake: peerUnary<HandshakeRequest__Output, HandshakeResponse>(deps, "Handshake", (req) => req.self?.node_id ?? "", (req) => {
      const caller = checkPeerInfo(req.self, "self");
      const self = directory.answerHandshake(caller, req.protocol_version, req.genesis_id.toString("hex"), req.last_accepted_height);
      return {
        self: { node_id: self.nodeId, address: self.address },
        protocol_version: PROTOCOL_VERSION,
        genesis_id: Buffer.from(deps.genesisId, "hex"),
        last_accepted_height: deps.lastAcceptedHeight(),
      };
    }),
    ExchangePeers: peerUnary<ExchangePeersRequest__Output, ExchangePeersResponse>(deps, "ExchangePeers", (req) => req.self?.node_id ?? "", (req) => {
      const caller = req.self ? checkPeerInfo(req.self, "self") : undefined;
      if (req.known.length > MAX_EXCHANGE) {
        throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `known lists ${req.known.length} peers, at most ${MAX_EXCHANGE} allowed`);
      }
      directory.learnOf(req.known.filter(isValidPeer).map((p) => ({ nodeId: p.node_id, address: p.address })));
      const peers = directory.peersFor(caller?.nodeId, Math.min(req.max || MAX_EXCHANGE, MAX_EXCHANGE));
      return { peers: peers.map((m) => ({ node_id: m.nodeId, address: m.address })) };
    }),
    Ping: peerUnary<PingRequest__Output, PingResponse>(deps, "Ping", (req) => req.node_id, (req) => {
      if (req.node_id !== "") directory.pinged(req.node_id, req.last_accepted_height);
      return { node_id: deps.selfId, last_accepted_height: deps.lastAcceptedHeight() };
    }),
  };
}
