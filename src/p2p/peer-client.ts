import * as grpc from "@grpc/grpc-js";
import { CHANNEL_OPTIONS } from "../wire/channel";
import { v1 } from "../wire/proto";
import { SESSION_METADATA } from "../wire/peer-info";
import { statusName } from "../wire/status";
import { DIRECT_TRANSPORT, type PeerMessageKind, type Transport } from "../wire/transport";
import type { Block } from "../chain/types";
import type { Block__Output as WireBlockOut } from "../wire/generated/snowchain/v1/Block";
import type { FetchBlockResponse__Output } from "../wire/generated/snowchain/v1/FetchBlockResponse";
import type { ForwardEntriesResponse__Output } from "../wire/generated/snowchain/v1/ForwardEntriesResponse";
import type { GetAcceptedResponse__Output } from "../wire/generated/snowchain/v1/GetAcceptedResponse";
import type { FetchRangeResponse__Output } from "../wire/generated/snowchain/v1/FetchRangeResponse";
import type { HelloRequest } from "../wire/generated/snowchain/v1/HelloRequest";
import type { HelloResponse__Output } from "../wire/generated/snowchain/v1/HelloResponse";
import type { HandshakeRequest } from "../wire/generated/snowchain/v1/HandshakeRequest";
import type { HandshakeResponse__Output } from "../wire/generated/snowchain/v1/HandshakeResponse";
import type { ExchangePeersRequest } from "../wire/generated/snowchain/v1/ExchangePeersRequest";
import type { ExchangePeersResponse__Output } from "../wire/generated/snowchain/v1/ExchangePeersResponse";
import type { MessageManagerClient } from "../wire/generated/snowchain/v1/MessageManager";
import type { CollusionClient } from "../wire/generated/snowchain/v1/Collusion";
import type { ReportRequest } from "../wire/generated/snowchain/v1/ReportRequest";
import type { ReportResponse__Output } from "../wire/generated/snowchain/v1/ReportResponse";
import type { PeerManagerClient } from "../wire/generated/snowchain/v1/PeerManager";
import type { PingResponse__Output } from "../wire/generated/snowchain/v1/PingResponse";
import type { QueryRequest } from "../wire/generated/snowchain/v1/QueryRequest";
import type { QueryResponse__Output } from "../wire/generated/snowchain/v1/QueryResponse";
import { blockToWire } from "../wire/convert";

/** Reports every call made: method (short rpc name), status name, seconds. */
export type CallObserver = (method: string, code: string, seconds: number) => void;

export interface PeerClientOptions {
  /** Deadline of a query on the stream. */
  readonly queryTimeoutMs: number;
  /** Deadline of every unary call. */
  readonly callTimeoutMs: number;
  /** Told in pings, so the callee knows when it is behind. */
  readonly lastAcceptedHeight?: () => number;
  /** What every outgoing message passes through. @default DIRECT_TRANSPORT */
  readonly transport?: Transport;
  /** The session token the peer at an address gave this one (see Sessions); calls carry it. */
  readonly sessionFor?: (address: string) => Buffer | undefined;
  /** The peer at `address` did not know our session (it restarted): a new handshake is due. */
  readonly onUnauthenticated?: (address: string) => void;
}

interface PendingQuery {
  readonly resolve: (r: QueryResponse__Output) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly startedNs: bigint;
}

/** After a stream breaks, how long queries to that peer fail fast instead of redialing. */
const REDIAL_AFTER_MS = 250;

/** How long after its deadline a call that was never started (its message dropped) is failed. */
const DEADLINE_SLACK_MS = 50;

/** Bounds the memory of which blocks a neighbor was sent; past it we simply send again. */
const MAX_SENT_BLOCKS = 4096;

export class CallError extends Error {
  constructor(
    readonly method: string,
    readonly code: string,
    details: string,
  ) {
    super(`${method}: ${code}: ${details}`);
    this.name = "CallError";
  }
}

/**
 * One remote peer, dialed at one address: its PeerManager and MessageManager share a channel, and
 * queries travel on one long-lived bidirectional stream (a unary call per vote would cost the
 * whole machine most of its capacity, see DESIGN.md "Performance").
 */
export class PeerClient {
  private readonly peers: PeerManagerClient;
  private readonly messages: MessageManagerClient;
  /** Made on first use: only a colluding balancer ever calls it. */
  private collusion: CollusionClient | undefined;
  private stream: grpc.ClientDuplexStream<QueryRequest, QueryResponse__Output> | undefined;
  private readonly pending = new Map<number, PendingQuery>();
  private nextRequestId = 1;
  /** Blocks sent on the current stream: the callee knows them, so they are not sent again. */
  private sent = new Set<string>();
  /** The callee's consensus generation, as its last answer told: a new one may have forgotten `sent`. */
  private calleeEpoch: number | undefined;
  private closed = false;
  /** Set when the stream broke: queries fail fast until `untilMs`. */
  private broken: { untilMs: number; error: CallError } | undefined;
  private readonly transport: Transport;

