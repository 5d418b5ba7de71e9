import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";

/**
 * A fresh real directory under os.tmpdir() for each test, removed after it. Call at describe
 * level; the returned function gives the current test's directory.
 */
export function useTmpDir(prefix = "snowchain-chain-"): () => string {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error("useTmpDir: no test is running");
    return dir;
  };
}
