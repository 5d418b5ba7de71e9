import type { Block } from "../../../src/chain/types";
import { proposerRank, proposerScore } from "../../../src/chain/proposer";
import { Consensus } from "../../../src/consensus/consensus";
import { answerQuery } from "../../../src/consensus/engine";
import { ErrorCode, isSnowchainError } from "../../../src/errors";
import { GENESIS, testBlock } from "../../utils/consensus/blocks";

const params = { k: 20, alphaPreference: 11, alphaConfidence: 15, beta: 2, concurrentPolls: 1 };
const votes = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

/** A tree of blocks added in the given order; ids name their height, e.g. a1 ← a2. */
function tree(...blocks: [id: string, height: number, parentId: string][]): { c: Consensus; b: Record<string, Block> } {
  const c = new Consensus(params, GENESIS);
  const b: Record<string, Block> = {};
  for (const [id, height, parentId] of blocks) {
    b[id] = testBlock(id, height, parentId);
    expect(c.add(b[id])).toBe("added");
  }
  return { c, b };
}

/** β confident polls for `ids`, one per height from `fromHeight`. */
function decide(c: Consensus, fromHeight: number, ...ids: string[]) {
  let last = c.recordPoll(fromHeight, ids.map((id) => votes({ [id]: 20 })));
  for (let i = 1; i < params.beta; i++) last = c.recordPoll(fromHeight, ids.map((id) => votes({ [id]: 20 })));
  return last;
}

const ids = (blocks: readonly Block[]): string[] => blocks.map((x) => x.id);

describe("Consensus.add", () => {
  it("adds children of the last accepted block and of processing blocks", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2", 2, "a1"]);
    expect(c.processingCount()).toBe(3);
    expect(c.has("a2")).toBe(true);
    expect(c.get("a2")?.parentId).toBe("a1");
    expect(c.undecided()).toEqual({ from: 1, to: 2 });
  });

  it("reports a known block, and an unknown parent", () => {
    const { c, b } = tree(["a1", 1, "genesis"]);
    expect(c.add(b.a1)).toBe("known");
    expect(c.add(testBlock("x3", 3, "x2"))).toBe("unknown-parent");
    expect(c.has("x3")).toBe(false);
  });

  it("reports blocks at or below the last accepted height, or on a conflicting or rejected parent, as stale", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["b2", 2, "b1"]);
    decide(c, 1, "a1");
    expect(c.lastAcceptedId).toBe("a1");
    expect(c.add(testBlock("z1", 1, "genesis"))).toBe("stale");
    expect(c.add(testBlock("b1", 1, "genesis"))).toBe("stale");
    // b1 conflicts with the accepted a1, known or not.
    expect(c.add(testBlock("c2", 2, "b1"))).toBe("stale");
    expect(c.add(testBlock("d2", 2, "never-seen"))).toBe("stale");
    // b2 was rejected above the last accepted height.
    expect(c.add(testBlock("b2", 2, "b1"))).toBe("stale");
    expect(c.add(testBlock("b3", 3, "b2"))).toBe("stale");
    expect(c.add(testBlock("a2", 2, "a1"))).toBe("added");
  });

  it("throws INVALID_BLOCK for a height that does not follow its parent's", () => {
    const { c } = tree(["a1", 1, "genesis"]);
    for (const bad of [testBlock("x", 3, "a1"), testBlock("y", 2, "genesis")]) {
      let caught: unknown;
      try {
        c.add(bad);
      } catch (err) {
        caught = err;
      }
      expect(isSnowchainError(caught, ErrorCode.INVALID_BLOCK)).toBe(true);
    }
    expect(c.processingCount()).toBe(1);
    let caught: unknown;
    try {
      c.add(testBlock("z", 5, "genesis"));
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      message: "block z at height 5 does not extend its parent at height 0",
      fields: { blockId: "z", height: 5, parentId: "genesis", parentHeight: 0 },
    });
  });
});

