/**
 * What the protocol's arithmetic predicts, moment by moment, from what the lab did to the network
 * (the history's down/up, links and load events): for each live peer, the share r of its sample
 * that can answer, and from r whether it should make progress or stall.
 *
 * A poll draws K members with replacement; a draw counts when that member is up and the query
 * reaches it in time, so each vote arrives with probability r = Σ reach(i, j) / |members of i|
 * (the peer itself always answers). A member unreachable longer than MEMBER_GRACE_MS leaves the
 * sample, which raises r again: that is how a long partition forks.
 *
 * The rule the issue states is r ≥ αC/K → progress, r < αC/K → stall. Near the threshold the
 * mean is not the whole story (β consecutive polls must each reach αC), so the model also
 * computes the expected number of polls to a decision from the binomial law and calls a moment
 * "borderline" when the two disagree; borderline moments are reported, never judged.
 */
import { eventsOf, endOf, runOf, type HistoryEvent, type LinkState } from "../history";
import { quorumShare, type LabParams } from "../params";

/** Time resolution of the model. */
export const STEP_MS = 100;
/** A decision within this many expected polls is "progress" (a peer polls hundreds of times a second). */
export const PROGRESS_POLLS = 2_000;
/** A decision needing at least this many expected polls is a stall. */
export const STALL_POLLS = 100_000;

export type Expectation = "progress" | "stall" | "borderline" | "idle" | "down";

export interface PeerMoment {
  readonly r: number;
  readonly expect: Expectation;
  /** Expected polls to β consecutive successful polls. */
  readonly polls: number;
}

/** P(X ≥ a) for X ~ Binomial(n, p). */
export function binomialTail(n: number, p: number, a: number): number {
  if (a <= 0) return 1;
  if (a > n) return 0;
  let sum = 0;
  let c = 1; // C(n, x), built up incrementally
  for (let x = 0; x <= n; x++) {
    if (x > 0) c = (c * (n - x + 1)) / x;
    if (x >= a) sum += c * p ** x * (1 - p) ** (n - x);
  }
  return Math.min(1, sum);
}

/** Expected polls until β consecutive successes, each with probability q: (1 − q^β) / ((1 − q) q^β). */
export function pollsToDecide(q: number, beta: number): number {
  if (q >= 1) return beta;
  if (q <= 0) return Infinity;
  const qb = q ** beta;
  return qb === 0 ? Infinity : (1 - qb) / ((1 - q) * qb);
}

/** The expectation for a share r, by the rule and by the binomial law together. */
export function expectationFor(r: number, p: LabParams): { expect: "progress" | "stall" | "borderline"; polls: number } {
  const polls = pollsToDecide(binomialTail(p.k, r, p.alphaC), p.beta);
  const above = r >= quorumShare(p) - 1e-9;
  if (above && polls <= PROGRESS_POLLS) return { expect: "progress", polls };
  if (!above && polls >= STALL_POLLS) return { expect: "stall", polls };
  return { expect: "borderline", polls };
}

/** The share of a query that gets its answer in time through a link with this effect. */
export function linkSuccess(l: Pick<LinkState, "drop" | "delayMs" | "jitterMs">, pollTimeoutMs: number): number {
  const lo = l.delayMs - l.jitterMs;
  const hi = l.delayMs + l.jitterMs;
  // The delay is uniform in [lo, hi]; an answer later than the poll timeout is a dropped vote.
  const inTime = hi <= pollTimeoutMs ? 1 : lo >= pollTimeoutMs ? 0 : (pollTimeoutMs - lo) / (hi - lo);
  return (1 - l.drop) * inTime;
}

/** The network as the lab left it at each step of the run, and what the arithmetic expects of each peer. */
export class NetworkModel {
  readonly params: LabParams;
  readonly steps: number;
  readonly peers: string[];
  private readonly up = new Map<string, boolean[]>();
  private readonly exists = new Map<string, boolean[]>();
  private readonly linkAt: Map<string, number>[] = [];
  private readonly loadOn: boolean[] = [];
  private readonly moments = new Map<string, PeerMoment[]>();
  private readonly loadPeers: string[];

  constructor(h: readonly HistoryEvent[]) {
    const run = runOf(h);
    this.params = run.params;
    this.loadPeers = run.loadPeers;
    this.steps = Math.floor(endOf(h) / STEP_MS) + 1;
    const all = new Set(run.peers);
    for (const e of h) if (e.type === "up" || e.type === "down" || e.type === "peer") all.add(e.peer);
    this.peers = [...all];
    this.replay(h, run.peers);
    for (const p of this.peers) this.moments.set(p, []);
    this.predict();
  }

  isUp(peer: string, step: number): boolean {
    return this.up.get(peer)?.[step] ?? false;
  }

  /** Share of i's queries to j answered in time at a step (0 when j is down). */
  reach(i: string, j: string, step: number): number {
    if (!this.isUp(j, step)) return 0;
    if (i === j) return 1;
    return this.linkAt[step]?.get(`${i}>${j}`) ?? 1;
  }

  moment(peer: string, step: number): PeerMoment {
    return this.moments.get(peer)?.[step] ?? { r: 0, expect: "down", polls: Infinity };
  }

