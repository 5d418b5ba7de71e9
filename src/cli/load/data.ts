/** Smallest --size: room for the run id and a sequence number, which make every entry unique. */
export const MIN_ENTRY_SIZE = 24;

const FILLER = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * The data of the seq-th entry of a load run: "<runId> <seq> " padded with printable filler to
 * exactly `size` bytes. Unique per (runId, seq), so no two entries share an id.
 */
export function loadEntryData(runId: string, seq: number, size: number): Buffer {
  const head = `${runId} ${seq.toString(36)} `;
  if (head.length >= size) return Buffer.from(head.slice(0, Math.max(size, head.trimEnd().length)), "utf8");
  let body = "";
  while (head.length + body.length < size) body += FILLER;
  return Buffer.from(head + body.slice(0, size - head.length), "utf8");
}

/** A run id unlikely to repeat: the start time and random bits, 13–14 characters. */
export function newRunId(nowMs: number, random: () => number): string {
  const bits = Math.floor(random() * 0x1000000).toString(36).padStart(5, "0");
  return `${nowMs.toString(36)}${bits}`;
}
