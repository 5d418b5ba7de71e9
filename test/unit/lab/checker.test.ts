import { checkHistory } from "../../../src/lab/checker";
import { checkEntries } from "../../../src/lab/checker/entries";
import { binomialTail, expectationFor, judgeable, NetworkModel, pollOutcome, pollsToDecide } from "../../../src/lab/checker/model";
import { checkSafety } from "../../../src/lab/checker/safety";
import type { HistoryEvent } from "../../../src/lab/history";
import { labParams } from "../../../src/lab/params";
import { HistoryBuilder } from "../../utils/lab/history";

const PEERS = ["peer-0", "peer-1", "peer-2", "peer-3", "peer-4"];
const row = (v: ReturnType<typeof checkHistory>, prefix: string) => v.results.filter((r) => r.check.startsWith(prefix));

describe("the arithmetic", () => {
  const p = labParams({});

  it("computes the binomial tail and the expected polls to β consecutive successes", () => {
    expect(binomialTail(20, 1, 15)).toBe(1);
    expect(binomialTail(20, 0, 15)).toBe(0);
    expect(binomialTail(20, 0.8, 15)).toBeCloseTo(0.8042, 3);
    expect(pollsToDecide(1, 20)).toBe(20);
    expect(pollsToDecide(0.5, 1)).toBeCloseTo(2, 6);
  });

  const OK = { ok: 1, silent: 0, delayMs: 0 };
  const REFUSED = { ok: 0, silent: 0, delayMs: 0 };
  const SILENT = { ok: 0, silent: 1, delayMs: 0 };
  /** Itself and four others, `bad` of them refusing or silent. */
  const sample = (bad: number, how = REFUSED) => [OK, ...Array.from({ length: 4 }, (_, i) => (i < bad ? how : OK))];

  it("computes one poll exactly: a member drawn m times takes its m votes with it", () => {
    // All five answer: every poll succeeds, none waits.
    expect(pollOutcome(20, 15, sample(0))).toEqual({ success: 1, wait: 0 });
    // One refusing member of five: success iff it is drawn at most 5 times of 20, P = 0.804.
    expect(pollOutcome(20, 15, sample(1)).success).toBeCloseTo(1 - binomialTail(20, 0.2, 6), 6);
    expect(pollOutcome(20, 15, sample(1)).wait).toBe(0);
    // The same member silent instead: the failing polls now wait for it.
    expect(pollOutcome(20, 15, sample(1, SILENT)).wait).toBeCloseTo(1 - 0.8042, 3);
  });

  it("expects progress with one peer of five refusing, a stall with two, at K=20 αC=15 β=20", () => {
    expect(expectationFor(sample(1), p)).toMatchObject({ expect: "progress", r: 0.8 });
    expect(expectationFor(sample(1), p).decisionMs).toBeLessThan(1000);
    expect(expectationFor(sample(2), p)).toMatchObject({ expect: "stall", r: 0.6 });
    expect(judgeable("stall", 10_000, expectationFor(sample(2), p).decisionMs)).toBe(true);
  });

  it("expects slow decisions when the missing fifth is silent: a 10 s stretch cannot be judged", () => {
    const e = expectationFor(sample(1, SILENT), p);
    expect(e.expect).toBe("progress");
    expect(e.decisionMs).toBeGreaterThan(10_000);
    expect(judgeable("progress", 10_000, e.decisionMs)).toBe(false);
  });

  it("expects 20% loss on every link to cost far more than 20% of the votes: a lost message takes all its draws", () => {
    const lossy = [OK, ...Array.from({ length: 4 }, () => ({ ok: 0.8, silent: 0.2, delayMs: 0 }))];
    const e = expectationFor(lossy, p);
    expect(e.r).toBeCloseTo(0.84);
    expect(e.decisionMs).toBeGreaterThan(30_000);
  });

  it("expects 100 ± 50 ms of delay to slow decisions, not stop them", () => {
    const slow = [OK, ...Array.from({ length: 4 }, () => ({ ok: 1, silent: 0, delayMs: 100 }))];
    expect(judgeable("progress", 10_000, expectationFor(slow, p).decisionMs)).toBe(true);
  });

  it("drops a member unreachable longer than MEMBER_GRACE_MS from the sample, which raises r", () => {
    const h = new HistoryBuilder(PEERS, { graceMs: 4000 }).partition([PEERS.slice(0, 2), PEERS.slice(2)], 1000, 20000).finish(21000);
    const m = new NetworkModel(h);
    expect(m.moment("peer-0", m.stepOf(3000)).r).toBeCloseTo(0.4);
    expect(m.moment("peer-0", m.stepOf(3000)).expect).toBe("stall");
    expect(m.moment("peer-0", m.stepOf(8000)).r).toBe(1);
    expect(m.moment("peer-0", m.stepOf(8000)).expect).toBe("progress");
    expect(m.forkPossible("peer-0", "peer-3").possible).toBe(true);
    expect(m.forkPossible("peer-0", "peer-1").possible).toBe(false);
  });
});

