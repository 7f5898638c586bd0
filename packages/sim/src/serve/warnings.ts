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

/**
 * Compared as multisets of keys: the same text may stand at several places (two EndpointSlices
 * with the same bad address), and one more, or one fewer, of them is a change. Of the lines of a
 * key, those whose exact text (position included) the other side lacks are the ones named.
 */
export function warningChanges(before: readonly string[], after: readonly string[]): WarningChanges {
  return { added: surplus(after, before), fixed: surplus(before, after) };
}

/** The lines of `these` beyond what `those` has of the same warning. */
function surplus(these: readonly string[], those: readonly string[]): string[] {
  const theirs = new Map<string, number>();
  for (const l of those) theirs.set(warningKey(l), (theirs.get(warningKey(l)) ?? 0) + 1);
  const exact = new Set(those);
  const byKey = new Map<string, string[]>();
  for (const l of these) {
    const k = warningKey(l);
    byKey.set(k, [...(byKey.get(k) ?? []), l]);
  }
  const out = new Set<string>();
  for (const [k, lines] of byKey) {
    const extra = lines.length - (theirs.get(k) ?? 0);
    if (extra <= 0) continue;
    const ordered = [...lines.filter((l) => !exact.has(l)), ...lines.filter((l) => exact.has(l))];
    for (const l of ordered.slice(0, extra)) out.add(l);
  }
  // In the order of `these`.
  return these.filter((l) => out.has(l));
}

/** `gwsim: fixed: ...` for a warning line a reload made go away. */
export function fixedLine(line: string): string {
  return `gwsim: fixed: ${line.trim().replace(/^gwsim: /, "")}\n`;
}
