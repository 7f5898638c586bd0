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
 */
export function requestHeaders(rawHeaders: readonly string[], keep: ReadonlySet<string> = new Set()): HeaderRecord {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name.startsWith(":")) continue;
    const list = values.get(name);
    if (list) list.push(rawHeaders[i + 1]!);
    else values.set(name, [rawHeaders[i + 1]!]);
  }
  const listed = connectionTokens(values.get("connection"));
  const out: HeaderRecord = {};
  for (const [name, list] of values) {
    if ((HOP_BY_HOP.has(name) || listed.has(name)) && !keep.has(name)) continue;
    out[name] = list.length === 1 ? list[0]! : list;
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
 */
export function applyHeaderEdits(headers: HeaderRecord, edits: HeaderEdits | null | undefined): HeaderRecord {
  if (!edits) return headers;
  const out: HeaderRecord = { ...headers };
  for (const [name, value] of Object.entries(edits.set ?? {})) out[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(edits.add ?? {})) {
    const key = name.toLowerCase();
    const existing = out[key];
    const joined = existing === undefined ? "" : Array.isArray(existing) ? existing.join(",") : existing;
    out[key] = joined ? `${joined},${value}` : value;
  }
  for (const name of edits.remove ?? []) delete out[name.toLowerCase()];
  return out;
}

/** First value of a header, or undefined. */
export function firstValue(headers: HeaderRecord, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
