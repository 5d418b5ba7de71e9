import { ErrorCode } from "../../../src/errors";
import { makeEntry } from "../../../src/chain/hash";
import { Mempool } from "../../../src/chain/mempool";
import type { Entry } from "../../../src/chain/types";
import { data } from "../../utils/chain/blocks";
import { thrown } from "../../utils/chain/errors";

/** An entry of exactly `size` bytes, distinct per label. */
function sized(label: string, size: number): Entry {
  return makeEntry(Buffer.alloc(size, label));
}

const e = (label: string | number): Entry => makeEntry(data(label));

describe("Mempool", () => {
  it("adds, finds and counts entries and their bytes", () => {
    const pool = new Mempool({ maxEntries: 10, maxBytes: 1000 });
    expect(pool.add(sized("a", 10))).toBe(true);
    expect(pool.add(sized("b", 20))).toBe(true);
    expect(pool.size).toBe(2);
    expect(pool.bytes).toBe(30);
    expect(pool.has(sized("a", 10).id)).toBe(true);
    expect(pool.get(sized("b", 20).id)?.data.length).toBe(20);
    expect(pool.has(sized("c", 10).id)).toBe(false);
  });

  it("answers false for an entry already pending, without counting it twice", () => {
    const pool = new Mempool({ maxEntries: 10, maxBytes: 1000 });
    pool.add(e(1));
    expect(pool.add(e(1))).toBe(false);
    expect(pool.size).toBe(1);
    expect(pool.bytes).toBe(data(1).length);
  });

  it("refuses an entry beyond maxEntries with OVERLOADED", () => {
    const pool = new Mempool({ maxEntries: 2, maxBytes: 1000 });
    pool.add(e(1));
    pool.add(e(2));
    const err = thrown(() => pool.add(e(3)));
    expect(err.code).toBe(ErrorCode.OVERLOADED);
    expect(err.message).toMatch(/^mempool full \(2 entries, /);
    expect(pool.size).toBe(2);
    expect(pool.add(e(1))).toBe(false);
  });

  it("refuses an entry beyond maxBytes with OVERLOADED", () => {
    const pool = new Mempool({ maxEntries: 10, maxBytes: 25 });
    pool.add(sized("a", 20));
    const err = thrown(() => pool.add(sized("b", 6)));
    expect(err.code).toBe(ErrorCode.OVERLOADED);
    expect(err.message).toMatch(/^mempool full \(1 entries, 20 bytes; limits 10 entries, 25 bytes\)$/);
    expect(pool.add(sized("c", 5))).toBe(true);
  });

  it("makes room when entries are removed", () => {
    const pool = new Mempool({ maxEntries: 2, maxBytes: 1000 });
    pool.add(e(1));
    pool.add(e(2));
    expect(pool.remove([e(1).id, e(99).id])).toBe(1);
    expect(pool.size).toBe(1);
    expect(pool.bytes).toBe(data(2).length);
    expect(pool.add(e(3))).toBe(true);
  });

  it("restores acknowledged entries past its bounds, skipping pending ones", () => {
    const pool = new Mempool({ maxEntries: 1, maxBytes: 1000 });
    pool.add(e(1));
    expect(pool.restore([e(1), e(2), e(3)])).toBe(2);
    expect(pool.size).toBe(3);
    expect([...pool].map((x) => x.id)).toEqual([e(1), e(2), e(3)].map((x) => x.id));
    expect(thrown(() => pool.add(e(4))).code).toBe(ErrorCode.OVERLOADED);
  });

  it("iterates oldest first", () => {
    const pool = new Mempool({ maxEntries: 10, maxBytes: 1000 });
    for (const label of ["c", "a", "b"]) pool.add(e(label));
    pool.remove([e("a").id]);
    pool.add(e("a"));
    expect([...pool].map((x) => x.data.toString())).toEqual(["entry-c", "entry-b", "entry-a"]);
  });

  describe("pick", () => {
    const pool = new Mempool({ maxEntries: 100, maxBytes: 10_000 });
    const entries = [sized("a", 10), sized("b", 30), sized("c", 10), sized("d", 10), sized("e", 10)];
    beforeAll(() => {
      for (const entry of entries) pool.add(entry);
    });
    const labels = (picked: Entry[]): string[] => picked.map((x) => x.data.toString("utf8", 0, 1));

    it("takes the oldest first, up to maxEntries, without removing them", () => {
      expect(labels(pool.pick(3, 1000))).toEqual(["a", "b", "c"]);
      expect(pool.size).toBe(5);
    });

    it("stays within maxBytes, skipping an entry too big for what is left", () => {
      expect(labels(pool.pick(10, 35))).toEqual(["a", "c", "d"]);
      expect(labels(pool.pick(10, 40))).toEqual(["a", "b"]);
    });

    it("skips excluded entries", () => {
      const excluded = new Set([entries[0].id, entries[2].id]);
      expect(labels(pool.pick(2, 1000, (id) => excluded.has(id)))).toEqual(["b", "d"]);
    });

    it("returns nothing when nothing fits", () => {
      expect(pool.pick(0, 1000)).toEqual([]);
      expect(pool.pick(10, 5)).toEqual([]);
    });
  });

  it("refuses limits that are not positive integers", () => {
    expect(thrown(() => new Mempool({ maxEntries: 0, maxBytes: 10 })).message).toMatch(/maxEntries must be a positive integer/);
    expect(thrown(() => new Mempool({ maxEntries: 1, maxBytes: 1.5 })).message).toMatch(/maxBytes must be a positive integer/);
  });

  it("takes entries acknowledged elsewhere only within a share of its bounds, skipping those pending", () => {
    const pool = new Mempool({ maxEntries: 10, maxBytes: 1000 });
    pool.add(e(0));
    expect(pool.addForeign([e(0), e(1), e(2), e(3), e(4), e(5), e(6)], 0.5)).toBe(4);
    expect(pool.size).toBe(5);
    // Bytes bound too: 5 of 1000 × 0.1 = 100 bytes.
    const small = new Mempool({ maxEntries: 100, maxBytes: 1000 });
    expect(small.addForeign([sized("a", 60), sized("b", 60)], 0.1)).toBe(1);
    // Its own clients still get the other half.
    for (let i = 10; i < 15; i++) expect(pool.add(e(i))).toBe(true);
  });
});