describe("Consensus.preferredChain", () => {
  it("follows the preference at each height while it extends the previous one", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["b2", 2, "b1"], ["a2", 2, "a1"], ["a3", 3, "a2"]);
    expect(ids(c.preferredChain())).toEqual(["a1", "a2", "a3"]);
    // Height 2 now prefers b2 while height 1 prefers a1: the chain stops at the break.
    c.recordPoll(2, [votes({ b2: 12 })]);
    expect(ids(c.preferredChain())).toEqual(["a1"]);
    c.recordPoll(1, [votes({ b1: 12 })]);
    expect(c.preferenceAt(1)).toBe("b1");
    expect(ids(c.preferredChain())).toEqual(["b1", "b2"]);
  });

  it("is empty when nothing is undecided", () => {
    const c = new Consensus(params, GENESIS);
    expect(c.preferredChain()).toEqual([]);
    expect(c.undecided()).toBeUndefined();
    expect(c.preferenceAt(1)).toBeUndefined();
    expect(c.confidenceAt(1)).toBe(0);
  });
});

describe("Consensus.recordPoll", () => {
  it("accepts heights in order, several in one poll", () => {
    const { c } = tree(["a1", 1, "genesis"], ["a2", 2, "a1"], ["a3", 3, "a2"]);
    expect(c.recordPoll(1, [votes({ a1: 20 }), votes({ a2: 20 }), votes({ a3: 20 })]).accepted).toEqual([]);
    expect(c.confidenceAt(2)).toBe(1);
    const d = c.recordPoll(1, [votes({ a1: 20 }), votes({ a2: 20 }), votes({ a3: 20 })]);
    expect(ids(d.accepted)).toEqual(["a1", "a2", "a3"]);
    expect(d.rejected).toEqual([]);
    expect(c.lastAcceptedHeight).toBe(3);
    expect(c.lastAcceptedId).toBe("a3");
    expect(c.processingCount()).toBe(0);
    expect(c.undecided()).toBeUndefined();
  });

  it("waits for the lower height before accepting a height that is already final", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2", 2, "a1"]);
    expect(decide(c, 2, "a2").accepted).toEqual([]);
    expect(c.confidenceAt(2)).toBe(2);
    expect(c.lastAcceptedHeight).toBe(0);
    const d = decide(c, 1, "a1");
    expect(ids(d.accepted)).toEqual(["a1", "a2"]);
    expect(ids(d.rejected)).toEqual(["b1"]);
  });

  it("rejects the siblings of an accepted block and all their descendants, keeping its children", () => {
    const { c } = tree(
      ["a1", 1, "genesis"],
      ["b1", 1, "genesis"],
      ["c1", 1, "genesis"],
      ["a2", 2, "a1"],
      ["b2", 2, "b1"],
      ["b2x", 2, "b1"],
      ["b3", 3, "b2"],
      ["c2", 2, "c1"],
    );
    const d = decide(c, 1, "a1");
    expect(ids(d.accepted)).toEqual(["a1"]);
    expect(new Set(ids(d.rejected))).toEqual(new Set(["b1", "c1", "b2", "b2x", "c2", "b3"]));
    // Height order: parents before children.
    expect(d.rejected.map((x) => x.height)).toEqual(d.rejected.map((x) => x.height).sort((a, b) => a - b));
    for (const gone of ["b1", "b2", "b3", "c2"]) expect(c.has(gone)).toBe(false);
    expect(c.has("a2")).toBe(true);
    expect(c.undecided()).toEqual({ from: 2, to: 2 });
    expect(c.processingCount()).toBe(1);
  });

  it("drops heights left without candidates", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["b2", 2, "b1"], ["b3", 3, "b2"]);
    // A height without candidates has no preference left to have changed.
    expect(decide(c, 1, "a1").preferenceChanges).toBe(0);
    expect(c.undecided()).toBeUndefined();
    expect(c.preferredChain()).toEqual([]);
  });

  it("moves the preference to the strongest survivor when rejection removes it, and counts the change", () => {
    const { c } = tree(
      ["a1", 1, "genesis"],
      ["b1", 1, "genesis"],
      ["b2", 2, "b1"],
      ["a2", 2, "a1"],
      ["a2x", 2, "a1"],
    );
    c.recordPoll(2, [votes({ b2: 12 })]);
    c.recordPoll(2, [votes({ b2: 12 })]);
    c.recordPoll(2, [votes({ a2x: 12 })]);
    expect(c.preferenceAt(2)).toBe("b2");
    const d = decide(c, 1, "a1");
    expect(c.preferenceAt(2)).toBe("a2x");
    expect(c.strengthOf("a2x")).toBe(1);
    // Height 1 kept its preference (a1 accepted); height 2 changed.
    expect(d.preferenceChanges).toBe(1);
  });

  it("undoes the finality of a height whose choice descends from a rejected block", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2", 2, "a1"], ["b2", 2, "b1"]);
    decide(c, 2, "b2");
    expect(c.confidenceAt(2)).toBe(params.beta);
    const d = decide(c, 1, "a1");
    expect(ids(d.accepted)).toEqual(["a1"]);
    expect(c.confidenceAt(2)).toBe(0);
    expect(c.preferenceAt(2)).toBe("a2");
    expect(c.lastAcceptedHeight).toBe(1);
  });

  it("counts preference changes from polls", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2", 2, "a1"], ["a2x", 2, "a1"]);
    expect(c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 12 })]).preferenceChanges).toBe(0);
    expect(c.recordPoll(1, [votes({ b1: 12 }), votes({ a2x: 12 })]).preferenceChanges).toBe(0); // ties keep
    expect(c.recordPoll(1, [votes({ b1: 12 }), votes({ a2x: 12 })]).preferenceChanges).toBe(2);
    expect(c.recordPoll(1, [votes({ x: 12 })])).toEqual({ accepted: [], rejected: [], preferenceChanges: 0 });
  });

  it("ignores heights already accepted and heights without candidates", () => {
    const { c } = tree(["a1", 1, "genesis"], ["a2", 2, "a1"]);
    decide(c, 1, "a1");
    // A poll that started before a1 was accepted: its height-1 tally no longer matters.
    const d = c.recordPoll(1, [votes({ a1: 20 }), votes({ a2: 20 }), votes({ a3: 20 }), votes({ a4: 20 })]);
    expect(d.accepted).toEqual([]);
    expect(c.confidenceAt(2)).toBe(1);
    expect(ids(c.recordPoll(2, [votes({ a2: 20 })]).accepted)).toEqual(["a2"]);
  });

  it("does not accept without an αC quorum, whatever the preference strength", () => {
    const { c } = tree(["a1", 1, "genesis"]);
    for (let i = 0; i < 10; i++) expect(c.recordPoll(1, [votes({ a1: 14 })]).accepted).toEqual([]);
    expect(c.strengthOf("a1")).toBe(10);
    expect(c.confidenceAt(1)).toBe(0);
  });

  it("handles thousands of processing blocks and accepts a long chain in one call", () => {
    const c = new Consensus(params, GENESIS);
    const heights = 1500;
    let parent = "genesis";
    const main: string[] = [];
    for (let h = 1; h <= heights; h++) {
      for (const fork of ["x", "y"]) c.add(testBlock(`${fork}${h}`, h, parent));
      const id = `m${h}`;
      expect(c.add(testBlock(id, h, parent))).toBe("added");
      main.push(id);
      parent = id;
    }
    expect(c.processingCount()).toBe(3 * heights);
    const tallies = main.map((id) => votes({ [id]: 20 }));
    for (let i = 0; i < 500; i++) c.recordPoll(1, [votes({ m1: 13 })]); // many cheap polls
    c.recordPoll(1, tallies);
    const d = c.recordPoll(1, tallies);
    expect(d.accepted).toHaveLength(heights);
    expect(d.accepted[heights - 1].id).toBe(`m${heights}`);
    expect(d.rejected).toHaveLength(2 * heights);
    expect(c.processingCount()).toBe(0);
  });
});

