import { ErrorCode, SnowchainError } from "../errors";

/**
 * The largest height (or count, or request id) a request may carry: 2^53 − 1. uint64 fields
 * decode to JavaScript numbers (proto-loader `longs: Number`, the types everything is generated
 * with), exact only up to here: 2^53 + 1 arrives as 2^53, so a range check after decoding would
 * judge another number than the one sent. Every value ≥ 2^53 still decodes to a number ≥ 2^53,
 * which is not a safe integer, so refusing unsafe numbers catches all of them, rounded or not.
 */
export const MAX_WIRE_INTEGER = Number.MAX_SAFE_INTEGER;

/**
 * Refuses a request whose named uint64 fields do not fit a JavaScript number exactly, naming the
 * first such field and the limit. Absent fields (an unset oneof member) pass.
 * @throws SnowchainError INVALID_ARGUMENT
 */
export function checkWireIntegers<T extends object>(req: T, ...fields: readonly (keyof T & string)[]): void {
  for (const field of fields) {
    const value: unknown = req[field];
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `${field} must be at most ${MAX_WIRE_INTEGER} (2^53 − 1)`, { field, limit: MAX_WIRE_INTEGER });
    }
  }
}
