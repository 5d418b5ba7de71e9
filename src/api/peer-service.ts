import type { PeerManagerHandlers } from "../generated/snowchain/v1/PeerManager";
import type { HandshakeRequest__Output } from "../generated/snowchain/v1/HandshakeRequest";
import type { HandshakeResponse } from "../generated/snowchain/v1/HandshakeResponse";
import type { ExchangePeersRequest__Output } from "../generated/snowchain/v1/ExchangePeersRequest";
import type { ExchangePeersResponse } from "../generated/snowchain/v1/ExchangePeersResponse";
import type { PingRequest__Output } from "../generated/snowchain/v1/PingRequest";
import type { PingResponse } from "../generated/snowchain/v1/PingResponse";
import { isDialable, NODE_ID } from "../config";
import { ErrorCode, SnowchainError } from "../errors";
import { PROTOCOL_VERSION, type Discovery } from "../p2p/discovery";
import type { MemberTable } from "../p2p/membership";
import { unary, type HandlerContext } from "./handler";

export interface PeerServiceDeps extends HandlerContext {
  readonly discovery: Discovery;
  readonly table: MemberTable;
  readonly genesisId: string;
  readonly now: () => number;
  readonly lastAcceptedHeight: () => number;
  readonly onRemoteHeight: (nodeId: string, height: number) => void;
}

const MAX_EXCHANGE = 64;
function checkPeer(info: { node_id: string; address: string } | null, what: string): { nodeId: string; address: string } {
  if (!info) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `${what} is missing`);
  if (!NODE_ID.test(info.node_id)) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `${what}.node_id is not a valid node id`);
  if (!isDialable(info.address)) {
    throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `${what}.address must be host:port with a port from 1 to 65535, got ${JSON.stringify(info.address.slice(0, 80))}`);
  }
  return { nodeId: info.node_id, address: info.address };
}

export function peerService(deps: PeerServiceDeps): PeerManagerHandlers {
  return {
    Handshake: unary<HandshakeRequest__Output, HandshakeResponse>(deps, "Handshake", (req) => {
      const caller = checkPeer(req.self, "self");
      const why = deps.discovery.refusal(req.protocol_version, req.genesis_id);
      if (why) throw new SnowchainError(ErrorCode.WRONG_NETWORK, `not of this network: ${why}`);
      // The caller proved it speaks our protocol on our genesis: a member (or one that came back).
      deps.table.upsert(caller, deps.now());
      deps.onRemoteHeight(caller.nodeId, req.last_accepted_height);
      return {
        self: deps.discovery.selfInfo(),
        protocol_version: PROTOCOL_VERSION,
        genesis_id: Buffer.from(deps.genesisId, "hex"),
        last_accepted_height: deps.lastAcceptedHeight(),
      };
    }),
    ExchangePeers: unary<ExchangePeersRequest__Output, ExchangePeersResponse>(deps, "ExchangePeers", (req) => {
      const caller = req.self ? checkPeer(req.self, "self") : undefined;
      if (req.known.length > MAX_EXCHANGE) {
        throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `known lists ${req.known.length} peers, at most ${MAX_EXCHANGE} allowed`);
      }
      // Peers we do not know are only candidates: they become members by answering a handshake.
      for (const p of req.known) {
        if (NODE_ID.test(p.node_id) && isDialable(p.address) && deps.table.get(p.node_id)?.address !== p.address) {
          void deps.discovery.handshake(p.address);
        }
      }
      const max = Math.min(req.max || MAX_EXCHANGE, MAX_EXCHANGE);
      const peers = deps.table
        .sampleLive(max + 1)
        .filter((m) => m.nodeId !== caller?.nodeId)
        .slice(0, max);
      return { peers: peers.map((m) => ({ node_id: m.nodeId, address: m.address })) };
    }),
    Ping: unary<PingRequest__Output, PingResponse>(deps, "Ping", (req) => {
      if (req.node_id !== "" && deps.table.has(req.node_id)) {
        deps.table.markOk(req.node_id, deps.now());
        deps.onRemoteHeight(req.node_id, req.last_accepted_height);
      }
      return { node_id: deps.discovery.selfInfo().node_id, last_accepted_height: deps.lastAcceptedHeight() };
    }),
  };
}

