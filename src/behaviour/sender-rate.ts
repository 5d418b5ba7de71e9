import { ErrorCode, SnowchainError } from "../errors";
import { COLLUSION_LIMITS } from "./fellow-report";

/**
 * Reports taken per sender in the current second: a fellow (or anyone who knows the group) cannot
 * make this peer merge without bound. Counts at most maxFellowsRemembered senders (the oldest
 * window is forgotten, which can only let that sender through sooner).
 */
export class SenderRate {
  private readonly windows = new Map<string, { startMs: number; count: number }>();

  constructor(private readonly perSecond: number = COLLUSION_LIMITS.maxReportsPerSecondFrom) {}

  /** Counts one report from `sender`; throws OVERLOADED past the bound. */
  take(sender: string, nowMs: number): void {
    let w = this.windows.get(sender);
    if (!w || nowMs - w.startMs >= 1000) {
      this.windows.delete(sender);
      if (this.windows.size >= COLLUSION_LIMITS.maxFellowsRemembered) this.windows.delete(this.windows.keys().next().value as string);
      this.windows.set(sender, (w = { startMs: nowMs, count: 0 }));
    }
    if (w.count >= this.perSecond) throw new SnowchainError(ErrorCode.OVERLOADED, `more than ${this.perSecond} reports a second from ${sender}`, { sender });
    w.count++;
  }
}
