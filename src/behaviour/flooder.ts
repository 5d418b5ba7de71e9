import type { BehaviourActions, BehaviourName, LedgerView } from "./behaviour";
import { HonestBehaviour } from "./honest";

/** Queries kept in flight to each neighbour. */
const IN_FLIGHT_PER_NEIGHBOUR = 32;
/** How often the flooder looks for new neighbours and re-gossips its preferred chain. */
const REFRESH_MS = 200;

/**
 * Flooder: honest in what it says, but it sends queries about every undecided height to every
 * neighbour as fast as they are answered (IN_FLIGHT_PER_NEIGHBOUR at a time) and re-gossips its
 * preferred chain all the time: the load a peer's own bounds (stream backlog, query height
 * limits, handler costs) must absorb without starving honest traffic.
 */
export class FlooderBehaviour extends HonestBehaviour {
  override readonly name: BehaviourName = "flooder";
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<string, number>();

  constructor(view: LedgerView) {
    super(view);
  }

  start(actions: BehaviourActions): void {
    this.running = true;
    const refresh = (): void => {
      if (!this.running) return;
      const chain = this.view.preferredChain();
      for (const n of actions.neighbours()) {
        for (const b of chain) actions.gossip(n, b);
        this.fill(actions, n.nodeId);
      }
      this.timer = setTimeout(refresh, REFRESH_MS);
    };
    refresh();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  private fill(actions: BehaviourActions, to: string): void {
    while (this.running && (this.inFlight.get(to) ?? 0) < IN_FLIGHT_PER_NEIGHBOUR) {
      this.inFlight.set(to, (this.inFlight.get(to) ?? 0) + 1);
      const chain = this.view.preferredChain();
      const from = this.view.lastAcceptedHeight + 1;
      void actions
        .query(to, from, chain)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight.set(to, (this.inFlight.get(to) ?? 1) - 1);
          // After pending I/O: a peer that fails every query at once must not turn this into a busy loop.
          setImmediate(() => this.fill(actions, to));
        });
    }
  }
}
