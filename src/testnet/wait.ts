import { setTimeout as sleep } from "node:timers/promises";
import { TestnetError } from "./errors";

/** How often waitFor probes by default. */
export const DEFAULT_POLL_MS = 100;

/**
 * Polls `probe` until it returns something other than undefined, and returns that. A probe that
 * throws is retried (its error is remembered), except a TestnetError, which ends the wait at
 * once. Past `timeoutMs` it throws TestnetError("TIMEOUT") naming `what` and the last outcome.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  pollMs = DEFAULT_POLL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = "undefined (not yet)";
    } catch (err) {
      if (err instanceof TestnetError) throw err;
      last = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new TestnetError("TIMEOUT", `timed out after ${timeoutMs} ms waiting for ${what} (${attempt} tries; last: ${last})`, {
        what,
        last,
        attempts: attempt,
      });
    }
    await sleep(Math.min(pollMs, left));
  }
}