describe("safety", () => {
  it("passes when every peer accepted the same block at every height", () => {
    const h = new HistoryBuilder(PEERS).blocks(PEERS, 0, 5000).finish(6000);
    expect(checkSafety(h, new NetworkModel(h))).toMatchObject({ valid: true, observed: "one block at each of 25 heights, on every peer" });
  });

  it("fails a fork no partition explains, naming the peers and the height", () => {
    const h = new HistoryBuilder(PEERS).blocks(PEERS, 0, 1000).blocks(["peer-0"], 1000, 1200, 200, "x").blocks(PEERS.slice(1), 1000, 1200).finish(2000);
    const r = checkSafety(h, new NetworkModel(h));
    expect(r.valid).toBe(false);
    expect(r.observed).toMatch(/^FORK not predicted: peer-0 and peer-1 accepted different blocks at height 6/);
  });

  it("fails one peer that accepted two blocks at one height", () => {
    const h: HistoryEvent[] = new HistoryBuilder(PEERS).blocks(PEERS, 0, 400).finish(1000);
    h.push({ type: "block", t: 900, peer: "peer-2", height: 1, id: "other", parent: "", proposer: "peer-2", ts: 0, entries: [] });
    expect(checkSafety(h, new NetworkModel(h)).observed).toBe("peer-2 accepted two different blocks at height 1");
  });

  it("calls a fork across a partition longer than the grace period 'fork, as predicted', with its heights", () => {
    const a = PEERS.slice(0, 2);
    const b = PEERS.slice(2);
    const h = new HistoryBuilder(PEERS, { graceMs: 2000 })
      .blocks(PEERS, 0, 1000)
      .partition([a, b], 1000, 9000)
      .blocks(a, 4000, 8000, 500, "a")
      .blocks(b, 4000, 8000, 500, "b")
      .finish(10000);
    const r = checkSafety(h, new NetworkModel(h));
    expect(r.valid).toBe(true);
    expect(r.observed).toMatch(/^fork, as predicted: \[peer-0 peer-1\] vs \[peer-2 peer-3 peer-4\] at heights 6–13/);
  });
});

describe("entries (set-full)", () => {
  it("counts every acknowledged entry accepted once everywhere as stable", () => {
    const h = new HistoryBuilder(PEERS).blocks(PEERS, 0, 1000).ackAll("peer-0").finish(2000);
    expect(checkEntries(h)).toMatchObject({ valid: true, details: { counts: { acknowledged: 5, stable: 5, lost: 0, duplicated: 0 } } });
  });

  it("fails a lost entry, a duplicated one and one nobody submitted", () => {
    const b = new HistoryBuilder(PEERS).blocks(PEERS, 0, 600).ackAll("peer-0");
    b.events.push({ type: "submit", t: 1, peer: "peer-1", entry: "gone" }, { type: "ack", t: 2, peer: "peer-1", entry: "gone" });
    const h = b.finish(2000);
    const final = h.find((e): e is Extract<HistoryEvent, { type: "final" }> => e.type === "final" && e.peer === "peer-3")!;
    final.chain = [...final.chain, { height: 4, id: "b4", entries: ["e-1", "stranger"] }];
    const r = checkEntries(h);
    expect(r.valid).toBe(false);
    expect(r.details).toMatchObject({ counts: { acknowledged: 4, stable: 2, lost: 1, duplicated: 1, unexpected: 1 } });
    expect(r.observed).toMatch(/gone acked by peer-1, missing on peer-0 peer-1 peer-2 peer-3 peer-4/);
  });

  it("allows an entry whose submit failed and that was accepted all the same", () => {
    const b = new HistoryBuilder(PEERS).blocks(PEERS, 0, 200);
    b.events.push({ type: "submit", t: 0, peer: "peer-0", entry: "e-1" }, { type: "fail", t: 1, peer: "peer-0", entry: "e-1", reason: "DEADLINE_EXCEEDED" });
    expect(checkEntries(b.finish(1000))).toMatchObject({ valid: true, details: { counts: { neverAckedButAccepted: 1 } } });
  });
});

