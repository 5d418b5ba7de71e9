import type { LinkFault, PeerMessageKind, Transport } from "../wire/transport";

export type { LinkFault };

export interface FaultyTransportDeps {
  /** The node id of the member at an address (outgoing messages know only the address). */
  readonly nodeIdOf: (address: string) => string | undefined;
  /** Uniform in [0, 1); a test passes a seeded one. */
  readonly random: () => number;
  readonly setTimer: (task: () => void, ms: number) => void;
}

/**
 * The lab's network faults, as a decorator of the transport every peer message passes through:
 * loss, latency with jitter and duplication, per remote peer and direction. The first fault that
 * names a message's remote and direction applies. With no faults set, messages pass untouched.
 */
export class FaultyTransport implements Transport {
  private faults: readonly LinkFault[] = [];

  constructor(
    private readonly inner: Transport,
    private readonly deps: FaultyTransportDeps,
  ) {}

  /** Replaces every fault (an empty list heals every link). */
  set(faults: readonly LinkFault[]): void {
    this.faults = faults.map((f) => Object.freeze({ ...f, peers: [...f.peers] }));
  }

  get active(): readonly LinkFault[] {
    return this.faults;
  }

  send(address: string, kind: PeerMessageKind, send: () => void): void {
    const fault = this.faults.length === 0 ? undefined : this.match("out", this.deps.nodeIdOf(address) ?? address);
    if (fault === undefined) this.inner.send(address, kind, send);
    else this.apply(fault, () => this.inner.send(address, kind, send));
  }

  receive(nodeId: string, kind: PeerMessageKind, deliver: () => void): void {
    const fault = this.faults.length === 0 ? undefined : this.match("in", nodeId);
    if (fault === undefined) this.inner.receive(nodeId, kind, deliver);
    else this.apply(fault, () => this.inner.receive(nodeId, kind, deliver));
  }

  private match(direction: "in" | "out", remote: string): LinkFault | undefined {
    return this.faults.find((f) => (f.direction === "both" || f.direction === direction) && (f.peers.length === 0 || f.peers.includes(remote)));
  }

  private apply(fault: LinkFault, pass: () => void): void {
    const { random } = this.deps;
    if ((fault.drop ?? 0) > 0 && random() < fault.drop!) return;
    const copies = (fault.duplicate ?? 0) > 0 && random() < fault.duplicate! ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const jitter = fault.jitterMs ?? 0;
      const delay = Math.max(0, (fault.delayMs ?? 0) + (jitter > 0 ? (random() * 2 - 1) * jitter : 0));
      if (delay === 0) pass();
      else this.deps.setTimer(pass, delay);
    }
  }
}
