import * as fs from "node:fs";
import * as path from "node:path";
import { LabError } from "../../../src/lab/errors";
import { labParams } from "../../../src/lab/params";
import { byzantineNames, parseScenario } from "../../../src/lab/scenario";
import { planFaults, ringCuts } from "../../../src/lab/schedule";

const BASE = "name: t\nduration: 30\nnetwork: { peers: 5 }\n";

function refusal(text: string): string {
  try {
    parseScenario(text, "s.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(LabError);
    return (err as Error).message;
  }
  throw new Error("the scenario was accepted");
}

describe("a scenario file", () => {
  it("fills the documented defaults", () => {
    expect(parseScenario(BASE, "s.yaml")).toMatchObject({
      duration: 30_000,
      network: { backend: "local", peers: 5, env: {} },
      load: { rate: 10, size: 64, peers: "all" },
      faults: [],
      expect: { recovery_within: 30_000, settle: 30_000 },
    });
  });

  it.each([
    ["an unknown key", `${BASE}bogus: 1\n`, "s.yaml: bogus: 1 — unknown key; allowed keys: name, description, duration, seed, network, load, faults, nemesis, expect"],
    ["a key a fault kind does not have", `${BASE}faults:\n  - {kind: kill, at: 1, duration: 2, target: one, drop: 3}\n`, "s.yaml: faults[0].drop: 3 — unknown key; allowed keys: kind, at, duration, target"],
    ["an unknown fault kind", `${BASE}faults:\n  - {kind: kil, at: 1, duration: 2}\n`, 's.yaml: faults[0].kind: "kil" — expected kind to be one of kill, pause, restart, rolling-restart, partition, loss, delay, duplicate, clock-skew, scale'],
    ["a bad target", `${BASE}faults:\n  - {kind: kill, at: 1, duration: 2, target: "x y"}\n`, 's.yaml: faults[0].target: "x y" — expected one of one, minority, majority, all-but-quorum, beyond-quorum, all, random, a peer name such as peer-0, or a list of peer names'],
    ["a share above 1", `${BASE}faults:\n  - {kind: loss, at: 1, duration: 2, drop: 3}\n`, "s.yaml: faults[0].drop: 3 — Too big: expected number to be <=1"],
    ["a missing length", "name: t\nnetwork: { peers: 5 }\n", "s.yaml: duration: missing — required, expected a length such as 10 (seconds), 500ms, 10s or 2m, at most a day"],
    ["a variable the lab sets itself", `name: t\nduration: 5\nnetwork: { peers: 2, env: { SEEDS: x } }\n`, "s.yaml: network.env: {\"SEEDS\":\"x\"} — the lab sets NODE_ID, LISTEN_ADDR, ADVERTISE_ADDR, METRICS_PORT, DATA_DIR, SEEDS, LAB_CONTROL itself"],
    ["a fault past the end", `${BASE}faults:\n  - {kind: kill, at: 20, duration: 20, target: one}\n`, "s.yaml: duration: 30s is shorter than the last fault's end at 40s"],
    ["broken YAML", "a: [\n", "s.yaml: not valid YAML: "],
  ])("refuses %s with one line naming the key, the value and what is allowed", (_what, text, line) => {
    const message = refusal(text);
    expect(message).toContain(line);
    expect(message).not.toContain("\n");
  });

  it("parses every scenario of the library", () => {
    const dir = path.join(__dirname, "..", "..", "..", "scenarios");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const f of files) {
      const s = parseScenario(fs.readFileSync(path.join(dir, f), "utf8"), f);
      expect(`${s.name}.yaml`).toBe(f);
      expect(planFaults(s, 7, labParams(s.network.env)).length).toBeGreaterThan(0);
    }
  });
});

