/** What went wrong in a local testnet, for callers (tests) that want to tell cases apart. */
export type TestnetErrorCode =
  /** A waitFor deadline passed. */
  | "TIMEOUT"
  /** A peer process exited while it was expected to come up. */
  | "PEER_EXITED"
  /** No peer has that index. */
  | "NO_SUCH_PEER"
  /** A peer did not exit within the stop timeout after SIGTERM and was SIGKILLed. */
  | "STOP_ESCALATED"
  /** The options or the call make no sense (bad count, start twice, missing build). */
  | "BAD_USE";

export class TestnetError extends Error {
  constructor(
    readonly code: TestnetErrorCode,
    message: string,
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = "TestnetError";
  }
}
