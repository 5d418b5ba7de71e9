import type * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics";
import { statusName, toServiceError } from "../wire/status";

export interface HandlerContext {
  readonly log: Logger;
  readonly metrics?: Metrics;
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
    Promise.resolve()
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
