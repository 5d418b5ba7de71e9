import type { Block, BlockId } from "../chain/types";
import type { Consensus, Decisions } from "./consensus";
import { validateSnowballParams } from "./params";
import { Poll } from "./poll";
import type { Clock, Membership, Network, Random } from "./ports";
import type { NodeId, Query, QueryReply, SnowballParams } from "./types";

/** One applied poll, for metrics. */
export interface PollReport {
  /** From the poll's start until it was applied (after every poll issued before it). */
  readonly durationMs: number;
  /** The lowest height of the poll reached an αP quorum. */
  readonly successful: boolean;
  /** Finished before every sampled member answered. */
  readonly endedEarly: boolean;
  /** Votes lost at the lowest height, with multiplicity. */
  readonly droppedVotes: number;
  /** Heights the poll covered. */
  readonly heights: number;
  /** Share of the sample (of K) that voted for the most-voted block at the lowest height: near 1 when peers agree, near 1/2 (or below) while they are split. */
  readonly topShare: number;
}

export interface EngineDeps {
  readonly selfId: NodeId;
  readonly consensus: Consensus;
  readonly network: Network;
  readonly membership: Membership;
  readonly random: Random;
  readonly clock: Clock;
  /** This node's own answer to a query (used when the sample picks itself). */
  answerSelf(query: Query): QueryReply;
  /** Called synchronously with every non-empty Decisions, polls in the order they were issued. */
  onDecisions(decisions: Decisions): void;
  onPoll?(report: PollReport): void;
  /**
   * A member voted for a block that is not processing here (never seen, or already rejected):
   * the node may fetch it from that member, else this node cannot count the votes it gets.
   * Called once per such id per reply, only for heights above the last accepted one.
   */
  onUnknownBlock?(id: BlockId, from: NodeId): void;
  /**
   * Runs `task` later, after pending I/O: the node passes `setImmediate`. The engine starts the
   * next poll through it when one finishes, so polls that fail at once (every member refusing
   * immediately) cannot starve the event loop in a chain of promise callbacks.
   * @default a microtask: enough where nothing else needs the loop (tests, simulations)
   */
  schedule?(task: () => void): void;
  /**
   * A callback (answerSelf, onDecisions, onPoll, onUnknownBlock) threw. The engine carries on;
   * without this hook the error is discarded, so a node should always pass one.
   */
  onError?(err: unknown): void;
}

/** A poll issued and not yet applied. */
interface Flight {
  readonly startedMs: number;
  /** Its outcome can no longer change: it waits only for the polls issued before it. */
  finished: boolean;
}

/**
 * Drives polls: samples K members with replacement, asks each distinct one once, and keeps up
 * to `concurrentPolls` polls in flight while anything is undecided. A poll's tally is recorded
 * in the consensus once it can no longer change and every poll issued before it has been
 * recorded. It owns no timers: the Network enforces timeouts, and an idle engine does nothing
 * until kicked.
 */
export class Engine {
  private readonly params: SnowballParams;
  /**
   * Polls issued and not yet applied, in issue order (a Map iterates in insertion order), so
   * a finished poll that waits for an older one still counts against `concurrentPolls`.
   * stop() empties it, which abandons them.
   */
  private readonly active = new Map<Poll, Flight>();
  private stopped = false;
  /** Queries sent this turn, for the question `key` (see ask). */
  private shared: { key: string; replies: Map<NodeId, Promise<QueryReply>> } | undefined;

  constructor(
    params: SnowballParams,
    private readonly deps: EngineDeps,
  ) {
    this.params = validateSnowballParams(params);
  }

  /** Starts polls until `concurrentPolls` are in flight, while anything is undecided. */
  kick(): void {
    while (!this.stopped && this.active.size < this.params.concurrentPolls) {
      if (!this.startPoll()) return;
    }
  }

  /**
   * No new polls; polls in flight are abandoned (their answers are ignored and nothing is
   * recorded), so stopping never waits on the network.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.active.clear();
    return Promise.resolve();
  }

  get inFlight(): number {
    return this.active.size;
  }

  private startPoll(): boolean {
    const { consensus, selfId } = this.deps;
    const chain = consensus.preferredChain();
    const tip = chain[chain.length - 1];
    if (tip === undefined) return false;
    const fromHeight = chain[0].height;
    const query: Query = { fromHeight, block: tip, ancestors: chain.slice(0, -1) };
    const sample = this.sample();
    const poll = new Poll(this.params, sample, fromHeight, tip.height);
    this.active.set(poll, { startedMs: this.deps.clock.now(), finished: false });
    for (const node of sample.keys()) {
      if (node === selfId) continue;
      let answer: Promise<QueryReply>;
      try {
        answer = this.ask(node, query);
      } catch {
        poll.drop(node); // a synchronous failure is a failed query like any other
        continue;
      }
      // Both handlers catch everything, so the derived promise never rejects.
      void answer.then(
        (reply) => this.answered(poll, node, reply),
        () => this.answered(poll, node, undefined),
      );
    }
    if (sample.has(selfId)) {
      try {
        poll.vote(selfId, this.deps.answerSelf(query));
      } catch (err) {
        poll.drop(selfId);
        this.fail(err);
      }
    }
    // The self vote alone may finish the poll (a network of one). Recording it later, never
    // inside kick(), keeps onDecisions from running inside the caller's kick().
    this.later(() => this.settle(poll));
    return true;
  }

  /**
   * Polls started in the same turn ask the same question of the same members: one query per
   * member serves them all (each still counts the answer with its own multiplicity). Asking a
   * member four times at the same instant would get the same answer four times, at four
   * times the cost.
   */
  private ask(node: NodeId, query: Query): Promise<QueryReply> {
    const key = `${query.fromHeight}:${query.block.id}`;
    if (this.shared === undefined) this.later(() => (this.shared = undefined));
    if (this.shared?.key !== key) this.shared = { key, replies: new Map() };
    let reply = this.shared.replies.get(node);
    if (reply === undefined) {
      reply = this.deps.network.query(node, query);
      this.shared.replies.set(node, reply);
    }
    return reply;
  }

