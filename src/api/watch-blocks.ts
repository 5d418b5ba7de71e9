import * as grpc from "@grpc/grpc-js";
import { ErrorCode, SnowchainError } from "../errors";
import type { Ledger } from "../ledger/ledger";
import type { StreamBound } from "../metrics/metrics";
import type { AcceptedBlock } from "../wire/generated/snowchain/v1/AcceptedBlock";
import type { WatchBlocksRequest__Output } from "../wire/generated/snowchain/v1/WatchBlocksRequest";
import { acceptedToWire } from "../wire/convert";
import { WATCH_LIMITS } from "../wire/limits";
import { acceptedWireBytes } from "../wire/size";
import { toServiceError } from "../wire/status";
import { WriteBacklog } from "./backlog";
import { checkWireIntegers } from "../wire/heights";
import { callerHost, failStream, observeServed, refusedStream, type HandlerContext } from "./handler";
import { pageOf } from "./paging";

export interface WatchBlocksDeps extends HandlerContext {
  readonly ledger: Pick<Ledger, "durableHeight" | "acceptedRange" | "onAccepted">;
  /** Most blocks read from the chain at a time. */
  readonly pageSize: number;
}

/**
 * WatchBlocks: every durable block from the asked height on, in order, history and live blocks
 * alike, as fast as the watcher reads. Nothing is queued per watcher but what was written and not
 * yet sent, and that is bounded (WATCH_LIMITS.maxBufferedBytes, and write()'s own backpressure):
 * the rest is read from the chain again when the watcher has taken what it was sent.
 */
export function watchBlocks(deps: WatchBlocksDeps): grpc.handleServerStreamingCall<WatchBlocksRequest__Output, AcceptedBlock> {
  const { ledger } = deps;
  /** Open watchers by caller address. */
  const open = new Map<string, number>();

  const refuse = (call: grpc.ServerWritableStream<WatchBlocksRequest__Output, AcceptedBlock>, bound: StreamBound, message: string, startedNs: bigint): void => {
    const err = new SnowchainError(ErrorCode.OVERLOADED, message);
    observeServed(deps, "WatchBlocks", grpc.status.RESOURCE_EXHAUSTED, startedNs);
    deps.metrics?.grpc.streamsRefused.inc({ method: "WatchBlocks", bound });
    deps.log.warn({ method: "WatchBlocks", caller: call.getPeer(), bound }, message);
    failStream(call, err);
  };

  return (call) => {
    if (refusedStream(deps, "WatchBlocks", call, () => checkWireIntegers(call.request, "from_height"))) return;
    const startedNs = process.hrtime.bigint();
    // Watchers are counted per caller address, not per connection.
    const caller = callerHost(call);
    const watching = open.get(caller) ?? 0;
    if (watching >= WATCH_LIMITS.maxPerCaller) {
      refuse(call, "watchers", `at most ${WATCH_LIMITS.maxPerCaller} WatchBlocks streams per caller address: close one first`, startedNs);
      return;
    }
    open.set(caller, watching + 1);

    let next = call.request.has_from_height ? Math.max(0, call.request.from_height) : ledger.durableHeight + 1;
    let ended = false;
    /** Blocks accepted while the watcher had its buffer full (it did not read). */
    let lag = 0;
    const backlog = new WriteBacklog();
    const full = (): boolean => call.writableNeedDrain || backlog.bytes >= WATCH_LIMITS.maxBufferedBytes;

    const end = (code: grpc.status, err?: unknown): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      const left = (open.get(caller) ?? 1) - 1;
      if (left > 0) open.set(caller, left);
      else open.delete(caller);
      if (err === undefined) {
        observeServed(deps, "WatchBlocks", code, startedNs);
        call.end();
      } else if (code === grpc.status.RESOURCE_EXHAUSTED) {
        refuse(call, "lag", (err as Error).message, startedNs);
      } else {
        observeServed(deps, "WatchBlocks", code, startedNs);
        failStream(call, err);
      }
    };
    const sent = (): void => {
      lag = 0; // it reads
      pump();
    };
    // Writes blocks from `next` while the watcher takes them; called again when a write went out
    // (or the stream drained) and when blocks are accepted.
    const pump = (): void => {
      try {
        while (!ended && !full()) {
          const until = ledger.durableHeight;
          if (next > until) return;
          const page = pageOf(ledger.acceptedRange(next, Math.min(until, next + deps.pageSize - 1)), acceptedWireBytes);
          if (page.length === 0) return;
          for (const b of page) {
            if (full()) break;
            backlog.write(call, acceptedToWire(b), acceptedWireBytes(b), sent);
            next = b.height + 1;
          }
        }
      } catch (err) {
        end(toServiceError(err).code, err);
      }
    };
    const unsubscribe = ledger.onAccepted((blocks) => {
      if (full()) lag += blocks.length;
      if (lag > WATCH_LIMITS.maxLagBlocks) {
        end(grpc.status.RESOURCE_EXHAUSTED, new Error(`watcher did not read while more than ${WATCH_LIMITS.maxLagBlocks} blocks were accepted`));
        return;
      }
      pump();
    });
    call.on("drain", pump);
    call.on("cancelled", () => end(grpc.status.CANCELLED));
    pump();
  };
}
