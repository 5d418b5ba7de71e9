import * as v8 from "node:v8";
import * as vm from "node:vm";

// Jest does not start node with --expose-gc; the flag can still be set at run time, and a new
// context then sees the `gc` function.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/**
 * What this process holds after full garbage collections: JavaScript heap plus the memory of
 * Buffers (which live outside the heap). A test that runs a peer in-process compares readings
 * before and after, to show what the peer keeps for some callers.
 */
export function retainedBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export const MiB = 1024 * 1024;
