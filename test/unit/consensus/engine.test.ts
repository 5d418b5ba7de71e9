import type { BlockId } from "../../../src/chain/types";
import { Consensus, type Decisions } from "../../../src/consensus/consensus";
import { Engine, answerQuery, type EngineDeps, type PollReport } from "../../../src/consensus/engine";
import type { Network } from "../../../src/consensus/ports";
import type { NodeId, Query, QueryReply } from "../../../src/consensus/types";
import { GENESIS, testBlock } from "../../utils/consensus/blocks";
import { ManualClock } from "../../utils/consensus/clock";
import { DeferredNetwork, flushPromises } from "../../utils/consensus/deferred-network";
import { ScriptedRandom, SeededRandom } from "../../utils/consensus/random";

const params = { k: 20, alphaPreference: 11, alphaConfidence: 15, beta: 3, concurrentPolls: 2 };

/** Random values that pick member index i of [self, ...members] among n. */
const pickOf = (i: number, n: number): number => (i + 0.5) / n;

interface Harness {
  engine: Engine;
  consensus: Consensus;
  network: DeferredNetwork;
  decisions: Decisions[];
  reports: PollReport[];
  errors: unknown[];
  unknown: [BlockId, NodeId][];
  /** Tasks the engine scheduled, when the harness holds them (`manual`). */
  tasks: (() => void)[];
  clock: ManualClock;
}

function harness(opts: {
  members?: NodeId[];
  /** `members` lists "self" too (Membership.includesSelf). */
  includesSelf?: boolean;
  random?: number[];
  network?: Network;
  deps?: Partial<EngineDeps>;
  concurrentPolls?: number;
  /** Hold scheduled tasks until the test runs them (else the engine's default, a microtask). */
  manual?: boolean;
}): Harness {
  const tasks: (() => void)[] = [];
  const consensus = new Consensus(params, GENESIS);
  const network = new DeferredNetwork();
  const decisions: Decisions[] = [];
  const reports: PollReport[] = [];
  const errors: unknown[] = [];
  const unknown: [BlockId, NodeId][] = [];
  const clock = new ManualClock(1000);
  const engine = new Engine(
    { ...params, concurrentPolls: opts.concurrentPolls ?? params.concurrentPolls },
    {
      selfId: "self",
      consensus,
      network: opts.network ?? network,
      membership: { members: () => opts.members ?? [], includesSelf: opts.includesSelf },
      random: opts.random ? new ScriptedRandom(opts.random) : new SeededRandom(1),
      clock,
      answerSelf: (q) => answerQuery(consensus, q, () => undefined),
      onDecisions: (d) => decisions.push(d),
      onPoll: (r) => {
        clock.advance(5);
        reports.push(r);
      },
      onUnknownBlock: (id, from) => unknown.push([id, from]),
      onError: (err) => errors.push(err),
      ...(opts.manual ? { schedule: (task: () => void) => tasks.push(task) } : {}),
      ...opts.deps,
    },
  );
  return { engine, consensus, network, decisions, reports, errors, unknown, tasks, clock };
}

const votes1 = (id: string): Map<string, number> => new Map([[id, 20]]);

const reply = (fromHeight: number, ...ids: (string | undefined)[]): QueryReply => ({
  fromHeight,
  preferredIds: ids,
  lastAcceptedHeight: fromHeight - 1,
});

/** Runs the tasks scheduled so far (not those they schedule). */
function runQueued(h: Harness): void {
  for (const task of h.tasks.splice(0)) task();
}

// Jest fails the running test on an unhandled rejection, so every test here also checks that
// the engine never leaves one behind.

