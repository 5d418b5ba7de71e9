import { FaultyTransport, type LinkFault } from "../../../src/p2p/faulty-transport";
import { DIRECT_TRANSPORT } from "../../../src/wire/transport";
import { mulberry32 } from "../../utils/consensus/random";

/** A transport over DIRECT with timers the test runs by hand. */
function harness(random: () => number = mulberry32(1)) {
  const timers: { ms: number; task: () => void }[] = [];
  const ids = new Map([
    ["10.0.0.2:50051", "b"],
    ["10.0.0.3:50051", "c"],
  ]);
  const t = new FaultyTransport(DIRECT_TRANSPORT, {
    nodeIdOf: (a) => ids.get(a),
    random,
    setTimer: (task, ms) => timers.push({ ms, task }),
  });
  const log: string[] = [];
  const out = (address: string): void => t.send(address, "Query", () => log.push(`out:${address}`));
  const inn = (nodeId: string): void => t.receive(nodeId, "Query", () => log.push(`in:${nodeId}`));
  return { t, timers, log, out, inn };
}

/** Returns the given values in turn. */
const scripted = (values: number[]): (() => number) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe("FaultyTransport", () => {
  it("passes every message at once, once, when no fault is set", () => {
    const h = harness();
    h.out("10.0.0.2:50051");
    h.inn("c");
    expect(h.log).toEqual(["out:10.0.0.2:50051", "in:c"]);
    expect(h.timers).toEqual([]);
  });

  it("drops only the named remote's messages in the named direction", () => {
    const h = harness();
    h.t.set([{ peers: ["b"], direction: "out", drop: 1 }]);
    h.out("10.0.0.2:50051"); // to b: lost
    h.out("10.0.0.3:50051"); // to c: passes
    h.inn("b"); // from b: the fault is one-way
    expect(h.log).toEqual(["out:10.0.0.3:50051", "in:b"]);
  });

  it("a partition both ways loses messages to and from the remote, matched by node id or by address", () => {
    const h = harness();
    h.t.set([{ peers: ["b", "10.9.9.9:1"], direction: "both", drop: 1 }]);
    h.out("10.0.0.2:50051");
    h.inn("b");
    h.out("10.9.9.9:1"); // not a member yet: known only by its address
    h.inn("c");
    expect(h.log).toEqual(["in:c"]);
  });

  it("loses about the share it is told to", () => {
    const h = harness(mulberry32(7));
    h.t.set([{ peers: [], direction: "out", drop: 0.2 }]);
    for (let i = 0; i < 10_000; i++) h.out("10.0.0.3:50051");
    expect(h.log.length).toBeGreaterThan(7_700);
    expect(h.log.length).toBeLessThan(8_300);
  });

  it("delays by delay ± jitter, on a timer", () => {
    // The jitter's random draw: 0 → −jitter, just under 1 → +jitter, 0.5 → none.
    const h = harness(scripted([0, 0.999999, 0.5]));
    h.t.set([{ peers: [], direction: "in", delayMs: 100, jitterMs: 50 }]);
    for (let i = 0; i < 3; i++) h.t.receive("c", "Ping", () => h.log.push(`ping${i}`));
    expect(h.log).toEqual([]);
    expect(h.timers.map((x) => Math.round(x.ms))).toEqual([50, 150, 100]);
    for (const x of h.timers) x.task();
    expect(h.log).toEqual(["ping0", "ping1", "ping2"]);
  });

  it("duplicates: the message passes twice", () => {
    const h = harness();
    h.t.set([{ peers: ["c"], direction: "in", duplicate: 1 }]);
    h.inn("c");
    expect(h.log).toEqual(["in:c", "in:c"]);
  });

  it("the first matching fault applies, and set([]) heals every link", () => {
    const h = harness();
    const faults: LinkFault[] = [
      { peers: ["b"], direction: "out", duplicate: 1 },
      { peers: [], direction: "out", drop: 1 },
    ];
    h.t.set(faults);
    h.out("10.0.0.2:50051");
    h.out("10.0.0.3:50051");
    expect(h.log).toEqual(["out:10.0.0.2:50051", "out:10.0.0.2:50051"]);
    h.t.set([]);
    h.out("10.0.0.3:50051");
    expect(h.log).toHaveLength(3);
    expect(h.t.active).toEqual([]);
  });
});