  constructor(
    readonly address: string,
    private readonly opts: PeerClientOptions,
    private readonly observe: CallObserver = () => {},
  ) {
    this.transport = opts.transport ?? DIRECT_TRANSPORT;
    const creds = grpc.credentials.createInsecure();
    this.peers = new v1.PeerManager(address, creds, CHANNEL_OPTIONS);
    this.messages = new v1.MessageManager(address, creds, { ...CHANNEL_OPTIONS, channelOverride: this.peers.getChannel() });
  }

  hello(req: HelloRequest): Promise<HelloResponse__Output> {
    return this.unary("Hello", (md, o, cb) => this.peers.Hello(req, md, o, cb));
  }

  /** Twice the call timeout: the callee dials this peer back (a Hello, one call timeout) before it answers. */
  handshake(req: HandshakeRequest): Promise<HandshakeResponse__Output> {
    return this.unary("Handshake", (md, o, cb) => this.peers.Handshake(req, md, o, cb), 2 * this.opts.callTimeoutMs);
  }

  exchangePeers(req: ExchangePeersRequest): Promise<ExchangePeersResponse__Output> {
    return this.unary("ExchangePeers", (md, o, cb) => this.peers.ExchangePeers(req, md, o, cb));
  }

  ping(): Promise<PingResponse__Output> {
    return this.unary("Ping", (md, o, cb) => this.peers.Ping({ last_accepted_height: this.opts.lastAcceptedHeight?.() ?? 0 }, md, o, cb));
  }

  /**
   * Announces blocks, leaving out those already sent on the query stream: a proposer's first
   * poll usually carried its block to most neighbors a moment before (avalanchego issues a new
   * block by push queries alone), and a unary call costs several stream messages' CPU. A
   * neighbor the poll did not sample still hears of it here.
   */
  async gossip(blocks: readonly Block[]): Promise<void> {
    const unsent = this.unsent(blocks);
    if (unsent.length === 0) return;
    const wire = unsent.map(blockToWire);
    await this.unary("Gossip", (md, o, cb) => this.messages.Gossip({ blocks: wire }, md, o, cb));
    for (const b of unsent) this.remember(b.id);
  }

  async fetchBlock(id: string): Promise<WireBlockOut | null> {
    const res = await this.unary<FetchBlockResponse__Output>("FetchBlock", (md, o, cb) => this.messages.FetchBlock({ id: Buffer.from(id, "hex") }, md, o, cb));
    return res.block ?? null;
  }

  forwardEntries(entries: readonly Buffer[]): Promise<ForwardEntriesResponse__Output> {
    return this.unary("ForwardEntries", (md, o, cb) => this.messages.ForwardEntries({ entries: [...entries] }, md, o, cb));
  }

  getAccepted(height: number): Promise<GetAcceptedResponse__Output> {
    return this.unary("GetAccepted", (md, o, cb) => this.messages.GetAccepted({ height }, md, o, cb));
  }

  fetchRange(fromHeight: number, toHeight: number, timeoutMs?: number): Promise<FetchRangeResponse__Output> {
    return this.unary(
      "FetchRange",
      (md, o, cb) => this.messages.FetchRange({ from_height: fromHeight, to_height: toHeight }, md, o, cb),
      timeoutMs,
    );
  }

  /** A byzantine report to a fellow (see collusion.proto); an honest callee answers UNIMPLEMENTED. */
  report(req: ReportRequest): Promise<ReportResponse__Output> {
    this.collusion ??= new v1.Collusion(this.address, grpc.credentials.createInsecure(), { ...CHANNEL_OPTIONS, channelOverride: this.peers.getChannel() });
    const collusion = this.collusion;
    return this.unary("Report", (md, o, cb) => collusion.Report(req, md, o, cb));
  }