describe("Consensus.recordPoll: what it reports", () => {
  it("counts an accepted height whose decision was not its preference before the poll", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2", 2, "a1"], ["b2", 2, "b1"]);
    for (let i = 0; i < 3; i++) c.recordPoll(1, [votes({ a1: 12 })]); // a1: strength 3, no confidence
    expect(c.recordPoll(1, [votes({ b1: 15 }), votes({ b2: 15 })]).preferenceChanges).toBe(1); // height 2
    expect(c.preferenceAt(1)).toBe("a1");
    // b1's second confident poll decides it while a1 is still the strongest: height 1 moves.
    const d = c.recordPoll(1, [votes({ b1: 15 }), votes({ b2: 15 })]);
    expect(ids(d.accepted)).toEqual(["b1", "b2"]);
    expect(d.preferenceChanges).toBe(1);
  });

  it("counts the top accepted height too", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"]);
    for (let i = 0; i < 3; i++) c.recordPoll(1, [votes({ a1: 12 })]);
    c.recordPoll(1, [votes({ b1: 15 })]);
    const d = c.recordPoll(1, [votes({ b1: 15 })]);
    expect(ids(d.accepted)).toEqual(["b1"]);
    expect(d.preferenceChanges).toBe(1);
  });

  it("does not count a preference that a poll moved and the same poll's rejections moved back", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2x", 2, "a1"], ["b2", 2, "b1"]);
    c.recordPoll(1, [votes({ a1: 15 })]);
    expect(c.preferenceAt(2)).toBe("a2x");
    // Height 2 moves to b2 (votes need not follow parents here), then a1's acceptance rejects b2.
    const d = c.recordPoll(1, [votes({ a1: 15 }), votes({ b2: 12 })]);
    expect(ids(d.accepted)).toEqual(["a1"]);
    expect(c.preferenceAt(2)).toBe("a2x");
    expect(d.preferenceChanges).toBe(0);
  });

  it("returns one frozen empty result for polls that change nothing", () => {
    const { c } = tree(["a1", 1, "genesis"]);
    const d = c.recordPoll(1, [votes({ a1: 3 })]);
    expect(d).toEqual({ accepted: [], rejected: [], preferenceChanges: 0 });
    expect(Object.isFrozen(d)).toBe(true);
  });

  it("has no strength for a block it does not process", () => {
    const { c } = tree(["a1", 1, "genesis"]);
    expect(c.strengthOf("nope")).toBe(0);
  });

  it("remembers every rejected block of a height, so each one's late children are stale", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["c1", 1, "genesis"], ["b2", 2, "b1"], ["c2", 2, "c1"]);
    decide(c, 1, "a1");
    expect(c.add(testBlock("b3", 3, "b2"))).toBe("stale");
    expect(c.add(testBlock("c3", 3, "c2"))).toBe("stale");
  });
});

