import * as grpc from "@grpc/grpc-js";
import type { Behaviour } from "../behaviour/behaviour";
import { parseId } from "../chain/codec";
import type { Block } from "../chain/types";
import { ErrorCode, SnowchainError } from "../errors";
import type { Block__Output as WireBlockOut } from "../wire/generated/snowchain/v1/Block";
import type { FetchBlockRequest__Output } from "../wire/generated/snowchain/v1/FetchBlockRequest";
import type { FetchBlockResponse } from "../wire/generated/snowchain/v1/FetchBlockResponse";
import type { FetchRangeRequest__Output } from "../wire/generated/snowchain/v1/FetchRangeRequest";
import type { FetchRangeResponse } from "../wire/generated/snowchain/v1/FetchRangeResponse";
import type { ForwardEntriesRequest__Output } from "../wire/generated/snowchain/v1/ForwardEntriesRequest";
import type { ForwardEntriesResponse } from "../wire/generated/snowchain/v1/ForwardEntriesResponse";
import type { GetAcceptedRequest__Output } from "../wire/generated/snowchain/v1/GetAcceptedRequest";
import type { GetAcceptedResponse } from "../wire/generated/snowchain/v1/GetAcceptedResponse";
import type { GossipRequest__Output } from "../wire/generated/snowchain/v1/GossipRequest";
import type { GossipResponse } from "../wire/generated/snowchain/v1/GossipResponse";
import type { MessageManagerHandlers } from "../wire/generated/snowchain/v1/MessageManager";
import type { QueryRequest__Output } from "../wire/generated/snowchain/v1/QueryRequest";
import type { QueryResponse } from "../wire/generated/snowchain/v1/QueryResponse";
import type { Ledger } from "../ledger/ledger";
import { MAX_MESSAGE_BYTES } from "../wire/channel";
import { MAX_QUERY_HEIGHTS } from "../wire/limits";
import { DIRECT_TRANSPORT } from "../wire/transport";
import { blockFromWire, blockToWire, claimedId, optionalIdToBytes } from "../wire/convert";
import { observeServed, peerUnary, senderOf, unauthenticated, type PeerHandlerContext } from "./handler";
import { statusName, toServiceError } from "../wire/status";

export interface MessageServiceDeps extends PeerHandlerContext {
  readonly ledger: Pick<Ledger, "lastAcceptedHeight" | "durableHeight" | "blockById" | "epoch">;
  /** How this peer answers queries and serves syncs. */
  readonly behaviour: Behaviour;
  /**
   * Blocks learned from a peer: the node validates, adds, polls, fetches missing parents.
   * Returns the reasons blocks were refused.
   */
  readonly receive: (blocks: readonly Block[], fromNodeId: string) => readonly unknown[];
  readonly onRemoteHeight: (nodeId: string, height: number) => void;
  /** Entries a member forwarded to this peer (it leads the next height): returns how many were new. */
  readonly takeForwarded: (entries: readonly Buffer[]) => number;
  /** Most entries one forward may carry. */
  readonly maxForwardEntries: number;
  /** A member's query named a block unknown here: fetch it from that member. */
  readonly unknownBlock: (id: string, from: string) => void;
  readonly maxBlockEntries: number;
  /** Most blocks in one FetchRange answer. */
  readonly rangeLimit: number;
}

const ID_BYTES = 32;

/**
 * What a unary call gets from a behaviour that does not answer (silent): nothing, until the
 * caller gives up (its deadline or a cancel), as from a peer that is up but says nothing.
 */
function noAnswer(call: { on(event: "cancelled", listener: () => void): unknown }): Promise<never> {
  return new Promise((_resolve, reject) => call.on("cancelled", () => reject(new SnowchainError(ErrorCode.UNAVAILABLE, "no answer"))));
}

/** Queries one stream may have waiting before the stream is refused: one neighbor cannot starve the rest. */
const MAX_STREAM_BACKLOG = 256;
/** Sync pages stay well under the message limit. */
const RANGE_BYTES = MAX_MESSAGE_BYTES / 2;

function checkQuery(req: QueryRequest__Output): void {
  if (req.from_height < 1 || req.to_height < req.from_height) {
    throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `heights ${req.from_height}..${req.to_height} are not a range above genesis`);
  }
  if (req.to_height - req.from_height >= MAX_QUERY_HEIGHTS || req.blocks.length > MAX_QUERY_HEIGHTS) {
    throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `a query covers at most ${MAX_QUERY_HEIGHTS} heights`);
  }
}

