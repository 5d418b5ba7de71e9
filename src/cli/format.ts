import type { AcceptedBlock__Output } from "../wire/generated/snowchain/v1/AcceptedBlock";
import type { Entry__Output } from "../wire/generated/snowchain/v1/Entry";
import type { GetEntryResponse__Output } from "../wire/generated/snowchain/v1/GetEntryResponse";
import type { StatusResponse__Output } from "../wire/generated/snowchain/v1/StatusResponse";
import type { SubmitResponse__Output } from "../wire/generated/snowchain/v1/SubmitResponse";

/** Ids travel as 32 raw bytes and are shown as 64 lowercase hex characters ("" when absent). */
export function hex(id: Uint8Array | null | undefined): string {
  return id && id.length > 0 ? Buffer.from(id).toString("hex") : "";
}

/** How entry data is shown: as text when it is printable UTF-8, else as base64. */
export type DataEncoding = "utf8" | "base64";

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// C0 controls except tab, LF and CR; DEL; C1 controls. Text containing them is not "printable".
const NON_PRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Entry data as text when it is valid, printable UTF-8, else as base64 — and which it is. */
export function encodeData(data: Uint8Array): { data: string; encoding: DataEncoding } {
  let text: string | undefined;
  try {
    text = UTF8.decode(data);
  } catch {
    text = undefined; // not valid UTF-8
  }
  if (text !== undefined && !NON_PRINTABLE.test(text)) return { data: text, encoding: "utf8" };
  return { data: Buffer.from(data).toString("base64"), encoding: "base64" };
}

export interface EntryJson {
  id: string;
  data: string;
  encoding: DataEncoding;
}

export interface BlockJson {
  height: number;
  id: string;
  parentId: string;
  proposer: string;
  timestampMs: number;
  entries: EntryJson[];
}

export function entryJson(e: Entry__Output): EntryJson {
  return { id: hex(e.id), ...encodeData(e.data) };
}

export function blockJson(b: AcceptedBlock__Output): BlockJson {
  return {
    height: Number(b.height),
    id: hex(b.id),
    parentId: hex(b.parent_id),
    proposer: b.proposer,
    timestampMs: Number(b.timestamp_ms),
    entries: (b.entries ?? []).map(entryJson),
  };
}

function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** An entry's data on one line: text is JSON-quoted so newlines and quotes stay visible. */
function dataText(e: EntryJson): string {
  return e.encoding === "utf8" ? JSON.stringify(e.data) : e.data;
}

/** One block, as `snowchain chain` shows it: a header line, then one indented line per entry. */
export function formatBlock(b: BlockJson): string[] {
  return [
    formatBlockLine(b),
    ...b.entries.map((e) => `  ${e.id} ${e.encoding.padEnd(6)} ${dataText(e)}`),
  ];
}

/** One block on one line, as `snowchain watch` shows it. */
export function formatBlockLine(b: BlockJson): string {
  const n = b.entries.length;
  return (
    `#${b.height} ${b.id} parent=${b.parentId} proposer=${b.proposer} ` +
    `time=${isoTime(b.timestampMs)} entries=${n}`
  );
}

export interface StatusJson {
  nodeId: string;
  name: string;
  address: string;
  version: string;
  height: number;
  lastAcceptedId: string;
  knownPeers: number;
  livePeers: number;
  mempoolSize: number;
  processingBlocks: number;
  syncing: boolean;
  preferredHeight: number;
  genesisId: string;
  behaviour: string;
  params: {
    k: number;
    alphaPreference: number;
    alphaConfidence: number;
    beta: number;
    concurrentPolls: number;
    pollTimeoutMs: number;
    memberGraceMs: number;
    maxProcessingHeights: number;
  } | null;
}

