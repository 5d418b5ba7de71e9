import { proposerScore } from "../../../src/chain/proposer";
import { DEFAULT_SNOWBALL_PARAMS } from "../../../src/consensus/params";
import { ownSideFirst, Simulation, simBlock, SIM_GENESIS, type SimOptions, type SimStats } from "../../../src/sim";

const PARAMS = DEFAULT_SNOWBALL_PARAMS; // K=20, αP=αC=15, β=20, 4 concurrent polls
const HEIGHTS = 4;
/** Far more simulated time than any of these runs needs: a bound, so a stall fails, not hangs. */
const LONG_MS = 600_000;

/** 100 nodes; 4 conflicting proposals on genesis, each block with 3 conflicting children. */
function scenario(opts: Partial<SimOptions> & { seed: number }, roots = 4, children = 3): Simulation {
  const sim = new Simulation({ nodes: 100, params: PARAMS, ...opts });
  // Each node first knows a random 30% of the blocks (those whose parent it knows), in random order.
  sim.spread(sim.propose(HEIGHTS, roots, children), 0.3);
  sim.start();
  return sim;
}

const allDecided = (sim: Simulation, heights = HEIGHTS) => (): boolean => sim.allHonestAccepted(heights);

function report(name: string, stats: SimStats, wallMs: number): void {
  process.stdout.write(
    `${name}: ${stats.nodes} nodes, ${stats.polls} polls (${stats.preferencePolls} changed a preference, ` +
      `${stats.failedPolls} failed), ${stats.queries} queries (${stats.timeouts} timed out), ` +
      `${Math.round(stats.simulatedMs)} simulated ms, ${wallMs} ms wall\n`,
  );
}

describe("simulation: 100 nodes over an asynchronous network", () => {
  it.each([1, 2, 3])("every honest node accepts every height, and all accept the same blocks (seed %i)", async (seed) => {
    const sim = scenario({ seed });
    await sim.run({ until: allDecided(sim), forMs: LONG_MS });
    expect(sim.honest.map((n) => n.acceptedHeight)).toEqual(sim.honest.map(() => HEIGHTS));
    expect(sim.conflicts()).toEqual([]);
    expect(sim.errors).toEqual([]);
    // Nothing left undecided: the network goes quiet by itself.
    await sim.run();
    expect(sim.idle).toBe(true);
  });

  it("decides with a preference quorum below the confidence quorum (αP=11, αC=15)", async () => {
    const sim = scenario({ seed: 5, params: { ...PARAMS, alphaPreference: 11 } });
    await sim.run({ until: allDecided(sim), forMs: LONG_MS });
    expect(sim.honest.every((n) => n.acceptedHeight === HEIGHTS)).toBe(true);
    expect(sim.conflicts()).toEqual([]);
    await sim.stop();
  });

  it("still decides with 10% silent nodes", async () => {
    const sim = scenario({ seed: 2, silent: 10 });
    await sim.run({ until: allDecided(sim), forMs: LONG_MS });
    expect(sim.honest).toHaveLength(90);
    expect(sim.honest.every((n) => n.acceptedHeight === HEIGHTS)).toBe(true);
    expect(sim.conflicts()).toEqual([]);
    await sim.stop();
  });

  it("stalls instead of forking with more than 1 − αC/K of the nodes unresponsive", async () => {
    // 35% > 1 − 15/20 = 25%: 20 nodes poll but never answer, 15 are down.
    const sim = scenario({ seed: 3, silent: 20, crashed: 15 });
    await sim.run({ forMs: 5_000 });
    expect(sim.nodes.every((n) => n.acceptedHeight === 0)).toBe(true);
    // It stalled while polling, not because nothing ran.
    expect(sim.honest.every((n) => n.polls >= 2 * PARAMS.beta)).toBe(true);
    expect(sim.errors).toEqual([]);
    await sim.stop();
  });

  it("after a partition heals, the minority gives up its block, first in the proposer order, for the majority's", async () => {
    // Until a poll succeeds, a node prefers the block whose proposer comes first in the height's
    // order: only Snowball's polls can move the minority off its "y" chain onto the majority's.
    const sim = new Simulation({ nodes: 100, params: PARAMS, seed: 6 });
    const byScore = sim.nodes.map((n) => n.id).sort((a, b) => (proposerScore(1, a) < proposerScore(1, b) ? -1 : 1));
    const y1 = sim.register(simBlock("y1", 1, SIM_GENESIS.id, byScore[0]));
    const y2 = sim.register(simBlock("y2", 2, "y1", byScore[0]));
    const x1 = sim.register(simBlock("x1", 1, SIM_GENESIS.id, byScore[1]));
    const x2 = sim.register(simBlock("x2", 2, "x1", byScore[1]));
    const majority = sim.nodes.slice(0, 80);
    const minority = sim.nodes.slice(80);
    for (const n of majority) [x1, x2].forEach((b) => n.learn(b));
    for (const n of minority) [y1, y2].forEach((b) => n.learn(b));
    sim.partition(majority, minority);
    sim.start();
    await sim.run({ forMs: 3_000 });
    expect(minority.every((n) => n.acceptedHeight === 0)).toBe(true);
    expect(minority.every((n) => n.consensus.preferenceAt(1) === "y1")).toBe(true);
    // 80 of 100 is enough for αP = 15 often, so the majority built strength for x1 or even accepted it.
    expect(majority.every((n) => n.accepted[1] === "x1" || n.consensus.strengthOf("x1") > 0)).toBe(true);

    sim.heal();
    for (const n of sim.nodes) n.engine.kick();
    await sim.run({ until: allDecided(sim, 2), forMs: LONG_MS });
    expect(sim.nodes.map((n) => n.accepted.join())).toEqual(sim.nodes.map(() => "genesis,x1,x2"));
    expect(sim.conflicts()).toEqual([]);
    await sim.stop();
  });

  it("a network of one node decides alone", async () => {
    const sim = new Simulation({ nodes: 1, params: DEFAULT_SNOWBALL_PARAMS, seed: 4 });
    sim.spread(sim.propose(3, 2, 2), 1);
    sim.start();
    await sim.run();
    expect(sim.nodes[0].acceptedHeight).toBe(3);
    expect(sim.deliveries).toBe(0);
    expect(sim.idle).toBe(true);
  });

  it("gives the same run for the same seed", async () => {
    const runOnce = async (): Promise<[SimStats, string[]]> => {
      const sim = new Simulation({ nodes: 60, params: PARAMS, seed: 9 });
      sim.split(3);
      sim.start();
      await sim.run({ until: allDecided(sim, 3), forMs: LONG_MS });
      return [sim.stats(), sim.nodes.map((n) => n.accepted.join())];
    };
    expect(await runOnce()).toEqual(await runOnce());
  });
});