describe("liveness by the arithmetic", () => {
  const survivors = PEERS.slice(0, 3);

  it("passes a stall while more than 1 − αC/K are down, and progress after they return", () => {
    const h = new HistoryBuilder(PEERS)
      .blocks(PEERS, 0, 2000)
      .fault("f1", "kill", "kill peer-3 peer-4", ["peer-3", "peer-4"], 2000, 12000)
      .down(["peer-3", "peer-4"], 2000, 12000)
      .blocks(PEERS, 12500, 20000)
      .ackAll("peer-0")
      .finish(20000);
    const v = checkHistory(h, { recoveryWithinMs: 10000 });
    const during = row(v, "liveness during f1");
    expect(during).toHaveLength(1);
    expect(during[0]).toMatchObject({ valid: true });
    expect(during[0]!.expected).toMatch(/^stall \(r 0\.60 < 0\.75\) on peer-0 peer-1 peer-2/);
    expect(v.valid).toBe(true);
  });

  it("fails progress where the arithmetic says stall (β too low, or a quorum that is not one)", () => {
    const h = new HistoryBuilder(PEERS)
      .blocks(PEERS, 0, 2000)
      .fault("f1", "kill", "kill peer-3 peer-4", ["peer-3", "peer-4"], 2000, 12000)
      .down(["peer-3", "peer-4"], 2000, 12000)
      .blocks(survivors, 2000, 12000, 500)
      .finish(14000);
    const during = row(checkHistory(h, { recoveryWithinMs: 10000 }), "liveness during f1")[0]!;
    expect(during.valid).toBe(false);
    expect(during.observed).toMatch(/peer-0 accepted \d+ block\(s\) .* expected a stall/);
  });

  it("fails a stall where the arithmetic says progress", () => {
    const h = new HistoryBuilder(PEERS)
      .blocks(PEERS, 0, 2000)
      .fault("f1", "kill", "kill peer-4", ["peer-4"], 2000, 12000)
      .down(["peer-4"], 2000, 12000)
      .blocks(PEERS, 12500, 16000)
      .finish(16000);
    const during = row(checkHistory(h, { recoveryWithinMs: 10000 }), "liveness during f1")[0]!;
    expect(during).toMatchObject({ valid: false });
    expect(during.observed).toMatch(/^peer-0 stalled/);
  });

  it("measures recovery from a fault's end to the affected peers at the network's height", () => {
    const h = new HistoryBuilder(PEERS)
      .blocks(PEERS, 0, 200)
      .blocks(PEERS.slice(0, 4), 200, 6000)
      .fault("f1", "kill", "kill peer-4", ["peer-4"], 0, 4000)
      .down(["peer-4"], 0, 4000)
      .finish(7000);
    // peer-4 stays at height 1: it never gets back to the height the others had when its fault ended.
    expect(row(checkHistory(h, { recoveryWithinMs: 2000 }), "recovery after f1")[0]).toMatchObject({ valid: false, observed: "never: peer-4 at 1 below height 21" });
  });
});

describe("byzantine peers in the history", () => {
  const BYZ = { peers: ["peer-4"], behaviour: "sync-liar" };

  it("judges the honest peers only: a liar's own chain is no fork, its acknowledgements no promise", () => {
    const b = new HistoryBuilder(PEERS, {}, PEERS.slice(0, 4), BYZ).blocks(PEERS.slice(0, 4), 0, 10_000).ackAll("peer-0").blocks(["peer-4"], 0, 10_000, 200, "lie-");
    b.events.push({ type: "submit", t: 0, peer: "peer-4", entry: "never accepted" }, { type: "ack", t: 0, peer: "peer-4", entry: "never accepted" });
    const v = checkHistory(b.finish(10_000), { recoveryWithinMs: 10_000 });
    expect(row(v, "safety")[0]).toMatchObject({ valid: true });
    expect(row(v, "entries")[0]).toMatchObject({ valid: true });
    // The same history without the byzantine label is a fork nobody predicted.
    const plain = new HistoryBuilder(PEERS).blocks(PEERS.slice(0, 4), 0, 10_000).blocks(["peer-4"], 0, 10_000, 200, "lie-");
    expect(row(checkHistory(plain.finish(10_000), { recoveryWithinMs: 10_000 }), "safety")[0]).toMatchObject({ valid: false });
  });

  it("counts a byzantine member as a vote that never helps: one liar of five still leaves progress, two a stall", () => {
    const one = new NetworkModel(new HistoryBuilder(PEERS, {}, PEERS.slice(0, 4), BYZ).finish(2_000));
    expect(one.peers).toEqual(PEERS.slice(0, 4));
    expect(one.moment("peer-0", 5)).toMatchObject({ expect: "progress", r: 0.8 });
    const two = new NetworkModel(new HistoryBuilder(PEERS, {}, PEERS.slice(0, 3), { peers: ["peer-3", "peer-4"], behaviour: "random" }).finish(2_000));
    expect(two.moment("peer-0", 5)).toMatchObject({ expect: "stall", r: 0.6 });
  });
});
