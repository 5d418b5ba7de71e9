import type { Network } from "../../../src/consensus/ports";
import type { NodeId, Query, QueryReply } from "../../../src/consensus/types";

export interface PendingCall {
  readonly to: NodeId;
  readonly query: Query;
  resolve(reply: QueryReply): void;
  reject(err: Error): void;
  /** Resolved or rejected already. */
  readonly settled: boolean;
}

/** A Network whose calls wait until the test answers them, one by one. */
export class DeferredNetwork implements Network {
  readonly calls: PendingCall[] = [];

  query(to: NodeId, query: Query): Promise<QueryReply> {
    return new Promise((resolve, reject) => {
      const call = {
        to,
        query,
        settled: false,
        resolve: (reply: QueryReply) => {
          call.settled = true;
          resolve(reply);
        },
        reject: (err: Error) => {
          call.settled = true;
          reject(err);
        },
      };
      this.calls.push(call);
    });
  }

  callsTo(to: NodeId): PendingCall[] {
    return this.calls.filter((c) => c.to === to);
  }

  /** Answers the oldest unsettled call to `to`; false when there is none. */
  answer(to: NodeId, reply: QueryReply): boolean {
    const call = this.calls.find((c) => c.to === to && !c.settled);
    call?.resolve(reply);
    return call !== undefined;
  }

  /** Fails the oldest unsettled call to `to` (a timeout); false when there is none. */
  fail(to: NodeId): boolean {
    const call = this.calls.find((c) => c.to === to && !c.settled);
    call?.reject(new Error(`query to ${to} timed out`));
    return call !== undefined;
  }
}

/** Lets every queued promise continuation run (a macrotask runs only once microtasks drain). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
