/**
 * The consensus and membership figures the checker's arithmetic needs, read from the same
 * environment the lab gives its peers, with the peer's documented defaults (README
 * "Configuration"). The lab drives peers from the outside, so it does not import the peer's
 * config module: these few defaults are restated here, and a test compares them with the README.
 */
export interface LabParams {
  /** Sample size of a poll. */
  readonly k: number;
  readonly alphaP: number;
  /** Votes that raise confidence: the quorum the liveness arithmetic compares with. */
  readonly alphaC: number;
  /** Consecutive confident polls that accept a block. */
  readonly beta: number;
  /** A member unreachable this long is dropped from the sample. */
  readonly graceMs: number;
  /** A query unanswered this long is a dropped vote. */
  readonly pollTimeoutMs: number;
  readonly heartbeatMs: number;
  /** Polls in flight at once. */
  readonly concurrentPolls: number;
}

export const PEER_DEFAULTS = { k: 20, beta: 20, graceMs: 30_000, pollTimeoutMs: 1000, heartbeatMs: 2000, concurrentPolls: 4 } as const;

export function labParams(env: Readonly<Record<string, string>>): LabParams {
  const num = (key: string): number | undefined => (env[key] === undefined || env[key] === "" ? undefined : Number(env[key]));
  const k = num("SNOWBALL_K") ?? PEER_DEFAULTS.k;
  const alphaP = num("SNOWBALL_ALPHA_PREFERENCE") ?? Math.min(15, k);
  const alphaC = num("SNOWBALL_ALPHA_CONFIDENCE") ?? Math.max(alphaP, Math.min(15, k));
  return {
    k,
    alphaP,
    alphaC,
    beta: num("SNOWBALL_BETA") ?? PEER_DEFAULTS.beta,
    graceMs: num("MEMBER_GRACE_MS") ?? PEER_DEFAULTS.graceMs,
    pollTimeoutMs: num("POLL_TIMEOUT_MS") ?? PEER_DEFAULTS.pollTimeoutMs,
    heartbeatMs: num("HEARTBEAT_MS") ?? PEER_DEFAULTS.heartbeatMs,
    concurrentPolls: num("SNOWBALL_CONCURRENT_POLLS") ?? PEER_DEFAULTS.concurrentPolls,
  };
}

/** αC/K: the share of the sample that must answer for a poll to count. */
export function quorumShare(p: LabParams): number {
  return p.alphaC / p.k;
}
