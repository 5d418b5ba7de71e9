import { genesisBlock } from "../../../src/chain/genesis";
import type { Block } from "../../../src/chain/types";
import { SenderQuota } from "../../../src/ledger/sender-quota";
import { childOf } from "../../utils/chain/blocks";

const genesis = genesisBlock("snowchain");
const sibling = (i: number, bytes = 10): Block => childOf(genesis, { entries: [Buffer.alloc(bytes, i)] });

describe("SenderQuota", () => {
  it("refuses a sender's block past its bound of undecided blocks; other senders are not affected", () => {
    const q = new SenderQuota({ blocks: 2, bytes: 1000 });
    const undecided = (): boolean => true;
    for (const i of [1, 2]) {
      expect(q.check("a", sibling(i), undecided)).toBeUndefined();
      q.record("a", sibling(i));
    }
    expect(q.check("a", sibling(3), undecided)).toBe("its 2 undecided blocks here are the most one sender may have (2)");
    expect(q.check("b", sibling(3), undecided)).toBeUndefined();
  });

  it("counts bytes of entries", () => {
    const q = new SenderQuota({ blocks: 10, bytes: 100 });
    q.record("a", sibling(1, 60));
    expect(q.check("a", sibling(2, 50), () => true)).toBe(
      "its undecided blocks here hold 60 bytes of entries; with this one's 50 that is more than one sender may have (100)",
    );
    expect(q.check("a", sibling(2, 40), () => true)).toBeUndefined();
  });

  it("frees the place of blocks decided since", () => {
    const q = new SenderQuota({ blocks: 1, bytes: 1000 });
    const first = sibling(1);
    q.record("a", first);
    expect(q.check("a", sibling(2), () => true)).toBeDefined();
    expect(q.check("a", sibling(2), (id) => id !== first.id)).toBeUndefined();
  });
});
