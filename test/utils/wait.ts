import { waitFor as waitForProbe } from "../../src/testnet/wait";

/** The testnet's poll-with-a-deadline (no fixed sleeps in tests), with test-friendly defaults. */
export function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, pollMs = 50): Promise<T> {
  return waitForProbe(what, async () => probe(), timeoutMs, pollMs);
}
