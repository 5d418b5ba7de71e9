/**
 * Coded domain errors. Every failure a caller can cause carries one of these codes; the gRPC
 * layer maps codes to status codes in one place (api/status.ts), so domain code never names gRPC.
 */
export enum ErrorCode {
  /** The request is malformed: bad id, bad field, bad range. */
  INVALID_ARGUMENT = "INVALID_ARGUMENT",
  /** An entry or block is larger than the configured limit. */
  TOO_LARGE = "TOO_LARGE",
  /** A block fails validation: wrong hash, wrong height, duplicate entry, bad timestamp. */
  INVALID_BLOCK = "INVALID_BLOCK",
  /** A block's parent is not known here (yet). */
  UNKNOWN_PARENT = "UNKNOWN_PARENT",
  /** Asked for something this peer does not have. */
  NOT_FOUND = "NOT_FOUND",
  /** A peer of another network (genesis or protocol version). */
  WRONG_NETWORK = "WRONG_NETWORK",
  /** A bounded queue or pool is full; try again later. */
  OVERLOADED = "OVERLOADED",
  /** The peer is stopping or not ready. */
  UNAVAILABLE = "UNAVAILABLE",
  /** The stored data is not what was written. */
  CORRUPT_STORE = "CORRUPT_STORE",
  /** A bad configuration value. */
  BAD_CONFIG = "BAD_CONFIG",
  /** A peer call without a valid session, or a handshake whose proof does not verify. */
  UNAUTHENTICATED = "UNAUTHENTICATED",
  /** A new node id claims an address a live member holds. */
  ADDRESS_TAKEN = "ADDRESS_TAKEN",
  /** A peer that asked to be a member does not answer at the address it gave (the dial-back failed). */
  UNREACHABLE = "UNREACHABLE",
  /** A collusion report for another BYZANTINE_GROUP than this balancing peer's. */
  WRONG_GROUP = "WRONG_GROUP",
  /** A feature this peer was not started with (the Lab service without LAB_CONTROL=1). */
  DISABLED = "DISABLED",
}

export class SnowchainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = "SnowchainError";
  }
}

export function isSnowchainError(err: unknown, code?: ErrorCode): err is SnowchainError {
  return err instanceof SnowchainError && (code === undefined || err.code === code);
}
