import { isSnowchainError, ErrorCode } from "../../../src/errors";
import { checkWireIntegers, MAX_WIRE_INTEGER } from "../../../src/wire/heights";

/** What protobufjs hands a handler for a uint64 under `longs: Number`: the nearest double. */
const decoded = (uint64: string): number => Number(BigInt(uint64));

describe("uint64 fields as JavaScript numbers", () => {
  it("takes every height up to 2^53 − 1, and absent fields", () => {
    expect(MAX_WIRE_INTEGER).toBe(9007199254740991);
    expect(() => checkWireIntegers({ from_height: 0, to_height: MAX_WIRE_INTEGER }, "from_height", "to_height")).not.toThrow();
    expect(() => checkWireIntegers({ height: undefined as number | undefined }, "height")).not.toThrow();
  });

  it.each(["9007199254740992", "9007199254740993", "9007199254741055", "18446744073709551615"])("refuses %s, however it was rounded, naming the field and the limit", (uint64) => {
    let caught: unknown;
    try {
      checkWireIntegers({ from_height: 1, to_height: decoded(uint64) }, "from_height", "to_height");
    } catch (err) {
      caught = err;
    }
    expect(isSnowchainError(caught, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect((caught as Error).message).toBe("to_height must be at most 9007199254740991 (2^53 − 1)");
  });

  it("checks only the fields it is told of (a double field is not a height)", () => {
    expect(() => checkWireIntegers({ drop: 1e300, height: 1 }, "height")).not.toThrow();
  });
});
