import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { labRun, type LabIo } from "../../../src/lab/cli";
import { LabError } from "../../../src/lab/errors";
import { FakeContext, runWith } from "../../utils/cli/fake-context";

/** Bad input stops `lab run` with one line before anything starts: no results directory, no process. */
describe("snowchain lab run refuses, before anything starts,", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-lab-cli-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const io = (root: boolean): LabIo => ({
    out: () => undefined,
    err: () => undefined,
    onInterrupt: () => () => undefined,
    exitNow: () => {
      throw new Error("exitNow");
    },
    isRoot: () => root,
  });

  function scenario(text: string): string {
    const file = path.join(dir, "s.yaml");
    fs.writeFileSync(file, text);
    return file;
  }

  async function refusal(file: string, opts: Partial<Parameters<typeof labRun>[1]> = {}, root = true): Promise<LabError> {
    const results = path.join(dir, "results");
    const err = await labRun(file, { results, net: "transport", noMetrics: true, ...opts }, io(root)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LabError);
    // Nothing was started: not even the run's directory exists.
    expect(fs.existsSync(results)).toBe(false);
    return err as LabError;
  }

  const BASE = "name: t\nduration: 20\nnetwork: { peers: 3 }\n";

  it("a scenario naming a peer that does not exist", async () => {
    const e = await refusal(scenario(`${BASE}faults:\n  - { kind: kill, at: 1, duration: 2, target: peer-7 }\n`));
    expect(e).toMatchObject({ code: "BAD_TARGET", message: "faults: kill at 1s: peer-7 does not exist; this network's peers are peer-0 … peer-2" });
  });

  it("a fault the backend cannot do: scale on local processes", async () => {
    const e = await refusal(scenario(`${BASE}faults:\n  - { kind: scale, at: 1, duration: 2, peers: 5 }\n`));
    expect(e.code).toBe("UNSUPPORTED");
    expect(e.message).toMatch(/^faults: scale at 1s: the local backend cannot scale/);
  });

  it("--net real without root", async () => {
    const e = await refusal(scenario(BASE), { net: "real" }, false);
    expect(e.message).toBe("--net real needs root (iptables in each peer's network namespace): run the lab as root, or leave --net out to fault links at the peers' transport");
  });

  it("a file that is not there", async () => {
    expect((await refusal(path.join(dir, "nope.yaml"))).message).toBe(`${path.join(dir, "nope.yaml")}: cannot read it (ENOENT)`);
  });

  it("and the command says it in one line with exit code 2", async () => {
    const r = await runWith(new FakeContext(), "lab", "run", scenario(`${BASE}bogus: 1\n`), "--results", path.join(dir, "results"));
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([`error: ${path.join(dir, "s.yaml")}: bogus: 1 — unknown key; allowed keys: name, description, duration, seed, network, load, faults, nemesis, expect`]);
  });
});

describe("the lab command's backends", () => {
  it("are listed without loading the lab, and are the lab's", async () => {
    const { LAB_BACKENDS } = await import("../../../src/cli/commands/lab");
    const { BACKENDS } = await import("../../../src/lab/scenario");
    expect([...LAB_BACKENDS]).toEqual([...BACKENDS]);
  });
});
