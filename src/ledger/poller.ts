import type { Consensus, Decisions } from "../consensus/consensus";
import type { Engine } from "../consensus/engine";
import type { Ledger } from "./ledger";

export interface PollerDeps {
  readonly ledger: Ledger;
  /** Builds the engine that polls for a consensus; `onDecisions` is what it must call with its decisions. */
  readonly makeEngine: (consensus: Consensus, onDecisions: (d: Decisions) => void) => Engine;
  /** After the ledger applied a poll's decisions (the Producer proposes on top). */
  readonly onDecided: (d: Decisions) => void;
}

/**
 * Keeps one poll engine running over the ledger's current consensus: none before this peer
 * joined the network (a starting peer must not decide alone), a new one when a sync replaced
 * the consensus (polls of the old one are abandoned), none after stop.
 */
export class Poller {
  private engine: Engine;
  private joined = false;
  private stopped = false;

  constructor(private readonly deps: PollerDeps) {
    this.engine = this.make();
  }

  /** This peer reached the network: polls may run. */
  start(): void {
    this.joined = true;
    this.kick();
  }

  /** Something may be undecided: poll. */
  kick(): void {
    if (this.joined && !this.stopped) this.engine.kick();
  }

  /** A sync replaced the consensus. */
  replace(): void {
    void this.engine.stop();
    this.engine = this.make();
    this.kick();
  }

  get inFlight(): number {
    return this.engine.inFlight;
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.engine.stop();
  }

  private make(): Engine {
    const { ledger } = this.deps;
    const consensus = ledger.consensus;
    return this.deps.makeEngine(consensus, (d) => {
      ledger.applyDecisions(consensus, d);
      this.deps.onDecided(d);
    });
  }
}
