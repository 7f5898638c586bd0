/** A plain text table: columns padded to their widest cell; `align` "r" right-aligns numbers. */
export function table(rows: string[][], align: ("l" | "r")[] = [], indent = "  "): string {
  if (rows.length === 0) return "";
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

export function pct(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return "-";
  return `${(x * 100).toFixed(digits)}%`;
}

export function int(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export function num(x: number, digits = 3): string {
  if (x === Infinity) return "∞";
  if (!Number.isFinite(x)) return "-";
  return Number.isInteger(x) ? int(x) : x.toFixed(digits);
}
