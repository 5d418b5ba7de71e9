/**
 * report.html: one self-contained page (inline SVG and CSS, no script, nothing fetched) with the
 * heights of every peer over time and the fault windows shaded and labelled as Jepsen's bands
 * (each kind its own colour), finality latency over time, the verdict table, the scenario and
 * its seed. A pure function of the history and the verdict.
 */
import type { Verdict } from "./checker";
import { FAULT_COLOURS } from "./faults";
import { eventsOf, endOf, Heights, runOf, type HistoryEvent } from "./history";
import { faultWindows, type FaultWindow } from "./checker/model";
import type { Scenario } from "./scenario";
import type { PlannedFault } from "./schedule";
import { validityWord } from "./verdict-table";

export interface ReportInput {
  readonly events: readonly HistoryEvent[];
  readonly verdict: Verdict;
  readonly scenario: Scenario;
  readonly scenarioText: string;
  readonly seed: number;
  readonly faults: readonly PlannedFault[];
}

const PEER_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

const W = 1000;
const H = 320;
const M = { left: 60, right: 20, top: 20, bottom: 40 };

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

interface Axes {
  x(tMs: number): number;
  y(v: number): number;
  svg: string[];
}

function axes(title: string, endMs: number, maxY: number, yLabel: string): Axes {
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const x = (t: number): number => M.left + (iw * t) / Math.max(1, endMs);
  const y = (v: number): number => M.top + ih - (ih * v) / Math.max(1, maxY);
  const svg = [`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`];
  const stepS = niceStep(endMs / 1000, 10);
  for (let s = 0; s <= endMs / 1000; s += stepS) {
    svg.push(`<line class="grid" x1="${x(s * 1000)}" x2="${x(s * 1000)}" y1="${M.top}" y2="${M.top + ih}"/>`, `<text class="tick" x="${x(s * 1000)}" y="${H - M.bottom + 16}" text-anchor="middle">${s}s</text>`);
  }
  const stepY = niceStep(maxY, 6);
  for (let v = 0; v <= maxY; v += stepY) {
    svg.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}"/>`, `<text class="tick" x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${round(v)}</text>`);
  }
  svg.push(`<text class="axis" x="14" y="${M.top + ih / 2}" transform="rotate(-90 14 ${M.top + ih / 2})" text-anchor="middle">${esc(yLabel)}</text>`);
  svg.push(`<text class="axis" x="${M.left + iw / 2}" y="${H - 6}" text-anchor="middle">time since the run started</text>`);
  return { x, y, svg };
}