describe("Engine", () => {
  it("stays idle while nothing is undecided", async () => {
    const h = harness({ members: ["b", "c"] });
    h.engine.kick();
    await flushPromises();
    expect(h.engine.inFlight).toBe(0);
    expect(h.network.calls).toHaveLength(0);
    expect(h.reports).toHaveLength(0);
  });

  it("asks each sampled member once with the preferred chain, counting multiplicity", async () => {
    // [self, b, c]: b 15 times, c 5 times.
    const random = [...Array(15).fill(pickOf(1, 3)), ...Array(5).fill(pickOf(2, 3))];
    const h = harness({ members: ["b", "c"], random, concurrentPolls: 1 });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.consensus.add(testBlock("a2", 2, "a1"));
    h.engine.kick();
    expect(h.engine.inFlight).toBe(1);
    expect(h.network.calls.map((c) => c.to)).toEqual(["b", "c"]);
    const q = h.network.calls[0].query;
    expect(q.fromHeight).toBe(1);
    expect(q.block.id).toBe("a2");
    expect(q.ancestors.map((b) => b.id)).toEqual(["a1"]);

    // b alone brings 15 votes at both heights: αC everywhere, the poll ends without c.
    h.network.calls[0].resolve(reply(1, "a1", "a2"));
    await flushPromises();
    expect(h.reports[0]).toEqual({ durationMs: 0, successful: true, endedEarly: true, droppedVotes: 0, heights: 2, topShare: 0.75 });
    expect(h.consensus.confidenceAt(1)).toBe(1);
    expect(h.consensus.confidenceAt(2)).toBe(1);
    // The engine kicked itself: a second poll went out.
    expect(h.network.calls).toHaveLength(4);

    // c's late answer to the first poll changes nothing.
    h.network.calls[1].resolve(reply(1, "a1", "a2"));
    await flushPromises();
    expect(h.reports).toHaveLength(1);
    expect(h.consensus.confidenceAt(1)).toBe(1);
  });

  it("counts a failed or thrown query as dropped votes", async () => {
    // self 10 times (answers a1), b and c 5 times each: both failures are needed to end it.
    const random = [...Array(10).fill(pickOf(0, 3)), ...Array(5).fill(pickOf(1, 3)), ...Array(5).fill(pickOf(2, 3))];
    const network: Network = {
      query: (to) => {
        if (to === "c") throw new Error("synchronous failure");
        return Promise.reject(new Error("timeout"));
      },
    };
    const h = harness({ members: ["b", "c"], random, network, concurrentPolls: 1, manual: true });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    await flushPromises();
    expect(h.reports).toEqual([{ durationMs: 0, successful: false, endedEarly: false, droppedVotes: 10, heights: 1, topShare: 0.5 }]);
    await h.engine.stop();
  });

  it("starts the next poll through the scheduler, so instant failures cannot spin in promise callbacks", async () => {
    const network: Network = { query: () => Promise.reject(new Error("no connection")) };
    const h = harness({ members: ["b"], random: [pickOf(1, 2)], network, concurrentPolls: 1, manual: true });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    await flushPromises();
    expect(h.reports).toHaveLength(1);
    expect(h.engine.inFlight).toBe(0);
    runQueued(h);
    expect(h.engine.inFlight).toBe(1);
    await flushPromises();
    expect(h.reports).toHaveLength(2);
    await h.engine.stop();
    runQueued(h);
    expect(h.engine.inFlight).toBe(0);
  });

  it("keeps up to concurrentPolls polls in flight, and kick is idempotent", () => {
    const h = harness({ members: ["b"], random: [pickOf(1, 2)] });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    h.engine.kick();
    expect(h.engine.inFlight).toBe(2);
  });

  it("asks a member once for all the polls started in one turn, and again in the next", async () => {
    const h = harness({ members: ["b"], random: [pickOf(1, 2)] });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    expect(h.engine.inFlight).toBe(2);
    expect(h.network.calls).toHaveLength(1);
    h.network.calls[0]!.resolve(reply(1, "a1"));
    await flushPromises();
    expect(h.reports).toHaveLength(2); // one answer settled both polls
    runQueued(h);
    expect(h.network.calls.length).toBeGreaterThan(1); // a new turn asks anew
  });

  it("decides alone in a network of one, reporting decisions asynchronously", async () => {
    const h = harness({ members: [] });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.consensus.add(testBlock("b1", 1, "genesis"));
    h.consensus.add(testBlock("a2", 2, "a1"));
    h.engine.kick();
    expect(h.decisions).toHaveLength(0); // never inside the caller's kick()
    await flushPromises();
    const accepted = h.decisions.flatMap((d) => d.accepted.map((b) => b.id));
    expect(accepted).toEqual(["a1", "a2"]);
    expect(h.decisions.flatMap((d) => d.rejected.map((b) => b.id))).toEqual(["b1"]);
    expect(h.reports.length).toBeGreaterThanOrEqual(params.beta);
    expect(h.reports.every((r) => r.successful && r.droppedVotes === 0)).toBe(true);
    expect(h.engine.inFlight).toBe(0);
    expect(h.consensus.undecided()).toBeUndefined();
  });

  it("stop abandons polls in flight and starts no more", async () => {
    const h = harness({ members: ["b"], random: [pickOf(1, 2)] });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    await h.engine.stop();
    expect(h.engine.inFlight).toBe(0);
    for (const call of h.network.calls) call.resolve(reply(1, "a1"));
    await flushPromises();
    expect(h.reports).toHaveLength(0);
    expect(h.consensus.confidenceAt(1)).toBe(0);
    runQueued(h);
    h.engine.kick();
    expect(h.network.calls).toHaveLength(1);
  });

  it("reports unknown blocks only above the last accepted height", async () => {
    const h = harness({ members: ["b"], random: [pickOf(1, 2)], concurrentPolls: 1 });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.consensus.add(testBlock("a2", 2, "a1"));
    h.engine.kick();
    // Meanwhile a1 was accepted here (decided by other polls): a vote for another block at
    // height 1 is stale, not unknown.
    for (let i = 0; i < params.beta; i++) h.consensus.recordPoll(1, [votes1("a1")]);
    expect(h.consensus.lastAcceptedHeight).toBe(1);
    h.network.calls[0].resolve(reply(1, "z1", "z2"));
    await flushPromises();
    expect(h.unknown).toEqual([["z2", "b"]]);
    await h.engine.stop();
  });

  it("reports blocks voted for but unknown here", async () => {
    const h = harness({ members: ["b"], random: [pickOf(1, 2)], concurrentPolls: 1 });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.consensus.add(testBlock("a2", 2, "a1"));
    h.engine.kick();
    h.network.calls[0].resolve(reply(1, "a1", "z2"));
    await flushPromises();
    expect(h.unknown).toEqual([["z2", "b"]]);
    await h.engine.stop();
  });

  it("sends the whole preferred chain, asks only the members sampled, and answers itself only when sampled", async () => {
    const h = harness({
      members: ["b"],
      random: [pickOf(1, 2)],
      concurrentPolls: 1,
      deps: {
        answerSelf: () => {
          throw new Error("not sampled: never asked");
        },
      },
    });
    for (const [id, height, parent] of [["a1", 1, "genesis"], ["a2", 2, "a1"], ["a3", 3, "a2"]] as const) {
      h.consensus.add(testBlock(id, height, parent));
    }
    h.engine.kick();
    expect(h.network.calls.map((c) => c.to)).toEqual(["b"]);
    expect(h.network.calls[0].query.ancestors.map((b) => b.id)).toEqual(["a1", "a2"]);
    h.network.calls[0].resolve(reply(1, undefined, "z2", "a3"));
    await flushPromises();
    expect(h.errors).toEqual([]);
    // No opinion at height 1 is no block to fetch.
    expect(h.unknown).toEqual([["z2", "b"]]);
    await h.engine.stop();
  });

  it("asks again, in the same turn, when the question changed", async () => {
    const h = harness({ members: ["b"], random: [pickOf(1, 2)], manual: true });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick(); // two polls, one query
    h.network.calls[0].resolve(reply(1, "a1"));
    await flushPromises();
    // Both polls applied; their kick is queued behind the task that forgets this turn's queries.
    h.consensus.add(testBlock("a2", 2, "a1"));
    (h.tasks.pop() as () => void)();
    expect(h.network.calls.map((c) => c.query.block.id)).toEqual(["a1", "a2"]);
    await h.engine.stop();
  });

  it("works without the optional hooks", async () => {
    const h = harness({ members: ["b"], random: [pickOf(1, 2)], concurrentPolls: 1, deps: { onPoll: undefined, onUnknownBlock: undefined } });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    h.network.calls[0].resolve(reply(1, "z1"));
    await flushPromises();
    expect(h.errors).toEqual([]);
    expect(h.engine.inFlight).toBe(1); // recorded, and the next poll went out
    await h.engine.stop();
  });

  it("reports a hook that throws on an answer, and a scheduled poll that cannot start", async () => {
    let calls = 0;
    const h = harness({
      random: [pickOf(1, 2)],
      concurrentPolls: 1,
      deps: {
        membership: {
          members: () => {
            if (++calls > 1) throw new Error("membership failed");
            return ["b"];
          },
        },
        onUnknownBlock: () => {
          throw new Error("fetch failed");
        },
      },
    });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    h.network.calls[0].resolve(reply(1, "z1"));
    await flushPromises();
    expect(h.errors.map((e) => (e as Error).message)).toEqual(["fetch failed", "membership failed"]);
    await h.engine.stop();
  });

  it("calls onDecisions for an acceptance that rejected nothing and moved no preference", async () => {
    const h = harness({ members: [] });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    await flushPromises();
    expect(h.decisions).toEqual([{ accepted: [testBlock("a1", 1, "genesis")], rejected: [], preferenceChanges: 0 }]);
  });

  it("reports a malformed answer, and the poll still settles", async () => {
    const h = harness({ members: ["b"], random: [pickOf(1, 2)], concurrentPolls: 1 });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    h.network.calls[0].resolve({ fromHeight: 1, preferredIds: null, lastAcceptedHeight: 0 } as unknown as QueryReply);
    await flushPromises();
    expect(h.errors).toHaveLength(1);
    expect(h.reports).toMatchObject([{ successful: false }]);
    await h.engine.stop();
  });

  it("calls onDecisions only when a poll decided or moved something", async () => {
    const h = harness({ members: ["b"], random: [pickOf(1, 2)], concurrentPolls: 1 });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    h.network.calls[0].resolve(reply(1, "a1")); // a1 was preferred already: nothing moved
    await flushPromises();
    expect(h.reports).toHaveLength(1);
    expect(h.decisions).toEqual([]);
    await h.engine.stop();
  });

  it("carries on when the error hook itself throws", async () => {
    const h = harness({
      members: [],
      deps: {
        onPoll: () => {
          throw new Error("metrics failed");
        },
        onError: () => {
          throw new Error("logger failed");
        },
      },
    });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    await flushPromises();
    expect(h.consensus.lastAcceptedHeight).toBe(1);
  });

  it("survives callbacks that throw, reporting them", async () => {
    const h = harness({
      members: [],
      deps: {
        answerSelf: () => {
          throw new Error("answer failed");
        },
      },
      concurrentPolls: 1,
      manual: true,
    });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    runQueued(h); // the poll, settled by its (dropped) self vote alone
    await h.engine.stop();
    expect(h.errors).toHaveLength(1);
    expect(h.reports[0]).toMatchObject({ successful: false, droppedVotes: 20 });

    const failing = harness({
      members: [],
      deps: {
        onDecisions: () => {
          throw new Error("store failed");
        },
      },
    });
    failing.consensus.add(testBlock("a1", 1, "genesis"));
    failing.engine.kick();
    await flushPromises();
    expect(failing.errors.length).toBeGreaterThan(0);
    expect(failing.consensus.lastAcceptedHeight).toBe(1);
  });
});

