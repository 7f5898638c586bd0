/**
 * Warnings said once while they stand: a reload prints only the warnings the previous
 * configuration in force did not have, and says which of its warnings are gone. Printing every
 * warning again on each reload (each file save) buried the one a change introduced.
 */

/**
 * What identifies a warning line across loads: its text without `gwsim: ` and without the
 * `file:line:col: ` position, so a warning whose object only moved in its file (a line added
 * above it) is the same warning.
 */
export function warningKey(line: string): string {
  return line
    .trim()
    .replace(/^gwsim: /, "")
    .replace(/^(.*?):\d+:\d+: /, "$1: ");
}

export interface WarningChanges {
  /** Lines of `after` whose warning `before` did not have. */
  added: string[];
  /** Lines of `before` whose warning `after` no longer has. */
  fixed: string[];
}

export function warningChanges(before: readonly string[], after: readonly string[]): WarningChanges {
  const had = new Set(before.map(warningKey));
  const has = new Set(after.map(warningKey));
  return { added: after.filter((l) => !had.has(warningKey(l))), fixed: before.filter((l) => !has.has(warningKey(l))) };
}

/** `gwsim: fixed: ...` for a warning line a reload made go away. */
export function fixedLine(line: string): string {
  return `gwsim: fixed: ${line.trim().replace(/^gwsim: /, "")}\n`;
}
