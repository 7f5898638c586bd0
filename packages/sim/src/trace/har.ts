// HAR 1.2 (browser exports), read incrementally: a small scanner follows the JSON structure and
// hands over `log.entries` one element at a time, so a large HAR is never held whole in memory.
import { addHeader, applyTarget, httpProtocol, isObject, isoTime, statusCode, type Headers } from "./common.js";
import type { TraceRecord } from "./types.js";

type Kind = "o" | "a";

export interface HarScanEvents {
  /** One element of `log.entries`, its JSON text and the line it starts on. */
  entry(text: string, line: number): void;
  /** Something that is not an entry: a truncated element or a document with no entries array. */
  problem(line: number, text: string, reason: string): void;
}

/**
 * Follows strings, nesting and object keys; everything outside `log.entries` is skipped without being kept.
 * It does not validate the JSON around the entries: each entry is parsed on its own with JSON.parse.
 */
export function harScanner(events: HarScanEvents) {
  const stack: Kind[] = [];
  const keyAt: (string | undefined)[] = [];
  let line = 1;
  let endsWithNewline = false;
  let inString = false;
  let escaped = false;
  let stringIsKey = false;
  let keyBuf = "";
  let expectingKey = false;
  let entriesDepth = -1;
  let sawEntries = false;
  let sawJson = false;
  let capturing = false;
  let captureParts: string[] = [];
  let captureLine = 0;

  function finishCapture(tail: string) {
    captureParts.push(tail);
    const text = captureParts.join("").trim();
    captureParts = [];
    capturing = false;
    events.entry(text, captureLine);
  }

  function push(chunk: string): void {
    let start = capturing ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92 /* \ */) escaped = true;
        else if (c === 34 /* " */) {
          inString = false;
          if (stringIsKey && stack.length <= 2) keyAt[stack.length] = keyBuf;
          continue;
        }
        if (stringIsKey && stack.length <= 2) keyBuf += chunk[i];
        continue;
      }
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      sawJson = true;
      const depth = stack.length;
      if (depth === entriesDepth) {
        if (c === 44 /* , */ || c === 93 /* ] */) {
          if (capturing) finishCapture(chunk.slice(start, i));
          if (c === 93) {
            entriesDepth = -1;
            stack.pop();
          }
          continue;
        }
        if (!capturing) {
          capturing = true;
          captureLine = line;
          start = i;
        }
      }
      switch (c) {
        case 34: // "
          inString = true;
          stringIsKey = stack[depth - 1] === "o" && expectingKey;
          keyBuf = "";
          break;
        case 123: // {
          stack.push("o");
          expectingKey = true;
          break;
        case 91: // [
          if (depth === 2 && stack[0] === "o" && stack[1] === "o" && keyAt[1] === "log" && keyAt[2] === "entries") {
            entriesDepth = 3;
            sawEntries = true;
          }
          stack.push("a");
          break;
        case 125: // }
        case 93: // ]
          stack.pop();
          // An object or array element ends with its closing bracket; a scalar one at the next "," or "]".
          if (capturing && stack.length === entriesDepth) {
            finishCapture(chunk.slice(start, i + 1));
            start = -1;
          }
          break;
        case 44: // ,
          expectingKey = stack[depth - 1] === "o";
          break;
        case 58: // :
          expectingKey = false;
          break;
      }
    }
    if (capturing) captureParts.push(chunk.slice(start));
    if (chunk.length) endsWithNewline = chunk.charCodeAt(chunk.length - 1) === 10;
  }

  function end(): void {
    if (capturing) {
      const text = captureParts.join("");
      captureParts = [];
      capturing = false;
      events.problem(captureLine, text, "HAR entry is cut off: the input ends inside it");
    } else if (entriesDepth !== -1) events.problem(line, "", "HAR entries array is cut off: the input ends inside it");
    else if (!sawEntries) events.problem(1, "", sawJson ? "no log.entries array: not a HAR document" : "empty input: not a HAR document");
  }

  // Counted as line readers count: a final newline does not start another line.
  return { push, end, lines: () => line - (endsWithNewline ? 1 : 0), foundEntries: () => sawEntries };
}

function harHeaders(list: unknown): { name: string; value: string }[] {
  if (!Array.isArray(list)) return [];
  return list.filter((h): h is { name: string; value: string } => isObject(h) && typeof h.name === "string" && typeof h.value === "string");
}

/** One HAR entry as a request: HTTP/2 pseudo-headers win over the URL, as they are what was sent. */
export function recordFromHarEntry(entry: unknown): TraceRecord | string {
  if (!isObject(entry) || !isObject(entry.request)) return "HAR entry has no request";
  const req = entry.request;
  if (typeof req.url !== "string") return "HAR request has no url";
  const headers: Headers = {};
  const pseudo: Record<string, string> = {};
  let hostHeader: string | undefined;
  for (const h of harHeaders(req.headers)) {
    const name = h.name.toLowerCase();
    if (name.startsWith(":")) pseudo[name] ??= h.value;
    else if (name === "host") hostHeader ??= h.value;
    else addHeader(headers, name, h.value);
  }
  const method = pseudo[":method"] ?? (typeof req.method === "string" ? req.method : undefined);
  if (!method) return "HAR request has no method";
  const rec: TraceRecord = { method };
  const problem = applyTarget(rec, req.url, method);
  if (problem) return `url: ${problem}`;
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)/.exec(req.url)?.[1];
  const port = authority ? /:(\d+)$/.exec(authority)?.[1] : undefined;
  if (port !== undefined) rec.port = Number(port);
  if (pseudo[":path"] !== undefined) rec.path = pseudo[":path"];
  const scheme = pseudo[":scheme"]?.toLowerCase();
  if (scheme === "http" || scheme === "https") rec.scheme = scheme;
  const host = pseudo[":authority"] ?? hostHeader;
  if (host !== undefined) rec.host = host;
  const upgrade = headers.upgrade;
  if (typeof upgrade === "string" && upgrade.toLowerCase() === "websocket") rec.protocol = "websocket";
  else if (rec.protocol === undefined) {
    const protocol = httpProtocol(typeof req.httpVersion === "string" ? req.httpVersion : undefined, rec.scheme);
    if (protocol) rec.protocol = protocol;
  }
  if (Object.keys(headers).length) rec.headers = headers;
  if (entry.startedDateTime !== undefined) {
    const time = typeof entry.startedDateTime === "string" ? isoTime(entry.startedDateTime) : undefined;
    if (!time) return `startedDateTime is not a date: ${JSON.stringify(entry.startedDateTime)}`;
    rec.time = time;
  }
  const status = isObject(entry.response) ? statusCode(entry.response.status) : undefined;
  if (status !== undefined) rec.observed = { status };
  return rec;
}
