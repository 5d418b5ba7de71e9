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
 * The rule the issue states is r ≥ αC/K → progress, r < αC/K → stall. The mean is not the whole
 * story, so the model also computes how long a decision should take: β consecutive polls must
 * each reach αC (the binomial law gives the expected number of polls), and a poll whose outcome
 * hangs on a *silent* member (paused, or its messages dropped: no answer, no error) lasts the
 * whole POLL_TIMEOUT_MS, while one refused at once (a killed local process) costs nothing. A
 * moment where the rule and the expected time disagree (progress by the rule, but a decision
 * every 20 s) is "borderline": reported, never judged.
 */
import { eventsOf, endOf, runOf, type HistoryEvent, type LinkState } from "../history";
import { labParams, quorumShare, type LabParams } from "../params";

/** Time resolution of the model. */
export const STEP_MS = 100;
/** A poll's round trip when nothing delays or hangs it. */
const BASE_POLL_MS = 5;

/** By the rule (r against αC/K); "idle" when no entry reaches the peer; liveness checks the timing. */
export type Expectation = "progress" | "stall" | "idle" | "down";

export interface PeerMoment {
  readonly r: number;
  /** Share of the sample that neither answers nor fails: it makes polls wait for their timeout. */
  readonly silent: number;
  readonly expect: Expectation;
  /** Expected polls to β consecutive successful polls. */
  readonly polls: number;
  /** Expected time to a decision. */
  readonly decisionMs: number;
}

