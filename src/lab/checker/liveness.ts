/**
 * Liveness judged by the arithmetic: in every stretch of the run where what the model expects of
 * a peer stays the same, the peer must have accepted a new block if progress was expected, and
 * none if a stall was expected. An unexpected stall and an unexpected progress both fail; an
 * expected stall does not. Stretches are trimmed at both ends (decisions in flight finish, polls
 * time out, the membership sweep runs on the heartbeat) and judged only when long enough.
 */
import { Heights, type HistoryEvent } from "../history";
import { quorumShare } from "../params";
import { faultWindows, judgeable, STEP_MS, type Expectation, type FaultWindow, type NetworkModel } from "./model";
import { secs, type CheckResult } from "./result";

/** A stretch shorter than this after trimming is not judged. */
export const MIN_WINDOW_MS = 2_000;

export interface LivenessWindow {
  readonly peer: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly expect: "progress" | "stall";
  readonly r: number;
  readonly blocks: number;
  readonly ok: boolean;
  /** The faults in force when it began ("" for none). */
  readonly phase: string;
}

export interface Skipped {
  readonly peer: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly why: string;
}

function settleMs(model: NetworkModel): number {
  // Polls in flight end within a poll timeout or two; dropped members leave on the next sweep.
  return 2 * model.params.pollTimeoutMs + model.params.heartbeatMs;
}

export function livenessWindows(h: readonly HistoryEvent[], model: NetworkModel, forkAtMs: number | undefined): { windows: LivenessWindow[]; skipped: Skipped[] } {
  const heights = new Heights(h);
  const faults = faultWindows(h);
  const active = (t: number): FaultWindow[] => faults.filter((f) => f.startMs <= t && (f.endMs === undefined || t < f.endMs));
  const boundaries = new Set<number>(faults.flatMap((f) => [f.startMs, f.endMs ?? Infinity].map((t) => model.stepOf(t))));
  const windows: LivenessWindow[] = [];
  const skipped: Skipped[] = [];
  const settle = settleMs(model);
  const endTrim = 500;
  for (const peer of model.peers) {
    let start = 0;
    for (let s = 1; s <= model.steps; s++) {
      const prev = model.moment(peer, s - 1);
      const cur = s < model.steps ? model.moment(peer, s) : undefined;
      const split = cur === undefined || cur.expect !== prev.expect || boundaries.has(s) || model.loadRunning(s) !== model.loadRunning(s - 1);
      if (!split) continue;
      const fromMs = start * STEP_MS;
      const toMs = s * STEP_MS;
      const segment = start;
      start = s;
      const e: Expectation = prev.expect;
      if (e !== "progress" && e !== "stall") continue;
      const a = fromMs + settle;
      const b = toMs - endTrim;
      if (b - a < MIN_WINDOW_MS) continue;
      // Inside the partition that forked it, each side is predicted to go on alone; after the heal, nothing is predicted.
      if (e === "progress" && forkAtMs !== undefined && b > forkAtMs && active((a + b) / 2).length === 0) {
        skipped.push({ peer, fromMs, toMs, why: "the network forked before: no prediction for a forked network" });
        continue;
      }
      if (e === "stall" && mayLearnFromProgressingPeer(model, peer, segment, s)) {
        skipped.push({ peer, fromMs, toMs, why: "a peer it reaches is expected to progress: it may sync from it" });
        continue;
      }
      let slowest = 0;
      let fastest = Infinity;
      for (let k = model.stepOf(a); k <= model.stepOf(b); k++) {
        slowest = Math.max(slowest, model.moment(peer, k).decisionMs);
        fastest = Math.min(fastest, model.moment(peer, k).decisionMs);
      }
      const t = e === "progress" ? slowest : fastest;
      if (!judgeable(e, b - a, t)) {
        skipped.push({
          peer,
          fromMs: a,
          toMs: b,
          why: `borderline: r ${prev.r.toFixed(2)} ${e === "progress" ? "≥" : "<"} αC/K ${quorumShare(model.params)}, but about ${describeMs(t)} per decision expected (${Math.round(prev.silent * 100)}% of the sample silent): ${describeMs(b - a)} can go either way`,
        });
        continue;
      }
      const blocks = heights.times(peer).filter((t) => t >= a && t < b).length;
      const ok = e === "progress" ? blocks > 0 : blocks === 0;
      // Named by the faults in force in its middle: its ends are trimmed off the fault's edges.
      const phase = active((a + b) / 2).map((f) => f.id).join("+");
      let r = Infinity;
      for (let k = model.stepOf(a); k <= model.stepOf(b); k++) r = Math.min(r, model.moment(peer, k).r);
      windows.push({ peer, fromMs: a, toMs: b, expect: e, r, blocks, ok, phase });
    }
  }
  return { windows, skipped };
}

