import type { QueryReply } from "../../../src/consensus/types";
import { Poll } from "../../../src/consensus/poll";

const params = { alphaPreference: 11, alphaConfidence: 15 };
const reply = (fromHeight: number, ...ids: (string | undefined)[]): QueryReply => ({
  fromHeight,
  preferredIds: ids,
  lastAcceptedHeight: fromHeight - 1,
});
const sample = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

describe("Poll", () => {
  it("counts a member's answer with its multiplicity", () => {
    const poll = new Poll(params, sample({ n1: 5, n2: 15 }), 1, 1);
    poll.vote("n1", reply(1, "a"));
    expect(poll.tallies()[0].get("a")).toBe(5);
    expect(poll.outstanding).toBe(15);
  });

  it("counts each height of the answer, aligned on the reply's fromHeight", () => {
    const poll = new Poll(params, sample({ n1: 4, n2: 6, n3: 10 }), 5, 7);
    poll.vote("n1", reply(5, "a5", "a6", "a7"));
    poll.vote("n2", reply(4, "x4", "a5", "b6")); // one height lower: shifted
    poll.vote("n3", reply(6, "a6")); // already past 5, nothing at 7
    const [t5, t6, t7] = poll.tallies();
    expect([...t5]).toEqual([["a5", 10]]);
    expect([...t6]).toEqual([["a6", 14], ["b6", 6]]);
    expect([...t7]).toEqual([["a7", 4]]);
    expect(poll.droppedVotes).toBe(10);
  });

  it("lets a member vote once", () => {
    const poll = new Poll(params, sample({ n1: 3, n2: 17 }), 1, 1);
    poll.vote("n1", reply(1, "a"));
    poll.vote("n1", reply(1, "a"));
    poll.drop("n1");
    poll.vote("stranger", reply(1, "a"));
    expect(poll.tallies()[0].get("a")).toBe(3);
    expect(poll.droppedVotes).toBe(0);
    poll.drop("n2");
    poll.vote("n2", reply(1, "a"));
    expect(poll.tallies()[0].get("a")).toBe(3);
    expect(poll.droppedVotes).toBe(17);
  });

  it("counts dropped votes with multiplicity at the lowest height only", () => {
    const poll = new Poll(params, sample({ n1: 3, n2: 2, n3: 15 }), 1, 2);
    poll.drop("n1");
    poll.vote("n2", reply(1, undefined, "b"));
    poll.vote("n3", reply(1, "a")); // nothing at height 2: not counted as dropped
    expect(poll.droppedVotes).toBe(5);
  });

  it("finishes when every member answered", () => {
    const poll = new Poll(params, sample({ n1: 10, n2: 10 }), 1, 1);
    poll.vote("n1", reply(1, "a"));
    expect(poll.finished()).toBe(false);
    poll.vote("n2", reply(1, "b"));
    expect(poll.finished()).toBe(true);
    expect(poll.endedEarly).toBe(false);
  });

  it("ends early once αC is reached at every height, not before", () => {
    const poll = new Poll(params, sample({ n1: 15, n2: 1, n3: 4 }), 1, 2);
    poll.vote("n1", reply(1, "a1", "a2"));
    expect(poll.finished()).toBe(true);
    expect(poll.endedEarly).toBe(true);
    expect(poll.successful).toBe(true);

    const partial = new Poll(params, sample({ n1: 10, n2: 5, n3: 5 }), 1, 2);
    partial.vote("n1", reply(1, "a1", "a2"));
    partial.vote("n2", reply(1, "a1"));
    // αC at height 1 only; height 2 has 10 + 5 outstanding and can still reach it.
    expect(partial.finished()).toBe(false);
  });

  it("ends early when αP can no longer be reached, not while it can", () => {
    const open = new Poll(params, sample({ n1: 6, n2: 4, n3: 5, n4: 5 }), 1, 1);
    open.vote("n1", reply(1, "a"));
    open.vote("n2", reply(1, "b"));
    open.drop("n3");
    // max 6 + outstanding 5 = 11 = αP: a can still win.
    expect(open.finished()).toBe(false);

    const lost = new Poll(params, sample({ n1: 6, n2: 5, n3: 4, n4: 5 }), 1, 1);
    lost.vote("n1", reply(1, "a"));
    lost.vote("n2", reply(1, "b"));
    lost.vote("n4", reply(1, "c"));
    // max 6 + outstanding 4 = 10 < αP: no block can win whatever n3 says.
    expect(lost.finished()).toBe(true);
    expect(lost.endedEarly).toBe(true);
    expect(lost.successful).toBe(false);
  });

  it("ends early at an αP quorum that can no longer reach αC, not while it can", () => {
    const poll = new Poll(params, sample({ n1: 12, n2: 4, n3: 2, n4: 2 }), 1, 1);
    poll.vote("n1", reply(1, "a"));
    poll.vote("n2", reply(1, "b"));
    // 12 + 4 outstanding = 16 ≥ 15: αC still possible.
    expect(poll.finished()).toBe(false);
    poll.drop("n3");
    // 12 + 2 = 14 < 15, and 12 ≥ αP: the outcome is a success without confidence either way.
    expect(poll.finished()).toBe(true);
    expect(poll.endedEarly).toBe(true);
    expect(poll.successful).toBe(true);
  });

  it("needs every height settled before ending early", () => {
    const settled = new Poll(params, sample({ n1: 15, n2: 5 }), 1, 2);
    settled.vote("n1", reply(1, "a1"));
    // Height 1 has αC; height 2 has 0 + 5 outstanding < αP.
    expect(settled.finished()).toBe(true);

    const open = new Poll(params, sample({ n1: 11, n2: 4, n3: 5 }), 1, 2);
    open.vote("n1", reply(1, "a1", "a2"));
    open.vote("n2", reply(1, "a1", "b2"));
    // Height 1 has 15 ≥ αC; height 2 has 11 ≥ αP and 11 + 5 ≥ αC: it can still gain confidence.
    expect(open.finished()).toBe(false);
  });

  it("ignores a member's second answer, even for another block", () => {
    const poll = new Poll(params, sample({ n1: 5, n2: 15 }), 1, 1);
    poll.vote("n1", reply(1, "a"));
    poll.vote("n1", reply(1, "b"));
    expect([...poll.tallies()[0]]).toEqual([["a", 5]]);
  });

  it("ignores the heights of an answer above the poll's top", () => {
    const poll = new Poll(params, sample({ n1: 20 }), 1, 1);
    poll.vote("n1", reply(1, "a", "b", "c"));
    expect(poll.tallies()).toHaveLength(1);
    expect(poll.successful).toBe(true);
  });

  it("succeeds with exactly αP votes, and stops waiting once αC is out of reach", () => {
    const poll = new Poll(params, sample({ n1: 11, n2: 3, n3: 6 }), 1, 1);
    poll.vote("n1", reply(1, "a"));
    expect(poll.successful).toBe(true);
    expect(poll.finished()).toBe(false); // 11 + 9 outstanding can still reach αC = 15
    poll.drop("n3");
    expect(poll.finished()).toBe(true); // 11 + 3 < 15
  });

  it("keeps waiting while exactly αC is still reachable", () => {
    const poll = new Poll(params, sample({ n1: 11, n2: 4, n3: 5 }), 1, 1);
    poll.vote("n1", reply(1, "a"));
    poll.drop("n3");
    expect(poll.finished()).toBe(false); // 11 + 4 = 15 = αC
    poll.vote("n2", reply(1, "a"));
    expect(poll.finished()).toBe(true);
  });
});
