import type { FellowActions, FellowReport, GossipTarget, LedgerView, ReportOutcome } from "../../../src/behaviour/behaviour";
import { COLLUSION_LIMITS } from "../../../src/behaviour/fellow-report";
import { Fellows } from "../../../src/behaviour/fellows";
import { BalancingBehaviour } from "../../../src/behaviour/liars";
import { ObservationBatch } from "../../../src/behaviour/observation-batch";
import { SenderRate } from "../../../src/behaviour/sender-rate";
import { SplitEstimate } from "../../../src/behaviour/split-estimate";
import { ErrorCode } from "../../../src/errors";
import { forkedView } from "../../utils/behaviour-view";
import { thrown as thrownError } from "../../utils/chain/errors";

const member = (nodeId: string): GossipTarget => ({ nodeId, address: `${nodeId}:1` });

/** The code and message a call throws with. */
function thrown(f: () => unknown): string {
  const err = thrownError(f);
  return `${err.code}: ${err.message}`;
}

/** Two balancers of one group over the forked view (a3 ← a4 against b3 ← b4), each with its own clock and floor. */
function pair(group = "cabal") {
  const fx = forkedView();
  const clock = { now: 0, floor: 2 };
  const view: LedgerView = { ...fx.view, get lastAcceptedHeight() { return clock.floor; } };
  const balancer = (g: string) => new BalancingBehaviour(view, () => 0, new SplitEstimate(), { group: g, now: () => clock.now });
  const a = balancer(group);
  const b = balancer(group);
  /** What `from` sends to each member when it flushes, delivered straight into `to` (as the Collusion service would). */
  const wire = (from: string, to: BalancingBehaviour, members = [member("b")]) => {
    const sent: FellowReport[] = [];
    const actions: FellowActions = {
      members: () => members,
      report: (_to, report) => {
        sent.push(report);
        to.takeReport!(from, report);
        return Promise.resolve<ReportOutcome>("accepted");
      },
    };
    return { actions, sent };
  };
  return { ...fx, clock, view, a, b, wire, balancer };
}

