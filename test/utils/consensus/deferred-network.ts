import type { Network } from "../../../src/consensus/ports";
import type { NodeId, Query, QueryReply } from "../../../src/consensus/types";

export interface PendingCall {
  readonly to: NodeId;
  readonly query: Query;
  resolve(reply: QueryReply): void;
  reject(err: Error): void;
}

/** A Network whose calls wait until the test answers them, one by one. */
export class DeferredNetwork implements Network {
  readonly calls: PendingCall[] = [];

  query(to: NodeId, query: Query): Promise<QueryReply> {
    return new Promise((resolve, reject) => this.calls.push({ to, query, resolve, reject }));
  }

  callsTo(to: NodeId): PendingCall[] {
    return this.calls.filter((c) => c.to === to);
  }
}

/** Lets every queued promise continuation run (a macrotask runs only once microtasks drain). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
