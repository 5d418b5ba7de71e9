import * as grpc from "@grpc/grpc-js";
import { parseId } from "../chain/codec";
import type { Block, EntryId } from "../chain/types";
import { ErrorCode, SnowchainError, isSnowchainError } from "../errors";
import type { AcceptedBlock } from "../wire/generated/snowchain/v1/AcceptedBlock";
import type { ClientHandlers } from "../wire/generated/snowchain/v1/Client";
import type { GetBlockRequest__Output } from "../wire/generated/snowchain/v1/GetBlockRequest";
import type { GetBlockResponse } from "../wire/generated/snowchain/v1/GetBlockResponse";
import type { GetChainRequest__Output } from "../wire/generated/snowchain/v1/GetChainRequest";
import type { GetChainResponse } from "../wire/generated/snowchain/v1/GetChainResponse";
import type { GetEntryRequest__Output } from "../wire/generated/snowchain/v1/GetEntryRequest";
import type { GetEntryResponse } from "../wire/generated/snowchain/v1/GetEntryResponse";
import type { StatusRequest__Output } from "../wire/generated/snowchain/v1/StatusRequest";
import type { ConsensusParams } from "../wire/generated/snowchain/v1/ConsensusParams";
import type { StatusResponse } from "../wire/generated/snowchain/v1/StatusResponse";
import type { SubmitRequest__Output } from "../wire/generated/snowchain/v1/SubmitRequest";
import type { SubmitResponse } from "../wire/generated/snowchain/v1/SubmitResponse";
import type { SubmitBatchRequest__Output } from "../wire/generated/snowchain/v1/SubmitBatchRequest";
import type { SubmitBatchResponse } from "../wire/generated/snowchain/v1/SubmitBatchResponse";
import type { SubmitResult } from "../wire/generated/snowchain/v1/SubmitResult";
import type { WatchBlocksRequest__Output } from "../wire/generated/snowchain/v1/WatchBlocksRequest";
import { acceptedToWire } from "../wire/convert";
import { SUBMIT_BATCH_LIMITS } from "../wire/limits";
import type { EntryState, Ledger } from "../ledger/ledger";
import { observeServed, unary, type HandlerContext } from "./handler";
import { toServiceError } from "../wire/status";

/** What Status tells of this peer beyond its chain. */
export interface PeerStatus {
  readonly nodeId: string;
  readonly name: string;
  /** The consensus parameters in force. */
  readonly params: ConsensusParams;
  readonly behaviour: string;
  readonly address: string;
  readonly version: string;
  knownPeers(): number;
  livePeers(): number;
  syncing(): boolean;
}

export interface ClientServiceDeps extends HandlerContext {
  readonly ledger: Ledger;
  /** Called after an entry entered the mempool: the node proposes (batched). */
  readonly onSubmitted: () => void;
  readonly peer: PeerStatus;
  /** Most blocks in one GetChain page. */
  readonly pageSize: number;
}

/** A submit that waits for acceptance waits at most this long, whatever the caller's deadline. */
const MAX_WAIT_MS = 10 * 60_000;
/** Live blocks a watcher may lag behind before its stream is ended: a slow reader cannot pin memory. */
const MAX_WATCH_BACKLOG = 10_000;

/** Resolves with the accepted height of `id` once its block is durable, or rejects on cancel. */
function acceptance(ledger: Ledger, id: EntryId, call: { on(event: "cancelled", listener: () => void): unknown }): Promise<{ height: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cancel();
      reject(new SnowchainError(ErrorCode.UNAVAILABLE, `entry ${id} not accepted within ${MAX_WAIT_MS / 1000} s; it stays pending`));
    }, MAX_WAIT_MS);
    const cancel = ledger.whenAccepted(id, (height) => {
      clearTimeout(timer);
      resolve({ height });
    });
    call.on("cancelled", () => {
      cancel();
      clearTimeout(timer);
      reject(new SnowchainError(ErrorCode.UNAVAILABLE, "cancelled"));
    });
  });
}

/** What a durable entry's submitter is told: its id, and its height once accepted. */
function acknowledgement(state: EntryState): SubmitResponse & { id: Buffer } {
  if (state.state === "unknown") throw new SnowchainError(ErrorCode.UNAVAILABLE, "entry was not stored");
  const id = Buffer.from(state.entry.id, "hex");
  return state.state === "accepted" ? { id, accepted: true, height: state.height } : { id, accepted: false, height: 0 };
}

