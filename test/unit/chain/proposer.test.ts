import { proposerRank } from "../../../src/chain/proposer";

describe("proposerRank", () => {
  const members = ["peer-0", "peer-1", "peer-2", "peer-3", "peer-4"];

  it("gives every member a distinct place, the same one whichever member computes it", () => {
    for (const height of [1, 2, 77]) {
      const ranks = members.map((m) => proposerRank(height, m, members));
      expect([...ranks].sort()).toEqual([0, 1, 2, 3, 4]);
      // A peer does not list itself among its members: the rank is the same.
      for (const m of members) expect(proposerRank(height, m, members.filter((x) => x !== m))).toBe(ranks[members.indexOf(m)]);
    }
  });

  it("changes the order from one height to the next", () => {
    const firsts = new Set(Array.from({ length: 50 }, (_, h) => members.find((m) => proposerRank(h + 1, m, members) === 0)));
    expect(firsts.size).toBeGreaterThan(1);
  });

  it("is 0 for a network of one", () => {
    expect(proposerRank(5, "alone", [])).toBe(0);
  });
});
