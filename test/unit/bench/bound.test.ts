import { queryLowerBound } from "../../../scripts/bench/bound";

describe("the protocol's floor for query messages per decided height", () => {
  const defaults = { k: 20, beta: 20, concurrentPolls: 4 };

  it("is β/(c·d) turns of the distinct members c·K draws reach: about 11 at 10 peers with the defaults", () => {
    const b = queryLowerBound(defaults, 4, 10);
    expect(b.turnsPerHeight).toBe(1.25);
    expect(b.membersPerTurn).toBeCloseTo(9 * (1 - 0.9 ** 80), 9);
    expect(b.messagesPerHeightPerPeer).toBeCloseTo(11.25, 1);
  });

  it("grows with the network as the turn reaches more distinct members, never past c·K", () => {
    expect(queryLowerBound(defaults, 4, 50).membersPerTurn).toBeGreaterThan(queryLowerBound(defaults, 4, 10).membersPerTurn);
    expect(queryLowerBound(defaults, 4, 100_000).membersPerTurn).toBeLessThanOrEqual(80);
    expect(queryLowerBound(defaults, 4, 1).messagesPerHeightPerPeer).toBe(0);
  });

  it("halves with twice the pipelining depth", () => {
    expect(queryLowerBound(defaults, 8, 10).messagesPerHeightPerPeer).toBeCloseTo(queryLowerBound(defaults, 4, 10).messagesPerHeightPerPeer / 2, 9);
  });
});