/**
 * Refusals that concern one entry of a batch (its data, or no room for it): the others go on.
 * Anything else (the store failed, the peer is stopping) fails the whole call, so no entry is
 * ever reported stored beside one whose write failed (a duplicate in the batch would be).
 */
const PER_ENTRY_REFUSALS: ReadonlySet<ErrorCode> = new Set([ErrorCode.INVALID_ARGUMENT, ErrorCode.TOO_LARGE, ErrorCode.OVERLOADED]);

/** Refuses a batch beyond SUBMIT_BATCH_LIMITS as a whole, naming the bound it crossed. */
function checkBatchBounds(entries: readonly Buffer[]): void {
  const { maxEntries, maxBytes } = SUBMIT_BATCH_LIMITS;
  if (entries.length > maxEntries) {
    throw new SnowchainError(ErrorCode.TOO_LARGE, `batch of ${entries.length} entries is over SubmitBatch's limit of ${maxEntries} entries: split it`, {
      entries: entries.length,
      limit: maxEntries,
    });
  }
  let bytes = 0;
  for (const e of entries) bytes += e.length;
  if (bytes > maxBytes) {
    throw new SnowchainError(ErrorCode.TOO_LARGE, `batch of ${bytes} bytes of entries is over SubmitBatch's limit of ${maxBytes} bytes: split it`, {
      bytes,
      limit: maxBytes,
    });
  }
}