describe("Engine: sampling", () => {
  it("draws from a shared list that holds this node too, uniformly, answering itself", async () => {
    // [b, self, c] as listed: the draws pick b 5 times and self 15 times, never "nobody".
    const random = [...Array(5).fill(0), ...Array(15).fill(pickOf(1, 3))];
    const h = harness({ members: ["b", "self", "c"], includesSelf: true, random, concurrentPolls: 1, manual: true });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    expect(h.network.calls.map((c) => c.to)).toEqual(["b"]);
    runQueued(h);
    // The self vote (15) reaches αC alone.
    expect(h.reports).toEqual([{ durationMs: 0, successful: true, endedEarly: true, droppedVotes: 0, heights: 1, topShare: 0.75 }]);
    await h.engine.stop();
  });

  it("draws over this node and its members when the list leaves it out, even at the top of the range", () => {
    // [self, b, c]: 0 is self, a draw of exactly 1 (beyond the port's [0, 1)) still picks c.
    const h = harness({ members: ["b", "c"], random: [...Array(10).fill(0), ...Array(5).fill(pickOf(1, 3)), ...Array(5).fill(1)] });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    expect(h.network.calls.map((c) => c.to)).toEqual(["b", "c"]);
  });
});

describe("Engine: polls are applied in the order they were issued", () => {
  // [self, b, c]: poll 1 asks c only, poll 2 b only, every later poll c only.
  const B = pickOf(1, 3);
  const C = pickOf(2, 3);
  const script = [...Array(20).fill(C), ...Array(20).fill(B), ...Array(400).fill(C)];
  const accepted = (h: Harness): string[] => h.decisions.flatMap((d) => d.accepted.map((b) => b.id));
  const A1 = reply(1, "a1");

  it("does not accept after polls 1, 3 and 4 when poll 2, issued before 3, fails (β=3, 2 in flight)", async () => {
    const h = harness({ members: ["b", "c"], random: script });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick(); // polls 1 (c) and 2 (b)
    // c answers every query it gets, at once. Recorded in finish order, polls 1, 3 and 4 would
    // be three confident polls in a row: a1 accepted while poll 2 is still out.
    for (let i = 0; i < 3 && h.network.answer("c", A1); i++) await flushPromises();
    expect(accepted(h)).toEqual([]);
    // Poll 3 finished but waits for poll 2, and keeps its slot: no poll 4 went out.
    expect(h.reports.map((r) => r.successful)).toEqual([true]);
    expect(h.engine.inFlight).toBe(2);
    expect(h.network.callsTo("c")).toHaveLength(2);

    h.network.fail("b");
    await flushPromises();
    // Poll 2's failure restarted confidence before poll 3 was counted.
    expect(h.reports.map((r) => r.successful)).toEqual([true, false, true]);
    expect(h.consensus.confidenceAt(1)).toBe(1);
    expect(accepted(h)).toEqual([]);

    // Polls 4 and 5 (one shared query to c) make three in a row.
    expect(h.network.answer("c", A1)).toBe(true);
    await flushPromises();
    expect(accepted(h)).toEqual(["a1"]);
    expect(h.errors).toEqual([]);
  });

  it("reports each poll when it is applied, and ignores answers to a finished poll that waits", async () => {
    // [self, b, c, d]. Poll 1: b alone. Poll 2: c 15 times (αC on its own) and d 5 times.
    const [b, c, d] = [1, 2, 3].map((i) => pickOf(i, 4));
    const random = [...Array(20).fill(b), ...Array(15).fill(c), ...Array(5).fill(d)];
    const h = harness({ members: ["b", "c", "d"], random, manual: true });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    expect(h.network.calls.map((call) => call.to)).toEqual(["b", "c", "d"]);
    h.network.answer("c", A1);
    await flushPromises();
    expect(h.reports).toEqual([]); // poll 2 finished early, poll 1 is still out
    h.network.answer("d", A1);
    await flushPromises();
    h.clock.advance(40);
    h.network.answer("b", reply(1)); // no opinion at height 1
    await flushPromises();
    expect(h.reports).toEqual([
      { durationMs: 40, successful: false, endedEarly: false, droppedVotes: 20, heights: 1, topShare: 0 },
      // d's answer came after poll 2 finished: not counted, so poll 2 still ended early with
      // nothing dropped. (The harness's onPoll advances the clock by 5.)
      { durationMs: 45, successful: true, endedEarly: true, droppedVotes: 0, heights: 1, topShare: 0.75 },
    ]);
    // Poll 1 reset confidence, then poll 2 counted.
    expect(h.consensus.confidenceAt(1)).toBe(1);
    expect(h.consensus.strengthOf("a1")).toBe(1);
    await h.engine.stop();
  });

  it("stop abandons a finished poll that waits for an older one", async () => {
    const h = harness({ members: ["b", "c"], random: [...Array(20).fill(B), ...Array(20).fill(C)], manual: true });
    h.consensus.add(testBlock("a1", 1, "genesis"));
    h.engine.kick();
    h.network.answer("c", A1);
    await flushPromises();
    await h.engine.stop();
    expect(h.engine.inFlight).toBe(0);
    h.network.answer("b", A1);
    await flushPromises();
    runQueued(h);
    expect(h.reports).toEqual([]);
    expect(h.consensus.confidenceAt(1)).toBe(0);
    expect(h.network.calls).toHaveLength(2);
    expect(h.errors).toEqual([]);
  });
});

