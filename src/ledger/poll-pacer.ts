/** No member answered a query for this long: the network is out of reach. */
const DEAF_MS = 200;
/** Longest pause between polls while the network is out of reach. @default 100 */
const MAX_PAUSE_MS = 100;
/** A poll that failed in less than this failed on votes dropped at once (benched or closed members), not on answers. */
const FAST_FAILURE_MS = 5;

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
 * to 100 ms; the first answer from anyone ends it. The same holds for polls that fail at once
 * while members do answer: under load, members whose queries timed out are benched (their votes
 * drop at once, as avalanchego's benchlist does), and polls whose outcome hangs on them fail in
 * microseconds; issued back to back they spin (hundreds of failed polls per decided height,
 * measured at 5,000 entries/s) and take the CPU the answers need. Pacing changes when polls run,
 * never how one counts: a failed poll still resets confidence. A network of one is never paced.
 * Otherwise the next poll runs after pending I/O (never as a microtask chain).
 */
export class PollPacer {
  private pause = 0;

  constructor(private readonly deps: PollPacerDeps) {}

  /** A poll finished: the pause before the next one grows while the network is out of reach, or while polls fail at once. */
  observe(poll?: { readonly successful: boolean; readonly durationMs: number }): void {
    if (!this.deps.hasMembers()) {
      this.pause = 0;
      return;
    }
    const deaf = this.deps.now() - this.deps.lastAnswerMs() > DEAF_MS;
    const failedAtOnce = poll !== undefined && !poll.successful && poll.durationMs < FAST_FAILURE_MS;
    this.pause = deaf || failedAtOnce ? Math.min(MAX_PAUSE_MS, Math.max(1, this.pause * 2)) : 0;
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
