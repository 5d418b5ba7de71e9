/**
 * The checker: pure functions of a recorded history, composed. Each answers
 * {valid: true | false | "unknown", expected, observed}; the verdict is false if any is false.
 */
import { runOf, type HistoryEvent } from "../history";
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

/**
 * The history as the honest peers lived it: byzantine peers' blocks, chains and submits are left
 * out (what a liar accepts or acknowledges is no promise of the network's); their faults and
 * their place in everyone's sample stay.
 */
export function honestHistory(h: readonly HistoryEvent[]): readonly HistoryEvent[] {
  const byzantine = new Set(runOf(h).byzantine?.peers ?? []);
  if (byzantine.size === 0) return h;
  const judged = new Set<HistoryEvent["type"]>(["block", "final", "submit", "ack", "fail"]);
  return h.filter((e) => !(judged.has(e.type) && "peer" in e && byzantine.has(e.peer)));
}

export function checkHistory(all: readonly HistoryEvent[], opts: CheckOptions): Verdict {
  const h = honestHistory(all);
  const model = new NetworkModel(h);
  const safety = checkSafety(h, model);
  const { conflicts: found } = conflicts(h);
  const forkAt = firstForkMs(h, found);
  const forked = new Set(found.flatMap((c) => Object.values(c.blocks).flat()));
  return composeResults([safety, checkEntries(h), ...checkLiveness(h, model, forkAt), ...checkRecovery(h, opts.recoveryWithinMs, safety.valid === true ? forked : new Set())]);
}