export function statusJson(s: StatusResponse__Output): StatusJson {
  return {
    nodeId: s.node_id,
    name: s.name,
    address: s.address,
    version: s.version,
    height: Number(s.height),
    lastAcceptedId: hex(s.last_accepted_id),
    knownPeers: s.known_peers,
    livePeers: s.live_peers,
    mempoolSize: s.mempool_size,
    processingBlocks: s.processing_blocks,
    syncing: s.syncing,
    preferredHeight: Number(s.preferred_height),
    genesisId: hex(s.genesis_id),
    behaviour: s.behaviour,
    params: s.params
      ? {
          k: s.params.k,
          alphaPreference: s.params.alpha_preference,
          alphaConfidence: s.params.alpha_confidence,
          beta: s.params.beta,
          concurrentPolls: s.params.concurrent_polls,
          pollTimeoutMs: s.params.poll_timeout_ms,
          memberGraceMs: Number(s.params.member_grace_ms),
          maxProcessingHeights: s.params.max_processing_heights,
        }
      : null,
  };
}

/** `snowchain status` for people: one "name  value" line per field. */
export function formatStatus(s: StatusJson): string[] {
  const rows: Array<[string, string]> = [
    ["node id", s.nodeId],
    ["name", s.name],
    ["address", s.address],
    ["version", s.version],
    ["height", String(s.height)],
    ["last accepted", s.lastAcceptedId],
    ["preferred height", String(s.preferredHeight)],
    ["processing blocks", String(s.processingBlocks)],
    ["peers", `${s.livePeers} live / ${s.knownPeers} known`],
    ["mempool", `${s.mempoolSize} entries`],
    ["syncing", s.syncing ? "yes" : "no"],
    ["genesis", s.genesisId],
    ["behaviour", s.behaviour],
    ...(s.params
      ? ([
          [
            "consensus",
            `K=${s.params.k} αP=${s.params.alphaPreference} αC=${s.params.alphaConfidence} β=${s.params.beta} polls in flight ${s.params.concurrentPolls}, ` +
              `poll timeout ${s.params.pollTimeoutMs} ms, member grace ${s.params.memberGraceMs} ms, ${s.params.maxProcessingHeights} undecided heights`,
          ],
        ] as Array<[string, string]>)
      : []),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}

export type EntryStateName = "pending" | "accepted" | "unknown";

export interface EntryStateJson {
  id: string;
  state: EntryStateName;
  /** The accepted block's height; null unless accepted. */
  height: number | null;
  /** The accepted block's id; null unless accepted. */
  blockId: string | null;
  /** The entry's data when the peer knows it; null when unknown. */
  data: string | null;
  encoding: DataEncoding | null;
}

export function entryStateJson(id: Buffer, r: GetEntryResponse__Output | undefined): EntryStateJson {
  const state: EntryStateName =
    r?.state === "ENTRY_STATE_ACCEPTED" ? "accepted" : r?.state === "ENTRY_STATE_PENDING" ? "pending" : "unknown";
  const accepted = state === "accepted";
  const entry = state !== "unknown" && r?.entry ? encodeData(r.entry.data) : undefined;
  return {
    id: hex(id),
    state,
    height: accepted ? Number(r!.height) : null,
    blockId: accepted ? hex(r!.block_id) : null,
    data: entry?.data ?? null,
    encoding: entry?.encoding ?? null,
  };
}

/** `snowchain entry` for people. */
export function formatEntryState(e: EntryStateJson): string[] {
  const lines = [`entry   ${e.id}`, `state   ${e.state}`];
  if (e.height !== null) lines.push(`height  ${e.height}`);
  if (e.blockId !== null) lines.push(`block   ${e.blockId}`);
  if (e.data !== null && e.encoding !== null) {
    lines.push(`data    ${e.encoding} ${e.encoding === "utf8" ? JSON.stringify(e.data) : e.data}`);
  }
  return lines;
}

export interface SubmitJson {
  id: string;
  accepted: boolean;
  /** The accepting block's height; null unless accepted. */
  height: number | null;
}

export function submitJson(r: SubmitResponse__Output): SubmitJson {
  return { id: hex(r.id), accepted: r.accepted, height: r.accepted ? Number(r.height) : null };
}
