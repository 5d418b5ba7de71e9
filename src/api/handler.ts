import type * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics";
import { statusName, toServiceError } from "../wire/status";
import { ErrorCode, SnowchainError } from "../errors";
import { SESSION_METADATA } from "../wire/peer-info";
import { DIRECT_TRANSPORT, type PeerMessageKind, type Transport } from "../wire/transport";

/** Who sent a peer call: the member a session token stands for (p2p's Sessions implements it). */
export interface Authenticator {
  senderOf(token: Buffer | undefined): string | undefined;
}

export interface HandlerContext {
  readonly log: Logger;
  readonly metrics?: Metrics;
  /** What every incoming peer message passes through (not the Client service's calls). @default DIRECT_TRANSPORT */
  readonly transport?: Transport;
}

/** A peer service's context: calls are authenticated by their session. */
export interface PeerHandlerContext extends HandlerContext {
  readonly auth: Authenticator;
}

/** The member a call's session metadata stands for; undefined for a stranger. */
export function senderOf(auth: Authenticator, metadata: grpc.Metadata): string | undefined {
  const token = metadata.get(SESSION_METADATA)[0];
  return auth.senderOf(Buffer.isBuffer(token) ? token : undefined);
}

/** What a call without a valid session is told. */
export function unauthenticated(): SnowchainError {
  return new SnowchainError(ErrorCode.UNAUTHENTICATED, "no valid session: handshake first (Hello, then Handshake)");
}

/** Seconds since a process.hrtime.bigint() reading. */
export function secondsSince(startedNs: bigint): number {
  return Number(process.hrtime.bigint() - startedNs) / 1e9;
}

/** Counts a served call (or stream message) by method and status. */
export function observeServed(ctx: HandlerContext, method: string, code: number, startedNs: bigint): void {
  const m = ctx.metrics?.grpc;
  if (!m) return;
  m.serverHandled.inc({ method, code: statusName(code) });
  m.serverHandling.observe({ method }, secondsSince(startedNs));
}

/**
 * A unary handler from a function of the request: domain errors become their gRPC status (one
 * mapping, status.ts), each refusal is logged with the caller, and every call is counted.
 */
export function unary<Req, Res>(
  ctx: HandlerContext,
  method: string,
  fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const startedNs = process.hrtime.bigint();
    void Promise.resolve()
      .then(() => fn(call.request, call))
      .then(
        (res) => {
          observeServed(ctx, method, 0, startedNs);
          callback(null, res);
        },
        (err: unknown) => {
          const e = toServiceError(err);
          observeServed(ctx, method, e.code, startedNs);
          const level = e.details === "internal error" ? "error" : "warn";
          ctx.log[level]({ method, caller: call.getPeer(), code: statusName(e.code), reason: e.details, err: level === "error" ? err : undefined }, "call refused");
          callback(e);
        },
      );
  };
}

/**
 * A peer-to-peer unary handler: as `unary`, for a member only (its session names it; a stranger
 * gets UNAUTHENTICATED), and with the request passing the transport first (the lab's faults may
 * hold it back, repeat it or lose it; a lost one is answered never, and the caller's deadline
 * ends it). `fn` is told who sent the call.
 */
export function peerUnary<Req, Res>(
  ctx: PeerHandlerContext,
  method: PeerMessageKind,
  fn: (req: Req, sender: string, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  const handle = unary<Req, Res>(ctx, method, (req, call) => {
    const sender = senderOf(ctx.auth, call.metadata);
    if (sender === undefined) throw unauthenticated();
    return fn(req, sender, call);
  });
  return throughTransport(ctx, method, (call) => senderOf(ctx.auth, call.metadata) ?? "", handle);
}

/** A unary handler whose requests pass the transport first, from the sender `senderOf` names. */
export function throughTransport<Req, Res>(
  ctx: HandlerContext,
  method: PeerMessageKind,
  senderOf: (call: grpc.ServerUnaryCall<Req, Res>) => string,
  handle: grpc.handleUnaryCall<Req, Res>,
): grpc.handleUnaryCall<Req, Res> {
  const transport = ctx.transport ?? DIRECT_TRANSPORT;
  if (transport === DIRECT_TRANSPORT) return handle;
  return (call, callback) => {
    // A repeated message is handled again (as a duplicated packet would be), answered once.
    let answered = false;
    const once: grpc.sendUnaryData<Res> = (err, res) => {
      if (answered) return;
      answered = true;
      callback(err, res);
    };
    transport.receive(senderOf(call), method, () => handle(call, once));
  };
}

/** The caller's host, from grpc-js's peer string ("127.0.0.1:5123", "[::1]:5123", "ipv4:…"): what per-source limits count. */
export function callerHost(call: { getPeer(): string }): string {
  const bare = call.getPeer().replace(/^ipv[46]:/, "");
  const colon = bare.lastIndexOf(":");
  return colon > 0 ? bare.slice(0, colon) : bare;
}
