import type { Diagnostic } from "@gwsim/core";

/** Sorted by file, line and column; rendered as CONTRACT's `gwsim: file:line:col: ...`. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

export function formatDiagnostic(d: Diagnostic): string {
  const what = d.path && !d.message.startsWith(`${d.path}:`) ? `${d.path}: ${d.message}` : d.message;
  const tag = d.severity === "error" ? "" : `${d.severity === "warning" ? "warning" : "note"}: `;
  // CONTRACT: file:line:col "wherever a location is known"; a file that cannot be read has none.
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  return `gwsim: ${where}: ${tag}${what}`;
}

export function formatDiagnostics(list: readonly Diagnostic[]): string {
  return sortDiagnostics(list).map((d) => `${formatDiagnostic(d)}\n`).join("");
}
