/**
 * Records a run's history as it happens: every event in memory for the checker and appended to
 * history.jsonl, every peer's accepted blocks from WatchBlocks (a stream that breaks when a peer
 * is killed is opened again from the next height), and the load's submits and their outcomes.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { LoadRunner, reasonOf } from "../cli/load/runner";
import { loadEntryData, newRunId } from "../cli/load/data";
import { realTimers } from "../cli/load/timers";
import type { AcceptedBlock__Output } from "../wire/generated/snowchain/v1/AcceptedBlock";
import type { HistoryEvent } from "./history";
import type { PeerControl } from "./peer-control";
import type { Random } from "./random";

/** An event as a caller gives it: the recorder stamps the time. */
type Unstamped<E> = E extends { t: number } ? Omit<E, "t"> : never;

/** How long a WatchBlocks stream that broke waits before it is opened again. */
const REWATCH_MS = 200;
/** Deadline of one submit: a paused peer's calls must not fill the concurrency for long. */
export const SUBMIT_TIMEOUT_MS = 3000;

export class Recorder {
  readonly events: HistoryEvent[] = [];
  private readonly t0 = Date.now();
  private readonly fd: number;
  private readonly listeners: ((e: HistoryEvent) => void)[] = [];

  constructor(file: string) {
    this.fd = fs.openSync(file, "w");
  }

  now(): number {
    return Date.now() - this.t0;
  }

  get startedAt(): Date {
    return new Date(this.t0);
  }

  record(e: Unstamped<HistoryEvent>, t = this.now()): HistoryEvent {
    const event = { ...e, t } as HistoryEvent;
    this.events.push(event);
    fs.writeSync(this.fd, `${JSON.stringify(event)}\n`);
    for (const l of this.listeners) l(event);
    return event;
  }

  onEvent(listener: (e: HistoryEvent) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export function entryId(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export function blockEvent(peer: string, b: AcceptedBlock__Output): Unstamped<Extract<HistoryEvent, { type: "block" }>> {
  return {
    type: "block",
    peer,
    height: Number(b.height),
    id: b.id.toString("hex"),
    parent: b.parent_id.toString("hex"),
    proposer: b.proposer,
    ts: Number(b.timestamp_ms),
    entries: b.entries.map((e) => e.id.toString("hex")),
  };
}

/**
 * One peer's accepted blocks, kept flowing across kills and restarts: the stream is reopened
 * from the height after the last block seen until stop().
 */
export class BlockWatcher {
  private abort = new AbortController();
  private stopped = false;
  private lastHeight = 0;
  private done?: Promise<void>;

  constructor(
    private readonly peer: string,
    private readonly control: () => PeerControl | undefined,
    private readonly rec: Recorder,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  get height(): number {
    return this.lastHeight;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.done;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const c = this.control();
      if (c) {
        try {
          await c.api.watchBlocks(
            this.lastHeight + 1,
            (b) => {
              const h = Number(b.height);
              if (h <= this.lastHeight) return;
              this.lastHeight = h;
              this.rec.record(blockEvent(this.peer, b));
            },
            this.abort.signal,
          );
        } catch {
          // The peer went away (killed, paused past a deadline, restarting): open it again below.
        }
      }
      if (this.stopped) return;
      await new Promise<void>((r) => setTimeout(r, REWATCH_MS));
    }
  }
}

export interface LoadSpec {
  readonly rate: number;
  readonly size: number;
  readonly peers: readonly string[];
}

/** The scenario's load: open-loop submits to random load peers, each submit and outcome recorded. */
export class RecordedLoad {
  private runner?: LoadRunner;
  private running?: Promise<unknown>;

  constructor(
    private readonly spec: LoadSpec,
    private readonly control: (peer: string) => PeerControl | undefined,
    private readonly rec: Recorder,
    private readonly random: Random,
  ) {}

  start(): void {
    if (this.spec.rate <= 0) return;
    const runId = newRunId(Date.now(), () => this.random.next());
    this.runner = new LoadRunner(
      { ratePerSec: this.spec.rate, concurrency: 64, reportEveryMs: 3_600_000 },
      {
        now: () => Date.now(),
        timers: realTimers,
        makeData: (seq) => loadEntryData(runId, seq, this.spec.size),
        report: () => undefined,
        pickTarget: () => {
          const peer = this.spec.peers[this.random.int(this.spec.peers.length)]!;
          return {
            addr: peer,
            submit: async (data: Buffer) => {
              const entry = entryId(data);
              this.rec.record({ type: "submit", peer, entry });
              const c = this.control(peer);
              try {
                if (!c) throw Object.assign(new Error("peer not running"), { code: "NOT_RUNNING" });
                const res = await c.api.submit(data, { timeoutMs: SUBMIT_TIMEOUT_MS });
                this.rec.record({ type: "ack", peer, entry: res.id.toString("hex") });
              } catch (err) {
                this.rec.record({ type: "fail", peer, entry, reason: reasonOf(err) });
                throw err;
              }
            },
          };
        },
      },
    );
    this.rec.record({ type: "load", phase: "start" });
    this.running = this.runner.run();
  }

  /** Stops sending and resolves once every submit in flight has its outcome recorded. */
  async stop(): Promise<void> {
    if (!this.runner) return;
    this.runner.stop();
    await this.running;
    this.runner = undefined;
    this.rec.record({ type: "load", phase: "stop" });
  }
}
