import type { LinkFault } from "../wire/transport";
import type { FaultyTransport } from "./faulty-transport";

/** What the Lab service may change in a peer (the api's LabControl port). */
export interface LabState {
  readonly faults: readonly LinkFault[];
  readonly clockSkewMs: number;
}

/**
 * The peer's side of the fault lab: the link faults of its transport and the offset of its
 * clock. Built only when LAB_CONTROL=1; without it the peer has neither (and no Lab service that
 * answers), so nothing here can slow a production path.
 */
export class LabControl {
  private skewMs = 0;

  constructor(private readonly transport: FaultyTransport) {}

  /** This peer's time: the real clock shifted by the lab's skew. */
  readonly now = (): number => Date.now() + this.skewMs;

  setLinkFaults(faults: readonly LinkFault[]): LabState {
    this.transport.set(faults);
    return this.state();
  }

  setClockSkew(skewMs: number): LabState {
    this.skewMs = skewMs;
    return this.state();
  }

  reset(): LabState {
    this.transport.set([]);
    this.skewMs = 0;
    return this.state();
  }

  state(): LabState {
    return { faults: this.transport.active, clockSkewMs: this.skewMs };
  }
}
