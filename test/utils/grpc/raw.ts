import * as grpc from "@grpc/grpc-js";
import { v1 } from "../../../src/wire/proto";
import type { ClientClient } from "../../../src/wire/generated/snowchain/v1/Client";
import type { MessageManagerClient } from "../../../src/wire/generated/snowchain/v1/MessageManager";
import type { PeerManagerClient } from "../../../src/wire/generated/snowchain/v1/PeerManager";

/** The generated stubs of all three snowchain.v1 services at one address, for raw (hostile) calls. */
export interface RawClients {
  readonly client: ClientClient;
  readonly messages: MessageManagerClient;
  readonly peers: PeerManagerClient;
  close(): void;
}

export function rawClients(addr: string): RawClients {
  const creds = grpc.credentials.createInsecure();
  // Larger than any peer accepts, so oversized requests reach the server and are refused there.
  const opts: grpc.ChannelOptions = { "grpc.max_send_message_length": 64 * 1024 * 1024 };
  const client = new v1.Client(addr, creds, opts);
  const messages = new v1.MessageManager(addr, creds, opts);
  const peers = new v1.PeerManager(addr, creds, opts);
  return {
    client,
    messages,
    peers,
    close: () => {
      client.close();
      messages.close();
      peers.close();
    },
  };
}

/** A unary call as a promise, with a deadline. */
export function call<T>(start: (opts: grpc.CallOptions, cb: grpc.requestCallback<T>) => unknown, timeoutMs = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start({ deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : res === undefined ? reject(new Error("empty response")) : resolve(res)));
  });
}

/** The gRPC error `promise` rejects with; fails the test when it resolves or rejects with something else. */
export async function callError(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  let res: unknown;
  try {
    res = await promise;
  } catch (err) {
    if (typeof (err as grpc.ServiceError).code === "number") return err as grpc.ServiceError;
    throw err;
  }
  throw new Error(`expected a gRPC error, got an answer: ${JSON.stringify(res)}`);
}

/** "INVALID_ARGUMENT: id must be 32 bytes, got 5": the status and its reason, to match in one go. */
export async function refusedWith(promise: Promise<unknown>): Promise<string> {
  const err = await callError(promise);
  return `${grpc.status[err.code]}: ${err.details}`;
}
