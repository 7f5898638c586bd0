/**
 * Building blocks of the HTML report: escaping, number formats, a colour per backend and SVG
 * charts drawn as plain markup (no library, no external asset).
 */

export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

import { dec as textDec, fitLabels, int as textInt, pct as textPct, tickPct } from "./table.js";

export { fitLabels, middleTruncate, plural, signedPct } from "./table.js";

/** The text report's rounding (a share never shows as 0% or 100% unless it is); "–" for no value. */
export function pct(x: number, digits = 2): string {
  return Number.isFinite(x) ? textPct(x, digits) : "–";
}

export function int(n: number): string {
  return Number.isFinite(n) ? textInt(n) : "–";
}

export function dec(x: number, digits = 1): string {
  return Number.isFinite(x) || x === Infinity ? textDec(x, digits) : "–";
}

/** Tableau 10: distinct, readable on white, kind to most colour vision. */
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
export const OTHER_COLOR = "#cfcfcf";

/** A stable colour per label, in the order labels are first given. */
export function palette(labels: readonly string[]): (label: string) => string {
  const map = new Map<string, string>();
  for (const l of labels) if (!map.has(l)) map.set(l, map.size < PALETTE.length ? PALETTE[map.size]! : OTHER_COLOR);
  return (l) => map.get(l) ?? OTHER_COLOR;
}

const r1 = (x: number): string => (Math.round(x * 10) / 10).toString();

/** The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ) at or above x: quarter ticks land on round values. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const e = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10]) if (m * e >= x * (1 - 1e-12)) return m * e;
  return 10 * e;
}

export interface BarRow {
  label: string;
  /** 0..1 */
  value: number;
  ci?: [number, number];
  /** A tick at the expectation, 0..1. */
  expected?: number;
  color: string;
  note?: string;
  /** Hover text. */
  title?: string;
}

/**
 * Horizontal bars on a 0..max scale, one per row: the bar, an optional whisker (95 % interval)
 * and an optional diamond at the expected value, with the label on the left and a note on the right.
 */
export function barChart(rows: readonly BarRow[], options: { max?: number; width?: number; labelWidth?: number; noteWidth?: number; caption: string }): string {
  const width = options.width ?? 880;
  const labelW = options.labelWidth ?? 260;
  const noteW = options.noteWidth ?? 190;
  const rowH = 26;
  const top = 22;
  const plotW = width - labelW - noteW - 16;
  const max = options.max ?? Math.min(niceCeil(Math.max(1e-9, ...rows.map((r) => Math.max(r.value, r.ci?.[1] ?? 0, r.expected ?? 0)))), 1);
  const x = (v: number) => labelW + (Math.min(v, max) / max) * plotW;
  const height = top + rows.length * rowH + 8;
  const parts: string[] = [];
  // Grid at quarters of the scale.
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(`<line class="grid" x1="${r1(x(v))}" x2="${r1(x(v))}" y1="${top - 6}" y2="${height - 6}"/>`);
    parts.push(`<text class="axis" x="${r1(x(v))}" y="${top - 9}" text-anchor="middle">${esc(max <= 1.0000001 ? tickPct(v) : tickNum(v))}</text>`);
  }
  const labels = fitLabels(rows.map((r) => r.label), 38);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const cy = y + rowH / 2;
    parts.push(`<g class="bar-row"><title>${esc(r.title ?? `${r.label}: ${pct(r.value)}`)}</title>`);
    parts.push(`<text class="label" x="${labelW - 8}" y="${r1(cy + 4)}" text-anchor="end">${esc(labels[i])}</text>`);
    parts.push(`<rect x="${labelW}" y="${y + 5}" width="${r1(Math.max(0, x(r.value) - labelW))}" height="${rowH - 10}" rx="2" fill="${r.color}"/>`);
    if (r.ci) {
      const [a, b] = r.ci;
      parts.push(`<line class="ci" x1="${r1(x(a))}" x2="${r1(x(b))}" y1="${cy}" y2="${cy}"/>`);
      parts.push(`<line class="ci" x1="${r1(x(a))}" x2="${r1(x(a))}" y1="${cy - 5}" y2="${cy + 5}"/>`);
      parts.push(`<line class="ci" x1="${r1(x(b))}" x2="${r1(x(b))}" y1="${cy - 5}" y2="${cy + 5}"/>`);
    }
    if (r.expected !== undefined) {
      const ex = x(r.expected);
      parts.push(`<path class="expected" d="M${r1(ex)} ${r1(cy - 7)} l6 7 l-6 7 l-6 -7 z"/>`);
    }
    parts.push(`<text class="note" x="${width - noteW}" y="${r1(cy + 4)}">${esc(r.note ?? pct(r.value))}</text></g>`);
  });
  return svg(width, height, options.caption, parts.join(""));
}

