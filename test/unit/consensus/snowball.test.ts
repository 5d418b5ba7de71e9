import { Snowball } from "../../../src/consensus/snowball";

// αP and αC apart so each threshold is tested on its own: K=20, αP=11, αC=15.
const params = { alphaPreference: 11, alphaConfidence: 15, beta: 3 };
const votes = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

function withChoices(...ids: string[]): Snowball {
  const sb = new Snowball(params);
  for (const id of ids) sb.add(id);
  return sb;
}

describe("Snowball", () => {
  it("prefers the candidate first in the initial order until a poll succeeds, not the lowest id", () => {
    const sb = new Snowball(params);
    sb.add("a", "2");
    expect(sb.preference).toBe("a");
    sb.add("b", "1");
    expect(sb.preference).toBe("b");
    sb.add("0", "3"); // the lowest id, last in the order
    sb.add("c", "1"); // tied with b: the lower id stays
    expect(sb.preference).toBe("b");
    sb.remove("b");
    expect(sb.preference).toBe("c");
    sb.recordPoll(votes({ a: 11 }));
    sb.add("d", "0");
    expect(sb.preference).toBe("a");
  });

  it("recomputes the first in the initial order after the preference was removed", () => {
    const sb = new Snowball(params);
    for (const [id, order] of [["x", "5"], ["y", "2"], ["z", "3"], ["w", "2"]]) sb.add(id, order);
    expect(sb.preference).toBe("w");
    sb.remove("w");
    sb.add("v", "4");
    expect(sb.preference).toBe("y");
    sb.remove("y");
    expect(sb.preference).toBe("z");
  });

  it("prefers the lowest id until a poll succeeds, whatever the order candidates arrive in", () => {
    const sb = withChoices("c", "b");
    expect(sb.preference).toBe("b");
    sb.add("a");
    expect(sb.preference).toBe("a");
    expect(sb.confidence).toBe(0);
    expect(new Snowball(params).preference).toBeUndefined();
  });

  it("after a successful poll, keeps the strongest candidate whatever arrives later", () => {
    const sb = withChoices("c", "b");
    sb.recordPoll(votes({ c: 11 }));
    sb.add("a");
    expect(sb.preference).toBe("c");
  });

  it("moves the preference on an αP quorum without gaining confidence below αC", () => {
    const sb = withChoices("a", "b");
    expect(sb.recordPoll(votes({ b: 11, a: 9 }))).toBe(true);
    expect(sb.preference).toBe("b");
    expect(sb.strength("b")).toBe(1);
    expect(sb.lastChoice).toBe("b");
    expect(sb.confidence).toBe(0);
  });

  it("gains confidence on an αC quorum", () => {
    const sb = withChoices("a", "b");
    sb.recordPoll(votes({ b: 15 }));
    expect(sb.confidence).toBe(1);
    sb.recordPoll(votes({ b: 20 }));
    expect(sb.confidence).toBe(2);
  });

  it("resets confidence on a poll without an αP quorum, keeping the preference", () => {
    const sb = withChoices("a", "b");
    sb.recordPoll(votes({ b: 15 }));
    sb.recordPoll(votes({ b: 15 }));
    expect(sb.recordPoll(votes({ b: 10, a: 10 }))).toBe(false);
    expect(sb.confidence).toBe(0);
    expect(sb.preference).toBe("b");
    expect(sb.strength("b")).toBe(2);
  });

  it("resets confidence on a success for the same choice below αC", () => {
    const sb = withChoices("a");
    sb.recordPoll(votes({ a: 15 }));
    sb.recordPoll(votes({ a: 15 }));
    sb.recordPoll(votes({ a: 14 }));
    expect(sb.confidence).toBe(0);
    expect(sb.strength("a")).toBe(3);
    expect(sb.finalized).toBe(false);
  });

  it("restarts confidence when the successful choice changes, before counting the new poll", () => {
    const sb = withChoices("a", "b");
    sb.recordPoll(votes({ a: 15 }));
    sb.recordPoll(votes({ a: 15 }));
    sb.recordPoll(votes({ b: 15 }));
    expect(sb.lastChoice).toBe("b");
    expect(sb.confidence).toBe(1);
    // Preference follows strength, not the last poll: a (2) is still stronger than b (1).
    expect(sb.preference).toBe("a");
  });

  it("keeps the current preference on equal strength", () => {
    const sb = withChoices("a", "b");
    sb.recordPoll(votes({ b: 12 }));
    sb.recordPoll(votes({ a: 12 }));
    expect(sb.strength("a")).toBe(1);
    expect(sb.preference).toBe("b");
    sb.recordPoll(votes({ a: 12 }));
    expect(sb.preference).toBe("a");
  });

  it("ignores votes for unknown blocks: they count against every candidate", () => {
    const sb = withChoices("a", "b");
    expect(sb.recordPoll(votes({ x: 16, a: 4 }))).toBe(false);
    expect(sb.strength("a")).toBe(0);
    expect(sb.strength("x")).toBe(0);
  });

  it("finalizes at β consecutive confident polls and then stays decided", () => {
    const sb = withChoices("a", "b");
    sb.recordPoll(votes({ a: 15 }));
    sb.recordPoll(votes({ a: 15 }));
    expect(sb.finalized).toBe(false);
    expect(sb.decision).toBeUndefined();
    sb.recordPoll(votes({ a: 15 }));
    expect(sb.finalized).toBe(true);
    expect(sb.decision).toBe("a");
    // Still says whether the poll had a quorum here (the heights above depend on it)...
    expect(sb.recordPoll(votes({ b: 20 }))).toBe(true);
    expect(sb.recordPoll(votes({ b: 10, a: 10 }))).toBe(false);
    // ...but changes nothing.
    expect(sb.decision).toBe("a");
    expect(sb.strength("b")).toBe(0);
    expect(sb.strength("a")).toBe(3);
    expect(sb.confidence).toBe(3);
  });

  it("finalizes on exactly β confident polls, not one more", () => {
    const sb = withChoices("a");
    sb.recordPoll(votes({ a: 15 }));
    sb.recordPoll(votes({ a: 15 }));
    expect(sb.preference).toBe("a");
    expect(sb.finalized).toBe(false);
    sb.recordPoll(votes({ a: 15 }));
    expect(sb.confidence).toBe(params.beta);
    expect(sb.finalized).toBe(true);
  });

  it("once finalized, prefers the decided block even where another one is stronger", () => {
    const sb = withChoices("a", "b");
    // a wins four polls below αC: the strongest, without confidence.
    for (let i = 0; i < 4; i++) sb.recordPoll(votes({ a: 11 }));
    // b wins β confident polls: decided, with strength 3 < 4.
    for (let i = 0; i < 3; i++) sb.recordPoll(votes({ b: 15 }));
    expect(sb.strength("a")).toBeGreaterThan(sb.strength("b"));
    expect(sb.decision).toBe("b");
    // What this height answers while it waits for its parent is the block it will accept.
    expect(sb.preference).toBe("b");
  });

  it("stays finalized when confidence is reset afterwards (a poll that did not cover it)", () => {
    const sb = withChoices("a", "b");
    for (let i = 0; i < 4; i++) sb.recordPoll(votes({ a: 11 }));
    for (let i = 0; i < 3; i++) sb.recordPoll(votes({ b: 15 }));
    sb.recordUnsuccessfulPoll();
    expect(sb.confidence).toBe(0);
    expect(sb.finalized).toBe(true);
    expect(sb.decision).toBe("b");
    expect(sb.preference).toBe("b");
    expect(sb.recordPoll(votes({ a: 20 }))).toBe(true);
    expect(sb.decision).toBe("b");
  });

  it("on an unsuccessful poll resets only confidence", () => {
    const sb = withChoices("a", "b");
    sb.recordPoll(votes({ b: 15 }));
    sb.recordPoll(votes({ b: 15 }));
    sb.recordUnsuccessfulPoll();
    expect(sb.confidence).toBe(0);
    expect(sb.lastChoice).toBe("b");
    expect(sb.strength("b")).toBe(2);
    expect(sb.preference).toBe("b");
    sb.recordPoll(votes({ b: 15 }));
    expect(sb.confidence).toBe(1);
  });

  it("does not finalize when confident polls are interrupted", () => {
    const sb = withChoices("a");
    sb.recordPoll(votes({ a: 15 }));
    sb.recordPoll(votes({ a: 15 }));
    sb.recordPoll(votes({}));
    sb.recordPoll(votes({ a: 15 }));
    sb.recordPoll(votes({ a: 15 }));
    expect(sb.finalized).toBe(false);
    sb.recordPoll(votes({ a: 15 }));
    expect(sb.finalized).toBe(true);
  });

  it("on removal of the preference, prefers the strongest survivor", () => {
    const sb = withChoices("a", "b", "c");
    sb.recordPoll(votes({ c: 12 }));
    sb.recordPoll(votes({ b: 12 }));
    sb.recordPoll(votes({ b: 12 }));
    sb.recordPoll(votes({ a: 12 }));
    expect(sb.preference).toBe("b");
    sb.remove("b");
    // a and c are tied at 1: the first one added wins.
    expect(sb.preference).toBe("a");
    expect(sb.has("b")).toBe(false);
    expect(sb.size).toBe(2);
  });

  it("on removal of the confident choice, loses its confidence and its finality", () => {
    const sb = withChoices("a", "b");
    for (let i = 0; i < 3; i++) sb.recordPoll(votes({ b: 15 }));
    expect(sb.decision).toBe("b");
    expect(sb.remove("b")).toBe(true);
    expect(sb.finalized).toBe(false);
    expect(sb.confidence).toBe(0);
    expect(sb.preference).toBe("a");
    expect(sb.remove("b")).toBe(false);
  });

  it("ignores a candidate added again: its strength stays", () => {
    const sb = withChoices("a", "b");
    sb.recordPoll(votes({ a: 15 }));
    sb.add("a", "0");
    expect(sb.strength("a")).toBe(1);
    expect(sb.size).toBe(2);
  });

  it("keeps a tied preference when another candidate is removed", () => {
    const sb = withChoices("a", "b", "c");
    sb.recordPoll(votes({ b: 12 }));
    sb.recordPoll(votes({ a: 12 }));
    expect(sb.preference).toBe("b"); // tie: the current preference stays
    sb.remove("c");
    expect(sb.preference).toBe("b");
  });

  it("after a removal, prefers a stronger candidate to one first in the initial order", () => {
    const sb = new Snowball(params);
    sb.add("x", "5");
    sb.add("b", "3");
    sb.add("a", "1");
    sb.recordPoll(votes({ x: 12 }));
    sb.recordPoll(votes({ x: 12 }));
    sb.recordPoll(votes({ b: 12 }));
    sb.remove("x");
    expect(sb.preference).toBe("b");
  });

  it("keeps confidence when another candidate is removed", () => {
    const sb = withChoices("a", "b");
    sb.recordPoll(votes({ b: 15 }));
    sb.remove("a");
    expect(sb.confidence).toBe(1);
  });
});