describe("simulation: Snowball resolves a split by construction", () => {
  const SPLIT_HEIGHTS = 3;

  it.each([
    ["1,000 nodes, two sides", 1000, 2, 0],
    // 10% silent costs each poll its timeout whenever the silent draws matter: 500 nodes keep npm test under its budget.
    ["500 nodes, two sides, 10% silent", 500, 2, 50],
    ["30 nodes, three sides", 30, 3, 0],
  ])("%s: every honest node decides every height, never two blocks at one height", async (name, nodes, sides, silent) => {
    const started = Date.now();
    // Each node knows only its side's chain and puts its side first: no common tie-break ends
    // the split when nodes learn the other chains, only votes can.
    const sim = new Simulation({ nodes, params: PARAMS, seed: 11, silent, initialOrder: ownSideFirst(sides) });
    const chains = sim.split(SPLIT_HEIGHTS, sides);
    // The initial preferences split evenly at every height.
    for (let h = 1; h <= SPLIT_HEIGHTS; h++) {
      const preferring = chains.map((chain) => sim.honest.filter((n) => n.consensus.preferenceAt(h) === chain[h - 1].id).length);
      expect(preferring.reduce((a, b) => a + b, 0)).toBe(sim.honest.length);
      for (const count of preferring) expect(Math.abs(count - sim.honest.length / sides)).toBeLessThanOrEqual(sides);
    }
    sim.start();
    await sim.run({ until: allDecided(sim, SPLIT_HEIGHTS), forMs: LONG_MS });
    const stats = sim.stats();
    report(`split, ${name}`, stats, Date.now() - started);
    expect(sim.honest.every((n) => n.acceptedHeight === SPLIT_HEIGHTS)).toBe(true);
    expect(sim.conflicts()).toEqual([]);
    expect(sim.errors).toEqual([]);
    // Votes moved preferences: Snowball, not a tie-break, resolved the split.
    expect(stats.preferencePolls).toBeGreaterThan(0);
    expect(stats.failedPolls).toBeGreaterThan(0);
    if (silent > 0) expect(stats.timeouts).toBeGreaterThan(0);
    await sim.stop();
  });

  it("with the proposer order as tie-break, a split ends as soon as nodes learn each other's blocks", async () => {
    const sim = new Simulation({ nodes: 100, params: PARAMS, seed: 12 });
    const chains = sim.split(SPLIT_HEIGHTS, 2);
    for (const node of sim.nodes) chains.forEach((chain) => node.learnAll(chain));
    const firstAt1 = chains.map((c) => c[0]).sort((a, b) => (proposerScore(1, a.proposer) < proposerScore(1, b.proposer) ? -1 : 1))[0];
    expect(sim.nodes.every((n) => n.consensus.preferenceAt(1) === firstAt1.id)).toBe(true);
    sim.start();
    await sim.run({ until: allDecided(sim, SPLIT_HEIGHTS), forMs: LONG_MS });
    expect(sim.nodes.every((n) => n.accepted[1] === firstAt1.id)).toBe(true);
    expect(sim.conflicts()).toEqual([]);
    await sim.stop();
  });
});
