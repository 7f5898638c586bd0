/**
 * Header handling at the edges of the live adapter: what a client sent becomes the request the
 * core decides on, and what a backend answered becomes the response the client receives.
 * Hop-by-hop fields (RFC 9110 §7.6.1) belong to one connection and are never passed on.
 */
import type { HeaderEdits } from "@gwsim/core";

export type HeaderRecord = Record<string, string | string[]>;

/**
 * Fields that describe one connection, not the message (RFC 9110 §7.6.1, plus the obsolete
 * `proxy-connection` and `keep-alive` that clients still send). `expect` is answered by the
 * adapter itself (Node sends `100 Continue`), so it is not forwarded either.
 */
const HOP_BY_HOP = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "te",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
  "http2-settings",
  "expect",
]);

/** The fields a `Connection` header names are hop-by-hop for that message too (RFC 9110 §7.6.1). */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
    for (const token of v.split(",")) {
      const t = token.trim().toLowerCase();
      if (t) out.add(t);
    }
  }
  return out;
}

/**
 * Request headers from Node's raw list (name/value pairs, as received): names lower-cased, a
 * field sent more than once keeps each value, HTTP/2 pseudo-headers and hop-by-hop fields
 * dropped. `keep` lists hop-by-hop fields to keep anyway (a WebSocket upgrade keeps `upgrade`).
 * One pass, no intermediate map: this runs for every request.
 */
export function requestHeaders(rawHeaders: readonly string[], keep?: ReadonlySet<string>): HeaderRecord {
  const out: HeaderRecord = {};
  let connection: string[] | null = null;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    // Pseudo-headers are HTTP/2's own; `__proto__` cannot be a plain object key.
    if (name.charCodeAt(0) === 58 || name === "__proto__") continue;
    const value = rawHeaders[i + 1]!;
    if (HOP_BY_HOP.has(name)) {
      if (name === "connection") (connection ??= []).push(value);
      if (!keep?.has(name)) continue;
    }
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[name] = [prior, value];
  }
  if (connection) for (const token of connectionTokens(connection)) if (!keep?.has(token)) delete out[token];
  return out;
}

/**
 * A backend's response head (flat name/value list, names lower-case) as the client receives it:
 * hop-by-hop fields out (and those its `Connection` names), then the decision's
 * ResponseHeaderModifier edits. Flat, because Node writes a flat list without copying it.
 */
export function responseHeaderList(flat: readonly string[], edits: HeaderEdits | null | undefined): string[] {
  let listed: Set<string> | null = null;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i] !== "connection") continue;
    const v = flat[i + 1]!.toLowerCase();
    // `keep-alive` and `close` name nothing beyond the hop-by-hop fields already dropped.
    if (v !== "keep-alive" && v !== "close") for (const t of connectionTokens(v)) (listed ??= new Set()).add(t);
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!;
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out.push(name, flat[i + 1]!);
  }
  if (!edits) return out;
  const record: HeaderRecord = {};
  for (let i = 0; i < out.length; i += 2) {
    const prior = record[out[i]!];
    record[out[i]!] = prior === undefined ? out[i + 1]! : ([] as string[]).concat(prior, out[i + 1]!);
  }
  const edited = applyHeaderEdits(record, edits);
  const result: string[] = [];
  for (const name in edited) {
    const v = edited[name]!;
    if (Array.isArray(v)) for (const one of v) result.push(name, one);
    else result.push(name, v);
  }
  return result;
}

/** Response trailers (flat list) for an HTTP/2 client, hop-by-hop fields out; null when none remain. */
export function trailerRecord(flat: readonly string[]): Record<string, string> | null {
  let out: Record<string, string> | null = null;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!;
    if (HOP_BY_HOP.has(name) || name === "__proto__") continue;
    (out ??= {})[name] = out[name] === undefined ? flat[i + 1]! : `${out[name]}, ${flat[i + 1]}`;
  }
  return out;
}

/** A backend's response headers, minus hop-by-hop fields (and those its `Connection` names). */
export function responseHeaders(headers: Record<string, string | string[] | undefined>): HeaderRecord {
  const listed = connectionTokens(headers["connection"]);
  const out: HeaderRecord = {};
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Applies ResponseHeaderModifier edits in the core's order (set, then add, then remove; an
 * added value joins an existing one with ","), so the live answer matches the decision.
 * Set-Cookie is the exception: it is never folded into one line (RFC 9110 §5.3, RFC 6265 §3;
 * a cookie's Expires has a comma), so each cookie the edits set or add is a field line of its
 * own. The values come from `setAll`/`addAll` (one entry per filter value), which keep apart
 * the cookies two filters add (rule and backendRef level) that `set`/`add` hold joined; edits
 * without them (built by hand, older records) count each `set`/`add` value as one line.
 */
export function applyHeaderEdits(headers: HeaderRecord, edits: HeaderEdits | null | undefined): HeaderRecord {
  if (!edits) return headers;
  const out: HeaderRecord = { ...headers };
  for (const [name, values] of editLines(edits.set, edits.setAll)) {
    const key = name.toLowerCase();
    out[key] = key === "set-cookie" ? oneOrMany(values) : values.join(",");
  }
  for (const [name, values] of editLines(edits.add, edits.addAll)) {
    const key = name.toLowerCase();
    const existing = out[key];
    if (key === "set-cookie") {
      out[key] = existing === undefined ? oneOrMany(values) : ([] as string[]).concat(existing, values);
      continue;
    }
    const joined = existing === undefined ? "" : Array.isArray(existing) ? existing.join(",") : existing;
    const added = values.join(",");
    out[key] = joined ? `${joined},${added}` : added;
  }
  for (const name of edits.remove ?? []) delete out[name.toLowerCase()];
  return out;
}

/** Each edited name with its values as separate lines (HeaderEdits `setAll`/`addAll`, else the joined value as one). */
function editLines(joined: Record<string, string> | undefined, lines: Record<string, string[]> | undefined): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const name in joined ?? {}) {
    const split = lines && Object.hasOwn(lines, name) ? lines[name]! : null;
    out.push([name, split && split.length > 0 ? split : [joined![name]!]]);
  }
  if (lines) for (const name in lines) if (!Object.hasOwn(joined ?? {}, name) && lines[name]!.length > 0) out.push([name, lines[name]!]);
  return out;
}

function oneOrMany(values: string[]): string | string[] {
  return values.length === 1 ? values[0]! : [...values];
}

/** First value of a header, or undefined. */
export function firstValue(headers: HeaderRecord, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