/** Lets answered reports settle (their outcomes resolve as microtasks). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("balancers of one BYZANTINE_GROUP: fellows' observations in the split estimate", () => {
  it("a fellow's observations count as if its queries had come here, and change the vote", async () => {
    const { a, b, a4, b4, a3, b3, wire } = pair();
    // b saw only p4, on the b-branch: the a-branch has fewer supporters, so b votes a.
    b.observeQuery("p4", b4.id);
    expect(b.answer(3, 4)).toEqual([a3.id, a4.id]);
    // a saw three members on the a-branch and tells b.
    for (const p of ["p1", "p2", "p3"]) a.observeQuery(p, a4.id);
    const { actions, sent } = wire("a", b);
    expect(a.flushReports(actions)).toBe(1);
    expect(sent[0]!.observations.map((o) => [o.member, [...o.chain]])).toEqual(
      ["p1", "p2", "p3"].map((p) => [p, [[4, a4.id], [3, a3.id]]]),
    );
    // Now b counts 3 on a against 1 on b, and votes b: what all of them saw.
    expect([b.split.supporters(3, a3.id), b.split.supporters(3, b3.id)]).toEqual([3, 1]);
    expect(b.answer(3, 4)).toEqual([b3.id, b4.id]);
    expect(b.split.knows("p1")).toBe(true);
    await settle();
    expect(a.isFellow("b")).toBe(true);
    expect(b.isFellow("a")).toBe(true); // it sent one of the group's reports
  });

  it("sends only what changed: a member seen again at the same preference, or first told by a fellow, is no news", async () => {
    const { a, b, a4, b4, wire } = pair();
    const flush = (from: BalancingBehaviour, actions: FellowActions) => from.flushReports(actions);
    const toB = wire("a", b);
    a.observeQuery("p1", a4.id);
    flush(a, toB.actions);
    await settle(); // b answered: a report is in flight to it no more
    a.observeQuery("p1", a4.id);
    expect(flush(a, toB.actions)).toBe(0);
    // Twice between flushes: once, at the latest preference.
    a.observeQuery("p1", b4.id);
    a.observeQuery("p1", a4.id);
    expect(flush(a, toB.actions)).toBe(1);
    expect(toB.sent.map((r) => r.observations.map((o) => o.chain.get(4)))).toEqual([[a4.id], [a4.id]]);
    // b now knows p1 from a: its own identical observation is not sent back, nor is a's relayed.
    const toA = wire("b", a, [member("a")]);
    b.observeQuery("p1", a4.id);
    expect(flush(b, toA.actions)).toBe(0);
    expect(toA.sent).toEqual([]);
  });

  it("merges only undecided heights this peer could answer about", () => {
    const { b, a4, clock } = pair();
    const far = 2 + COLLUSION_LIMITS.maxHeightsPerObservation + 1;
    b.takeReport!("a", { group: "cabal", observations: [{ member: "p1", chain: new Map([[2, "decided"], [4, a4.id], [far, "too far"]]) }] });
    expect([b.split.supporters(2, "decided"), b.split.supporters(4, a4.id), b.split.supporters(far, "too far")]).toEqual([0, 1, 0]);
    // Heights decided since are pruned when the next report comes.
    clock.floor = 4;
    expect(b.takeReport!("a", { group: "cabal", observations: [{ member: "p2", chain: new Map([[4, a4.id]]) }] })).toBe(0);
    expect(b.split.supporters(4, a4.id)).toBe(0);
  });

  it("refuses a report for another group, naming that group, and merges nothing of it", () => {
    const { b, a4 } = pair();
    const report: FellowReport = { group: "rivals", observations: [{ member: "p1", chain: new Map([[4, a4.id]]) }] };
    expect(thrown(() => b.takeReport!("c", report))).toBe(`${ErrorCode.WRONG_GROUP}: a report for byzantine group "rivals": not this peer's group`);
    expect(b.split.knows("p1")).toBe(false);
    expect(b.isFellow("c")).toBe(false);
  });

  it("a balancer without a group takes no reports (it serves no Collusion)", () => {
    expect(new BalancingBehaviour(forkedView().view, () => 0).takeReport).toBeUndefined();
  });
});

describe("the collusion's bounds", () => {
  it("a report tells of at most maxObservationsPerReport members; the rest go with the next flush", () => {
    const batch = new ObservationBatch();
    const n = COLLUSION_LIMITS.maxObservationsPerReport + 10;
    for (let i = 0; i < n; i++) batch.add(`p${i}`, new Map([[3, "x"]]));
    expect(batch.take(2)).toHaveLength(COLLUSION_LIMITS.maxObservationsPerReport);
    expect(batch.take(2).map((o) => o.member)).toEqual(Array.from({ length: 10 }, (_, i) => `p${COLLUSION_LIMITS.maxObservationsPerReport + i}`));
    expect(batch.size).toBe(0);
  });

  it("keeps at most maxPendingMembers members waiting (the oldest go) and maxHeightsPerObservation heights each (the lowest go)", () => {
    const batch = new ObservationBatch();
    for (let i = 0; i <= COLLUSION_LIMITS.maxPendingMembers; i++) batch.add(`p${i}`, new Map([[3, "x"]]));
    expect(batch.size).toBe(COLLUSION_LIMITS.maxPendingMembers);
    expect(batch.take(2, 1)[0]!.member).toBe("p1");
    const wide = new ObservationBatch();
    const heights = COLLUSION_LIMITS.maxHeightsPerObservation + 5;
    wide.add("m", new Map(Array.from({ length: heights }, (_, i): [number, string] => [i + 1, "x"])));
    const [o] = wide.take(0);
    expect([o!.chain.size, Math.min(...o!.chain.keys())]).toEqual([COLLUSION_LIMITS.maxHeightsPerObservation, 6]);
  });

  it("takes at most maxReportsPerSecondFrom reports a second from one sender, and more the next second", () => {
    const rate = new SenderRate();
    for (let i = 0; i < COLLUSION_LIMITS.maxReportsPerSecondFrom; i++) rate.take("a", 500);
    expect(thrown(() => rate.take("a", 999))).toBe(`${ErrorCode.OVERLOADED}: more than ${COLLUSION_LIMITS.maxReportsPerSecondFrom} reports a second from a`);
    rate.take("b", 999); // another sender has its own second
    expect(() => rate.take("a", 1500)).not.toThrow();
  });

  it("a balancer refuses past the sender's rate, as OVERLOADED", () => {
    const { b } = pair();
    const empty: FellowReport = { group: "cabal", observations: [] };
    for (let i = 0; i < COLLUSION_LIMITS.maxReportsPerSecondFrom; i++) b.takeReport!("a", empty);
    expect(thrown(() => b.takeReport!("a", empty))).toMatch(/^OVERLOADED: /);
  });

  it("tries every member, keeps sending to those that accepted, and tries the refused again only after retryRefusedMs", () => {
    const f = new Fellows();
    const members = ["honest", "fellow", "gone"].map(member);
    expect(f.due(members, 0).map((m) => m.nodeId)).toEqual(["honest", "fellow", "gone"]);
    for (const m of members) f.sending(m.nodeId);
    expect(f.due(members, 0)).toEqual([]); // one report in flight each
    f.answered("honest", "refused", 0);
    f.answered("fellow", "accepted", 0);
    f.answered("gone", "failed", 0);
    expect(f.due(members, 1).map((m) => m.nodeId)).toEqual(["fellow"]);
    expect(f.due(members, COLLUSION_LIMITS.retryFailedMs).map((m) => m.nodeId)).toEqual(["fellow", "gone"]);
    expect(f.due(members, COLLUSION_LIMITS.retryRefusedMs).map((m) => m.nodeId)).toEqual(["fellow", "honest", "gone"]);
  });

  it("sends at most maxReportsPerFlush reports a flush, fellows first", () => {
    const f = new Fellows();
    const many = Array.from({ length: COLLUSION_LIMITS.maxReportsPerFlush + 4 }, (_, i) => member(`m${i}`));
    const last = many[many.length - 1]!.nodeId;
    f.heardFrom(last);
    const due = f.due(many, 0);
    expect(due).toHaveLength(COLLUSION_LIMITS.maxReportsPerFlush);
    expect(due[0]!.nodeId).toBe(last);
  });

  it("remembers at most maxFellowsRemembered members: the oldest is forgotten (and tried again)", () => {
    const f = new Fellows();
    const n = COLLUSION_LIMITS.maxFellowsRemembered;
    for (let i = 0; i <= n; i++) f.answered(`m${i}`, "refused", 0);
    expect(f.due([member("m0"), member("m1"), member(`m${n}`)], 1).map((m) => m.nodeId)).toEqual(["m0"]);
  });

  it("a flush with nothing new, or nobody to hear it, sends nothing and keeps what changed", async () => {
    const { a, a4 } = pair();
    const collusion = { flush: (x: FellowActions) => a.flushReports(x) };
    const sent: string[] = [];
    const refusing: FellowActions = { members: () => [member("h")], report: (to) => (sent.push(to.nodeId), Promise.resolve("refused")) };
    expect(collusion.flush(refusing)).toBe(0);
    a.observeQuery("p1", a4.id);
    expect(collusion.flush(refusing)).toBe(1);
    await settle();
    a.observeQuery("p2", a4.id);
    expect(collusion.flush(refusing)).toBe(0); // h refused: not tried again yet
    const accepting: FellowActions = { members: () => [member("f")], report: (to) => (sent.push(to.nodeId), Promise.resolve("accepted")) };
    expect(collusion.flush(accepting)).toBe(1);
    expect(sent).toEqual(["h", "f"]);
  });
});
