/**
 * The checker: pure functions of a recorded history, composed. Each answers
 * {valid: true | false | "unknown", expected, observed}; the verdict is false if any is false.
 */
import type { HistoryEvent } from "../history";
import { checkEntries } from "./entries";
import { checkLiveness } from "./liveness";
import { NetworkModel } from "./model";
import { checkRecovery } from "./recovery";
import { composeResults, type Verdict } from "./result";
import { checkSafety, conflicts, firstForkMs } from "./safety";

export { composeResults, type CheckResult, type Validity, type Verdict } from "./result";

export interface CheckOptions {
  /** Each fault's affected peers must be back at the network's height this long after it ends. */
  readonly recoveryWithinMs: number;
}

export function checkHistory(h: readonly HistoryEvent[], opts: CheckOptions): Verdict {
  const model = new NetworkModel(h);
  const safety = checkSafety(h, model);
  const { conflicts: found } = conflicts(h);
  const forkAt = firstForkMs(h, found);
  const forked = new Set(found.flatMap((c) => Object.values(c.blocks).flat()));
  return composeResults([safety, checkEntries(h), ...checkLiveness(h, model, forkAt), ...checkRecovery(h, opts.recoveryWithinMs, safety.valid === true ? forked : new Set())]);
}
