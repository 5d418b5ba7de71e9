import { open } from "node:fs/promises";
import * as path from "node:path";

/** The prototype of fs/promises FileHandle (not exported by Node), for spying on its syncs. */
export async function fileHandlePrototype(
  dir: string,
): Promise<{ datasync(): Promise<void>; sync(): Promise<void> }> {
  const probe = await open(path.join(dir, "probe"), "w");
  await probe.close();
  return Object.getPrototypeOf(probe) as { datasync(): Promise<void>; sync(): Promise<void> };
}
