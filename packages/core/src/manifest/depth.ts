/**
 * A cheap scan for nesting too deep to parse. The yaml parser recurses per level: a few thousand
 * levels overflow the stack, and two such documents can abort the whole process from inside V8
 * (out of memory compiling a RegExp), which no try/catch sees. So documents nested deeper than
 * MAX_NESTING are found here, before yaml sees the text, and left out with a diagnostic.
 */

/**
 * Levels of flow (`[` `{`) plus block (indentation, `- `) nesting a document may have. Kubernetes
 * objects are shallow (an HTTPRoute filter is about 8 levels deep, a CRD schema a few dozen).
 */
export const MAX_NESTING = 256;

export interface TooDeep {
  /** Offset where the document's text starts (after its `---`) and where it ends. */
  start: number;
  end: number;
  /** 1-based line and column where nesting first passes the limit. */
  line: number;
  column: number;
}

/** The documents of a YAML stream whose nesting passes `limit`, in order. */
export function findTooDeep(text: string, limit = MAX_NESTING): TooDeep[] {
  const found: TooDeep[] = [];
  let docStart = 0;
  let state = freshState();
  let hit: { line: number; column: number } | null = null;
  let lineNo = 0;
  let offset = 0;
  const close = (end: number) => {
    if (hit) found.push({ start: docStart, end, ...hit });
  };
  while (offset <= text.length) {
    const nl = text.indexOf("\n", offset);
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(offset, lineEnd);
    lineNo++;
    const marker = /^(---|\.\.\.)(?=[ \t\r]|$)/.test(line);
    if (marker) {
      close(offset);
      state = freshState();
      hit = null;
      // `--- {a: [...`: the rest of the marker line (after `--- `) belongs to the new document.
      docStart = offset + Math.min(4, line.length);
      hit = scanLine(line, 3, lineNo, state, limit);
    } else if (!hit) {
      hit = scanLine(line, 0, lineNo, state, limit);
    }
    if (nl < 0) break;
    offset = nl + 1;
  }
  close(text.length);
  return found;
}

interface ScanState {
  flow: number;
  quote: '"' | "'" | null;
  /** Indentation of the line that opened a block scalar (`|`, `>`) whose lines are being skipped. */
  blockScalar: number | null;
  indents: number[];
}

function freshState(): ScanState {
  return { flow: 0, quote: null, blockScalar: null, indents: [] };
}

function scanLine(line: string, from: number, lineNo: number, s: ScanState, limit: number): { line: number; column: number } | null {
  let i = from;
  while (i < line.length && line[i] === " ") i++;
  const blank = i >= line.length || line[i] === "\r" || line[i] === "#";
  if (s.blockScalar !== null) {
    if (blank || i > s.blockScalar) return null;
    s.blockScalar = null;
  }
  const indent = i;
  if (s.quote === null && s.flow === 0) {
    if (blank) return null;
    while (s.indents.length > 0 && s.indents[s.indents.length - 1]! >= indent) s.indents.pop();
    s.indents.push(indent);
    // Compact nesting: `- - - a` or `? - a` opens a level per indicator.
    while ((line[i] === "-" || line[i] === "?") && (line[i + 1] === " " || i + 1 >= line.length)) {
      i++;
      while (line[i] === " ") i++;
      s.indents.push(i);
      if (s.indents.length > limit) return { line: lineNo, column: i + 1 };
    }
    if (s.indents.length > limit) return { line: lineNo, column: indent + 1 };
  }
  // The last significant character, to tell where a scalar may start (quotes and brackets there are syntax).
  let prev = "";
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (s.quote === '"') {
      if (c === "\\") i++;
      else if (c === '"') {
        s.quote = null;
        prev = '"';
      }
      continue;
    }
    if (s.quote === "'") {
      if (c === "'" && line[i + 1] === "'") i++;
      else if (c === "'") {
        s.quote = null;
        prev = "'";
      }
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") continue;
    const scalarStart = prev === "" || ":-?[{,".includes(prev);
    const next = line[i + 1];
    const spaced = next === undefined || next === " " || next === "\t" || next === "\r";
    if (c === "#" && (i === 0 || line[i - 1] === " " || line[i - 1] === "\t")) break;
    if ((c === '"' || c === "'") && scalarStart) {
      s.quote = c;
      continue;
    }
    if ((c === "[" || c === "{") && (s.flow > 0 || scalarStart)) {
      s.flow++;
      if (s.flow + s.indents.length > limit) return { line: lineNo, column: i + 1 };
      prev = c;
      continue;
    }
    if ((c === "|" || c === ">") && s.flow === 0 && scalarStart) {
      s.blockScalar = indent;
      break;
    }
    if ((c === "]" || c === "}") && s.flow > 0) s.flow--;
    // Inside a plain scalar (`a: x[1`, `don't`) brackets and quotes are text; only these end one.
    if ((c === ":" && (spaced || s.flow > 0)) || ((c === "-" || c === "?") && spaced) || (c === "," && s.flow > 0)) prev = c;
    else prev = "x";
  }
  return null;
}

/**
 * The text with each too-deep document replaced by `~` (a null document) and spaces, keeping every
 * line break, so yaml never sees the deep nesting and every other position and document index stays.
 */
export function blankDocuments(text: string, docs: readonly TooDeep[]): string {
  if (docs.length === 0) return text;
  let out = "";
  let at = 0;
  for (const d of docs) {
    const body = text.slice(d.start, d.end).replace(/[^\r\n]/g, " ");
    const first = body.search(/[^\r\n]/);
    out += text.slice(at, d.start) + (first < 0 ? body : `${body.slice(0, first)}~${body.slice(first + 1)}`);
    at = d.end;
  }
  return out + text.slice(at);
}
