import * as grpc from "@grpc/grpc-js";
import { genesisBlock } from "../../src/chain/genesis";
import { PeerClient } from "../../src/p2p/peer-client";
import type { MessageManagerHandlers } from "../../src/wire/generated/snowchain/v1/MessageManager";
import type { QueryRequest__Output } from "../../src/wire/generated/snowchain/v1/QueryRequest";
import { v1 } from "../../src/wire/proto";
import { chainOn } from "../utils/chain/blocks";

/**
 * A PeerClient's query stream against a callee whose consensus a sync replaces: blocks the
 * callee was sent before are sent again once its answers carry a new epoch (it may have
 * forgotten them), and only then.
 */
describe("PeerClient query stream", () => {
  let server: grpc.Server;
  let address: string;
  /** What each query carried, and the epoch the callee answers with. */
  const received: QueryRequest__Output[] = [];
  let epoch = 7;
  let client: PeerClient;

  beforeAll(async () => {
    server = new grpc.Server();
    const unimplemented = (_call: unknown, cb: grpc.sendUnaryData<never>): void => cb({ code: grpc.status.UNIMPLEMENTED });
    const handlers: MessageManagerHandlers = {
      QueryStream: (call) => {
        call.on("data", (req: QueryRequest__Output) => {
          received.push(req);
          call.write({ request_id: req.request_id, from_height: req.from_height, preferred_ids: [], last_accepted_height: 0, epoch });
        });
        call.on("end", () => call.end());
      },
      Query: unimplemented,
      Gossip: unimplemented,
      FetchBlock: unimplemented,
      FetchRange: unimplemented,
      GetAccepted: unimplemented,
      ForwardEntries: unimplemented,
    };
    server.addService(v1.MessageManager.service, handlers);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    address = `127.0.0.1:${port}`;
    client = new PeerClient(address, { queryTimeoutMs: 2000, callTimeoutMs: 2000 });
  });
  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it("sends a block once per callee epoch", async () => {
    const [b1, b2] = chainOn(genesisBlock("snowchain"), 2);
    const sentIds = (): string[][] => received.map((r) => r.blocks.map((b) => `${b.height}`));
    await client.query(1, 2, [b1!, b2!]);
    await client.query(1, 2, [b1!, b2!]);
    expect(sentIds()).toEqual([["1", "2"], []]);
    // The callee's consensus is replaced: its next answer says so, and the blocks go again.
    epoch = 8;
    await client.query(1, 2, [b1!, b2!]);
    expect(sentIds()[2]).toEqual([]); // asked before the callee's new epoch was known
    await client.query(1, 2, [b1!, b2!]);
    await client.query(1, 2, [b1!, b2!]);
    expect(sentIds().slice(3)).toEqual([["1", "2"], []]);
  });
});
