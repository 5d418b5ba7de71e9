/** No member answered a query for this long: the network is out of reach. */
const DEAF_MS = 200;
/** Longest pause between polls while the network is out of reach. @default 100 */
const MAX_PAUSE_MS = 100;

export interface PollPacerDeps {
  readonly now: () => number;
  /** When some member last answered a query (its votes are what polls need; a ping says nothing of them). */
  readonly lastAnswerMs: () => number;
  /** Whether this peer has members at all: a network of one decides alone, at full speed. */
  readonly hasMembers: () => boolean;
  readonly setTimer: (task: () => void, ms: number) => void;
  readonly setImmediate: (task: () => void) => void;
}

/**
 * Paces the engine's next poll (its `schedule` port) while no member answers queries: a peer whose
 * members are all gone, refusing or partitioned away fails every query at once (closed streams
 * fail fast), and would otherwise spin polls as fast as the CPU goes — tens of thousands a
 * second, starving the rest of the peer, its gRPC server included. While nothing has been
 * heard from any member for a moment, each poll doubles the pause before the next, from 1 ms up
 * to 100 ms; the first answer from anyone ends it. A network of one is never paced. Otherwise
 * the next poll runs after pending I/O (never as a microtask chain).
 */
export class PollPacer {
  private pause = 0;

  constructor(private readonly deps: PollPacerDeps) {}

  /** A poll finished: the pause before the next one grows while the network is out of reach. */
  observe(): void {
    const deaf = this.deps.hasMembers() && this.deps.now() - this.deps.lastAnswerMs() > DEAF_MS;
    this.pause = deaf ? Math.min(MAX_PAUSE_MS, Math.max(1, this.pause * 2)) : 0;
  }

  /** The pause before the next poll now, in ms. */
  get pauseMs(): number {
    return this.pause;
  }

  schedule(task: () => void): void {
    if (this.pause === 0) this.deps.setImmediate(task);
    else this.deps.setTimer(task, this.pause);
  }
}