export function clientService(deps: ClientServiceDeps): ClientHandlers {
  const { ledger } = deps;
  return {
    Submit: unary<SubmitRequest__Output, SubmitResponse>(deps, "Submit", async (req, call) => {
      const state = await ledger.submit(req.data);
      const ack = acknowledgement(state);
      if (state.state === "pending") deps.onSubmitted();
      if (ack.accepted || !req.wait_for_acceptance) return ack;
      const { height } = await acceptance(ledger, ack.id.toString("hex"), call);
      return { id: ack.id, accepted: true, height };
    }),

    SubmitBatch: unary<SubmitBatchRequest__Output, SubmitBatchResponse>(deps, "SubmitBatch", async (req, call) => {
      checkBatchBounds(req.entries);
      // Every submit reaches the journal in this synchronous loop, so the whole batch is one
      // group commit (one write, one fsync). The answer waits for all of them: an entry that
      // repeats an earlier one of the batch is reported only once that one is durable too.
      const settled = await Promise.allSettled(req.entries.map((data) => ledger.submit(data)));
      const refusedBy: Record<string, number> = {};
      let pending = false;
      const results = settled.map((s): SubmitResult => {
        if (s.status === "fulfilled") {
          pending ||= s.value.state === "pending";
          return { acknowledged: acknowledgement(s.value) };
        }
        const err: unknown = s.reason;
        if (!isSnowchainError(err) || !PER_ENTRY_REFUSALS.has(err.code)) throw err;
        const e = toServiceError(err);
        refusedBy[err.code] = (refusedBy[err.code] ?? 0) + 1;
        return { refused: { code: e.code, reason: err.code, message: e.details } };
      });
      if (pending) deps.onSubmitted();
      const refused = req.entries.length - results.filter((r) => r.acknowledged).length;
      if (refused > 0) {
        // One line per batch, not per entry: a full mempool would otherwise log a line per entry.
        deps.log.warn({ method: "SubmitBatch", caller: call.getPeer(), refused, entries: req.entries.length, reasons: refusedBy }, "entries refused");
      }
      return { results };
    }),

    GetEntry: unary<GetEntryRequest__Output, GetEntryResponse>(deps, "GetEntry", (req) => {
      const id = parseId(req.id, "id");
      const s = ledger.entryState(id);
      if (s.state === "unknown") throw new SnowchainError(ErrorCode.NOT_FOUND, `entry ${id} is not known here`);
      const entry = { id: Buffer.from(s.entry.id, "hex"), data: s.entry.data };
      return s.state === "accepted"
        ? { entry, state: "ENTRY_STATE_ACCEPTED", height: s.height, block_id: Buffer.from(s.blockId, "hex") }
        : { entry, state: "ENTRY_STATE_PENDING", height: 0, block_id: Buffer.alloc(0) };
    }),

    GetBlock: unary<GetBlockRequest__Output, GetBlockResponse>(deps, "GetBlock", (req) => {
      let block: Block | undefined;
      if (req.by === "id") {
        const id = parseId(req.id ?? Buffer.alloc(0), "id");
        block = ledger.blockById(id);
        if (block && ledger.acceptedAt(block.height)?.id !== id) block = undefined; // processing: not for readers
      } else if (req.by === "height") {
        block = ledger.acceptedRange(req.height ?? 0, req.height ?? 0)[0];
      } else {
        throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, "give an id or a height");
      }
      if (!block) throw new SnowchainError(ErrorCode.NOT_FOUND, "no such accepted block");
      return { block: acceptedToWire(block) };
    }),

    GetChain: unary<GetChainRequest__Output, GetChainResponse>(deps, "GetChain", (req) => {
      const last = ledger.durableHeight;
      const to = req.to_height === 0 ? last : req.to_height;
      if (req.to_height !== 0 && to < req.from_height) {
        throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `to_height ${to} is below from_height ${req.from_height}`);
      }
      const blocks = ledger.acceptedRange(req.from_height, Math.min(to, req.from_height + deps.pageSize - 1));
      return { blocks: blocks.map(acceptedToWire), last_accepted_height: last };
    }),

    Status: unary<StatusRequest__Output, StatusResponse>(deps, "Status", () => statusOf(ledger, deps.peer)),

    WatchBlocks: (call: grpc.ServerWritableStream<WatchBlocksRequest__Output, AcceptedBlock>) => {
      const startedNs = process.hrtime.bigint();
      let next = call.request.has_from_height ? Math.max(0, call.request.from_height) : ledger.durableHeight + 1;
      let ended = false;
      let draining = false;
      /** Blocks accepted while the watcher was not reading. */
      let missedWhileDraining = 0;
      const end = (code: grpc.status, details?: string): void => {
        if (ended) return;
        ended = true;
        unsubscribe();
        observeServed(deps, "WatchBlocks", code, startedNs);
        if (code === grpc.status.OK || code === grpc.status.CANCELLED) call.end();
        else call.destroy(Object.assign(new Error(details), { code, details }));
      };
      // Sends every durable block from `next` on, in order, history and live blocks alike, as
      // fast as the watcher reads: on backpressure it waits for 'drain'. A watcher that falls
      // too far behind live blocks is ended rather than buffered without bound.
      const pump = (): void => {
        if (ended || draining) return;
        try {
          for (;;) {
            const until = ledger.durableHeight;
            if (next > until) return;
            const page = ledger.acceptedRange(next, Math.min(until, next + deps.pageSize - 1));
            if (page.length === 0) return;
            let open = true;
            for (const b of page) open = call.write(acceptedToWire(b)) && open;
            next += page.length;
            if (!open) {
              draining = true;
              call.once("drain", () => {
                draining = false;
                missedWhileDraining = 0;
                pump();
              });
              return;
            }
          }
        } catch (err) {
          const e = toServiceError(err);
          end(e.code, e.details);
        }
      };
      const unsubscribe = ledger.onAccepted((blocks) => {
        if (draining) missedWhileDraining += blocks.length;
        if (missedWhileDraining > MAX_WATCH_BACKLOG) {
          end(grpc.status.RESOURCE_EXHAUSTED, `watcher more than ${MAX_WATCH_BACKLOG} blocks behind`);
          return;
        }
        pump();
      });
      call.on("cancelled", () => end(grpc.status.CANCELLED));
      pump();
    },
  };
}

/** The Status answer: this peer's chain, membership and sync state. */
export function statusOf(ledger: Ledger, peer: PeerStatus): StatusResponse {
  const c = ledger.consensus;
  const chain = c.preferredChain();
  const height = ledger.durableHeight;
  return {
    node_id: peer.nodeId,
    name: peer.name,
    address: peer.address,
    version: peer.version,
    height,
    last_accepted_id: Buffer.from(ledger.acceptedAt(height)!.id, "hex"),
    known_peers: peer.knownPeers(),
    live_peers: peer.livePeers(),
    mempool_size: ledger.mempoolSize,
    processing_blocks: c.processingCount(),
    syncing: peer.syncing(),
    preferred_height: chain.length > 0 ? chain[chain.length - 1]!.height : c.lastAcceptedHeight,
    genesis_id: Buffer.from(ledger.genesis().id, "hex"),
    params: peer.params,
    behaviour: peer.behaviour,
  };
}