describe("Consensus.recordPoll: confidence only survives polls that asked about the height", () => {
  it("restarts a height's confidence on a poll whose top is below it", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2", 2, "a1"]);
    // Height 1 wins each poll below αC (it stays undecided); height 2 is confident.
    c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 15 })]);
    expect(c.confidenceAt(2)).toBe(1);
    c.recordPoll(1, [votes({ a1: 12 })]); // did not ask about height 2
    expect(c.confidenceAt(2)).toBe(0);
    c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 15 })]);
    // Two confident polls of height 2, but not consecutive among the polls: not final (β=2).
    expect(c.confidenceAt(2)).toBe(1);
    const d = decide(c, 1, "a1");
    expect(ids(d.accepted)).toEqual(["a1"]);
    expect(c.preferenceAt(2)).toBe("a2");
  });

  it("restarts confidence above the first height without an αP quorum, and records nothing there", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2", 2, "a1"], ["a3", 3, "a2"]);
    c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 15 }), votes({ a3: 15 })]);
    // A reply per height can say anything: height 2 has no quorum, height 3 "has" one.
    c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 10 }), votes({ a3: 15 })]);
    expect(c.confidenceAt(2)).toBe(0);
    expect(c.confidenceAt(3)).toBe(0);
    expect(c.strengthOf("a3")).toBe(1);
    c.recordPoll(1, [votes({ a1: 5 }), votes({ a2: 15 }), votes({ a3: 15 })]);
    expect(c.strengthOf("a2")).toBe(1);
    expect(c.confidenceAt(2)).toBe(0);
    expect(c.confidenceAt(3)).toBe(0);
    expect(c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 15 }), votes({ a3: 15 })]).accepted).toEqual([]);
    expect(c.confidenceAt(3)).toBe(1);
  });

  it("keeps a finalized height final through such resets, and accepts it with its parent", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2", 2, "a1"]);
    c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 15 })]);
    c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 15 })]);
    expect(c.confidenceAt(2)).toBe(2); // final (β=2), waiting for height 1
    c.recordPoll(1, [votes({ a1: 12 })]);
    c.recordPoll(1, [votes({ a1: 3 }), votes({ a2: 20 })]);
    expect(c.confidenceAt(2)).toBe(0);
    expect(ids(decide(c, 1, "a1").accepted)).toEqual(["a1", "a2"]);
  });

  it("leaves heights below the poll's lowest height alone", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2", 2, "a1"]);
    c.recordPoll(1, [votes({ a1: 15 })]);
    c.recordPoll(2, [votes({ a2: 15 })]);
    expect(c.confidenceAt(1)).toBe(1);
    expect(c.confidenceAt(2)).toBe(1);
  });
});

