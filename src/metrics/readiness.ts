import type { Readiness } from "./server";

export interface ReadinessInputs {
  /** This peer reached the network (or found it is a network of one). */
  readonly joined: boolean;
  readonly syncing: boolean;
  readonly members: number;
  readonly liveMembers: number;
}

/** /readyz: a peer is ready once it joined, is not syncing, and some member answers (or it is alone). */
export function readinessOf(r: ReadinessInputs): Readiness {
  if (!r.joined) return { ready: false, reason: "looking for the network" };
  if (r.syncing) return { ready: false, reason: "syncing" };
  if (r.members > 0 && r.liveMembers === 0) return { ready: false, reason: "no live neighbor" };
  return { ready: true, reason: r.members === 0 ? "ready (a network of one)" : "ready" };
}
