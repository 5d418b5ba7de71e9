/**
 * Safety: never two different blocks accepted at one height, by two peers or by one peer over
 * time, from every block the lab saw arrive and every final chain. Different blocks at a height
 * between two peers the model says could decide apart (a partition longer than MEMBER_GRACE_MS)
 * are "fork, as predicted": the price of dynamic membership, named, not a failure.
 */
import { eventsOf, type HistoryEvent } from "../history";
import type { NetworkModel } from "./model";
import { ranges, secs, type CheckResult } from "./result";

export interface Conflict {
  readonly height: number;
  /** Block id → the peers that accepted it. */
  readonly blocks: Readonly<Record<string, readonly string[]>>;
}

/** Every height at which more than one block was accepted. */
export function conflicts(h: readonly HistoryEvent[]): { conflicts: Conflict[]; selfConflicts: { peer: string; height: number }[]; heights: number } {
  const at = new Map<number, Map<string, Set<string>>>();
  const mine = new Map<string, string>();
  const selfConflicts: { peer: string; height: number }[] = [];
  const see = (peer: string, height: number, id: string): void => {
    let ids = at.get(height);
    if (!ids) at.set(height, (ids = new Map()));
    let peers = ids.get(id);
    if (!peers) ids.set(id, (peers = new Set()));
    peers.add(peer);
    const key = `${peer}@${height}`;
    const before = mine.get(key);
    if (before === undefined) mine.set(key, id);
    else if (before !== id && !selfConflicts.some((c) => c.peer === peer && c.height === height)) selfConflicts.push({ peer, height });
  };
  for (const e of h) {
    if (e.type === "block") see(e.peer, e.height, e.id);
    else if (e.type === "final") for (const b of e.chain) see(e.peer, b.height, b.id);
  }
  const found: Conflict[] = [];
  for (const [height, ids] of [...at].sort((a, b) => a[0] - b[0])) {
    if (ids.size > 1) found.push({ height, blocks: Object.fromEntries([...ids].map(([id, ps]) => [id, [...ps].sort()])) });
  }
  return { conflicts: found, selfConflicts, heights: at.size };
}

/** The time the lab first saw a block that conflicts with another peer's at the same height. */
export function firstForkMs(h: readonly HistoryEvent[], found: readonly Conflict[]): number | undefined {
  const heights = new Set(found.map((c) => c.height));
  return eventsOf(h, "block").find((b) => heights.has(b.height))?.t;
}

export function checkSafety(h: readonly HistoryEvent[], model: NetworkModel): CheckResult {
  const { conflicts: found, selfConflicts, heights } = conflicts(h);
  const graceS = model.params.graceMs / 1000;
  const unpredicted: { height: number; a: string; b: string }[] = [];
  const predicted: { height: number; a: string; b: string; sinceMs: number }[] = [];
  for (const c of found) {
    const groups = Object.values(c.blocks);
    for (let x = 0; x < groups.length; x++) {
      for (let y = x + 1; y < groups.length; y++) {
        for (const a of groups[x]!) {
          for (const b of groups[y]!) {
            const f = model.forkPossible(a, b);
            if (f.possible) predicted.push({ height: c.height, a, b, sinceMs: f.atMs! });
            else unpredicted.push({ height: c.height, a, b });
          }
        }
      }
    }
  }
  const possible = model.peers.some((a, i) => model.peers.slice(i + 1).some((b) => model.forkPossible(a, b).possible));
  const expected = possible
    ? `one block per height, except a fork between peers cut off from each other longer than MEMBER_GRACE_MS (${graceS} s)`
    : "one block per height on every peer, at all times";
  const details = { conflicts: found, selfConflicts, predicted: predicted.slice(0, 50), unpredicted: unpredicted.slice(0, 50) };
  if (selfConflicts.length > 0) {
    const s = selfConflicts[0]!;
    return { check: "safety", valid: false, expected, observed: `${s.peer} accepted two different blocks at height ${s.height}`, details };
  }
  if (unpredicted.length > 0) {
    const u = unpredicted[0]!;
    const hs = ranges(unpredicted.map((x) => x.height));
    return { check: "safety", valid: false, expected, observed: `FORK not predicted: ${u.a} and ${u.b} accepted different blocks at height ${u.height} (heights ${hs})`, details };
  }
  if (predicted.length > 0) {
    const sides = forkSides(found);
    const since = Math.min(...predicted.map((p) => p.sinceMs));
    return {
      check: "safety",
      valid: true,
      expected,
      observed: `fork, as predicted: ${sides} at heights ${ranges(found.map((c) => c.height))} (could decide apart from ${secs(since)})`,
      details,
    };
  }
  return { check: "safety", valid: true, expected, observed: `one block at each of ${heights} heights, on every peer`, details };
}

/** "[peer-0 peer-1] vs [peer-2 peer-3 peer-4]" from the first conflicting height. */
function forkSides(found: readonly Conflict[]): string {
  const first = found[0];
  if (!first) return "";
  return Object.values(first.blocks)
    .map((ps) => `[${ps.join(" ")}]`)
    .join(" vs ");
}