describe("answerQuery", () => {
  const query = (fromHeight: number, ...chain: string[]): Query => {
    const blocks = chain.map((id, i) => testBlock(id, fromHeight + i, i === 0 ? "?" : chain[i - 1]));
    return { fromHeight, block: blocks[blocks.length - 1], ancestors: blocks.slice(0, -1) };
  };

  it("answers accepted ids below the undecided heights, then the preferred chain", () => {
    const c = new Consensus(params, { id: "a2", height: 2 });
    c.add(testBlock("a3", 3, "a2"));
    c.add(testBlock("a4", 4, "a3"));
    const accepted = ["genesis", "a1", "a2"];
    const r = answerQuery(c, query(1, "x1", "x2", "x3", "x4", "x5"), (h) => accepted[h]);
    expect(r).toEqual({ fromHeight: 1, preferredIds: ["a1", "a2", "a3", "a4"], lastAcceptedHeight: 2 });
  });

  it("stops at the end of the preferred chain, and at a height whose preference breaks it", () => {
    const c = new Consensus(params, GENESIS);
    c.add(testBlock("a1", 1, "genesis"));
    c.add(testBlock("b1", 1, "genesis"));
    c.add(testBlock("b2", 2, "b1"));
    expect(answerQuery(c, query(1, "x1", "x2", "x3"), () => undefined).preferredIds).toEqual(["a1"]);
    c.recordPoll(1, [new Map([["b1", 12]])]);
    expect(answerQuery(c, query(1, "x1", "x2", "x3"), () => undefined)).toEqual({
      fromHeight: 1,
      preferredIds: ["b1", "b2"],
      lastAcceptedHeight: 0,
    });
    expect(answerQuery(c, query(2, "x2", "x3"), () => undefined).preferredIds).toEqual(["b2"]);
  });

  it("covers no more heights than the query carries blocks", () => {
    const c = new Consensus(params, GENESIS);
    const q = { ...query(1, "x1"), fromHeight: -1_000_000 };
    expect(answerQuery(c, q, () => "acc").preferredIds).toEqual(["acc"]);
  });
});
