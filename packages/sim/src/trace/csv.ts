// CSV with a header row (RFC 4180 quoting; comma, or tab when the header has tabs and no commas).
// Columns map to request fields by name, or by the `csvColumns` mapping (field → column name).
import { applyTarget, isObject } from "./common.js";
import { checkJsonRecord } from "./jsonl.js";
import type { LineParser, LineResult, TraceRecord } from "./types.js";

const PLAIN_FIELDS = new Set([
  "id", "gateway", "service", "address", "from", "port", "scheme", "protocol", "host", "sni", "method", "path", "user", "time", "url",
]);
const OBSERVED_FIELDS: Record<string, string> = { backend: "backend", upstreamhost: "upstreamHost", status: "status" };

/** The record field a column name stands for when no mapping names it: `path`, `headers.x-canary`, `observed.status`... */
export function fieldForColumn(name: string): string | undefined {
  const n = name.trim();
  const lower = n.toLowerCase();
  if (PLAIN_FIELDS.has(lower)) return lower;
  const header = /^(?:headers?[.:])(.+)$/i.exec(n);
  if (header) return `headers.${header[1]!.toLowerCase()}`;
  const observed = /^(?:observed\.)?(backend|upstream_?host|status)$/i.exec(n);
  if (observed) return `observed.${OBSERVED_FIELDS[observed[1]!.toLowerCase().replace("_", "")]}`;
  return undefined;
}

function isKnownField(field: string): boolean {
  return PLAIN_FIELDS.has(field) || /^headers\..+/.test(field) || /^observed\.(backend|upstreamHost|status)$/.test(field);
}

/** Splits one CSV record; returns undefined when a quoted field is still open at the end (it continues on the next line). */
export function splitCsv(line: string, delimiter: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q === -1) return undefined;
        value += line.slice(j, q);
        if (line[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      // Text after the closing quote up to the delimiter is kept, as lenient readers do.
      const end = line.indexOf(delimiter, j);
      fields.push(value + line.slice(j, end === -1 ? line.length : end));
      if (end === -1) return fields;
      i = end + 1;
    } else {
      const end = line.indexOf(delimiter, i);
      fields.push(line.slice(i, end === -1 ? line.length : end));
      if (end === -1) return fields;
      i = end + 1;
    }
  }
}

const MAX_RECORD_CHARS = 1 << 20;

interface Layout {
  delimiter: string;
  width: number;
  /** Column index → record field. */
  fields: (string | undefined)[];
}

function layoutFromHeader(header: string, columns: Record<string, string> | undefined): Layout | string {
  const delimiter = header.includes("\t") && !header.includes(",") ? "\t" : ",";
  const names = splitCsv(header, delimiter);
  if (!names) return "header row has an unterminated quote";
  const fields = names.map(fieldForColumn);
  for (const [field, column] of Object.entries(columns ?? {})) {
    if (!isKnownField(field)) return `csvColumns: unknown request field ${JSON.stringify(field)}`;
    const index = names.findIndex((n) => n.trim() === column);
    if (index === -1) return `csvColumns: column ${JSON.stringify(column)} (for ${field}) is not in the header`;
    fields.forEach((f, i) => {
      if (f === field) fields[i] = undefined;
    });
    fields[index] = field;
  }
  if (!fields.some((f) => f === "path" || f === "url"))
    return "no column gives the request path: name one path or url, or map one with csvColumns";
  return { delimiter, width: names.length, fields };
}

function recordFromRow(layout: Layout, row: string[]): LineResult {
  if (row.length !== layout.width) return `expected ${layout.width} fields, got ${row.length}`;
  const o: Record<string, unknown> = {};
  let url: string | undefined;
  row.forEach((cell, i) => {
    const field = layout.fields[i];
    if (field === undefined || cell === "") return;
    if (field === "url") url = cell;
    else if (field.startsWith("headers.")) {
      const headers = (o.headers ??= {}) as Record<string, string>;
      headers[field.slice(8)] = cell;
    } else if (field.startsWith("observed.")) {
      const observed = (o.observed ??= {}) as Record<string, unknown>;
      const key = field.slice(9);
      observed[key] = key === "status" && /^\d+$/.test(cell) ? Number(cell) : cell;
    } else o[field] = field === "port" && /^\d+$/.test(cell) ? Number(cell) : cell;
  });
  if (url !== undefined) {
    const fromUrl: TraceRecord = {};
    const problem = applyTarget(fromUrl, url);
    if (problem) return `url: ${problem}`;
    // Explicit columns win over what the URL implies.
    for (const [k, v] of Object.entries(fromUrl)) if (o[k] === undefined) o[k] = v;
  }
  if (isObject(o.observed) && o.observed.status !== undefined && typeof o.observed.status !== "number")
    return "observed.status: must be an integer";
  return checkJsonRecord(o);
}

export function csvParser(columns?: Record<string, string>): LineParser {
  let layout: Layout | string | undefined;
  let pending: string | undefined;
  return {
    keepsBlankLines: true,
    keepsCarriageReturn: true,
    end: () => (pending !== undefined ? { text: pending, reason: "quoted field never closes before the end of input" } : null),
    parse(raw: string): LineResult {
      if (pending === undefined && raw.trim() === "") return null;
      // The physical line comes with its CR: inside a quoted field it stays (RFC 4180 §2.6), at the
      // end of a record it is the CRLF line break and goes.
      const joined = pending !== undefined ? `${pending}\n${raw}` : raw;
      const text = joined.endsWith("\r") ? joined.slice(0, -1) : joined;
      pending = undefined;
      if (layout === undefined) {
        if (text.trim() === "") return null;
        if (splitCsv(text, text.includes("\t") && !text.includes(",") ? "\t" : ",") === undefined && text.length < MAX_RECORD_CHARS) {
          pending = joined;
          return null;
        }
        layout = layoutFromHeader(text, columns);
        return typeof layout === "string" ? `header: ${layout}` : null;
      }
      if (typeof layout === "string") return `no usable header row (${layout})`;
      const row = splitCsv(text, layout.delimiter);
      if (row === undefined) {
        if (text.length >= MAX_RECORD_CHARS) return "quoted field never closes";
        pending = joined;
        return null;
      }
      return recordFromRow(layout, row);
    },
  };
}

/** Whether a first line reads as a CSV header this parser understands (for auto-detection). */
export function looksLikeCsvHeader(line: string, columns?: Record<string, string>): boolean {
  if (!line.includes(",") && !line.includes("\t")) return false;
  return typeof layoutFromHeader(line, columns) !== "string";
}