export interface PairRow {
  label: string;
  a: number;
  b: number;
  note: string;
  color: string;
}

/** Two thin bars per row (a: outlined grey, b: in colour), e.g. before/after or drawn/expected. */
export function pairChart(rows: readonly PairRow[], options: { max?: number; labels: [string, string]; caption: string; percent?: boolean }): string {
  const width = 880;
  const labelW = 260;
  const noteW = 210;
  const rowH = 30;
  const top = 34;
  const plotW = width - labelW - noteW - 16;
  const top1 = Math.max(1e-9, ...rows.flatMap((r) => [r.a, r.b]));
  const max = options.max ?? (options.percent ? Math.min(1, niceCeil(top1)) : top1 < 4 ? 4 : niceCeil(top1));
  const x = (v: number) => labelW + (Math.min(Math.max(v, 0), max) / max) * plotW;
  const height = top + rows.length * rowH + 8;
  const fmt = (v: number) => (options.percent ? tickPct(v) : tickNum(v));
  const labels = fitLabels(rows.map((r) => r.label), 38);
  const parts: string[] = [
    `<rect x="${labelW}" y="4" width="12" height="10" class="pair-a"/><text class="axis" x="${labelW + 16}" y="13">${esc(options.labels[0])}</text>`,
    `<rect x="${labelW + 120}" y="4" width="12" height="10" fill="#4e79a7"/><text class="axis" x="${labelW + 136}" y="13">${esc(options.labels[1])}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(`<line class="grid" x1="${r1(x(v))}" x2="${r1(x(v))}" y1="${top - 6}" y2="${height - 6}"/>`);
    parts.push(`<text class="axis" x="${r1(x(v))}" y="${top - 9}" text-anchor="middle">${esc(fmt(v))}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<g><title>${esc(`${r.label}: ${options.labels[0]} ${options.percent ? pct(r.a) : dec(r.a)}, ${options.labels[1]} ${options.percent ? pct(r.b) : dec(r.b)}`)}</title>`);
    parts.push(`<text class="label" x="${labelW - 8}" y="${y + 19}" text-anchor="end">${esc(labels[i])}</text>`);
    parts.push(`<rect class="pair-a" x="${labelW}" y="${y + 4}" width="${r1(x(r.a) - labelW)}" height="10" rx="1"/>`);
    parts.push(`<rect x="${labelW}" y="${y + 15}" width="${r1(x(r.b) - labelW)}" height="10" rx="1" fill="${r.color}"/>`);
    parts.push(`<text class="note" x="${width - noteW}" y="${y + 19}">${esc(r.note)}</text></g>`);
  });
  return svg(width, height, options.caption, parts.join(""));
}

export interface Segment {
  label: string;
  value: number;
  color: string;
}

/** Labelled stacked bars (each row sums to 1): e.g. the expected and the sampled split. */
export function stackChart(rows: readonly { label: string; segments: Segment[] }[], caption: string): string {
  const width = 880;
  const labelW = 90;
  const plotW = width - labelW - 10;
  const rowH = 30;
  const height = rows.length * rowH + 6;
  const parts: string[] = [];
  rows.forEach((row, i) => {
    const y = i * rowH + 3;
    parts.push(`<text class="label" x="${labelW - 8}" y="${y + 17}" text-anchor="end">${esc(row.label)}</text>`);
    const total = row.segments.reduce((a, s) => a + s.value, 0) || 1;
    let at = labelW;
    for (const s of row.segments) {
      const w = (s.value / total) * plotW;
      if (w <= 0) continue;
      parts.push(`<g><title>${esc(`${s.label}: ${pct(s.value / total, 2)}`)}</title><rect x="${r1(at)}" y="${y}" width="${r1(w)}" height="${rowH - 6}" fill="${s.color}"/>`);
      if (w > 46) parts.push(`<text class="in-bar" x="${r1(at + w / 2)}" y="${y + 16}" text-anchor="middle">${esc(pct(s.value / total, w > 70 ? 1 : 0))}</text>`);
      parts.push("</g>");
      at += w;
    }
  });
  return svg(width, height, caption, parts.join(""));
}

export function legend(items: readonly { label: string; color: string }[]): string {
  return `<div class="legend">${items.map((i) => `<span><i style="background:${i.color}"></i>${esc(i.label)}</span>`).join("")}</div>`;
}

export interface TimeSeries {
  /** Bucket start times, epoch ms, ascending. */
  starts: number[];
  bucketMs: number;
  /** Per layer, a count per bucket. */
  layers: { label: string; color: string; counts: number[] }[];
  /** Requests per bucket (all outcomes). */
  totals: number[];
}

/** Stacked 100 % columns of the layers' shares per bucket, with the request volume beneath. */
export function timeChart(ts: TimeSeries, caption: string): string {
  const width = 880;
  const left = 48;
  const right = 10;
  const shareH = 190;
  const volTop = shareH + 18;
  const volH = 56;
  const height = volTop + volH + 26;
  const n = ts.starts.length;
  const t0 = ts.starts[0]!;
  const t1 = ts.starts[n - 1]! + ts.bucketMs;
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => left + ((t - t0) / span) * (width - left - right);
  const parts: string[] = [];
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    const y = 6 + (1 - v) * (shareH - 6);
    parts.push(`<line class="grid" x1="${left}" x2="${width - right}" y1="${r1(y)}" y2="${r1(y)}"/><text class="axis" x="${left - 6}" y="${r1(y + 4)}" text-anchor="end">${tickPct(v)}</text>`);
  }
  const maxVol = Math.max(1, ...ts.totals);
  for (let i = 0; i < n; i++) {
    const xa = x(ts.starts[i]!);
    const w = Math.max(0.6, x(ts.starts[i]! + ts.bucketMs) - xa);
    const sum = ts.layers.reduce((a, l) => a + (l.counts[i] ?? 0), 0);
    if (sum > 0) {
      let acc = 0;
      for (const l of ts.layers) {
        const c = l.counts[i] ?? 0;
        if (c <= 0) continue;
        const y0 = 6 + (1 - (acc + c) / sum) * (shareH - 6);
        const h = (c / sum) * (shareH - 6);
        parts.push(`<rect x="${r1(xa)}" y="${r1(y0)}" width="${r1(w + 0.3)}" height="${r1(h + 0.3)}" fill="${l.color}"><title>${esc(`${new Date(ts.starts[i]!).toISOString()} ${l.label}: ${pct(c / sum)} (${int(c)})`)}</title></rect>`);
        acc += c;
      }
    }
    const vh = ((ts.totals[i] ?? 0) / maxVol) * volH;
    parts.push(`<rect class="volume" x="${r1(xa)}" y="${r1(volTop + volH - vh)}" width="${r1(w)}" height="${r1(vh)}"><title>${esc(`${new Date(ts.starts[i]!).toISOString()}: ${int(ts.totals[i] ?? 0)} requests`)}</title></rect>`);
  }
  parts.push(`<text class="axis" x="${left - 6}" y="${volTop + 10}" text-anchor="end">${esc(int(maxVol))}</text>`);
  parts.push(`<text class="axis" x="${left - 6}" y="${volTop + volH}" text-anchor="end">0</text>`);
  for (const t of timeTicks(t0, t1)) {
    const tx = x(t.at);
    // A label at either end of the axis is anchored inside the chart, not cut in half by its edge.
    const anchor = tx > width - right - 20 ? "end" : tx < left + 20 ? "start" : "middle";
    parts.push(`<line class="tick" x1="${r1(tx)}" x2="${r1(tx)}" y1="${volTop + volH}" y2="${volTop + volH + 4}"/><text class="axis" x="${r1(tx)}" y="${volTop + volH + 16}" text-anchor="${anchor}">${esc(t.label)}</text>`);
  }
  return svg(width, height, caption, parts.join(""));
}

const STEPS_MS = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800].map((s) => s * 1000);

/** Round tick times (UTC) between t0 and t1, about six of them. */
export function timeTicks(t0: number, t1: number): { at: number; label: string }[] {
  const span = t1 - t0;
  const step = STEPS_MS.find((s) => span / s <= 7) ?? STEPS_MS[STEPS_MS.length - 1]!;
  const out: { at: number; label: string }[] = [];
  const multiDay = span > 2 * 86_400_000 || new Date(t0).getUTCDate() !== new Date(t1 - 1).getUTCDate();
  for (let t = Math.ceil(t0 / step) * step; t <= t1 && out.length < 12; t += step) {
    const iso = new Date(t).toISOString();
    const hm = step < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
    out.push({ at: t, label: step >= 86_400_000 ? iso.slice(5, 10) : multiDay && hm.startsWith("00:00") ? iso.slice(5, 10) : hm });
  }
  return out;
}

function svg(width: number, height: number, caption: string, body: string): string {
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(caption)}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

export function truncate(s: string, n: number): string {
  const chars = [...s];
  return chars.length > n ? `${chars.slice(0, n - 1).join("")}…` : s;
}

/** A count-axis tick: whole numbers plain, fractions of a small scale with the digits they need. */
function tickNum(v: number): string {
  for (const d of [0, 1, 2]) if (Math.abs(Number(v.toFixed(d)) - v) < 1e-9) return dec(v, d);
  return dec(v, 2);
}

export interface Column<T> {
  head: string;
  cell: (row: T) => string | number;
  /** Right-aligned numbers; sortable by their data value. */
  num?: boolean;
  /** The value to sort by, when the cell shows something else. */
  sort?: (row: T) => number | string;
  /** Keep on one line (dates, short codes). */
  nowrap?: boolean;
}

/** A table; cells are escaped. Sortable by clicking a heading (the inline script). */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], options: { max?: number; empty?: string } = {}): string {
  if (rows.length === 0) return `<p class="muted">${esc(options.empty ?? "None.")}</p>`;
  const max = options.max ?? 200;
  const shown = rows.slice(0, max);
  const head = columns.map((c) => `<th${c.num ? ' class="num"' : ""}>${esc(c.head)}</th>`).join("");
  const body = shown
    .map(
      (r) =>
        `<tr>${columns
          .map((c) => {
            const v = c.cell(r);
            const s = c.sort ? c.sort(r) : typeof v === "number" ? v : undefined;
            const data = s !== undefined ? ` data-v="${esc(s)}"` : "";
            const cls = [c.num ? "num" : "", c.nowrap ? "nowrap" : ""].filter(Boolean).join(" ");
            return `<td${cls ? ` class="${cls}"` : ""}${data}>${esc(typeof v === "number" ? int(v) : v)}</td>`;
          })
          .join("")}</tr>`,
    )
    .join("");
  const more = rows.length > max ? `<p class="muted">… and ${int(rows.length - max)} more rows (see the JSON report).</p>` : "";
  return `<div class="table-wrap"><table class="sortable"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${more}`;
}
