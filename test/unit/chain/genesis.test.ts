import { genesisBlock } from "../../../src/chain/genesis";
import { ZERO_ID } from "../../../src/chain/hash";

describe("genesisBlock", () => {
  it("is height 0 on the zero id, proposed by genesis:<network>, at time 0, empty", () => {
    const g = genesisBlock("testnet");
    expect(g).toMatchObject({ height: 0, parentId: ZERO_ID, proposer: "genesis:testnet", timestampMs: 0, entries: [] });
  });

  it("is identical for the same network name", () => {
    expect(genesisBlock("testnet")).toEqual(genesisBlock("testnet"));
  });

  it("differs for another network name", () => {
    expect(genesisBlock("testnet").id).not.toBe(genesisBlock("testnet2").id);
  });

  it("refuses an empty network name", () => {
    expect(() => genesisBlock("")).toThrow(/network name must be a non-empty string/);
  });
});