  /** An answer (or, when `reply` is undefined, a failure) from a sampled member. */
  private answered(poll: Poll, node: NodeId, reply: QueryReply | undefined): void {
    // Finished, recorded or abandoned: late answers do nothing, so a finished poll's tally
    // stays the one that finished it while it waits for older polls.
    if (this.active.get(poll)?.finished !== false) return;
    try {
      if (reply === undefined) {
        poll.drop(node);
      } else {
        poll.vote(node, reply);
        this.noticeUnknown(poll, node, reply);
      }
    } catch (err) {
      // A reply that cannot be counted (malformed) is reported; the member has answered, and
      // the poll must still settle, else it would hold its slot for good.
      this.fail(err);
    }
    this.settle(poll); // records through complete(), which reports its own errors
  }

  /**
   * Marks the poll finished once its outcome can no longer change, then records every finished
   * poll that no unfinished one was issued before, oldest first. Mirrors avalanchego's
   * snow/consensus/snowman/poll/set.go processFinishedPolls: recording in finish order would let
   * polls that answered fast overtake one that waits on a slow or silent member and will fail,
   * and β consecutive successes could then be counted across that failure (up to
   * concurrentPolls − 1 failures can hide inside one poll timeout).
   */
  private settle(poll: Poll): void {
    const flight = this.active.get(poll);
    if (flight === undefined || flight.finished || !poll.finished()) return;
    flight.finished = true;
    for (const [oldest, { startedMs, finished }] of this.active) {
      if (!finished) break;
      this.active.delete(oldest);
      this.complete(oldest, startedMs);
    }
    this.later(() => this.kick());
  }

  private complete(poll: Poll, startedMs: number): void {
    const { consensus, onDecisions, onPoll } = this.deps;
    try {
      const decisions = consensus.recordPoll(poll.fromHeight, poll.tallies());
      if (decisions.accepted.length > 0 || decisions.rejected.length > 0 || decisions.preferenceChanges > 0) {
        onDecisions(decisions);
      }
      onPoll?.({
        durationMs: this.deps.clock.now() - startedMs,
        successful: poll.successful,
        endedEarly: poll.endedEarly,
        droppedVotes: poll.droppedVotes,
        heights: poll.toHeight - poll.fromHeight + 1,
        topShare: poll.topVotes / this.params.k,
      });
    } catch (err) {
      this.fail(err);
    }
  }

  private later(task: () => void): void {
    const run = (): void => {
      try {
        task();
      } catch (err) {
        this.fail(err);
      }
    };
    if (this.deps.schedule !== undefined) this.deps.schedule(run);
    else void Promise.resolve().then(run);
  }

  /** A hook that throws here is reported, and the vote still counts: the poll must still settle. */
  private noticeUnknown(poll: Poll, node: NodeId, reply: QueryReply): void {
    const { consensus, onUnknownBlock } = this.deps;
    if (onUnknownBlock === undefined) return;
    const from = Math.max(poll.fromHeight, consensus.lastAcceptedHeight + 1);
    for (let h = from; h <= poll.toHeight; h++) {
      const id = reply.preferredIds[h - reply.fromHeight];
      if (id === undefined || consensus.has(id)) continue;
      try {
        onUnknownBlock(id, node);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  /**
   * K draws, uniform with replacement over this node and its members: member → multiplicity.
   * O(K): a list that already holds this node (Membership.includesSelf) is drawn from as it is.
   */
  private sample(): Map<NodeId, number> {
    const { membership, random, selfId } = this.deps;
    const members = membership.members();
    const offset = membership.includesSelf === true ? 0 : 1;
    const n = members.length + offset;
    const picks = new Map<NodeId, number>();
    for (let i = 0; i < this.params.k; i++) {
      const r = Math.min(n - 1, Math.floor(random.next() * n)) - offset;
      const node = r < 0 ? selfId : members[r];
      picks.set(node, (picks.get(node) ?? 0) + 1);
    }
    return picks;
  }

  private fail(err: unknown): void {
    try {
      this.deps.onError?.(err);
    } catch {
      // The error hook itself failed: nothing left to report to.
    }
  }
}

/**
 * The standard answer to a query, once the node has added the query's blocks: the accepted id
 * at each decided height (from `acceptedIdAt`, which reads the chain), then the preferred chain.
 * Heights past the preferred tip are left out, which the asker counts as dropped votes; the
 * answer never covers more heights than the query carries blocks, whatever its fromHeight claims.
 */
export function answerQuery(
  consensus: Consensus,
  query: Query,
  acceptedIdAt: (height: number) => BlockId | undefined,
): QueryReply {
  const lastAccepted = consensus.lastAcceptedHeight;
  const top = Math.min(query.block.height, query.fromHeight + query.ancestors.length);
  const preferredIds: (BlockId | undefined)[] = [];
  let chain: Block[] | undefined;
  for (let h = query.fromHeight; h <= top; h++) {
    if (h <= lastAccepted) {
      preferredIds.push(acceptedIdAt(h));
      continue;
    }
    chain ??= consensus.preferredChain();
    const block = chain[h - lastAccepted - 1];
    if (block === undefined) break;
    preferredIds.push(block.id);
  }
  return { fromHeight: query.fromHeight, preferredIds, lastAcceptedHeight: lastAccepted };
}
