/**
 * Entries, Jepsen's set-full: every entry a peer acknowledged must be in the accepted chain
 * exactly once, on every peer live at the end. Each submitted entry is classified: stable (once
 * on every judged peer), lost (missing on one), duplicated (twice on one), never acknowledged but
 * accepted (a submit that failed or timed out yet landed: allowed), and unexpected (accepted but
 * never submitted: not allowed). After a fork (the safety check says whether it was predicted)
 * the branches never rejoin and, their members back in each other's samples, neither reaches αC
 * again: an entry missing on a branch, its acknowledging peer's own included, is "stranded", not
 * lost. Duplicates and unexpected entries fail all the same.
 */
import { eventsOf, type ChainBlock, type HistoryEvent } from "../history";
import type { CheckResult } from "./result";

export interface EntryCounts {
  acknowledged: number;
  stable: number;
  lost: number;
  duplicated: number;
  neverAckedButAccepted: number;
  unexpected: number;
  stranded: number;
  /** Submitted, not acknowledged, not accepted: allowed (the client was told it failed, or never heard). */
  failedAndAbsent: number;
}

/** Peers whose final chains agree on every height both have are on one branch. */
export function branches(finals: ReadonlyMap<string, readonly ChainBlock[]>): string[][] {
  const idAt = new Map([...finals].map(([p, chain]) => [p, new Map(chain.map((b) => [b.height, b.id]))]));
  const agree = (a: string, b: string): boolean => {
    const x = idAt.get(a)!;
    const y = idAt.get(b)!;
    for (const [h, id] of x) if (y.has(h) && y.get(h) !== id) return false;
    return true;
  };
  const out: string[][] = [];
  for (const p of finals.keys()) {
    const home = out.find((g) => g.every((q) => agree(p, q)));
    if (home) home.push(p);
    else out.push([p]);
  }
  return out;
}

export function checkEntries(h: readonly HistoryEvent[]): CheckResult {
  const finals = new Map(eventsOf(h, "final").map((f) => [f.peer, f.chain]));
  const expected = "every acknowledged entry accepted exactly once on every live peer";
  if (finals.size === 0) return { check: "entries", valid: "unknown", expected, observed: "no final chain was read (no live peer at the end)" };
  const counts = new Map<string, Map<string, number>>();
  for (const [peer, chain] of finals) {
    const c = new Map<string, number>();
    for (const b of chain) for (const e of b.entries) c.set(e, (c.get(e) ?? 0) + 1);
    counts.set(peer, c);
  }
  const groups = branches(finals);
  const biggest = [...groups].sort((a, b) => b.length - a.length)[0]!;
  const branchOf = (peer: string): string[] => groups.find((g) => g.includes(peer)) ?? biggest;
  const acked = new Map<string, string>();
  for (const a of eventsOf(h, "ack")) if (!acked.has(a.entry)) acked.set(a.entry, a.peer);
  const submitted = new Set(eventsOf(h, "submit").map((s) => s.entry));

  const n: EntryCounts = { acknowledged: acked.size, stable: 0, lost: 0, duplicated: 0, neverAckedButAccepted: 0, unexpected: 0, stranded: 0, failedAndAbsent: 0 };
  const lost: { entry: string; ackedBy: string; missingOn: string[] }[] = [];
  const duplicated: { entry: string; on: string[] }[] = [];
  for (const [entry, by] of acked) {
    const judged = branchOf(by);
    const missingOn = judged.filter((p) => (counts.get(p)!.get(entry) ?? 0) === 0);
    const twiceOn = [...finals.keys()].filter((p) => (counts.get(p)!.get(entry) ?? 0) > 1);
    if (twiceOn.length > 0) {
      n.duplicated++;
      duplicated.push({ entry, on: twiceOn });
    }
    const forked = groups.length > 1;
    if (missingOn.length > 0 && !forked) {
      n.lost++;
      lost.push({ entry, ackedBy: by, missingOn });
    }
    const absentSomewhere = [...finals.keys()].some((p) => (counts.get(p)!.get(entry) ?? 0) === 0);
    if (forked && absentSomewhere) n.stranded++;
    else if (twiceOn.length === 0 && missingOn.length === 0) n.stable++;
  }
  const seen = new Set<string>();
  for (const c of counts.values()) for (const e of c.keys()) seen.add(e);
  for (const e of seen) {
    if (acked.has(e)) continue;
    if (submitted.has(e)) n.neverAckedButAccepted++;
    else n.unexpected++;
  }
  for (const e of submitted) if (!acked.has(e) && !seen.has(e)) n.failedAndAbsent++;
  const valid = n.lost === 0 && n.duplicated === 0 && n.unexpected === 0;
  const observed =
    `${n.acknowledged} acknowledged: ${n.stable} stable, ${n.lost} lost, ${n.duplicated} duplicated; ` +
    `${n.neverAckedButAccepted} accepted without an acknowledgement, ${n.unexpected} unexpected` +
    (n.stranded > 0 ? `; ${n.stranded} stranded by the fork (missing on a branch)` : "") +
    (lost.length > 0 ? ` (e.g. ${lost[0]!.entry.slice(0, 12)} acked by ${lost[0]!.ackedBy}, missing on ${lost[0]!.missingOn.join(" ")})` : "");
  return { check: "entries", valid, expected, observed, details: { counts: n, branches: groups, lost: lost.slice(0, 100), duplicated: duplicated.slice(0, 100) } };
}
