import { ErrorCode, SnowchainError } from "../errors";
import type { LabHandlers } from "../wire/generated/snowchain/v1/Lab";
import type { LabResetRequest__Output } from "../wire/generated/snowchain/v1/LabResetRequest";
import type { LabState as WireLabState } from "../wire/generated/snowchain/v1/LabState";
import type { LabStateRequest__Output } from "../wire/generated/snowchain/v1/LabStateRequest";
import type { LinkFault__Output } from "../wire/generated/snowchain/v1/LinkFault";
import type { SetClockSkewRequest__Output } from "../wire/generated/snowchain/v1/SetClockSkewRequest";
import type { SetLinkFaultsRequest__Output } from "../wire/generated/snowchain/v1/SetLinkFaultsRequest";
import { NODE_ID } from "../wire/peer-info";
import type { LinkFault } from "../wire/transport";
import { unary, type HandlerContext } from "./handler";

/** What the Lab service changes in this peer (p2p's LabControl implements it). */
export interface LabControlPort {
  setLinkFaults(faults: readonly LinkFault[]): LabStateView;
  setClockSkew(skewMs: number): LabStateView;
  reset(): LabStateView;
  state(): LabStateView;
}

export interface LabStateView {
  readonly faults: readonly LinkFault[];
  readonly clockSkewMs: number;
}

export interface LabServiceDeps extends HandlerContext {
  /** undefined unless LAB_CONTROL=1: every call is then refused. */
  readonly control: LabControlPort | undefined;
}

/** Bounds on what a lab may ask: enough for any experiment, not enough to wedge a peer. */
const MAX_FAULTS = 64;
const MAX_PEERS_PER_FAULT = 1024;
const MAX_DELAY_MS = 60_000;
const MAX_SKEW_MS = 24 * 3600_000;

const DIRECTIONS = { LINK_DIRECTION_IN: "in", LINK_DIRECTION_OUT: "out", LINK_DIRECTION_BOTH: "both" } as const;

function bad(message: string): SnowchainError {
  return new SnowchainError(ErrorCode.INVALID_ARGUMENT, message);
}

function share(value: number, what: string): number {
  if (!(value >= 0 && value <= 1)) throw bad(`${what} must be a share from 0 to 1, got ${value}`);
  return value;
}

function ms(value: number, what: string): number {
  if (value > MAX_DELAY_MS) throw bad(`${what} must be at most ${MAX_DELAY_MS} ms, got ${value}`);
  return value;
}

/** A link fault from the wire, checked: each bad field is named. */
export function linkFaultFromWire(f: LinkFault__Output, i: number): LinkFault {
  const at = `faults[${i}]`;
  const direction = DIRECTIONS[f.direction as keyof typeof DIRECTIONS];
  if (direction === undefined) throw bad(`${at}.direction must be LINK_DIRECTION_IN, _OUT or _BOTH, got ${String(f.direction)}`);
  if (f.peers.length > MAX_PEERS_PER_FAULT) throw bad(`${at}.peers names ${f.peers.length} peers, at most ${MAX_PEERS_PER_FAULT} allowed`);
  const badPeer = f.peers.find((p) => !NODE_ID.test(p));
  if (badPeer !== undefined) throw bad(`${at}.peers: ${JSON.stringify(badPeer.slice(0, 80))} is not a node id`);
  return {
    peers: [...f.peers],
    direction,
    drop: share(f.drop, `${at}.drop`),
    duplicate: share(f.duplicate, `${at}.duplicate`),
    delayMs: ms(f.delay_ms, `${at}.delay_ms`),
    jitterMs: ms(f.jitter_ms, `${at}.jitter_ms`),
  };
}

const WIRE_DIRECTION = { in: "LINK_DIRECTION_IN", out: "LINK_DIRECTION_OUT", both: "LINK_DIRECTION_BOTH" } as const;

function stateToWire(s: LabStateView): WireLabState {
  return {
    faults: s.faults.map((f) => ({
      peers: [...f.peers],
      direction: WIRE_DIRECTION[f.direction],
      drop: f.drop ?? 0,
      delay_ms: f.delayMs ?? 0,
      jitter_ms: f.jitterMs ?? 0,
      duplicate: f.duplicate ?? 0,
    })),
    clock_skew_ms: s.clockSkewMs,
  };
}

export function labService(deps: LabServiceDeps): LabHandlers {
  const control = (): LabControlPort => {
    if (!deps.control) throw new SnowchainError(ErrorCode.DISABLED, "lab control is off on this peer (start it with LAB_CONTROL=1)");
    return deps.control;
  };
  return {
    SetLinkFaults: unary<SetLinkFaultsRequest__Output, WireLabState>(deps, "SetLinkFaults", (req) => {
      if (req.faults.length > MAX_FAULTS) throw bad(`${req.faults.length} faults, at most ${MAX_FAULTS} allowed`);
      const faults = req.faults.map(linkFaultFromWire);
      const state = control().setLinkFaults(faults);
      deps.log.warn({ faults }, "lab: link faults set");
      return stateToWire(state);
    }),
    SetClockSkew: unary<SetClockSkewRequest__Output, WireLabState>(deps, "SetClockSkew", (req) => {
      if (Math.abs(req.skew_ms) > MAX_SKEW_MS) throw bad(`skew_ms must be within ±${MAX_SKEW_MS}, got ${req.skew_ms}`);
      const state = control().setClockSkew(req.skew_ms);
      deps.log.warn({ skewMs: req.skew_ms }, "lab: clock skew set");
      return stateToWire(state);
    }),
    Reset: unary<LabResetRequest__Output, WireLabState>(deps, "Reset", () => {
      const state = control().reset();
      deps.log.warn("lab: faults reset");
      return stateToWire(state);
    }),
    GetState: unary<LabStateRequest__Output, WireLabState>(deps, "GetState", () => stateToWire(control().state())),
  };
}
