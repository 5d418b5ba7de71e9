import type { FellowReport } from "../behaviour/behaviour";
import type { CollusionHandlers } from "../wire/generated/snowchain/v1/Collusion";
import type { ReportRequest__Output } from "../wire/generated/snowchain/v1/ReportRequest";
import type { ReportResponse } from "../wire/generated/snowchain/v1/ReportResponse";
import { reportFromWire } from "../wire/report";
import { peerUnary, type PeerHandlerContext } from "./handler";

export interface CollusionServiceDeps extends PeerHandlerContext {
  /** The balancer's intake (BalancingBehaviour.takeReport): merges, or throws WRONG_GROUP / OVERLOADED. */
  readonly take: (sender: string, report: FellowReport) => number;
  /** Each report, taken or refused (for snowchain_byzantine_reports_received_total). */
  readonly onReport: (result: "accepted" | "refused", merged: number) => void;
}

/**
 * The Collusion service, which only a balancing peer with a BYZANTINE_GROUP registers: an honest
 * peer's server does not know it (UNIMPLEMENTED). Authenticated as every peer call: the session
 * names the fellow, so a report cannot speak for another member's queries.
 */
export function collusionService(deps: CollusionServiceDeps): CollusionHandlers {
  return {
    Report: peerUnary<ReportRequest__Output, ReportResponse>(deps, "Report", (req, sender) => {
      let merged: number;
      try {
        merged = deps.take(sender, reportFromWire(req));
      } catch (err) {
        deps.onReport("refused", 0);
        throw err;
      }
      deps.onReport("accepted", merged);
      return { merged };
    }),
  };
}
