import * as grpc from "@grpc/grpc-js";
import { createHash } from "node:crypto";
import type { SnowchainApi } from "../../../src/cli/client";
import type { AcceptedBlock__Output } from "../../../src/wire/generated/snowchain/v1/AcceptedBlock";
import type { GetChainResponse__Output } from "../../../src/wire/generated/snowchain/v1/GetChainResponse";
import type { GetEntryResponse__Output } from "../../../src/wire/generated/snowchain/v1/GetEntryResponse";
import type { StatusResponse__Output } from "../../../src/wire/generated/snowchain/v1/StatusResponse";
import type { SubmitResponse__Output } from "../../../src/wire/generated/snowchain/v1/SubmitResponse";
import type { SubmitBatchResponse__Output } from "../../../src/wire/generated/snowchain/v1/SubmitBatchResponse";

export function sha256(data: Buffer | string): Buffer {
  return createHash("sha256").update(data).digest();
}

/** A gRPC failure as grpc-js reports it. */
export function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

/** A chain of `n` accepted blocks (heights 0..n-1), block h holding h entries "entry h.k". */
export function makeChain(n: number): AcceptedBlock__Output[] {
  const blocks: AcceptedBlock__Output[] = [];
  for (let h = 0; h < n; h++) {
    const entries = Array.from({ length: h }, (_, k) => {
      const data = Buffer.from(`entry ${h}.${k}`);
      return { id: sha256(data), data };
    });
    blocks.push({
      id: sha256(`block ${h}`),
      height: h,
      parent_id: h === 0 ? Buffer.alloc(32) : sha256(`block ${h - 1}`),
      proposer: `peer-${h % 3}`,
      timestamp_ms: 1_700_000_000_000 + h * 1000,
      entries,
      proposer_key: Buffer.alloc(0),
      signature: Buffer.alloc(0),
    });
  }
  return blocks;
}

export function makeStatus(over: Partial<StatusResponse__Output> = {}): StatusResponse__Output {
  return {
    node_id: "peer-0",
    name: "peer-0",
    address: "127.0.0.1:50051",
    version: "0.1.0",
    height: 7,
    last_accepted_id: sha256("block 7"),
    known_peers: 4,
    live_peers: 3,
    mempool_size: 12,
    processing_blocks: 2,
    syncing: false,
    preferred_height: 9,
    genesis_id: sha256("block 0"),
    params: { k: 20, alpha_preference: 15, alpha_confidence: 15, beta: 20, concurrent_polls: 4, poll_timeout_ms: 1000, member_grace_ms: 30000, max_processing_heights: 4 },
    behaviour: "honest",
    ...over,
  };
}

/**
 * An in-memory SnowchainApi: a chain served in pages of `pageSize`, a scripted submit, a status.
 * Records every call so tests can check what the command sent.
 */
export class FakeApi implements SnowchainApi {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  pageSize = 2;
  blocks: AcceptedBlock__Output[] = makeChain(5);
  statusValue: StatusResponse__Output = makeStatus();
  entries = new Map<string, GetEntryResponse__Output>();
  /** What submit does; by default it acknowledges with the data's sha-256 and, when waiting, height 3. */
  onSubmit: (data: Buffer, wait: boolean) => Promise<SubmitResponse__Output> = async (data, wait) => ({
    id: sha256(data),
    accepted: wait,
    height: wait ? 3 : 0,
  });
  /** Fails every call with this error when set. */
  failWith?: Error;
  closed = false;
  /** Blocks the watch stream sends before it waits for the abort. */
  watchSends: AcceptedBlock__Output[] = [];

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.failWith) throw this.failWith;
  }

  async submit(data: Buffer, opts: { waitForAcceptance?: boolean; timeoutMs?: number } = {}): Promise<SubmitResponse__Output> {
    this.record("submit", data, opts);
    return this.onSubmit(data, opts.waitForAcceptance ?? false);
  }

  /** Each entry as `onSubmit` answers it alone: a failure refuses that entry only. */
  async submitBatch(entries: readonly Buffer[], opts: { timeoutMs?: number } = {}): Promise<SubmitBatchResponse__Output> {
    this.record("submitBatch", entries, opts);
    const results = await Promise.all(
      entries.map(async (data) => {
        try {
          return { result: "acknowledged" as const, acknowledged: await this.onSubmit(data, false), refused: null };
        } catch (err) {
          const e = err as { code?: number; details?: string };
          return { result: "refused" as const, acknowledged: null, refused: { code: e.code ?? grpc.status.UNKNOWN, reason: grpc.status[e.code ?? 2] ?? "UNKNOWN", message: e.details ?? String(err) } };
        }
      }),
    );
    return { results };
  }

  async getEntry(id: Buffer): Promise<GetEntryResponse__Output> {
    this.record("getEntry", id);
    const e = this.entries.get(id.toString("hex"));
    if (!e) throw serviceError(grpc.status.NOT_FOUND, "no such entry");
    return e;
  }

  async getChain(fromHeight: number, toHeight: number): Promise<GetChainResponse__Output> {
    this.record("getChain", fromHeight, toHeight);
    const last = this.blocks.length - 1;
    const to = toHeight === 0 ? last : Math.min(toHeight, last);
    const blocks = this.blocks.filter((b) => b.height >= fromHeight && b.height <= to).slice(0, this.pageSize);
    return { blocks, last_accepted_height: last };
  }

  async status(): Promise<StatusResponse__Output> {
    this.record("status");
    return this.statusValue;
  }

  watchBlocks(fromHeight: number | undefined, onBlock: (b: AcceptedBlock__Output) => void, signal: AbortSignal): Promise<void> {
    this.record("watchBlocks", fromHeight);
    for (const b of this.watchSends) onBlock(b);
    return new Promise((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  close(): void {
    this.closed = true;
  }
}