  loadRunning(step: number): boolean {
    return this.loadOn[step] ?? false;
  }

  stepOf(t: number): number {
    return Math.min(this.steps - 1, Math.max(0, Math.floor(t / STEP_MS)));
  }

  /**
   * Two peers can accept different blocks at one height when at some moment each could decide
   * and at least one of them decided without hearing the other.
   */
  forkPossible(i: string, j: string): { possible: boolean; atMs?: number } {
    for (let s = 0; s < this.steps; s++) {
      const a = this.moment(i, s).expect;
      const b = this.moment(j, s).expect;
      const capable = (x: Expectation) => x === "progress" || x === "borderline" || x === "idle";
      if (!capable(a) || !capable(b)) continue;
      if (this.rOf(i, s, true) < quorumShare(this.params) || this.rOf(j, s, true) < quorumShare(this.params)) continue;
      if (this.reach(i, j, s) === 0 || this.reach(j, i, s) === 0) return { possible: true, atMs: s * STEP_MS };
    }
    return { possible: false };
  }

  private replay(h: readonly HistoryEvent[], initial: readonly string[]): void {
    const up = new Map<string, boolean>(initial.map((p) => [p, true]));
    const exists = new Map<string, boolean>(initial.map((p) => [p, true]));
    let links = new Map<string, number>();
    let load = false;
    const sorted = [...h].sort((a, b) => a.t - b.t);
    let k = 0;
    for (let s = 0; s < this.steps; s++) {
      const until = (s + 1) * STEP_MS;
      for (; k < sorted.length && sorted[k]!.t < until; k++) {
        const e = sorted[k]!;
        if (e.type === "down") {
          up.set(e.peer, false);
          if (e.how === "removed") exists.set(e.peer, false);
        } else if (e.type === "up") {
          up.set(e.peer, true);
          exists.set(e.peer, true);
        } else if (e.type === "links") {
          links = new Map(e.links.map((l) => [`${l.from}>${l.to}`, linkSuccess(l, this.params.pollTimeoutMs)]));
        } else if (e.type === "load") {
          load = e.phase === "start";
        }
      }
      for (const p of this.peers) {
        if (!this.up.has(p)) this.up.set(p, []);
        if (!this.exists.has(p)) this.exists.set(p, []);
        this.up.get(p)![s] = up.get(p) ?? false;
        this.exists.get(p)![s] = exists.get(p) ?? false;
      }
      this.linkAt[s] = links;
      this.loadOn[s] = load;
    }
  }

  /** Steps since j was last reachable from i, or undefined while reachable. */
  private readonly unreachableSince = new Map<string, number>();

  /** r of peer i at step s; `members` are those i still counts (grace not yet passed). */
  private rOf(i: string, s: number, cached = false): number {
    if (cached) return this.moment(i, s).r;
    let sum = 0;
    let n = 0;
    for (const j of this.peers) {
      if (!(this.exists.get(j)?.[s] ?? false)) continue;
      const reach = this.reach(i, j, s);
      const key = `${i}>${j}`;
      if (reach > 0) this.unreachableSince.delete(key);
      else if (!this.unreachableSince.has(key)) this.unreachableSince.set(key, s);
      const since = this.unreachableSince.get(key);
      // Dropped from i's sample once unreachable for longer than the grace period.
      if (since !== undefined && (s - since) * STEP_MS > this.params.graceMs) continue;
      n++;
      sum += reach;
    }
    return n === 0 ? 0 : sum / n;
  }

  private predict(): void {
    for (let s = 0; s < this.steps; s++) {
      for (const i of this.peers) {
        if (!this.isUp(i, s)) {
          // A restarted peer learns its members afresh: forget what it had given up on.
          for (const key of [...this.unreachableSince.keys()]) if (key.startsWith(`${i}>`)) this.unreachableSince.delete(key);
          this.moments.get(i)![s] = { r: 0, expect: "down", polls: Infinity };
          continue;
        }
        const r = this.rOf(i, s);
        const { expect, polls } = expectationFor(r, this.params);
        // Progress needs something to decide: entries from the load reaching i's side.
        const fed = this.loadRunning(s) && this.loadPeers.some((p) => this.reach(p, i, s) > 0 || (p === i && this.isUp(p, s)));
        this.moments.get(i)![s] = { r, expect: expect === "progress" && !fed ? "idle" : expect, polls };
      }
    }
  }
}

/** Fault windows as the history recorded them (start and end events paired by id). */
export interface FaultWindow {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly targets: readonly string[];
  readonly startMs: number;
  /** undefined when the run ended before the fault did. */
  readonly endMs?: number;
}

export function faultWindows(h: readonly HistoryEvent[]): FaultWindow[] {
  const byId = new Map<string, FaultWindow>();
  for (const e of eventsOf(h, "fault")) {
    const w = byId.get(e.id);
    if (e.phase === "start") byId.set(e.id, { id: e.id, kind: e.kind, label: e.label, targets: e.targets, startMs: e.t });
    else if (w) byId.set(e.id, { ...w, endMs: e.t });
  }
  return [...byId.values()].sort((a, b) => a.startMs - b.startMs);
}
