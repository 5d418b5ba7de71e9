/** One line of a plot: its points in data coordinates, x ascending. */
export interface PlotSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Drawn dashed, without points: a reference curve (e.g. the literature's), not a measurement. */
  readonly reference?: boolean;
}

export interface PlotSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly PlotSeries[];
  /** A logarithmic x axis (node counts from 10 to 10,000). */
  readonly logX?: boolean;
}

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 64, right: 170, top: 36, bottom: 48 };
/** Colour-blind-safe (Okabe–Ito), one per series in order. */
const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fixed = (x: number): string => x.toFixed(1);

/** Round tick values covering [0, max]: 1, 2 or 5 times a power of ten apart. */
function ticks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < max) out.push(Number((out.length * step).toPrecision(12)));
  return out;
}

/**
 * A line plot as a standalone SVG document, drawn from the data alone (no library): one
 * `path.series` per measured series with a `circle.point` per point, dashed `path.reference`
 * lines, axes with ticks and a legend. A test counts the paths and points a browser renders.
 */
export function linePlot(spec: PlotSpec): string {
  const all = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const logX = spec.logX === true && xs.every((x) => x > 0);
  const fx = logX ? Math.log10 : (x: number): number => x;
  const xMin = xs.length === 0 ? 0 : fx(Math.min(...xs));
  const xMax = xs.length === 0 ? 1 : fx(Math.max(...xs));
  const yTicks = ticks(Math.max(0, ...all.map(([, y]) => y)));
  const yMax = yTicks[yTicks.length - 1]!;
  const innerW = WIDTH - MARGIN.left - MARGIN.right;
  const innerH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number): number => MARGIN.left + (xMax === xMin ? innerW / 2 : ((fx(x) - xMin) / (xMax - xMin)) * innerW);
  const py = (y: number): number => MARGIN.top + innerH - (y / yMax) * innerH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escape(spec.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${escape(spec.title)}</text>`,
  ];
  for (const v of yTicks) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + innerW}" y1="${fixed(py(v))}" y2="${fixed(py(v))}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${fixed(py(v) + 4)}" text-anchor="end">${v}</text>`,
    );
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${fixed(px(x))}" y="${MARGIN.top + innerH + 16}" text-anchor="middle">${x}</text>`);
  }
  const midY = MARGIN.top + innerH / 2;
  out.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + innerH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + innerW}" y1="${MARGIN.top + innerH}" y2="${MARGIN.top + innerH}" stroke="#333"/>`,
    `<text x="${MARGIN.left + innerW / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escape(spec.xLabel)}${logX ? " (log scale)" : ""}</text>`,
    `<text x="16" y="${midY}" transform="rotate(-90 16 ${midY})" text-anchor="middle">${escape(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const d = pts.map(([x, y], j) => `${j === 0 ? "M" : "L"}${fixed(px(x))},${fixed(py(y))}`).join(" ");
    const kind = s.reference === true ? "reference" : "series";
    const dash = s.reference === true ? ` stroke-dasharray="6 4"` : "";
    out.push(`<path class="${kind}" data-series="${escape(s.name)}" d="${d}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
    if (s.reference !== true) {
      for (const [x, y] of pts) out.push(`<circle class="point" cx="${fixed(px(x))}" cy="${fixed(py(y))}" r="3.5" fill="${colour}"><title>${x}: ${y}</title></circle>`);
    }
    const ly = MARGIN.top + 14 + 18 * i;
    const lx = WIDTH - MARGIN.right + 12;
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 28}" y="${ly}">${escape(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
