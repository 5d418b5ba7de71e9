import type * as grpc from "@grpc/grpc-js";
import { statusName } from "../wire/status";

/** Exit codes of the `snowchain` command. */
export const EXIT_OK = 0;
/** A call failed (gRPC error, entry not accepted in time, file unreadable). */
export const EXIT_FAILURE = 1;
/** The command line is wrong (bad option, bad address, bad id): nothing was sent. */
export const EXIT_USAGE = 2;

/** A bad command line or option value. Printed as `error: <message>`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure that is not a gRPC status (e.g. an entry not accepted in time). Exit code 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

/** A gRPC call's failure as grpc-js reports it: a numeric status code and details. */
export function isServiceError(err: unknown): err is grpc.ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<grpc.ServiceError>).code === "number" &&
    typeof (err as Partial<grpc.ServiceError>).details === "string"
  );
}


/**
 * One line for an error and the exit code it deserves:
 * `error: UNAVAILABLE: No connection established...` (1), `error: --from: ...` (2).
 */
export function describeError(err: unknown): { line: string; exitCode: number } {
  if (err instanceof UsageError) return { line: `error: ${err.message}`, exitCode: EXIT_USAGE };
  if (isServiceError(err)) {
    return { line: `error: ${statusName(err.code)}: ${tidyDetails(err.details)}`, exitCode: EXIT_FAILURE };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { line: `error: ${oneLine(message)}`, exitCode: EXIT_FAILURE };
}

/**
 * grpc-js wraps a failed connection as "No connection established. Last error: Error: connect
 * ECONNREFUSED 127.0.0.1:50051. Resolution note: ": keep the part that says what happened.
 */
export function tidyDetails(details: string): string {
  let s = oneLine(details).replace(/\s*Resolution note:\s*$/, "");
  const m = /^No connection established\. Last error: (?:Error: )?(.+?)\.?$/.exec(s);
  if (m) s = m[1]!;
  return s;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}
