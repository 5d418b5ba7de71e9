import { appendFile, readFile, stat, truncate, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { ErrorCode } from "../../../src/errors";
import { makeEntry } from "../../../src/chain/hash";
import { MEMPOOL_FILE, MempoolJournal, type OpenedMempoolJournal } from "../../../src/chain/mempool-journal";
import { RECORD_HEADER_BYTES } from "../../../src/chain/record-log";
import type { Entry } from "../../../src/chain/types";
import { data } from "../../utils/chain/blocks";
import { rejection } from "../../utils/chain/errors";
import { fileHandlePrototype } from "../../utils/chain/file-handle";
import { useTmpDir } from "../../utils/chain/tmp-dir";

const e = (label: string | number): Entry => makeEntry(data(label));
const ids = (entries: readonly Entry[]): string[] => entries.map((x) => x.id);

describe("MempoolJournal", () => {
  const tmp = useTmpDir();
  const opened: MempoolJournal[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((j) => j.close()));
  });

  async function openJournal(): Promise<OpenedMempoolJournal> {
    const result = await MempoolJournal.open(tmp());
    opened.push(result.journal);
    return result;
  }

  async function reopen(journal: MempoolJournal): Promise<OpenedMempoolJournal> {
    await journal.close();
    return openJournal();
  }

  const file = (): string => path.join(tmp(), MEMPOOL_FILE);

  it("starts empty", async () => {
    const { journal, entries, recoveredBytesDropped } = await openJournal();
    expect(entries).toEqual([]);
    expect(recoveredBytesDropped).toBe(0);
    expect(journal.bytes).toBe(0);
  });

  it("gives back every appended entry after a reopen, in order, each once", async () => {
    const { journal } = await openJournal();
    await journal.append([e(1), e(2)]);
    await journal.append([e(3), e(1)]);
    const { entries } = await reopen(journal);
    expect(ids(entries)).toEqual(ids([e(1), e(2), e(3)]));
    expect(entries[1].data).toEqual(data(2));
  });

  it("group-commits 200 concurrent appends, all durable", async () => {
    const { journal } = await openJournal();
    const all = Array.from({ length: 200 }, (_, i) => e(i));
    await Promise.all(all.map((entry) => journal.append([entry])));
    expect(journal.stats()).toEqual({ records: 200, batches: 1 });
    const { entries } = await reopen(journal);
    expect(ids(entries)).toEqual(ids(all));
  });

  it("drops a torn tail and appends after it again", async () => {
    const first = await openJournal();
    await first.journal.append([e(1), e(2)]);
    await first.journal.close();
    await truncate(file(), (await stat(file())).size - 2);

    const { journal, entries, recoveredBytesDropped } = await openJournal();
    expect(ids(entries)).toEqual(ids([e(1)]));
    expect(recoveredBytesDropped).toBe(RECORD_HEADER_BYTES + data(2).length - 2);
    await journal.append([e(3)]);
    expect(ids((await reopen(journal)).entries)).toEqual(ids([e(1), e(3)]));
  });

  it("drops a garbage tail", async () => {
    const first = await openJournal();
    await first.journal.append([e(1)]);
    await first.journal.close();
    await appendFile(file(), Buffer.from("garbage after a crash"));
    const { entries, recoveredBytesDropped } = await openJournal();
    expect(ids(entries)).toEqual(ids([e(1)]));
    expect(recoveredBytesDropped).toBe("garbage after a crash".length);
  });

  it("compacts to the live entries only, and keeps appending after", async () => {
    const { journal } = await openJournal();
    await journal.append([e(1), e(2), e(3), e(4)]);
    const before = journal.bytes;
    await journal.compact([e(2), e(4)]);
    expect(journal.bytes).toBe(2 * (RECORD_HEADER_BYTES + data(2).length));
    expect(journal.bytes).toBeLessThan(before);
    expect((await stat(file())).size).toBe(journal.bytes);
    await journal.append([e(5)]);
    expect(ids((await reopen(journal)).entries)).toEqual(ids([e(2), e(4), e(5)]));
  });

  it("writes appends made before a compaction first and those made after into the new file", async () => {
    const { journal } = await openJournal();
    await journal.append([e(1)]);
    const before = journal.append([e(2)]);
    const compaction = journal.compact([e(2)]); // e(1) was accepted in the meantime
    const after = journal.append([e(3)]);
    await Promise.all([before, compaction, after]);
    expect(ids((await reopen(journal)).entries)).toEqual(ids([e(2), e(3)]));
  });

  it("reads the live set when compact is called, not later", async () => {
    const { journal } = await openJournal();
    await journal.append([e(1), e(2)]);
    const live = new Set([e(1), e(2)]);
    const compaction = journal.compact(live);
    live.clear();
    await compaction;
    expect(ids((await reopen(journal)).entries)).toEqual(ids([e(1), e(2)]));
  });

  it("compacts to an empty file", async () => {
    const { journal } = await openJournal();
    await journal.append([e(1)]);
    await journal.compact([]);
    expect((await stat(file())).size).toBe(0);
    expect((await reopen(journal)).entries).toEqual([]);
  });

  it("ignores a temp file left by a crash during compaction", async () => {
    const first = await openJournal();
    await first.journal.append([e(1)]);
    await first.journal.close();
    await writeFile(`${file()}.tmp`, Buffer.from("half a compaction"));
    const { entries } = await openJournal();
    expect(ids(entries)).toEqual(ids([e(1)]));
    await expect(readFile(`${file()}.tmp`)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("after a failed sync, refuses appends until a compaction replaces the file", async () => {
    const { journal } = await openJournal();
    await journal.append([e(1)]);
    const datasync = jest.spyOn(await fileHandlePrototype(tmp()), "datasync").mockRejectedValueOnce(new Error("EIO"));
    try {
      expect((await rejection(journal.append([e(2)]))).code).toBe(ErrorCode.CORRUPT_STORE);
    } finally {
      datasync.mockRestore();
    }
    expect((await rejection(journal.append([e(3)]))).code).toBe(ErrorCode.CORRUPT_STORE);
    await journal.compact([e(1)]);
    await journal.append([e(4)]);
    expect(ids((await reopen(journal)).entries)).toEqual(ids([e(1), e(4)]));
  });

  it("keeps the old file when a compaction fails before the rename", async () => {
    const { journal } = await openJournal();
    await journal.append([e(1), e(2)]);
    const sync = jest.spyOn(await fileHandlePrototype(tmp()), "sync").mockRejectedValueOnce(new Error("ENOSPC"));
    try {
      await expect(journal.compact([e(2)])).rejects.toThrow("ENOSPC");
    } finally {
      sync.mockRestore();
    }
    await journal.append([e(3)]);
    expect(ids((await reopen(journal)).entries)).toEqual(ids([e(1), e(2), e(3)]));
    await expect(readFile(`${file()}.tmp`)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses appends and compaction once closed", async () => {
    const { journal } = await openJournal();
    await journal.close();
    expect((await rejection(journal.append([e(1)]))).code).toBe(ErrorCode.UNAVAILABLE);
    expect((await rejection(journal.compact([]))).code).toBe(ErrorCode.UNAVAILABLE);
  });
});