export function messageService(deps: MessageServiceDeps): MessageManagerHandlers {
  const { ledger, behaviour } = deps;
  const transport = deps.transport ?? DIRECT_TRANSPORT;

  /**
   * Blocks from the wire worth learning. Those at or below the accepted height are not even
   * hashed, nor those whose claimed id this peer holds already: every asker that prefers a block
   * sends it once, and hashing its entries again each time was most of a big block's cost. A
   * false claim can only make this peer skip a block (the asker's loss); a block is only ever
   * taken under the id its fields hash to.
   */
  function fresh(wire: readonly WireBlockOut[]): Block[] {
    const floor = ledger.lastAcceptedHeight;
    const out: Block[] = [];
    for (const b of wire) {
      if (b.height <= floor) continue;
      const claim = claimedId(b);
      if (claim !== undefined && ledger.blockById(claim) !== undefined) continue;
      out.push(blockFromWire(b, deps.maxBlockEntries));
    }
    return out;
  }

  /** Learns the query's blocks, then answers as the behaviour says; undefined: no answer at all. */
  function answer(req: QueryRequest__Output, sender: string): QueryResponse | undefined {
    checkQuery(req);
    const blocks = fresh(req.blocks);
    if (blocks.length > 0) deps.receive(blocks, sender);
    deps.onRemoteHeight(sender, req.from_height - 1);
    const tip = req.tip_id.length === ID_BYTES ? req.tip_id.toString("hex") : undefined;
    // A tip this peer does not hold (it forgot it, or never got it): fetch it from the asker.
    if (tip !== undefined && ledger.blockById(tip) === undefined && req.to_height > ledger.lastAcceptedHeight) deps.unknownBlock(tip, sender);
    behaviour.observeQuery?.(sender, tip);
    const ids = behaviour.answer(req.from_height, req.to_height, sender);
    if (ids === undefined) return undefined;
    return {
      request_id: req.request_id,
      from_height: req.from_height,
      preferred_ids: ids.map(optionalIdToBytes),
      last_accepted_height: behaviour.claimedHeight(ledger.lastAcceptedHeight),
      epoch: ledger.epoch,
    };
  }

  /** An answer without opinions: every height a dropped vote for the asker. */
  function noOpinion(req: QueryRequest__Output): QueryResponse {
    return { request_id: req.request_id, from_height: req.from_height, preferred_ids: [], last_accepted_height: behaviour.claimedHeight(ledger.lastAcceptedHeight), epoch: ledger.epoch };
  }

  return {
    Query: peerUnary<QueryRequest__Output, QueryResponse>(deps, "Query", (req, sender, call) => answer(req, sender) ?? noAnswer(call)),

    QueryStream: (call: grpc.ServerDuplexStream<QueryRequest__Output, QueryResponse>) => {
      // A stream is one member's: its session, presented when it opened, names the sender of every query on it.
      const sender = senderOf(deps.auth, call.metadata);
      if (sender === undefined) {
        const e = toServiceError(unauthenticated());
        observeServed(deps, "QueryStream", e.code, process.hrtime.bigint());
        // grpc-js sends a stream's status when an 'error' is emitted on it (destroy would end it without one).
        call.emit("error", Object.assign(new Error(e.details), e));
        return;
      }
      const serve = (req: QueryRequest__Output): void => {
        if (!call.writable) return; // a message the transport held back past the stream's end
        const startedNs = process.hrtime.bigint();
        if (call.writableLength > MAX_STREAM_BACKLOG * 1024) {
          // The caller does not read its answers: stop serving it rather than buffer without bound.
          observeServed(deps, "QueryStream", grpc.status.RESOURCE_EXHAUSTED, startedNs);
          call.destroy(new Error("query stream backlog exceeded"));
          return;
        }
        try {
          const res = answer(req, sender);
          if (res !== undefined) call.write(res);
          observeServed(deps, "QueryStream", grpc.status.OK, startedNs);
        } catch (err) {
          // A bad query gets an answer without opinions (dropped votes), the stream stays up.
          const e = toServiceError(err);
          observeServed(deps, "QueryStream", e.code, startedNs);
          deps.log.warn({ method: "QueryStream", caller: call.getPeer(), code: statusName(e.code), reason: e.details }, "query refused");
          call.write(noOpinion(req));
        }
      };
      call.on("data", (req: QueryRequest__Output) => transport.receive(sender, "Query", () => serve(req)));
      call.on("end", () => call.end());
      call.on("error", () => {}); // the caller went away: nothing to clean up
    },

    Gossip: peerUnary<GossipRequest__Output, GossipResponse>(deps, "Gossip", (req, sender) => {
      if (req.blocks.length > MAX_QUERY_HEIGHTS) {
        throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `gossip carries at most ${MAX_QUERY_HEIGHTS} blocks`);
      }
      const refused = deps.receive(fresh(req.blocks), sender);
      if (refused.length > 0) throw refused[0];
      return {};
    }),

    FetchBlock: peerUnary<FetchBlockRequest__Output, FetchBlockResponse>(deps, "FetchBlock", (req) => {
      const id = parseId(req.id, "id");
      const block = ledger.blockById(id);
      if (!block) throw new SnowchainError(ErrorCode.NOT_FOUND, `block ${id} is not known here`);
      return { block: blockToWire(block) };
    }),

    FetchRange: peerUnary<FetchRangeRequest__Output, FetchRangeResponse>(deps, "FetchRange", (req, _sender, call) => {
      if (req.from_height < 1 || req.to_height < req.from_height) {
        throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `heights ${req.from_height}..${req.to_height} are not a range above genesis`);
      }
      const blocks = behaviour.serveRange(req.from_height, Math.min(req.to_height, req.from_height + deps.rangeLimit - 1));
      if (blocks === undefined) return noAnswer(call);
      const page = [];
      let bytes = 0;
      for (const b of blocks) {
        bytes += b.entries.reduce((n, e) => n + e.data.length, 128);
        if (page.length > 0 && bytes > RANGE_BYTES) break;
        page.push(blockToWire(b));
      }
      return { blocks: page, last_accepted_height: behaviour.claimedHeight(ledger.durableHeight) };
    }),

    ForwardEntries: peerUnary<ForwardEntriesRequest__Output, ForwardEntriesResponse>(deps, "ForwardEntries", (req) => {
      if (req.entries.length > deps.maxForwardEntries) {
        throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `a forward carries at most ${deps.maxForwardEntries} entries, got ${req.entries.length}`);
      }
      return { taken: deps.takeForwarded(req.entries) };
    }),

    GetAccepted: peerUnary<GetAcceptedRequest__Output, GetAcceptedResponse>(deps, "GetAccepted", (req, _sender, call) => {
      const r = behaviour.serveAccepted(req.height);
      if (r === undefined) return noAnswer(call);
      return { last_accepted_height: r.lastAcceptedHeight, last_accepted_id: Buffer.from(r.lastAcceptedId, "hex"), id_at_height: optionalIdToBytes(r.idAtHeight) };
    }),
  };
}
