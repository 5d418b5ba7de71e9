import type { Logger } from "pino";
import type { Block, EntryId } from "../chain/types";

export type AcceptedListener = (blocks: readonly Block[]) => void;

/**
 * Who hears of accepted blocks once they are durable: listeners (WatchBlocks streams, journal
 * compaction) and submits waiting for one entry. Waiters are indexed by entry id, so a block
 * costs one lookup per entry however many submits wait.
 */
export class AcceptanceEvents {
  private readonly listeners = new Set<AcceptedListener>();
  private readonly waiters = new Map<EntryId, Set<(height: number) => void>>();

  constructor(private readonly log: Logger) {}

  /** Called with durable accepted blocks, in height order; returns the unsubscribe function. */
  onAccepted(listener: AcceptedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `done` with the height once the entry is in a published block; returns a cancel function. */
  waitFor(id: EntryId, done: (height: number) => void): () => void {
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(done);
    return () => {
      set.delete(done);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
    };
  }

  /** Blocks that just became durable: waiters first, then listeners; a failing listener is logged. */
  publish(blocks: readonly Block[]): void {
    if (this.waiters.size > 0) {
      for (const b of blocks) {
        for (const e of b.entries) {
          const set = this.waiters.get(e.id);
          if (!set) continue;
          this.waiters.delete(e.id);
          for (const done of set) done(b.height);
        }
      }
    }
    for (const l of this.listeners) {
      try {
        l(blocks);
      } catch (err) {
        this.log.error({ err }, "accepted-block listener failed");
      }
    }
  }
}
