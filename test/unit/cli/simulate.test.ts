import { SIMULATE_OPTIONS } from "../../../src/cli/commands/simulate";
import { EXPERIMENT_DEFAULTS } from "../../../src/sim/experiment-options";
import { FakeContext, runWith } from "../../utils/cli/fake-context";

describe("snowchain simulate on the command line", () => {
  it.each([
    [["--alpha-preference", "10"], /^error: --alpha-preference: 10 must satisfy K\/2 < alphaPreference <= alphaConfidence \(K=20, alphaConfidence=15\)$/],
    [["--alpha-preference", "16"], /^error: --alpha-preference: 16 must satisfy K\/2 < alphaPreference <= alphaConfidence/],
    [["--alpha-confidence", "21"], /^error: --alpha-confidence: 21 must satisfy alphaPreference <= alphaConfidence <= K/],
    [["--beta", "0"], /^error: --beta: 0 must be at least 1$/],
    [["--beta", "2", "--concurrent-polls", "3"], /^error: --concurrent-polls: 3 must satisfy 0 < concurrentPolls <= beta \(beta=2\)$/],
    [["--byzantine", "1.5"], /^error: --byzantine: "1.5" must be a share from 0 to 1/],
    [["--byzantine", "-0.1"], /^error: --byzantine: "-0.1" must be a share from 0 to 1/],
    [["--drop", "2"], /^error: --drop: "2" must be a share from 0 to 1/],
    [["--nodes", "10", "--byzantine-nodes", "11"], /^error: --byzantine-nodes: 11 byzantine of 10 nodes leaves no honest node$/],
    [["--nodes", "10", "--byzantine", "1"], /^error: --byzantine: 1 of 10 nodes leaves no honest node$/],
    [["--strategy", "sneaky"], /^error: --strategy: "sneaky" is not one of silent, random, contrarian, balancing, balancing-pooled, balancing-full$/],
    [["--mode", "fast"], /^error: --mode: "fast" is not one of lockstep, async$/],
    [["--latency", "exp"], /^error: --latency: "exp" is not \[P%\]fixed:MS/],
    [["--latency", "uniform:50-5"], /^error: --latency: uniform:50-5: MAX must not be below MIN$/],
    [["--latency", "gamma:3"], /^error: --latency: unknown latency distribution "gamma"/],
    [["--split", "0.5,0.4"], /^error: --split: "0.5,0.4" adds up to 0.9, not 1$/],
    [["--nodes", "0"], /^error: --nodes: "0" must be a whole number from 1 to/],
    [["--sweep", "nodes"], /^error: --sweep: "nodes" is not OPTION=V1,V2/],
    [["--sweep", "latency=exp:1", "--out", "x"], /^error: --sweep: "latency" cannot be swept/],
    [["--sweep", "strategy=random,balancing", "--out", "x"], /^error: --sweep: the first sweep is the x axis and needs numbers/],
    [["--sweep", "beta=1,0", "--out", "x"], /^error: --beta: 0 must be at least 1$/],
    [["--sweep", "nodes=10,20"], /^error: --out: a sweep needs a directory/],
    [["--seeds", "0"], /argument '0' is invalid/],
  ])("snowchain simulate %j exits 2 with one line naming the option", async (args, message) => {
    const ctx = new FakeContext();
    const r = await runWith(ctx, "simulate", ...args);
    expect(r.stderr.join("\n")).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stdout).toEqual([]);
  });

  it("prints a human report, or one JSON object with --json, and its wall time and peak RSS on stderr", async () => {
    const text = await runWith(new FakeContext(), "simulate", "--nodes", "100", "--heights", "2");
    expect(text.code).toBe(0);
    expect(text.stdout.join("\n")).toMatch(/rounds per decision +mean [\d.]+ +p50 \d+ +p99 \d+ +max \d+/);
    expect(text.stdout.join("\n")).toMatch(/liveness +200 of 200 honest decisions made; 0 not made/);
    expect(text.stderr).toEqual([expect.stringMatching(/^simulate: wall \d+\.\d s \(cpu \d+\.\d s\), peak RSS \d+ MiB$/)]);
    const json = await runWith(new FakeContext(), "simulate", "--nodes", "100", "--heights", "2", "--json");
    expect(json.stdout).toHaveLength(1);
    expect(JSON.parse(json.stdout[0]!)).toMatchObject({ config: { nodes: 100, k: 20, beta: 20 }, result: { decisions: { expected: 200, made: 200 } } });
  });

  it("lists every option of an experiment in --help without loading the simulator", () => {
    expect(SIMULATE_OPTIONS.map(([flag]) => flag.replace(/^--([a-z-]+).*$/, "$1")).sort()).toEqual(Object.keys(EXPERIMENT_DEFAULTS).sort());
  });
});
