import { randomBytes } from "node:crypto";
import * as zlib from "node:zlib";
import { crc32 } from "../../../src/chain/crc32";

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it("agrees with zlib where the runtime has it", () => {
    const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
    if (native === undefined) return;
    for (const size of [1, 7, 64, 1000, 65537]) {
      const buf = randomBytes(size);
      expect(crc32(buf)).toBe(native(buf));
    }
  });
});