  /**
   * A Snowball query on the stream. Blocks the callee was already sent on this stream are left
   * out. Rejects on timeout or a broken stream: a dropped vote.
   */
  query(fromHeight: number, toHeight: number, blocks: readonly Block[], tipId?: string): Promise<QueryResponse__Output> {
    if (this.closed) return Promise.reject(new CallError("QueryStream", "CANCELLED", "client closed"));
    // A peer whose stream just broke (killed, restarting) is not redialed on every query: for a
    // short while its votes are dropped at once, with the error it last gave.
    if (this.broken && Date.now() < this.broken.untilMs) {
      this.observe("QueryStream", this.broken.error.code, 0);
      return Promise.reject(this.broken.error);
    }
    const stream = this.openStream();
    const requestId = this.nextRequestId++;
    const unsent = this.unsent(blocks);
    const startedNs = process.hrtime.bigint();
    return new Promise<QueryResponse__Output>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        this.observe("QueryStream", "DEADLINE_EXCEEDED", seconds(startedNs));
        reject(new CallError("QueryStream", "DEADLINE_EXCEEDED", `no answer within ${this.opts.queryTimeoutMs} ms`));
      }, this.opts.queryTimeoutMs);
      this.pending.set(requestId, { resolve, reject, timer, startedNs });
      const tip = tipId ?? blocks[blocks.length - 1]?.id;
      const message = { request_id: requestId, from_height: fromHeight, to_height: toHeight, tip_id: tip === undefined ? Buffer.alloc(0) : Buffer.from(tip, "hex"), blocks: unsent.map(blockToWire) };
      this.transport.send(this.address, "Query", () => {
        // The stream may have broken (or been replaced) while the transport held the message.
        if (this.stream !== stream) return;
        stream.write(message);
        // Remembered only once on the wire: a message the transport dropped carried nothing.
        for (const b of unsent) this.remember(b.id);
      });
    });
  }

  close(): void {
    this.closed = true;
    this.failPending("CANCELLED", "client closed");
    this.stream?.cancel();
    this.stream = undefined;
    this.messages.close();
    this.collusion?.close();
    this.peers.close();
  }

  /** The session this peer holds for the remote, as call metadata (none before a handshake). */
  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    const token = this.opts.sessionFor?.(this.address);
    if (token !== undefined) md.set(SESSION_METADATA, token);
    return md;
  }

  /** The blocks not yet sent on the current query stream (what the callee may not hold). */
  private unsent(blocks: readonly Block[]): Block[] {
    return blocks.filter((b) => !this.sent.has(b.id));
  }

  private remember(id: string): void {
    if (this.sent.size >= MAX_SENT_BLOCKS) this.sent.clear();
    this.sent.add(id);
  }

  private openStream(): grpc.ClientDuplexStream<QueryRequest, QueryResponse__Output> {
    if (this.stream) return this.stream;
    // The stream is authenticated once, when it opens: every query on it is from this peer.
    const stream = this.messages.QueryStream(this.metadata());
    this.stream = stream;
    this.sent = new Set();
    this.calleeEpoch = undefined;
    stream.on("data", (res: QueryResponse__Output) => {
      if (res.epoch !== this.calleeEpoch) {
        // The callee's consensus was replaced by a sync (or this is its first answer): what it
        // was sent may be gone, so every block goes again with the next query.
        if (this.calleeEpoch !== undefined) this.sent = new Set();
        this.calleeEpoch = res.epoch;
      }
      const p = this.pending.get(res.request_id);
      if (!p) return; // late: its poll already counted it as dropped
      this.pending.delete(res.request_id);
      clearTimeout(p.timer);
      this.observe("QueryStream", "OK", seconds(p.startedNs));
      p.resolve(res);
    });
    const broken = (code: string, details: string): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      if (code !== "CANCELLED") this.broken = { untilMs: Date.now() + REDIAL_AFTER_MS, error: new CallError("QueryStream", code, details) };
      this.failPending(code, details);
    };
    stream.on("error", (err: grpc.ServiceError) => {
      if (err.code === grpc.status.UNAUTHENTICATED) this.opts.onUnauthenticated?.(this.address);
      broken(statusName(err.code), err.details || err.message);
    });
    stream.on("end", () => broken("UNAVAILABLE", "stream ended"));
    return stream;
  }

  private failPending(code: string, details: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      this.observe("QueryStream", code, seconds(p.startedNs));
      p.reject(new CallError("QueryStream", code, details));
    }
  }

  private unary<T>(
    method: PeerMessageKind,
    call: (md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: T) => void) => unknown,
    timeoutMs = this.opts.callTimeoutMs,
  ): Promise<T> {
    const startedNs = process.hrtime.bigint();
    // The deadline starts now, also for a message the transport holds back (a delay counts).
    const deadline = Date.now() + timeoutMs;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (code: string, details: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.observe(method, code, seconds(startedNs));
        reject(new CallError(method, code, details));
      };
      // grpc-js enforces the deadline of a call it started; this one covers a call never started (dropped).
      const timer = setTimeout(() => fail("DEADLINE_EXCEEDED", `no answer within ${timeoutMs} ms`), timeoutMs + DEADLINE_SLACK_MS);
      this.transport.send(this.address, method, () => {
        call(method === "Hello" || method === "Handshake" ? new grpc.Metadata() : this.metadata(), { deadline }, (err, res) => {
          if (err?.code === grpc.status.UNAUTHENTICATED && method !== "Handshake") this.opts.onUnauthenticated?.(this.address);
          if (err || res === undefined) {
            fail(err ? statusName(err.code) : "INTERNAL", err?.details || err?.message || "empty response");
            return;
          }
          if (settled) return; // a duplicate's second answer
          settled = true;
          clearTimeout(timer);
          this.observe(method, "OK", seconds(startedNs));
          resolve(res);
        });
      });
    });
  }
}

function seconds(startedNs: bigint): number {
  return Number(process.hrtime.bigint() - startedNs) / 1e9;
}
