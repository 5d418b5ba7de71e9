import { DEFAULT_SNOWBALL_PARAMS } from "../../../src/consensus/params";
import { GENESIS, testBlock } from "../../utils/consensus/blocks";
import { Simulation, type SimOptions } from "../../utils/consensus/sim";

const PARAMS = DEFAULT_SNOWBALL_PARAMS; // K=20, αP=αC=15, β=20, 4 concurrent polls
const HEIGHTS = 4;

/** 100 nodes; 4 conflicting proposals on genesis, each block with 3 conflicting children. */
function scenario(opts: Partial<SimOptions> & { seed: number }, roots = 4, children = 3): Simulation {
  const sim = new Simulation({ nodes: 100, params: PARAMS, ...opts });
  // Each node first knows a random 30% of the blocks (those whose parent it knows), in random order.
  sim.spread(sim.propose(HEIGHTS, roots, children), 0.3);
  sim.start();
  return sim;
}

const allDecided = (sim: Simulation) => (): boolean => sim.honest.every((n) => n.acceptedHeight === HEIGHTS);

describe("simulation: 100 nodes over an asynchronous network", () => {
  it.each([1, 2, 3])("every honest node accepts every height, and all accept the same blocks (seed %i)", async (seed) => {
    const sim = scenario({ seed });
    await sim.run(allDecided(sim), 2_000_000);
    expect(sim.honest.map((n) => n.acceptedHeight)).toEqual(sim.honest.map(() => HEIGHTS));
    expect(sim.conflicts()).toEqual([]);
    expect(sim.errors).toEqual([]);
    // Nothing left undecided: the network goes quiet by itself.
    await sim.run(() => false, Infinity);
    expect(sim.idle).toBe(true);
  });

  it("decides with a preference quorum below the confidence quorum (αP=11, αC=15)", async () => {
    const sim = scenario({ seed: 5, params: { ...PARAMS, alphaPreference: 11 } });
    await sim.run(allDecided(sim), 2_000_000);
    expect(sim.honest.every((n) => n.acceptedHeight === HEIGHTS)).toBe(true);
    expect(sim.conflicts()).toEqual([]);
    await sim.stop();
  });

  it("still decides with 10% silent nodes", async () => {
    const sim = scenario({ seed: 2, silent: 10 });
    await sim.run(allDecided(sim), 2_000_000);
    expect(sim.honest).toHaveLength(90);
    expect(sim.honest.every((n) => n.acceptedHeight === HEIGHTS)).toBe(true);
    expect(sim.conflicts()).toEqual([]);
    await sim.stop();
  });

  it("stalls instead of forking with more than 1 − αC/K of the nodes unresponsive", async () => {
    // 35% > 1 − 15/20 = 25%: 20 nodes poll but never answer, 15 are down.
    const sim = scenario({ seed: 3, silent: 20, crashed: 15 });
    await sim.run(() => false, 600_000);
    expect(sim.nodes.every((n) => n.acceptedHeight === 0)).toBe(true);
    // It stalled while polling, not because nothing ran.
    expect(sim.honest.every((n) => n.polls >= 2 * PARAMS.beta)).toBe(true);
    expect(sim.errors).toEqual([]);
    await sim.stop();
  });

  it("after a partition heals, the minority gives up its lower-id block for the majority's", async () => {
    // Until a poll succeeds, a node prefers the lowest id: only Snowball's polls can move the
    // minority off its "y" chain (y1 < x1) onto the majority's.
    const sim = new Simulation({ nodes: 100, params: PARAMS, seed: 6 });
    const y1 = testBlock("y1", 1, GENESIS.id);
    const y2 = testBlock("y2", 2, "y1");
    const x1 = testBlock("x1", 1, GENESIS.id);
    const x2 = testBlock("x2", 2, "x1");
    for (const b of [y1, y2, x1, x2]) sim.blocks.set(b.id, b);
    const majority = sim.nodes.slice(0, 80);
    const minority = sim.nodes.slice(80);
    for (const n of majority) [x1, x2].forEach((b) => n.learn(b));
    for (const n of minority) [y1, y2].forEach((b) => n.learn(b));
    sim.partition(majority, minority);
    sim.start();
    await sim.run(() => false, 150_000);
    expect(minority.every((n) => n.acceptedHeight === 0)).toBe(true);
    expect(minority.every((n) => n.consensus.preferenceAt(1) === "y1")).toBe(true);
    // 80 of 100 is enough for αP = 15 often, so the majority built strength for x1 or even accepted it.
    expect(majority.every((n) => n.accepted[1] === "x1" || n.consensus.strengthOf("x1") > 0)).toBe(true);

    sim.heal();
    for (const n of sim.nodes) n.engine.kick();
    await sim.run(() => sim.nodes.every((n) => n.acceptedHeight === 2), 2_000_000);
    expect(sim.nodes.map((n) => n.accepted.join())).toEqual(sim.nodes.map(() => "genesis,x1,x2"));
    expect(sim.conflicts()).toEqual([]);
    await sim.stop();
  });

  it("a network of one node decides alone", async () => {
    const sim = new Simulation({ nodes: 1, params: DEFAULT_SNOWBALL_PARAMS, seed: 4 });
    sim.spread(sim.propose(3, 2, 2), 1);
    sim.start();
    await sim.run(() => false, Infinity);
    expect(sim.nodes[0].acceptedHeight).toBe(3);
    expect(sim.deliveries).toBe(0);
    expect(sim.idle).toBe(true);
  });
});
