import { status, type ServiceError } from "@grpc/grpc-js";
import { ErrorCode, isSnowchainError } from "../errors";

/** The one mapping from domain error codes to gRPC status codes. */
const STATUS_OF: Readonly<Record<ErrorCode, status>> = {
  [ErrorCode.INVALID_ARGUMENT]: status.INVALID_ARGUMENT,
  [ErrorCode.TOO_LARGE]: status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_BLOCK]: status.INVALID_ARGUMENT,
  [ErrorCode.UNKNOWN_PARENT]: status.FAILED_PRECONDITION,
  [ErrorCode.NOT_FOUND]: status.NOT_FOUND,
  [ErrorCode.WRONG_NETWORK]: status.FAILED_PRECONDITION,
  [ErrorCode.OVERLOADED]: status.RESOURCE_EXHAUSTED,
  [ErrorCode.UNAVAILABLE]: status.UNAVAILABLE,
  [ErrorCode.CORRUPT_STORE]: status.INTERNAL,
  [ErrorCode.BAD_CONFIG]: status.INTERNAL,
  [ErrorCode.DISABLED]: status.FAILED_PRECONDITION,
  [ErrorCode.UNAUTHENTICATED]: status.UNAUTHENTICATED,
  [ErrorCode.ADDRESS_TAKEN]: status.ALREADY_EXISTS,
  [ErrorCode.UNREACHABLE]: status.FAILED_PRECONDITION,
  [ErrorCode.WRONG_GROUP]: status.FAILED_PRECONDITION,
};

/** A domain error as a gRPC error; anything unexpected is INTERNAL without leaking details. */
export function toServiceError(err: unknown): Partial<ServiceError> & { code: status; details: string } {
  if (isSnowchainError(err)) return { code: STATUS_OF[err.code], details: err.message };
  return { code: status.INTERNAL, details: "internal error" };
}

/** The status name of a gRPC code for metrics, logs and the CLI: 14 → "UNAVAILABLE". */
export function statusName(code: number): string {
  return status[code] ?? `STATUS_${code}`;
}
