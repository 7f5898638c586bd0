/** Number formats and plain text tables shared by the text and HTML reports (one rounding rule for both). */

export interface TableOptions {
  /** Widest line (indent included); the `shrink` column is shortened to fit, the others never. */
  maxWidth?: number;
  /** Index of the column whose cells may be shortened (names); or several, shortened in the order given. */
  shrink?: number | { col: number; cut?: "middle" | "end"; min?: number }[];
  /** Narrowest the shrink column gets, whatever the width. */
  minShrink?: number;
  /** Where a shrunk cell is cut: in the middle (names, the default) or at its end (examples). */
  cut?: "middle" | "end";
}

/** A plain text table: columns padded to their widest cell; `align` "r" right-aligns numbers. */
export function table(rows: string[][], align: ("l" | "r")[] = [], indent = "  ", options: TableOptions = {}): string {
  if (rows.length === 0) return "";
  if (options.shrink !== undefined && options.maxWidth !== undefined) {
    const cols = typeof options.shrink === "number" ? [{ col: options.shrink, cut: options.cut, min: options.minShrink }] : options.shrink;
    for (const c of cols) rows = shrinkColumn(rows, c.col, options.maxWidth - [...indent].length, c.min ?? 24, c.cut ?? "middle");
  }
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => {
            const pad = " ".repeat(widths[i]! - [...cell].length);
            return align[i] === "r" ? pad + cell : i === row.length - 1 ? cell : cell + pad;
          })
          .join("  ")
          .trimEnd(),
    )
    .join("\n");
}

function shrinkColumn(rows: string[][], col: number, width: number, minShrink: number, cut: "middle" | "end"): string[][] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  const others = widths.reduce((a, w, i) => (i === col ? a : a + w), 0) + 2 * (widths.length - 1);
  const room = Math.max(minShrink, width - others);
  if ((widths[col] ?? 0) <= room) return rows;
  const cells = rows.map((r) => r[col] ?? "");
  const fitted = cut === "middle" ? fitLabels(cells, room) : cells.map((c) => endTruncate(c, room));
  return rows.map((r, i) => r.map((c, j) => (j === col ? fitted[i]! : c)));
}

/**
 * Shorten a label to `max` characters by cutting its middle (`ns/a-long-na…-version-two:8080`):
 * namespaces start a name and versions and ports end it, so both ends are what tells names apart.
 */
export function middleTruncate(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return "…";
  const tail = Math.ceil((max - 1) / 2);
  const head = max - 1 - tail;
  return `${chars.slice(0, head).join("")}…${chars.slice(chars.length - tail).join("")}`;
}

export function endTruncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** `s` cut to `max` characters keeping its start, a window at `at` and its end: `ns/a-lo…-two-…issing:80`. */
function windowTruncate(s: string, max: number, at: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  const keep = max - 2;
  const head = Math.floor(keep / 3);
  const tail = Math.floor(keep / 3);
  const w = keep - head - tail;
  if (at < head || at >= chars.length - tail) return middleTruncate(s, max);
  const start = Math.min(Math.max(head, at - Math.floor(w / 2)), chars.length - tail - w);
  const left = start > head ? "…" : "";
  const right = start + w < chars.length - tail ? "…" : "";
  return chars.slice(0, head).join("") + left + chars.slice(start, start + w).join("") + right + chars.slice(chars.length - tail).join("");
}

function firstDifference(labels: readonly string[]): number {
  const cs = labels.map((l) => [...l]);
  for (let i = 0; ; i++) if (cs.some((c) => c[i] !== cs[0]![i])) return i;
}

/**
 * Each label shortened to `max` characters (middle cut). Labels that would come out the same
 * keep the place where they differ instead, and grow only if that is not enough: no two
 * distinct labels come out the same.
 */
export function fitLabels(labels: readonly string[], max: number): string[] {
  const out = labels.map((l) => middleTruncate(l, max));
  let size = max;
  for (let guard = 0; guard < 64; guard++) {
    const byShort = new Map<string, Set<string>>();
    out.forEach((s, i) => {
      let set = byShort.get(s);
      if (!set) byShort.set(s, (set = new Set()));
      set.add(labels[i]!);
    });
    const groups = [...byShort.values()].filter((set) => set.size > 1);
    if (groups.length === 0) return out;
    for (const group of groups) {
      const members = [...group];
      const at = firstDifference(members);
      labels.forEach((l, i) => {
        if (group.has(l)) out[i] = guard === 0 ? windowTruncate(l, size, at) : middleTruncate(l, size);
      });
    }
    if (guard > 0) size += 4;
  }
  return [...labels];
}

/**
 * A share as a percentage. A non-zero share never prints as 0% and a share below 1 never as
 * 100%: they print as `<0.01%` and `>99.99%` (with as many digits as asked).
 */
export function pct(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return "-";
  const s = (x * 100).toFixed(digits);
  const step = (10 ** -digits).toFixed(digits);
  if (x > 0 && Number(s) === 0) return `<${step}%`;
  if (x < 1 && Number(s) >= 100) return `>${(100 - 10 ** -digits).toFixed(digits)}%`;
  return `${s}%`;
}

/** A change of share, signed: `+1.94%`, `-<0.01%`; float noise below 1e-12 is no change (`0.00%`). */
export function signedPct(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return "-";
  if (Math.abs(x) < 1e-12) return pct(0, digits);
  return `${x > 0 ? "+" : "-"}${pct(Math.abs(x), digits)}`;
}

/** An axis tick (an exact fraction of the scale): the fewest digits that print it exactly, at most 2. */
export function tickPct(x: number): string {
  for (const d of [0, 1, 2]) {
    const s = (x * 100).toFixed(d);
    if (Math.abs(Number(s) - x * 100) < 1e-9) return `${s}%`;
  }
  return `${(x * 100).toFixed(2)}%`;
}

export function int(n: number): string {
  if (!Number.isFinite(n)) return "-";
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A decimal with thousands separators: `1,011.0`. */
export function dec(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return x === Infinity ? "∞" : "-";
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function num(x: number, digits = 3): string {
  if (x === Infinity) return "∞";
  if (!Number.isFinite(x)) return "-";
  return Number.isInteger(x) ? int(x) : x.toFixed(digits);
}

/** `1 request`, `2 requests`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${int(n)} ${Math.round(n) === 1 ? one : many}`;
}

/**
 * Prose wrapped at `width` on spaces (a word longer than the line stays whole); continuation
 * lines start with `indent`, so a wrapped line reads as one item.
 */
export function wrap(text: string, width = 80, indent = "  "): string {
  if ([...text].length <= width) return text;
  const lead = /^\s*/.exec(text)![0];
  const words = text.slice(lead.length).split(" ");
  const lines: string[] = [];
  let line = lead;
  for (const word of words) {
    if (line.trim() !== "" && [...line].length + 1 + [...word].length > width) {
      lines.push(line);
      line = lead + indent + word;
    } else line = line.trim() === "" ? line + word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join("\n");
}
