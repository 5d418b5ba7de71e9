import * as grpc from "@grpc/grpc-js";
import { v1 } from "../../../src/wire/proto";
import type { AcceptedBlock__Output } from "../../../src/wire/generated/snowchain/v1/AcceptedBlock";
import type { ClientHandlers } from "../../../src/wire/generated/snowchain/v1/Client";
import { makeChain, makeStatus, sha256 } from "./fake-api";

/**
 * A real gRPC server for snowchain.v1.Client over an in-memory chain, on 127.0.0.1 and port 0:
 * exercises the CLI's wire code (paging, streams, deadlines) without the real peer.
 */
export class FakeClientServer {
  readonly server = new grpc.Server();
  blocks: AcceptedBlock__Output[] = makeChain(7);
  /** Most blocks one GetChain answer carries. */
  pageSize = 3;
  /** Blocks WatchBlocks streams after the past ones; the stream then stays open. */
  live: AcceptedBlock__Output[] = [];
  watchCancelled = false;
  /** Serve the Client service without SubmitBatch, as a build from before it does (grpc-js answers UNIMPLEMENTED). */
  withoutSubmitBatch = false;
  /** Entries of every SubmitBatch call, in order. */
  readonly batches: Buffer[][] = [];
  /** Entries of every Submit call, in order. */
  readonly submits: Buffer[] = [];
  addr = "";

  async start(): Promise<string> {
    const handlers: ClientHandlers = {
      Submit: (call, cb) => {
        const data = call.request.data;
        this.submits.push(data);
        if (call.request.wait_for_acceptance) cb(null, { id: sha256(data), accepted: true, height: 6 });
        else cb(null, { id: sha256(data), accepted: false });
      },
      SubmitBatch: (call, cb) => {
        this.batches.push(call.request.entries);
        cb(null, { results: call.request.entries.map((data) => ({ acknowledged: { id: sha256(data), accepted: false } })) });
      },
      GetEntry: (_call, cb) => cb({ code: grpc.status.NOT_FOUND, details: "unknown entry" }),
      GetBlock: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: "not in the fake" }),
      GetChain: (call, cb) => {
        const last = this.blocks.length - 1;
        const from = call.request.from_height;
        const to = call.request.to_height === 0 ? last : Math.min(call.request.to_height, last);
        cb(null, { blocks: this.blocks.filter((b) => b.height >= from && b.height <= to).slice(0, this.pageSize), last_accepted_height: last });
      },
      Status: (_call, cb) => cb(null, makeStatus({ address: this.addr })),
      WatchBlocks: (call) => {
        call.on("cancelled", () => (this.watchCancelled = true));
        if (call.request.has_from_height) {
          for (const b of this.blocks.filter((x) => x.height >= call.request.from_height)) call.write(b);
        }
        for (const b of this.live) call.write(b);
      },
    };
    const { SubmitBatch: _, ...older } = v1.Client.service;
    this.server.addService(this.withoutSubmitBatch ? older : v1.Client.service, handlers);
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.addr = `127.0.0.1:${port}`;
    return this.addr;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
