import * as grpc from "@grpc/grpc-js";
import { TOOL_CHANNEL_OPTIONS } from "../wire/channel";
import { v1 } from "../wire/proto";
import type { AcceptedBlock__Output } from "../wire/generated/snowchain/v1/AcceptedBlock";
import type { ClientClient } from "../wire/generated/snowchain/v1/Client";
import type { GetChainResponse__Output } from "../wire/generated/snowchain/v1/GetChainResponse";
import type { GetEntryResponse__Output } from "../wire/generated/snowchain/v1/GetEntryResponse";
import type { StatusResponse__Output } from "../wire/generated/snowchain/v1/StatusResponse";
import type { SubmitResponse__Output } from "../wire/generated/snowchain/v1/SubmitResponse";
import type { SubmitBatchResponse__Output } from "../wire/generated/snowchain/v1/SubmitBatchResponse";

/** Deadline of a unary call that does not wait for consensus. */
export const CALL_TIMEOUT_MS = 10_000;


/** A typed snowchain.v1 Client stub for `addr` (host:port), plaintext. */
export function createClient(addr: string): ClientClient {
  return new v1.Client(addr, grpc.credentials.createInsecure(), TOOL_CHANNEL_OPTIONS);
}

/** The calls the CLI makes, as promises: what command code depends on, so tests can fake it. */
export interface SnowchainApi {
  /** Submit; with `waitForAcceptance` the call answers once the entry is in an accepted block. */
  submit(data: Buffer, opts?: { waitForAcceptance?: boolean; timeoutMs?: number }): Promise<SubmitResponse__Output>;
  /**
   * Several entries in one call (at most SUBMIT_BATCH_LIMITS): one result per entry, in order,
   * once every acknowledged one is durable. A peer built before SubmitBatch answers UNIMPLEMENTED.
   */
  submitBatch(entries: readonly Buffer[], opts?: { timeoutMs?: number }): Promise<SubmitBatchResponse__Output>;
  getEntry(id: Buffer): Promise<GetEntryResponse__Output>;
  /** One page: the server bounds how many blocks it returns. `toHeight` 0 means "to the tip". */
  getChain(fromHeight: number, toHeight: number): Promise<GetChainResponse__Output>;
  status(timeoutMs?: number): Promise<StatusResponse__Output>;
  /**
   * Streams accepted blocks (past ones first when `fromHeight` is given) to `onBlock` until the
   * server ends the stream (resolves), it fails (rejects) or `signal` aborts (resolves).
   */
  watchBlocks(fromHeight: number | undefined, onBlock: (b: AcceptedBlock__Output) => void, signal: AbortSignal): Promise<void>;
  close(): void;
}

function deadline(ms: number): grpc.CallOptions {
  return { deadline: Date.now() + ms };
}

function unary<T>(start: (cb: grpc.requestCallback<T>) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((err, res) => (err ? reject(err) : res === undefined ? reject(new Error("empty response")) : resolve(res)));
  });
}

/** SnowchainApi over a generated stub. */
export class GrpcSnowchainApi implements SnowchainApi {
  constructor(private readonly stub: ClientClient) {}

  submit(data: Buffer, opts: { waitForAcceptance?: boolean; timeoutMs?: number } = {}): Promise<SubmitResponse__Output> {
    const req = { data, wait_for_acceptance: opts.waitForAcceptance ?? false };
    return unary((cb) => this.stub.Submit(req, deadline(opts.timeoutMs ?? CALL_TIMEOUT_MS), cb));
  }

  submitBatch(entries: readonly Buffer[], opts: { timeoutMs?: number } = {}): Promise<SubmitBatchResponse__Output> {
    return unary((cb) => this.stub.SubmitBatch({ entries: [...entries] }, deadline(opts.timeoutMs ?? CALL_TIMEOUT_MS), cb));
  }

  getEntry(id: Buffer): Promise<GetEntryResponse__Output> {
    return unary((cb) => this.stub.GetEntry({ id }, deadline(CALL_TIMEOUT_MS), cb));
  }

  getChain(fromHeight: number, toHeight: number): Promise<GetChainResponse__Output> {
    const req = { from_height: fromHeight, to_height: toHeight };
    return unary((cb) => this.stub.GetChain(req, deadline(CALL_TIMEOUT_MS), cb));
  }

  status(timeoutMs = CALL_TIMEOUT_MS): Promise<StatusResponse__Output> {
    return unary((cb) => this.stub.Status({}, deadline(timeoutMs), cb));
  }

  watchBlocks(fromHeight: number | undefined, onBlock: (b: AcceptedBlock__Output) => void, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      const call = this.stub.WatchBlocks({ from_height: fromHeight ?? 0, has_from_height: fromHeight !== undefined });
      const onAbort = (): void => call.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
      call.on("data", onBlock);
      call.on("error", (err: grpc.ServiceError) => {
        signal.removeEventListener("abort", onAbort);
        // Our own cancel on Ctrl-C ends the stream with CANCELLED: that is a clean end.
        if (signal.aborted && err.code === grpc.status.CANCELLED) resolve();
        else reject(err);
      });
      call.on("end", () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  close(): void {
    this.stub.close();
  }
}

/**
 * The whole chain from `from` to `to` (inclusive; undefined: up to the last accepted block),
 * paging through GetChain: a server returns at most its page size per call.
 */
export async function fetchChain(
  api: Pick<SnowchainApi, "getChain">,
  from: number,
  to: number | undefined,
  onPage: (blocks: AcceptedBlock__Output[]) => void,
): Promise<void> {
  let next = from;
  for (;;) {
    const page = await api.getChain(next, to ?? 0);
    const blocks = page.blocks.filter((b) => Number(b.height) >= next && (to === undefined || Number(b.height) <= to));
    if (blocks.length === 0) return;
    onPage(blocks);
    const last = Number(blocks[blocks.length - 1]!.height);
    next = last + 1;
    if (to !== undefined ? next > to : next > Number(page.last_accepted_height)) return;
  }
}
