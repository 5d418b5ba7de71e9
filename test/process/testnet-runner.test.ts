import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { createClient, GrpcSnowchainApi } from "../../src/cli/client";
import { waitFor } from "../utils/wait";

describe("npm run testnet", () => {
  it("leaves no peer behind when the runner itself is SIGKILLed", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-runner-"));
    const worker = Number(process.env.JEST_WORKER_ID ?? "1");
    const base = 10000 + worker * 1000 + 800 + Math.floor(Math.random() * 100);
    const script = path.resolve(__dirname, "..", "..", "dist", "scripts", "testnet.js");
    const runner = spawn(process.execPath, [script, "--peers", "2", "--dir", dir, "--base-port", String(base), "--metrics-port", String(base + 50)], {
      stdio: "ignore",
    });
    const apis = [0, 1].map((i) => new GrpcSnowchainApi(createClient(`127.0.0.1:${base + i}`)));
    try {
      for (const api of apis) await waitFor("a peer to answer", () => api.status(500), 30_000, 200);
      const gone = new Promise((r) => runner.once("exit", r));
      runner.kill("SIGKILL");
      await gone;
      for (const [i, api] of apis.entries()) {
        // A clean stop, as on SIGTERM, not a crash: the log says so, and the peer no longer answers.
        const log = path.join(dir, `peer-${i}.log`);
        await waitFor(`peer-${i} to stop after its runner died`, async () => ((await fs.readFile(log, "utf8")).includes('"msg":"stopped"') ? true : undefined), 15_000, 200);
        await expect(api.status(500)).rejects.toThrow();
      }
    } finally {
      for (const api of apis) api.close();
      runner.kill("SIGKILL");
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