describe("Consensus: a finalized height answers with its decision", () => {
  it("prefers the decided block at a height waiting for its parent, even where another is stronger", () => {
    const { c } = tree(["a1", 1, "genesis"], ["b1", 1, "genesis"], ["a2x", 2, "a1"], ["a2", 2, "a1"]);
    for (let i = 0; i < 3; i++) c.recordPoll(1, [votes({ a1: 12 }), votes({ a2x: 12 })]);
    const d = c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 15 })]);
    expect(d.preferenceChanges).toBe(0);
    expect(c.preferenceAt(2)).toBe("a2x");
    // β=2 confident polls: a2 is decided (strength 2 < a2x's 3), height 1 is not.
    expect(c.recordPoll(1, [votes({ a1: 12 }), votes({ a2: 15 })]).preferenceChanges).toBe(1);
    expect(c.strengthOf("a2x")).toBeGreaterThan(c.strengthOf("a2"));
    expect(c.preferenceAt(2)).toBe("a2");
    expect(ids(c.preferredChain())).toEqual(["a1", "a2"]);
    const query = { fromHeight: 1, block: testBlock("a2", 2, "a1"), ancestors: [testBlock("a1", 1, "genesis")] };
    expect(answerQuery(c, query, () => undefined).preferredIds).toEqual(["a1", "a2"]);
    expect(ids(decide(c, 1, "a1").accepted)).toEqual(["a1", "a2"]);
  });
});

describe("Consensus: the initial preference", () => {
  const byProposer = (b: Block): string => proposerScore(b.height, b.proposer);
  /** Two proposers, ordered by their score at height 1. */
  const [first, last] = ["peer-a", "peer-b", "peer-c"].sort((x, y) => (proposerScore(1, x) < proposerScore(1, y) ? -1 : 1));

  it("follows the proposer order of the height, not the block id a proposer can grind", () => {
    const c = new Consensus(params, GENESIS, { initialOrder: byProposer });
    c.add(testBlock("ffff", 1, "genesis", first));
    c.add(testBlock("0000", 1, "genesis", last)); // a ground id: lowest, yet behind in the order
    expect(c.preferenceAt(1)).toBe("ffff");
  });

  it("is the same at every peer whatever order they learn the blocks in", () => {
    const blocks = [testBlock("x1", 1, "genesis", last), testBlock("y1", 1, "genesis", first)];
    const one = new Consensus(params, GENESIS, { initialOrder: byProposer });
    const other = new Consensus(params, GENESIS, { initialOrder: byProposer });
    blocks.forEach((b) => one.add(b));
    [...blocks].reverse().forEach((b) => other.add(b));
    expect(one.preferenceAt(1)).toBe("y1");
    expect(other.preferenceAt(1)).toBe("y1");
  });

  it("breaks a tie between blocks of one proposer by block id, and defaults to the lowest id", () => {
    const c = new Consensus(params, GENESIS, { initialOrder: byProposer });
    c.add(testBlock("b1", 1, "genesis", first));
    c.add(testBlock("a1", 1, "genesis", first));
    expect(c.preferenceAt(1)).toBe("a1");
    const plain = new Consensus(params, GENESIS);
    plain.add(testBlock("b1", 1, "genesis", first));
    plain.add(testBlock("a1", 1, "genesis", last));
    expect(plain.preferenceAt(1)).toBe("a1");
  });
});

describe("proposerScore", () => {
  it("depends on the height and the node id only, and orders proposers as proposerRank does", () => {
    const members = ["peer-0", "peer-1", "peer-2", "peer-3"];
    expect(proposerScore(7, "peer-1")).toBe(proposerScore(7, "peer-1"));
    expect(proposerScore(7, "peer-1")).not.toBe(proposerScore(8, "peer-1"));
    expect(proposerScore(7, "peer-1")).not.toBe(proposerScore(7, "peer-2"));
    const byScore = [...members].sort((x, y) => (proposerScore(7, x) < proposerScore(7, y) ? -1 : 1));
    expect(byScore.map((m) => proposerRank(7, m, members))).toEqual([0, 1, 2, 3]);
  });
});
