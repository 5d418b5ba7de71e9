import { ErrorCode, SnowchainError } from "../errors";
import type { SnowballParams } from "./types";

/** avalanchego's defaults (snowball.DefaultParameters). */
export const DEFAULT_SNOWBALL_PARAMS: SnowballParams = Object.freeze({
  k: 20,
  alphaPreference: 15,
  alphaConfidence: 15,
  beta: 20,
  concurrentPolls: 4,
});

/**
 * The environment variable behind each parameter: the config module surfaces these messages
 * as-is, so they name what the operator actually set.
 */
const ENV_NAMES: Readonly<Record<keyof SnowballParams, string>> = {
  k: "SNOWBALL_K",
  alphaPreference: "SNOWBALL_ALPHA_PREFERENCE",
  alphaConfidence: "SNOWBALL_ALPHA_CONFIDENCE",
  beta: "SNOWBALL_BETA",
  concurrentPolls: "SNOWBALL_CONCURRENT_POLLS",
};

/**
 * Checks the parameters as avalanchego's `Parameters.Verify` does and returns a frozen copy.
 * K/2 < αP is what makes two conflicting blocks unable to both win a poll; αP ≤ αC ≤ K keeps
 * confidence a stronger condition than preference; concurrent polls ≤ β bounds how many polls
 * can be in flight on a decision that is already final.
 * @throws SnowchainError BAD_CONFIG naming the variable, its value and what is allowed.
 */
export function validateSnowballParams(p: SnowballParams): SnowballParams {
  for (const key of Object.keys(ENV_NAMES) as (keyof SnowballParams)[]) {
    if (!Number.isSafeInteger(p[key])) fail(key, p[key], "must be an integer");
  }
  const { k, alphaPreference, alphaConfidence, beta, concurrentPolls } = p;
  if (k < 1) fail("k", k, "must be at least 1");
  if (!(alphaPreference > k / 2 && alphaPreference <= alphaConfidence)) {
    fail(
      "alphaPreference",
      alphaPreference,
      `must satisfy K/2 < alphaPreference <= alphaConfidence (K=${k}, alphaConfidence=${alphaConfidence})`,
    );
  }
  if (alphaConfidence > k) {
    fail(
      "alphaConfidence",
      alphaConfidence,
      `must satisfy alphaPreference <= alphaConfidence <= K (K=${k}, alphaPreference=${alphaPreference})`,
    );
  }
  if (beta < 1) fail("beta", beta, "must be at least 1");
  if (!(concurrentPolls > 0 && concurrentPolls <= beta)) {
    fail("concurrentPolls", concurrentPolls, `must satisfy 0 < concurrentPolls <= beta (beta=${beta})`);
  }
  return Object.freeze({ k, alphaPreference, alphaConfidence, beta, concurrentPolls });
}

function fail(key: keyof SnowballParams, value: unknown, rule: string): never {
  const variable = ENV_NAMES[key];
  throw new SnowchainError(ErrorCode.BAD_CONFIG, `${variable}=${String(value)} ${rule}`, { variable, value });
}
