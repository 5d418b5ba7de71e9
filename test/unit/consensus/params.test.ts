import { ErrorCode, isSnowchainError } from "../../../src/errors";
import { DEFAULT_SNOWBALL_PARAMS, validateSnowballParams } from "../../../src/consensus/params";
import type { SnowballParams } from "../../../src/consensus/types";

function messageOf(p: Partial<SnowballParams>): string {
  try {
    validateSnowballParams({ ...DEFAULT_SNOWBALL_PARAMS, ...p });
  } catch (err) {
    if (isSnowchainError(err, ErrorCode.BAD_CONFIG)) return err.message;
    throw err;
  }
  throw new Error("expected a BAD_CONFIG error");
}

describe("validateSnowballParams", () => {
  it("accepts avalanchego's defaults", () => {
    expect(DEFAULT_SNOWBALL_PARAMS).toEqual({ k: 20, alphaPreference: 15, alphaConfidence: 15, beta: 20, concurrentPolls: 4 });
    expect(validateSnowballParams(DEFAULT_SNOWBALL_PARAMS)).toEqual(DEFAULT_SNOWBALL_PARAMS);
  });

  it("returns a frozen copy holding only the parameters", () => {
    const input = { ...DEFAULT_SNOWBALL_PARAMS, extra: 1 } as SnowballParams;
    const out = validateSnowballParams(input);
    expect(out).not.toBe(input);
    expect(Object.isFrozen(out)).toBe(true);
    expect(out).toEqual(DEFAULT_SNOWBALL_PARAMS);
  });

  it("accepts the boundaries", () => {
    expect(() => validateSnowballParams({ k: 1, alphaPreference: 1, alphaConfidence: 1, beta: 1, concurrentPolls: 1 })).not.toThrow();
    expect(() => validateSnowballParams({ k: 20, alphaPreference: 11, alphaConfidence: 20, beta: 3, concurrentPolls: 3 })).not.toThrow();
    expect(() => validateSnowballParams({ k: 5, alphaPreference: 3, alphaConfidence: 4, beta: 1, concurrentPolls: 1 })).not.toThrow();
  });

  it("names the variable, its value and the rule for alphaPreference <= K/2", () => {
    expect(messageOf({ alphaPreference: 9 })).toBe(
      "SNOWBALL_ALPHA_PREFERENCE=9 must satisfy K/2 < alphaPreference <= alphaConfidence (K=20, alphaConfidence=15)",
    );
    expect(messageOf({ alphaPreference: 10 })).toMatch(/^SNOWBALL_ALPHA_PREFERENCE=10 /);
    expect(messageOf({ k: 5, alphaPreference: 2, alphaConfidence: 4 })).toMatch(/^SNOWBALL_ALPHA_PREFERENCE=2 .*\(K=5, /);
  });

  it("rejects alphaPreference above alphaConfidence", () => {
    expect(messageOf({ alphaPreference: 16 })).toBe(
      "SNOWBALL_ALPHA_PREFERENCE=16 must satisfy K/2 < alphaPreference <= alphaConfidence (K=20, alphaConfidence=15)",
    );
  });

  it("rejects alphaConfidence above K", () => {
    expect(messageOf({ alphaConfidence: 21 })).toBe(
      "SNOWBALL_ALPHA_CONFIDENCE=21 must satisfy alphaPreference <= alphaConfidence <= K (K=20, alphaPreference=15)",
    );
  });

  it("rejects K, beta and concurrent polls out of range", () => {
    expect(messageOf({ k: 0 })).toBe("SNOWBALL_K=0 must be at least 1");
    expect(messageOf({ beta: 0 })).toBe("SNOWBALL_BETA=0 must be at least 1");
    expect(messageOf({ concurrentPolls: 0 })).toBe("SNOWBALL_CONCURRENT_POLLS=0 must satisfy 0 < concurrentPolls <= beta (beta=20)");
    expect(messageOf({ concurrentPolls: 21 })).toBe("SNOWBALL_CONCURRENT_POLLS=21 must satisfy 0 < concurrentPolls <= beta (beta=20)");
  });

  it("rejects values that are not integers", () => {
    expect(messageOf({ k: 1.5 })).toBe("SNOWBALL_K=1.5 must be an integer");
    expect(messageOf({ beta: Number.NaN })).toBe("SNOWBALL_BETA=NaN must be an integer");
    expect(messageOf({ concurrentPolls: "4" as unknown as number })).toBe("SNOWBALL_CONCURRENT_POLLS=4 must be an integer");
  });

  it("carries the variable and value as fields", () => {
    try {
      validateSnowballParams({ ...DEFAULT_SNOWBALL_PARAMS, beta: -1 });
      throw new Error("expected a throw");
    } catch (err) {
      expect(isSnowchainError(err, ErrorCode.BAD_CONFIG)).toBe(true);
      expect((err as { fields: unknown }).fields).toEqual({ variable: "SNOWBALL_BETA", value: -1 });
    }
  });
});