function mayLearnFromProgressingPeer(model: NetworkModel, peer: string, fromStep: number, toStep: number): boolean {
  for (let s = fromStep; s < toStep; s++) {
    for (const j of model.peers) if (j !== peer && model.reach(peer, j, s) > 0 && model.moment(j, s).expect === "progress") return true;
  }
  return false;
}

/** One verdict row per phase of the run: before/between faults, and during each fault. */
export function checkLiveness(h: readonly HistoryEvent[], model: NetworkModel, forkAtMs: number | undefined): CheckResult[] {
  const { windows, skipped } = livenessWindows(h, model, forkAtMs);
  const faults = faultWindows(h);
  const share = quorumShare(model.params);
  const phases = [...new Set(windows.map((w) => w.phase))].sort((a, b) => firstOf(windows, a) - firstOf(windows, b));
  const rows = phases.map((phase): CheckResult => {
    const ws = windows.filter((w) => w.phase === phase);
    const label = phase === "" ? "liveness, no fault" : `liveness during ${phase.split("+").map((id) => `${id} (${faults.find((f) => f.id === id)?.label ?? id})`).join(", ")}`;
    const bad = ws.filter((w) => !w.ok);
    return {
      check: label,
      valid: bad.length === 0,
      expected: summarize(ws, (w) => `${w.expect} (r ${w.r.toFixed(2)} ${w.r >= share - 1e-9 ? "≥" : "<"} ${share})`),
      observed:
        bad.length === 0
          ? summarize(ws, (w) => (w.expect === "progress" ? `progress` : "stall"))
          : bad
              .map((w) => (w.expect === "progress" ? `${w.peer} stalled ${secs(w.fromMs)}–${secs(w.toMs)}` : `${w.peer} accepted ${w.blocks} block(s) ${secs(w.fromMs)}–${secs(w.toMs)}, expected a stall`))
              .join("; "),
      details: { windows: ws },
    };
  });
  if (rows.length === 0) {
    return [{ check: "liveness", valid: "unknown", expected: `progress where r ≥ αC/K = ${share}, a stall below`, observed: "no stretch was long enough to judge", details: { skipped } }];
  }
  if (skipped.length > 0) {
    rows.push({
      check: "liveness, not judged",
      valid: true,
      expected: "stretches where the arithmetic predicts nothing are reported, not judged",
      observed: describeSkipped(skipped),
      details: { skipped },
    });
  }
  return rows;
}

/** "borderline on peer-0 peer-1 11.1s–18.0s: r 0.80 …; the network forked before on …". */
function describeSkipped(skipped: readonly Skipped[]): string {
  const byWhy = new Map<string, { peers: Set<string>; from: number; to: number; why: string }>();
  for (const s of skipped) {
    const key = s.why.split(":")[0]!;
    const g = byWhy.get(key) ?? { peers: new Set<string>(), from: s.fromMs, to: s.toMs, why: s.why };
    g.peers.add(s.peer);
    g.from = Math.min(g.from, s.fromMs);
    g.to = Math.max(g.to, s.toMs);
    byWhy.set(key, g);
  }
  return [...byWhy.values()].map((g) => `${[...g.peers].join(" ")} ${secs(g.from)}–${secs(g.to)}: ${g.why}`).join("; ");
}

function describeMs(ms: number): string {
  return !Number.isFinite(ms) ? "forever" : ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}

function firstOf(ws: readonly LivenessWindow[], phase: string): number {
  return Math.min(...ws.filter((w) => w.phase === phase).map((w) => w.fromMs));
}

/** "progress (r 0.80 ≥ 0.75) on peer-0 peer-1 10.0–20.0s; stall … on peer-3 …", peers of equal lines merged. */
function summarize(ws: readonly LivenessWindow[], what: (w: LivenessWindow) => string): string {
  const lines = new Map<string, { peers: string[]; from: number; to: number }>();
  for (const w of ws) {
    const key = what(w);
    const l = lines.get(key);
    if (l) {
      l.peers.push(w.peer);
      l.from = Math.min(l.from, w.fromMs);
      l.to = Math.max(l.to, w.toMs);
    } else lines.set(key, { peers: [w.peer], from: w.fromMs, to: w.toMs });
  }
  return [...lines]
    .map(([k, l]) => `${k} on ${[...new Set(l.peers)].join(" ")} ${secs(l.from)}–${secs(l.to)}`)
    .join("; ");
}