describe("the fault schedule", () => {
  const plan = (faults: string, seed = 1, peers = 5, backend = "local") =>
    planFaults(parseScenario(`name: t\nduration: 60\nnetwork: { peers: ${peers}, backend: ${backend} }\nfaults:\n${faults}`, "s.yaml"), seed, labParams({}));

  it("picks targets by the arithmetic: all-but-quorum is 1 of 5 at αC/K = 0.75, beyond-quorum 2", () => {
    expect(plan("  - {kind: kill, at: 1, duration: 2, target: all-but-quorum}\n")[0]!.targets).toHaveLength(1);
    expect(plan("  - {kind: kill, at: 1, duration: 2, target: beyond-quorum}\n")[0]!.targets).toHaveLength(2);
    expect(plan("  - {kind: kill, at: 1, duration: 2, target: majority}\n")[0]!.targets).toHaveLength(3);
    expect(plan("  - {kind: kill, at: 1, duration: 2, target: minority}\n")[0]!.targets).toHaveLength(2);
  });

  it("gives the same picks for the same seed, and other picks for other seeds", () => {
    const f = "  - {kind: partition, at: 1, duration: 2, groups: halves}\n";
    expect(plan(f, 42)[0]!.groups).toEqual(plan(f, 42)[0]!.groups);
    const many = new Set(Array.from({ length: 20 }, (_, s) => JSON.stringify(plan(f, s)[0]!.groups)));
    expect(many.size).toBeGreaterThan(1);
  });

  it("cuts both ways between groups, and only from the first group when one way", () => {
    const both = plan("  - {kind: partition, at: 1, duration: 2, groups: [[peer-0], [peer-1, peer-2]]}\n")[0]!;
    expect(both.links).toHaveLength(4);
    const one = plan("  - {kind: partition, at: 1, duration: 2, one_way: true, groups: [[peer-0], [peer-1, peer-2]]}\n")[0]!;
    expect(one.links).toEqual([{ from: "peer-0", to: "peer-1" }, { from: "peer-0", to: "peer-2" }]);
    expect(one.label).toBe("partition [peer-0] -/-> [peer-1 peer-2]");
  });

  it("builds Jepsen's majorities ring: every peer keeps a majority, no two the same", () => {
    const ring = ["a", "b", "c", "d", "e"];
    const cut = ringCuts(ring);
    for (const p of ring) expect(ring.filter((q) => q !== p && !cut.some((l) => l.from === p && l.to === q)).length + 1).toBe(3);
  });

  it("takes byzantine peers by count and behaviour, the last ones of the network, and refuses what cannot be judged", () => {
    const s = parseScenario(`${BASE.replace("{ peers: 5 }", "{ peers: 5, byzantine: { peers: 2, behaviour: balancing } }")}`, "s.yaml");
    expect(byzantineNames(s)).toEqual(["peer-3", "peer-4"]);
    expect(refusal(BASE.replace("{ peers: 5 }", "{ peers: 5, byzantine: { peers: 1, behaviour: liar } }"))).toMatch(/^s\.yaml: network\.byzantine\.behaviour: .*silent.*balancing/);
    expect(refusal(BASE.replace("{ peers: 5 }", "{ peers: 5, byzantine: { peers: 1, behaviour: honest } }"))).toMatch(/^s\.yaml: network\.byzantine\.behaviour: /);
    expect(refusal(BASE.replace("{ peers: 5 }", "{ peers: 5, byzantine: { peers: 5, behaviour: silent } }"))).toBe(
      "s.yaml: network.byzantine.peers: 5 byzantine of 5 peers leaves no honest peer to judge",
    );
    expect(refusal(BASE.replace("{ peers: 5 }", "{ peers: 5, backend: compose, byzantine: { peers: 1, behaviour: silent } }"))).toMatch(
      /^s\.yaml: network\.byzantine: the compose backend does not run byzantine peers yet/,
    );
    expect(refusal(`${BASE.replace("{ peers: 5 }", "{ peers: 5, byzantine: { peers: 1, behaviour: silent } }")}load: { rate: 5, peers: [peer-4] }\n`)).toBe(
      "s.yaml: load.peers: peer-4 is byzantine; the load goes to honest peers",
    );
  });

  it("refuses a peer that does not exist, a group of one twice, and scale on the local backend", () => {
    expect(() => plan("  - {kind: kill, at: 1, duration: 2, target: peer-9}\n")).toThrow("faults: kill at 1s: peer-9 does not exist; this network's peers are peer-0 … peer-4");
    expect(() => plan("  - {kind: partition, at: 1, duration: 2, groups: [[peer-0], [peer-0]]}\n")).toThrow("peer-0 is in two groups");
    expect(() => plan("  - {kind: scale, at: 1, duration: 2, peers: 7}\n")).toThrow("faults: scale at 1s: the local backend cannot scale (only kill, pause,");
    expect(plan("  - {kind: scale, at: 1, duration: 2, peers: 7}\n", 1, 5, "compose")[0]!.label).toBe("scale 5 → 7");
  });

  it("draws a nemesis schedule from the seed: one fault at a time, the same for the same seed", () => {
    const s = parseScenario("name: t\nduration: 60\nnetwork: { peers: 5 }\nnemesis: { mix: [kill, isolate, loss], interval: 10, duration: 4 }\n", "s.yaml");
    const a = planFaults(s, 3, labParams({}));
    expect(a.map((f) => f.atMs)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000]);
    expect(a.every((f) => f.endMs - f.atMs === 4000)).toBe(true);
    expect(planFaults(s, 3, labParams({})).map((f) => f.label)).toEqual(a.map((f) => f.label));
  });
});

describe("the peer defaults the lab restates", () => {
  it("match the README's Configuration table", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "..", "README.md"), "utf8");
    const def = (name: string) => new RegExp(`\\| \`${name}\` \\| \`(\\d+)\``).exec(readme)?.[1];
    const p = labParams({});
    expect([p.k, p.beta, p.graceMs, p.pollTimeoutMs, p.heartbeatMs].map(String)).toEqual(
      ["SNOWBALL_K", "SNOWBALL_BETA", "MEMBER_GRACE_MS", "POLL_TIMEOUT_MS", "HEARTBEAT_MS"].map(def),
    );
  });
});
