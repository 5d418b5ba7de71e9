import { SnowchainError } from "../../../src/errors";

/** The SnowchainError `fn` throws; fails the test when it returns or throws something else. */
export function thrown(fn: () => unknown): SnowchainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SnowchainError) return err;
    throw err;
  }
  throw new Error("expected a SnowchainError, nothing was thrown");
}

/** The SnowchainError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<SnowchainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SnowchainError) return err;
    throw err;
  }
  throw new Error("expected a SnowchainError rejection, the promise resolved");
}