/** What one draw of the sample gets: an answer in time (ok), nothing at all (silent), or else a quick failure. */
export interface Draw {
  readonly ok: number;
  readonly silent: number;
  /** Mean added delay of the answers. */
  readonly delayMs: number;
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

/**
 * One poll, exactly: K draws with replacement over the members, a member drawn m times asked once
 * and its one answer counted m times, so a lost message takes all m votes with it. Each member
 * answers in time (ok), says nothing (silent: the poll waits for it until its timeout) or fails
 * at once. Returns P(≥ αC votes) and P(the poll waits: fewer than αC came, but the silent ones
 * could still make αC). A dynamic programme over the members, votes capped at αC.
 */
export function pollOutcome(k: number, alphaC: number, members: readonly Pick<Draw, "ok" | "silent">[]): { success: number; wait: number } {
  const n = members.length;
  if (n === 0) return { success: 0, wait: 0 };
  const cap = alphaC;
  // state[left draws][yes (capped)][yes + silent (capped)] = probability
  let state = new Map<string, number>([[`${k}|0|0`, 1]]);
  members.forEach((m, idx) => {
    const next = new Map<string, number>();
    const add = (key: string, p: number) => next.set(key, (next.get(key) ?? 0) + p);
    const rest = n - idx;
    for (const [key, p] of state) {
      const [left, yes, may] = key.split("|").map(Number) as [number, number, number];
      for (let c = 0; c <= left; c++) {
        // The last member takes every draw left; the others a binomial share of them.
        const pc = rest === 1 ? (c === left ? 1 : 0) : binom(left, c, 1 / rest);
        if (pc === 0) continue;
        const l2 = left - c;
        if (c === 0) {
          add(`${l2}|${yes}|${may}`, p * pc);
          continue;
        }
        const fail = Math.max(0, 1 - m.ok - m.silent);
        if (m.ok > 0) add(`${l2}|${Math.min(cap, yes + c)}|${Math.min(cap, may + c)}`, p * pc * m.ok);
        if (m.silent > 0) add(`${l2}|${yes}|${Math.min(cap, may + c)}`, p * pc * m.silent);
        if (fail > 0) add(`${l2}|${yes}|${may}`, p * pc * fail);
      }
    }
    state = next;
  });
  let success = 0;
  let wait = 0;
  for (const [key, p] of state) {
    const [, yes, may] = key.split("|").map(Number) as [number, number, number];
    if (yes >= cap) success += p;
    else if (may >= cap) wait += p;
  }
  return { success: Math.min(1, success), wait: Math.min(1, wait) };
}

function binom(n: number, x: number, p: number): number {
  let c = 1;
  for (let i = 1; i <= x; i++) c = (c * (n - x + i)) / i;
  return c * p ** x * (1 - p) ** (n - x);
}

const outcomes = new Map<string, { polls: number; decisionMs: number }>();

/**
 * The expected decision time of a peer whose sample is `members` (itself included): β
 * consecutive successful polls, `concurrentPolls` at a time applied in issue order, a poll that
 * waits costing POLL_TIMEOUT_MS. Memoized: a run has few distinct samples.
 */
export function decisionTime(members: readonly Draw[], p: LabParams): { polls: number; decisionMs: number } {
  const key = `${p.k}/${p.alphaC}/${p.beta}/${p.pollTimeoutMs}/${p.concurrentPolls}/${members
    .map((m) => `${m.ok.toFixed(3)}:${m.silent.toFixed(3)}:${Math.round(m.delayMs)}`)
    .sort()
    .join(",")}`;
  const hit = outcomes.get(key);
  if (hit) return hit;
  const { success, wait } = pollOutcome(p.k, p.alphaC, members);
  const polls = pollsToDecide(success, p.beta);
  const answering = members.filter((m) => m.ok > 0);
  const delay = answering.length === 0 ? 0 : answering.reduce((a, m) => a + m.delayMs, 0) / answering.length;
  const pollMs = wait * p.pollTimeoutMs + (1 - wait) * (BASE_POLL_MS + delay);
  const out = { polls, decisionMs: (polls * pollMs) / Math.max(1, p.concurrentPolls) };
  outcomes.set(key, out);
  return out;
}

/** The rule (r against αC/K) and the expected time to a decision, for a sample of `members`. */
export function expectationFor(members: readonly Draw[], p: LabParams): { expect: "progress" | "stall"; r: number; silent: number; polls: number; decisionMs: number } {
  const r = members.length === 0 ? 0 : members.reduce((a, m) => a + m.ok, 0) / members.length;
  const silent = members.length === 0 ? 0 : members.reduce((a, m) => a + m.silent, 0) / members.length;
  const { polls, decisionMs } = decisionTime(members, p);
  return { expect: r >= quorumShare(p) - 1e-9 ? "progress" : "stall", r, silent, polls, decisionMs };
}

/**
 * Whether a stretch of `lengthMs` can be judged, decisions arriving at random about every
 * `decisionMs`: progress only when the chance of no decision in it is below 1% (length ≥ 4.6 ×
 * the decision time), a stall only when the chance of one is below 1% (length ≤ 1% of it).
 */
export function judgeable(expect: "progress" | "stall", lengthMs: number, decisionMs: number): boolean {
  return expect === "progress" ? lengthMs >= 4.6 * decisionMs : lengthMs <= 0.01 * decisionMs;
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
  /** The honest peers: what the checks judge. */
  readonly peers: string[];
  /** Every member, byzantine ones included: what samples draw from. */
  private readonly members: string[];
  private readonly byzantine: ReadonlySet<string>;
  private readonly backend: string;
  /** Per peer and step: undefined while up, else how it went down. */
  private readonly downHow = new Map<string, (string | undefined)[]>();
  private readonly exists = new Map<string, boolean[]>();
  private readonly linkAt: Map<string, LinkState>[] = [];
  private readonly loadOn: boolean[] = [];
  private readonly moments = new Map<string, PeerMoment[]>();
  private readonly loadPeers: string[];
  /** Since which step j has not answered i, while it does not. */
  private readonly unreachableSince = new Map<string, number>();

  constructor(h: readonly HistoryEvent[]) {
    const run = runOf(h);
    this.params = { ...labParams({}), ...run.params };
    this.backend = run.backend;
    this.loadPeers = run.loadPeers;
    this.steps = Math.floor(endOf(h) / STEP_MS) + 1;
    const all = new Set(run.peers);
    for (const e of h) if (e.type === "up" || e.type === "down" || e.type === "peer") all.add(e.peer);
    this.byzantine = new Set(run.byzantine?.peers ?? []);
    this.members = [...all];
    this.peers = this.members.filter((p) => !this.byzantine.has(p));
    this.replay(h, run.peers);
    for (const p of this.peers) this.moments.set(p, []);
    this.predict();
  }

  isUp(peer: string, step: number): boolean {
    return (this.exists.get(peer)?.[step] ?? false) && this.downHow.get(peer)?.[step] === undefined;
  }

  /** What a query from i to j gets at a step. */
  draw(i: string, j: string, step: number): Draw {
    if (i === j) return { ok: 1, silent: 0, delayMs: 0 };
    if (!(this.exists.get(j)?.[step] ?? false)) return { ok: 0, silent: 0, delayMs: 0 };
    // A byzantine member's vote is never counted on. It costs no timeout: a liar answers at once,
    // and a silent one is benched after three timeouts (its votes then drop at once).
    if (this.byzantine.has(j)) return { ok: 0, silent: 0, delayMs: 0 };
    const how = this.downHow.get(j)?.[step];
    // A paused process keeps its sockets open and says nothing; a killed local process refuses at
    // once, while a killed or removed container's address just stops answering.
    if (how !== undefined) return { ok: 0, silent: how === "paused" || (this.backend === "compose" && (how === "killed" || how === "removed")) ? 1 : 0, delayMs: 0 };
    const link = this.linkAt[step]?.get(`${i}>${j}`);
    if (!link) return { ok: 1, silent: 0, delayMs: 0 };
    const ok = linkSuccess(link, this.params.pollTimeoutMs);
    return { ok, silent: 1 - ok, delayMs: link.delayMs };
  }

  /** Share of i's queries to j answered in time at a step (0 when j is down). */
  reach(i: string, j: string, step: number): number {
    return this.draw(i, j, step).ok;
  }

  moment(peer: string, step: number): PeerMoment {
    return this.moments.get(peer)?.[step] ?? DOWN;
  }

  loadRunning(step: number): boolean {
    return this.loadOn[step] ?? false;
  }

  stepOf(t: number): number {
    return Math.min(this.steps - 1, Math.max(0, Math.floor(t / STEP_MS)));
  }

  /**
   * Two peers can accept different blocks at one height when at some moment each could decide
   * (r ≥ αC/K) and at least one of them decided without hearing the other.
   */
  forkPossible(i: string, j: string): { possible: boolean; atMs?: number } {
    const share = quorumShare(this.params);
    for (let s = 0; s < this.steps; s++) {
      const a = this.moment(i, s);
      const b = this.moment(j, s);
      if (a.expect === "down" || b.expect === "down" || a.r < share - 1e-9 || b.r < share - 1e-9) continue;
      if (this.reach(i, j, s) === 0 || this.reach(j, i, s) === 0) return { possible: true, atMs: s * STEP_MS };
    }
    return { possible: false };
  }

  private replay(h: readonly HistoryEvent[], initial: readonly string[]): void {
    const down = new Map<string, string | undefined>();
    const exists = new Map<string, boolean>(initial.map((p) => [p, true]));
    let links = new Map<string, LinkState>();
    let load = false;
    const sorted = [...h].sort((a, b) => a.t - b.t);
    let k = 0;
    for (let s = 0; s < this.steps; s++) {
      const until = (s + 1) * STEP_MS;
      for (; k < sorted.length && sorted[k]!.t < until; k++) {
        const e = sorted[k]!;
        if (e.type === "down") {
          // A removed replica stays in the others' samples, unanswering, until the grace period drops it.
          down.set(e.peer, e.how);
        } else if (e.type === "up") {
          down.delete(e.peer);
          exists.set(e.peer, true);
        } else if (e.type === "links") {
          links = new Map(e.links.map((l) => [`${l.from}>${l.to}`, l]));
        } else if (e.type === "load") {
          load = e.phase === "start";
        }
      }
      for (const p of this.members) {
        if (!this.downHow.has(p)) this.downHow.set(p, []);
        if (!this.exists.has(p)) this.exists.set(p, []);
        this.downHow.get(p)![s] = down.get(p);
        this.exists.get(p)![s] = exists.get(p) ?? false;
      }
      this.linkAt[s] = links;
      this.loadOn[s] = load;
    }
  }

  /** The draws of i's sample at step s: members unreachable longer than the grace period are no longer in it. */
  private sampleOf(i: string, s: number): Draw[] {
    const members: Draw[] = [];
    for (const j of this.members) {
      if (!(this.exists.get(j)?.[s] ?? false)) continue;
      const d = this.draw(i, j, s);
      const key = `${i}>${j}`;
      if (d.ok > 0) this.unreachableSince.delete(key);
      else if (!this.unreachableSince.has(key)) this.unreachableSince.set(key, s);
      const since = this.unreachableSince.get(key);
      if (since !== undefined && (s - since) * STEP_MS > this.params.graceMs) continue;
      members.push(d);
    }
    return members;
  }

  private predict(): void {
    for (let s = 0; s < this.steps; s++) {
      for (const i of this.peers) {
        if (!this.isUp(i, s)) {
          // A restarted peer learns its members afresh: forget what it had given up on.
          for (const key of [...this.unreachableSince.keys()]) if (key.startsWith(`${i}>`)) this.unreachableSince.delete(key);
          this.moments.get(i)![s] = DOWN;
          continue;
        }
        const { expect, r, silent, polls, decisionMs } = expectationFor(this.sampleOf(i, s), this.params);
        // Progress needs something to decide: entries from the load reaching i's side.
        const fed = this.loadRunning(s) && this.loadPeers.some((p) => (p === i ? this.isUp(p, s) : this.reach(p, i, s) > 0));
        this.moments.get(i)![s] = { r, silent, expect: expect === "progress" && !fed ? "idle" : expect, polls, decisionMs };
      }
    }
  }
}

const DOWN: PeerMoment = Object.freeze({ r: 0, silent: 0, expect: "down", polls: Infinity, decisionMs: Infinity });

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
