import { genesisBlock } from "../../../src/chain/genesis";
import { pageOf } from "../../../src/api/paging";
import type * as grpc from "@grpc/grpc-js";
import { acceptedToWire, blockToWire } from "../../../src/wire/convert";
import { v1 } from "../../../src/wire/proto";
import { acceptedWireBytes, blockWireBytes, queryResponseWireBytes } from "../../../src/wire/size";
import { chainOn } from "../../utils/chain/blocks";

describe("pageOf", () => {
  const blocks = chainOn(genesisBlock("snowchain"), 10, 4);
  const size = (): number => 100;

  it("takes blocks while they fit in the byte bound", () => {
    expect(pageOf(blocks, size, 350).map((b) => b.height)).toEqual([1, 2, 3]);
    expect(pageOf(blocks, size, 300)).toHaveLength(3);
  });

  it("always gives the first block, even one larger than the bound, so a caller moves on", () => {
    expect(pageOf(blocks, size, 10).map((b) => b.height)).toEqual([1]);
    expect(pageOf([], size, 10)).toEqual([]);
  });

  it("gives every block when all fit", () => {
    expect(pageOf(blocks, size, 10_000)).toHaveLength(10);
  });
});

describe("wire sizes", () => {
  const method = (ctor: unknown, name: string) => (ctor as grpc.ServiceClientConstructor).service[name]!;

  it.each([1, 50])("bound the encoded size of a block of %i entries from above, as peers and as readers get it", (entries) => {
    const [b] = chainOn(genesisBlock("snowchain"), 1, entries);
    const asBlock = method(v1.MessageManager, "FetchBlock").responseSerialize({ block: blockToWire(b!) });
    const asAccepted = method(v1.Client, "GetBlock").responseSerialize({ block: acceptedToWire(b!) });
    expect(asBlock.length).toBeLessThanOrEqual(blockWireBytes(b!));
    expect(asAccepted.length).toBeLessThanOrEqual(acceptedWireBytes(b!));
    // ...and not by far: pages would be needlessly short.
    expect(acceptedWireBytes(b!)).toBeLessThan(asAccepted.length * 1.5 + 256);
  });

  it("bound the encoded size of a QueryStream answer", () => {
    const res = { request_id: 2 ** 40, from_height: 2 ** 40, preferred_ids: Array.from({ length: 64 }, () => Buffer.alloc(32, 7)), last_accepted_height: 2 ** 40, epoch: 2 ** 40 };
    expect(method(v1.MessageManager, "QueryStream").responseSerialize(res).length).toBeLessThanOrEqual(queryResponseWireBytes(res));
  });
});
