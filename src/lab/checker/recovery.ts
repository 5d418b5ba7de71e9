/**
 * Recovery: for each fault, the time from its end until every affected peer still in the network
 * has accepted the height the network had reached when the fault ended. A fault that ends in a
 * predicted fork has no such moment (the branches never rejoin): it is named, not failed.
 */
import { eventsOf, Heights, type HistoryEvent } from "../history";
import { faultWindows, type FaultWindow } from "./model";
import { secs, type CheckResult } from "./result";

/** Peers a fault's recovery waits for: its targets, or everyone for faults on all links and scaling. */
function affected(f: FaultWindow, live: readonly string[]): string[] {
  const hit = f.kind === "scale" ? [...live] : f.targets.filter((p) => live.includes(p));
  return hit.length > 0 ? hit : [...live];
}

export function checkRecovery(h: readonly HistoryEvent[], withinMs: number, forked: ReadonlySet<string>): CheckResult[] {
  const heights = new Heights(h);
  const live = eventsOf(h, "final").map((f) => f.peer);
  const blockTimes = [...new Set(eventsOf(h, "block").map((b) => b.t))].sort((a, b) => a - b);
  return faultWindows(h).map((f): CheckResult => {
    const check = `recovery after ${f.id} (${f.label})`;
    const expected = `affected peers at the network's height within ${withinMs / 1000} s of the end`;
    if (f.endMs === undefined) return { check, valid: "unknown", expected, observed: "the run ended before the fault did" };
    const peers = affected(f, live);
    if (peers.some((p) => forked.has(p))) {
      return { check, valid: true, expected, observed: "forked, as predicted: the branches do not rejoin", details: { peers } };
    }
    const target = Math.max(0, ...live.map((p) => heights.heightAt(p, f.endMs!)));
    const done = (t: number): boolean => peers.every((p) => heights.heightAt(p, t) >= target);
    const at = done(f.endMs) ? f.endMs : blockTimes.find((t) => t >= f.endMs! && done(t));
    if (at === undefined) {
      const behind = peers.filter((p) => heights.heightAt(p, Infinity) < target).map((p) => `${p} at ${heights.heightAt(p, Infinity)}`);
      return { check, valid: false, expected, observed: `never: ${behind.join(", ")} below height ${target}`, details: { peers, target } };
    }
    const ms = at - f.endMs;
    return {
      check,
      valid: ms <= withinMs,
      expected,
      observed: `${peers.join(" ")} at height ${target} ${secs(ms)} after the end`,
      details: { peers, target, recoveryMs: ms },
    };
  });
}
