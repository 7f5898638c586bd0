/**
 * Matching a layout whose quoted values are written raw (nginx `escape=none`, writers that escape
 * nothing), in time linear in the line. One regex over the whole layout, `"(.*?)" … "(.*)" …`,
 * backtracks over every combination of the quotes each field may end at: a line full of quotes
 * took seconds (cubic and worse with four quoted fields). Here the line is cut at its quotes
 * instead: a field ends at a quote where its tail (the layout up to the next quoted field's
 * opening quote, or to the end) matches, and whether the rest of the layout can follow from each
 * quote is worked out once, from the right. Each tail is tried once per quote, so the work is the
 * number of quotes times the number of fields; a field then ends at its first such quote (lazy) or
 * its last (greedy, the User-Agent), as the backtracking regex would pick.
 */

/** A head (anchored at the start, ending with the first quoted field's opening quote), then the quoted fields, each with its tail. */
export interface RawLayout {
  /** Sticky; matched at 0; its groups are the values before the first quoted field. */
  head: RegExp;
  fields: RawField[];
}

export interface RawField {
  /** The field takes the last quote its tail can follow (the User-Agent), not the first. */
  greedy: boolean;
  /** Sticky; tried at each quote after the field's start: the closing quote, then the layout to the next field's opening quote (or, for the last, to the end: `$`). */
  tail: RegExp;
}

/** Counts the work of a match (tests bound it). */
export interface RawSteps {
  steps: number;
}

/**
 * The groups of a raw layout matched against `line`, in layout order: the head's groups, then for
 * each field its value and its tail's groups; null when the line does not match.
 */
export function matchRaw(layout: RawLayout, line: string, counter?: RawSteps): (string | undefined)[] | null {
  let steps = 1;
  try {
    layout.head.lastIndex = 0;
    const head = layout.head.exec(line);
    if (!head) return null;
    const start = head[0].length;
    steps += start;
    const quotes: number[] = [];
    for (let i = line.indexOf('"', start); i !== -1; i = line.indexOf('"', i + 1)) quotes.push(i);
    steps += line.length - start;
    const k = layout.fields.length;
    const n = quotes.length;
    // firstAt[p]: the index in `quotes` of the first quote at or after position p (n when none).
    const firstAt = new Int32Array(line.length + 2).fill(n);
    for (let qi = n - 1, p = line.length; p >= start; p--) {
      if (qi >= 0 && quotes[qi] === p) qi--;
      firstAt[p] = qi + 1;
    }
    // ends[j][i]: where field j's tail ends when the field closes at quote i and the rest can
    // follow (-1 when not); nextOk[j][i]: the first quote index ≥ i where field j can close.
    const ends: Int32Array[] = [];
    const nextOk: Int32Array[] = [];
    for (let j = k - 1; j >= 0; j--) {
      const tail = layout.fields[j]!.tail;
      const end = new Int32Array(n).fill(-1);
      const next = new Int32Array(n + 1).fill(n);
      const after = j + 1 < k ? nextOk[0]! : undefined; // filled for j + 1 already (unshifted below)
      for (let i = n - 1; i >= 0; i--) {
        steps++;
        tail.lastIndex = quotes[i]!;
        const m = tail.exec(line);
        if (m) {
          const e = quotes[i]! + m[0].length;
          if (after === undefined || (e <= line.length && after[firstAt[e]!]! < n)) end[i] = e;
        }
        next[i] = end[i]! >= 0 ? i : next[i + 1]!;
      }
      ends.unshift(end);
      nextOk.unshift(next);
    }
    const groups: (string | undefined)[] = head.slice(1);
    let at = start;
    for (let j = 0; j < k; j++) {
      const from = firstAt[at]!;
      let i = nextOk[j]![from]!;
      if (i >= n) return null;
      if (layout.fields[j]!.greedy) {
        // The last quote the field can close at (a later one is past every earlier one's start).
        for (let last = n - 1; last > i; last--) {
          steps++;
          if (ends[j]![last]! >= 0) {
            i = last;
            break;
          }
        }
      }
      const tail = layout.fields[j]!.tail;
      tail.lastIndex = quotes[i]!;
      const m = tail.exec(line)!;
      groups.push(line.slice(at, quotes[i]), ...m.slice(1));
      at = ends[j]![i]!;
    }
    return groups;
  } finally {
    if (counter) counter.steps += steps;
  }
}
