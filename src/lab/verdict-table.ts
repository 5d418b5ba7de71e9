/** The verdict as a table a person reads in a terminal: check, expected, observed, pass/fail. */
import type { Validity, Verdict } from "./checker";

export function validityWord(v: Validity): string {
  return v === true ? "pass" : v === false ? "FAIL" : "unknown";
}

function wrap(text: string, width: number): string[] {
  const words = text.split(" ");
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line.length > 0 && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line.length > 0 ? `${line} ${w}` : w;
  }
  if (line.length > 0) lines.push(line);
  return lines.length > 0 ? lines : [""];
}

export function verdictTable(v: Verdict): string {
  const widths = [34, 40, 48, 7];
  const row = (cells: string[]): string[] => {
    const wrapped = cells.map((c, i) => wrap(c, widths[i]!));
    const n = Math.max(...wrapped.map((w) => w.length));
    return Array.from({ length: n }, (_, k) => wrapped.map((w, i) => (w[k] ?? "").padEnd(widths[i]!)).join(" | ").trimEnd());
  };
  const rule = widths.map((w) => "-".repeat(w)).join("-+-");
  const lines = [...row(["check", "expected", "observed", "result"]), rule];
  for (const r of v.results) lines.push(...row([r.check, r.expected, r.observed, validityWord(r.valid)]));
  lines.push(rule, `verdict: ${validityWord(v.valid)}`);
  return lines.join("\n");
}