function niceStep(range: number, ticks: number): number {
  const raw = Math.max(range, 1e-9) / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** One shaded, labelled band per fault window, each kind its own colour. */
function bands(a: Axes, windows: readonly FaultWindow[], endMs: number): string[] {
  return windows.map((w, i) => {
    const x0 = a.x(w.startMs);
    const x1 = a.x(w.endMs ?? endMs);
    const colour = FAULT_COLOURS[w.kind as keyof typeof FAULT_COLOURS] ?? "#999";
    const labelY = M.top + 12 + (i % 4) * 13;
    return (
      `<g class="fault-band" data-fault="${esc(w.id)}" data-kind="${esc(w.kind)}">` +
      `<rect x="${x0}" y="${M.top}" width="${Math.max(2, x1 - x0)}" height="${H - M.top - M.bottom}" fill="${colour}" fill-opacity="0.18" stroke="${colour}" stroke-opacity="0.6"/>` +
      `<text class="band-label" x="${x0 + 3}" y="${labelY}" fill="${colour}">${esc(`${w.id} ${w.label}`)}</text>` +
      `<title>${esc(`${w.id} ${w.label}: ${(w.startMs / 1000).toFixed(1)}s – ${w.endMs === undefined ? "end" : `${(w.endMs / 1000).toFixed(1)}s`}`)}</title></g>`
    );
  });
}

function heightChart(events: readonly HistoryEvent[], windows: readonly FaultWindow[], endMs: number): string {
  const heights = new Heights(events);
  const peers = runPeers(events);
  const maxH = Math.max(1, ...peers.map((p) => heights.heightAt(p, Infinity)));
  const a = axes("accepted height per peer over time", endMs, maxH, "accepted height");
  a.svg.push(...bands(a, windows, endMs));
  peers.forEach((p, i) => {
    const pts: string[] = [];
    let last = 0;
    for (const s of heights.series(p)) {
      pts.push(`${a.x(s.t)},${a.y(last)}`, `${a.x(s.t)},${a.y(s.height)}`);
      last = s.height;
    }
    const colour = PEER_COLOURS[i % PEER_COLOURS.length]!;
    if (pts.length > 0) a.svg.push(`<polyline class="peer-line" data-peer="${esc(p)}" fill="none" stroke="${colour}" stroke-width="1.6" points="${pts.join(" ")}"/>`);
  });
  a.svg.push("</svg>");
  const legend = peers.map((p, i) => `<span class="key"><i style="background:${PEER_COLOURS[i % PEER_COLOURS.length]}"></i>${esc(p)}</span>`).join("");
  return `${a.svg.join("")}<div class="legend">${legend}</div>`;
}

/** Submit → first acceptance seen on any peer, for every acknowledged entry. */
export function finalityPoints(events: readonly HistoryEvent[]): { t: number; ms: number }[] {
  const sent = new Map<string, number>();
  for (const s of eventsOf(events, "submit")) if (!sent.has(s.entry)) sent.set(s.entry, s.t);
  const acked = new Set(eventsOf(events, "ack").map((a) => a.entry));
  const first = new Map<string, number>();
  for (const b of eventsOf(events, "block")) for (const e of b.entries) if (!first.has(e)) first.set(e, b.t);
  const pts: { t: number; ms: number }[] = [];
  for (const [entry, t] of sent) {
    const at = first.get(entry);
    if (at !== undefined && acked.has(entry)) pts.push({ t, ms: Math.max(0, at - t) });
  }
  return pts;
}

function finalityChart(events: readonly HistoryEvent[], windows: readonly FaultWindow[], endMs: number): string {
  const pts = finalityPoints(events);
  const sorted = pts.map((p) => p.ms).sort((x, y) => x - y);
  const q = (f: number): number => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? 0;
  const maxMs = Math.max(100, q(0.99) * 1.2);
  const a = axes("finality latency over time", endMs, maxMs, "submit → accepted (ms)");
  a.svg.push(...bands(a, windows, endMs));
  for (const p of pts) a.svg.push(`<circle cx="${a.x(p.t).toFixed(1)}" cy="${a.y(Math.min(p.ms, maxMs)).toFixed(1)}" r="1.6" fill="#333" fill-opacity="0.55"/>`);
  a.svg.push("</svg>");
  const summary = pts.length > 0 ? `${pts.length} entries; p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms (above ${Math.round(maxMs)} ms drawn at the top)` : "no entry was accepted";
  return `${a.svg.join("")}<p class="note">${esc(summary)}</p>`;
}

function runPeers(events: readonly HistoryEvent[]): string[] {
  const peers = new Set(runOf(events).peers);
  for (const e of events) if (e.type === "up" || e.type === "block") peers.add(e.peer);
  return [...peers];
}

function verdictRows(v: Verdict): string {
  return v.results
    .map((r) => {
      const word = validityWord(r.valid);
      return `<tr class="${r.valid === true ? "pass" : r.valid === false ? "fail" : "unknown"}"><td>${esc(r.check)}</td><td>${esc(r.expected)}</td><td>${esc(r.observed)}</td><td class="result">${word}</td></tr>`;
    })
    .join("");
}

export function renderReport(input: ReportInput): string {
  const { events, verdict, scenario, seed } = input;
  const run = runOf(events);
  const endMs = endOf(events);
  const windows = faultWindows(events);
  const kinds = [...new Set(windows.map((w) => w.kind))];
  const faultLegend = kinds.map((k) => `<span class="key"><i style="background:${FAULT_COLOURS[k as keyof typeof FAULT_COLOURS]}"></i>${esc(k)}</span>`).join("");
  const word = validityWord(verdict.valid);
  const loadAt = eventsOf(events, "load").find((e) => e.phase === "start")?.t ?? 0;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>snowchain lab: ${esc(scenario.name)} (seed ${seed}): ${word}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1060px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.verdict.pass{background:#2e7d32}.verdict.fail{background:#c62828}.verdict.unknown{background:#777}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
tr.pass td.result{color:#2e7d32;font-weight:600}tr.fail td.result{color:#c62828;font-weight:600}tr.unknown td.result{color:#777}
.grid{stroke:#eee}.tick{font-size:11px;fill:#666}.axis{font-size:12px;fill:#444}.band-label{font-size:11px;font-weight:600}
.legend{margin:4px 0 0 60px}.key{margin-right:14px;white-space:nowrap}.key i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
pre{background:#f6f6f6;padding:8px;overflow:auto}.note{color:#555;margin:4px 0 0 60px}
</style></head><body>
<h1>${esc(scenario.name)} <span class="verdict ${word === "pass" ? "pass" : word === "FAIL" ? "fail" : "unknown"}" id="verdict">${word}</span></h1>
<p>${esc(scenario.description)}</p>
<p>backend <b>${esc(run.backend)}</b>, ${run.peers.length} peers, seed <b id="seed">${seed}</b>, started ${esc(run.startedAt)}, ${(endMs / 1000).toFixed(1)} s;
K ${run.params.k}, αC ${run.params.alphaC} (αC/K ${(run.params.alphaC / run.params.k).toFixed(2)}), β ${run.params.beta}, MEMBER_GRACE_MS ${run.params.graceMs}.</p>
<h2>Accepted height per peer</h2>
<div class="legend">faults: ${faultLegend || "none"}</div>
${heightChart(events, windows, endMs)}
<h2>Finality latency</h2>
${finalityChart(events, windows, endMs)}
<h2>Verdict</h2>
<table id="verdict-table"><thead><tr><th>check</th><th>expected</th><th>observed</th><th>result</th></tr></thead><tbody>${verdictRows(verdict)}</tbody></table>
<h2>Faults</h2>
<p>Times since the run started; the schedule counts from the start of the load, at ${(loadAt / 1000).toFixed(1)} s.</p>
<table><thead><tr><th>id</th><th>kind</th><th>what</th><th>planned</th><th>in force</th></tr></thead><tbody>${input.faults
    .map((f) => {
      const w = windows.find((x) => x.id === f.id);
      const held = w ? `${(w.startMs / 1000).toFixed(1)}s – ${w.endMs === undefined ? "end" : `${(w.endMs / 1000).toFixed(1)}s`}` : "not started";
      return `<tr><td>${esc(f.id)}</td><td>${esc(f.kind)}</td><td>${esc(f.label)}</td><td>${((loadAt + f.atMs) / 1000).toFixed(1)}s – ${((loadAt + f.endMs) / 1000).toFixed(1)}s</td><td>${held}</td></tr>`;
    })
    .join("")}</tbody></table>
<h2>Scenario (seed ${seed})</h2>
<pre>${esc(input.scenarioText)}</pre>
</body></html>
`;
}
