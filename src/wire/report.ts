import type { FellowReport, MemberObservation } from "../behaviour/fellow-report";
import { COLLUSION_LIMITS } from "../behaviour/fellow-report";
import { idToBytes, parseId } from "../chain/codec";
import { ErrorCode, SnowchainError } from "../errors";
import { checkWireIntegers } from "./heights";
import { NODE_ID } from "./peer-info";
import type { ReportRequest, ReportRequest__Output } from "./generated/snowchain/v1/ReportRequest";

/** Wire ⇄ domain for the Collusion service's reports. */
export function reportToWire(report: FellowReport): ReportRequest {
  return {
    group: report.group,
    observations: report.observations.map((o) => ({
      member: o.member,
      preferences: [...o.chain].map(([height, id]) => ({ height, block_id: idToBytes(id, "block_id") })),
    })),
  };
}

function invalid(message: string): SnowchainError {
  return new SnowchainError(ErrorCode.INVALID_ARGUMENT, message);
}

/**
 * A report from the wire, checked against COLLUSION_LIMITS (members per report, heights per
 * member), each member a node id, each height a safe integer above genesis named once, each id 32 bytes.
 * @throws SnowchainError INVALID_ARGUMENT naming the first bad field
 */
export function reportFromWire(req: ReportRequest__Output): FellowReport {
  const { maxObservationsPerReport, maxHeightsPerObservation } = COLLUSION_LIMITS;
  if (req.observations.length > maxObservationsPerReport) throw invalid(`a report tells of at most ${maxObservationsPerReport} members, got ${req.observations.length}`);
  const observations = req.observations.map((o, i): MemberObservation => {
    if (!NODE_ID.test(o.member)) throw invalid(`observations[${i}].member ${JSON.stringify(o.member.slice(0, 80))} is not a node id`);
    if (o.preferences.length > maxHeightsPerObservation) throw invalid(`observations[${i}] names at most ${maxHeightsPerObservation} heights, got ${o.preferences.length}`);
    const chain = new Map<number, string>();
    o.preferences.forEach((p, j) => {
      const at = `observations[${i}].preferences[${j}]`;
      checkWireIntegers(p, "height");
      if (p.height < 1 || chain.has(p.height)) throw invalid(`${at}.height ${p.height} is not a new height above genesis`);
      chain.set(p.height, parseId(p.block_id, `${at}.block_id`));
    });
    return { member: o.member, chain };
  });
  return { group: req.group, observations };
}
