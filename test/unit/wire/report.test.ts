import { COLLUSION_LIMITS } from "../../../src/behaviour/fellow-report";
import { ErrorCode } from "../../../src/errors";
import type { ReportRequest__Output } from "../../../src/wire/generated/snowchain/v1/ReportRequest";
import { reportFromWire, reportToWire } from "../../../src/wire/report";
import { thrown } from "../../utils/chain/errors";

const ID = "ab".repeat(32);
const pref = (height: number, id = ID) => ({ height, block_id: Buffer.from(id, "hex") });

/** The INVALID_ARGUMENT message a wire report is refused with. */
function refusal(req: ReportRequest__Output): string {
  const err = thrown(() => reportFromWire(req));
  expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
  return err.message;
}

describe("collusion reports on the wire", () => {
  it("round-trips a report", () => {
    const report = { group: "cabal", observations: [{ member: "m1", chain: new Map([[3, ID], [4, "cd".repeat(32)]]) }] };
    expect(reportFromWire(reportToWire(report) as ReportRequest__Output)).toEqual(report);
  });

  it("refuses what is past the bounds or malformed, naming the field", () => {
    const many = Array.from({ length: COLLUSION_LIMITS.maxObservationsPerReport + 1 }, () => ({ member: "m", preferences: [] }));
    expect(refusal({ group: "g", observations: many })).toBe(`a report tells of at most ${COLLUSION_LIMITS.maxObservationsPerReport} members, got ${many.length}`);
    const tall = Array.from({ length: COLLUSION_LIMITS.maxHeightsPerObservation + 1 }, (_, i) => pref(i + 1));
    expect(refusal({ group: "g", observations: [{ member: "m", preferences: tall }] })).toBe(`observations[0] names at most ${COLLUSION_LIMITS.maxHeightsPerObservation} heights, got ${tall.length}`);
    expect(refusal({ group: "g", observations: [{ member: "not a node id", preferences: [] }] })).toBe('observations[0].member "not a node id" is not a node id');
    expect(refusal({ group: "g", observations: [{ member: "m", preferences: [pref(3), pref(3)] }] })).toBe("observations[0].preferences[1].height 3 is not a new height above genesis");
    expect(refusal({ group: "g", observations: [{ member: "m", preferences: [pref(0)] }] })).toBe("observations[0].preferences[0].height 0 is not a new height above genesis");
    expect(refusal({ group: "g", observations: [{ member: "m", preferences: [{ height: 3, block_id: Buffer.alloc(5) }] }] })).toBe("observations[0].preferences[0].block_id must be 32 bytes, got 5");
    expect(refusal({ group: "g", observations: [{ member: "m", preferences: [pref(2 ** 53)] }] })).toMatch(/^height must be at most/);
  });
});
