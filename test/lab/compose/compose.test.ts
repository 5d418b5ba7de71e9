/**
 * One scenario of the library on the Compose backend, end to end: the real image, docker
 * kill/pause and the Lab service over the project's own subnet. Needs a Docker engine and the
 * image (npm run test:compose builds it; or docker build --network host -t snowchain:local .):
 * without them the lab refuses in one line, and this test fails saying so — it never skips.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { runLab } from "../run-lab";

const results = fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-lab-compose-"));
afterAll(() => fs.rmSync(results, { recursive: true, force: true }));

it("scenarios/partition-halves.yaml passes on Compose and leaves no container, network or volume", async () => {
  const project = `snowchain-lab-${process.pid}`;
  const r = await runLab(["scenarios/partition-halves.yaml", "--backend", "compose", "--seed", "11", "--project", project], results);
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.out}`);
  expect(r.out).toMatch(/verdict: pass/);
  expect(JSON.parse(fs.readFileSync(path.join(r.dir, "verdict.json"), "utf8"))).toMatchObject({ valid: true });
  const label = `label=com.docker.compose.project=${project}`;
  const left = ["ps -aq", "network ls -q", "volume ls -q"].map((cmd) => execFileSync("docker", [...cmd.split(" "), "--filter", label], { encoding: "utf8" }).trim());
  expect(left).toEqual(["", "", ""]);
});
