/**
 * How fast strangers may become members. A handshake that would add a member (a new node id, or
 * a known one at a new address) costs this peer a dial-back and a place in every poll's sample,
 * so admissions are rate-limited per source host and in total (token buckets), and the dial-backs
 * in flight are bounded. Re-handshakes of a known member at its known address cost nothing and
 * are never limited: a restarted peer is always taken back.
 */

/** Token bucket per source host: a burst this large (a 50-peer testnet on one host fits), refilled at this rate. */
export const ADMISSIONS_PER_SOURCE = { burst: 64, perSecond: 2 } as const;
/** Token bucket over all sources together. */
export const ADMISSIONS_TOTAL = { burst: 128, perSecond: 4 } as const;
/** Dial-backs (to prove an admitted peer listens where it says) in flight at once. */
export const MAX_DIAL_BACKS = 64;
/** Source hosts remembered; past it the emptiest-looking (oldest) bucket is forgotten. */
const MAX_SOURCES = 4096;

interface Bucket {
  tokens: number;
  atMs: number;
}

export class AdmissionLimiter {
  private readonly sources = new Map<string, Bucket>();
  private readonly total: Bucket;
  private dialBacks = 0;

  constructor(
    private readonly now: () => number,
    private readonly perSource: { burst: number; perSecond: number } = ADMISSIONS_PER_SOURCE,
    private readonly overall: { burst: number; perSecond: number } = ADMISSIONS_TOTAL,
    private readonly maxDialBacks: number = MAX_DIAL_BACKS,
  ) {
    this.total = { tokens: overall.burst, atMs: now() };
  }

  /**
   * Takes one admission for `source` (a host), or returns why there is none: the caller is told
   * to come back later (RESOURCE_EXHAUSTED), nothing else changes.
   */
  take(source: string): string | undefined {
    const now = this.now();
    if (this.dialBacks >= this.maxDialBacks) return `${this.maxDialBacks} admissions are being checked already`;
    let bucket = this.sources.get(source);
    if (!bucket) {
      if (this.sources.size >= MAX_SOURCES) this.sources.delete(this.sources.keys().next().value as string);
      bucket = { tokens: this.perSource.burst, atMs: now };
      this.sources.set(source, bucket);
    }
    refill(bucket, this.perSource, now);
    refill(this.total, this.overall, now);
    if (bucket.tokens < 1) return `more than ${this.perSource.burst} new members from ${source} (refilled at ${this.perSource.perSecond}/s)`;
    if (this.total.tokens < 1) return `more than ${this.overall.burst} new members (refilled at ${this.overall.perSecond}/s)`;
    bucket.tokens -= 1;
    this.total.tokens -= 1;
    return undefined;
  }

  /** Runs a dial-back, counted against MAX_DIAL_BACKS while it is out. */
  async dialBack<T>(fn: () => Promise<T>): Promise<T> {
    this.dialBacks++;
    try {
      return await fn();
    } finally {
      this.dialBacks--;
    }
  }
}

function refill(b: Bucket, rate: { burst: number; perSecond: number }, now: number): void {
  b.tokens = Math.min(rate.burst, b.tokens + ((now - b.atMs) / 1000) * rate.perSecond);
  b.atMs = now;
}

