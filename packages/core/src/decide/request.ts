/**
 * Reading a request defensively: `decide` accepts whatever a trace line holds, so every field
 * is checked here and a wrong type becomes a problem to report, never an exception.
 */
import type { GatewayRequest } from "../model/request.js";
import { isPlainHost, splitHostPort, type Headers } from "./normalize.js";
import { readHeaders, readPlainHeaders } from "./fast-path.js";

export interface RequestView {
  /** Tells a view from a RequestProblem. */
  ok: true;
  id: unknown;
  gateway: string | null;
  service: string | null;
  address: string | null;
  scheme: string;
  /** The port asked for, or the scheme's default. */
  port: number;
  /** Host without port, lower-case; "" when the request named none. */
  host: string;
  /** Port carried in the Host header, if any. */
  hostPort: number | null;
  hostGiven: boolean;
  /** TLS server name; defaults to the Host's name. */
  sni: string;
  sniGiven: boolean;
  method: string;
  /** Path plus query, as sent. */
  target: string;
  /** Request headers with lower-case names, as sent (no synthesized `host`). */
  headers: Headers;
  protocol: string;
  /** PEM the client presents (mTLS), or null. */
  clientCertificate: string | null;
  /**
   * A gRPC call: from `grpc`, or a POST whose content-type is application/grpc[+...] and whose
   * path is /package.Service/Method. null for every other request.
   */
  grpc: { service: string; method: string } | null;
  /** Mesh: the caller's namespace, or null when the request does not say. */
  from: string | null;
  /** The request's `time` in epoch ms, or null (decide has no clock of its own). */
  timeMs: number | null;
}

export interface RequestProblem {
  ok: false;
  reason: string;
  message: string;
  id: unknown;
}

export type RequestRead = { ok: true; request: RequestView } | RequestProblem;

/**
 * The scheme as one of the constants (a lookup keyed by it then needs no string-table search),
 * or null when it is not one of them.
 */
function schemeOf(s: string): string | null {
  switch (s) {
    case "http":
      return "http";
    case "https":
      return "https";
    case "tls":
      return "tls";
    case "tcp":
      return "tcp";
    case "udp":
      return "udp";
    default:
      return null;
  }
}

/** The scheme's port when the request names none; 0 when it must name one. */
function defaultPort(scheme: string): number {
  return scheme === "http" ? 80 : scheme === "https" || scheme === "tls" ? 443 : 0;
}
const STRING_FIELDS = ["gateway", "service", "address", "from", "host", "sni", "method", "path", "protocol", "clientCertificate"] as const;
const STRING_FIELD_SET: ReadonlySet<string> = new Set(STRING_FIELDS);

function bad(id: unknown, message: string): RequestProblem {
  return { ok: false, reason: "BadRequest", message, id };
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function notString(v: unknown): boolean {
  return v !== undefined && typeof v !== "string";
}

/** Upper-case method; the usual ones, already upper-case, without a copy. */
function upperMethod(m: string): string {
  return m === "GET" || m === "POST" || m === "PUT" || m === "DELETE" || m === "HEAD" || m === "PATCH" || m === "OPTIONS" ? m : m.toUpperCase();
}

/**
 * The headers of a request that sends none (never written to: decide only reads headers).
 * Matching tells it by identity: such a request has no header to look up.
 */
export const NO_HEADERS: Headers = Object.freeze({}) as Headers;

/** Hosts seen to pass isPlainHost: a trace repeats few, and a set lookup costs less than the regex. Bounded. */
const plainHosts = new Set<string>();
const PLAIN_HOSTS_MAX = 4096;

function plainHost(h: string): boolean {
  if (plainHosts.has(h)) return true;
  if (!isPlainHost(h)) return false;
  if (plainHosts.size >= PLAIN_HOSTS_MAX) plainHosts.clear();
  plainHosts.add(h);
  return true;
}

export function readRequest(raw: unknown): RequestRead {
  const read = readRequestView(raw);
  return read.ok ? { ok: true, request: read } : read;
}

/** readRequest without the wrapper object: the view itself, or the problem. */
export function readRequestView(raw: unknown): RequestView | RequestProblem {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, reason: "BadRequest", message: "request must be an object", id: undefined };
  }
  const r = raw as Record<string, unknown> & GatewayRequest;
  // Each field read once: trace records come in many shapes, so every read is a slow lookup.
  const id = r.id;
  const rawScheme = r.scheme as unknown;
  const rawPort = r.port as unknown;
  const gateway = r.gateway as unknown;
  const service = r.service as unknown;
  const address = r.address as unknown;
  const from = r.from as unknown;
  const hostField = r.host as unknown;
  const sniField = r.sni as unknown;
  const method = r.method as unknown;
  const path = r.path as unknown;
  const protocol = r.protocol as unknown;
  const clientCertificate = r.clientCertificate as unknown;
  const rawHeaders = r.headers as unknown;
  const rawGrpc = r.grpc as unknown;
  const time = r.time as unknown;

  const scheme = rawScheme === undefined ? "http" : typeof rawScheme === "string" ? (schemeOf(rawScheme) ?? schemeOf(rawScheme.toLowerCase())) : null;
  if (scheme === null) return bad(id, `scheme must be one of http, https, tls, tcp, udp`);

  let port = defaultPort(scheme);
  if (rawPort !== undefined) {
    if (typeof rawPort !== "number" || !Number.isInteger(rawPort) || rawPort < 1 || rawPort > 65535) {
      return bad(id, "port must be an integer from 1 to 65535");
    }
    port = rawPort;
  } else if (port === 0) {
    return bad(id, `port is required for scheme ${scheme}`);
  }

  // The common case, every string field a string or absent, read directly; otherwise one pass
  // over the fields present, and the ordered check below names the first bad one.
  if (notString(gateway) || notString(service) || notString(address) || notString(from) || notString(hostField) || notString(sniField) || notString(method) || notString(path) || notString(protocol) || notString(clientCertificate)) {
    let badField = false;
    for (const key in r) {
      if (STRING_FIELD_SET.has(key) && r[key] !== undefined && typeof r[key] !== "string") badField = true;
    }
    if (badField) {
      for (const field of STRING_FIELDS) {
        if (r[field] !== undefined && typeof r[field] !== "string") return bad(id, `${field} must be a string`);
      }
    }
  }

  let headers: Headers = NO_HEADERS;
  if (rawHeaders !== undefined) {
    if (rawHeaders === null || typeof rawHeaders !== "object" || Array.isArray(rawHeaders)) {
      return bad(id, "headers must be an object of strings or string arrays");
    }
    // readHeaders takes plain string values in one pass; anything else is checked here first.
    let read: { headers: Headers } | { problem: string } | null = readPlainHeaders(rawHeaders as Record<string, unknown>);
    if (read === null) {
      for (const v of Object.values(rawHeaders as Record<string, unknown>)) {
        const okValue = typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
        if (!okValue) return bad(id, "headers must be an object of strings or string arrays");
      }
      read = readHeaders(rawHeaders as Record<string, string | string[]>);
    }
    if ("problem" in read) return bad(id, read.problem);
    headers = read.headers;
  }

  // The `host` field is the Host/:authority; a `host` header stands in when the field is absent.
  const headerHost = headers.host;
  const rawHost = typeof hostField === "string" ? hostField : Array.isArray(headerHost) ? headerHost[0] : headerHost;
  const hostGiven = rawHost !== undefined;
  let host = "";
  let hostPort: number | null = null;
  if (hostGiven) {
    // splitHostPort's first case without its result object: a plain host is its own name.
    if (plainHost(rawHost)) host = rawHost;
    else {
      const split = splitHostPort(rawHost);
      if (!split.ok) return bad(id, split.reason ?? "invalid host");
      host = split.host;
      hostPort = split.port;
    }
  }
  const sniGiven = typeof sniField === "string";
  const sni = sniGiven ? sniField.trim().toLowerCase() : host;

  let grpc: RequestView["grpc"] = null;
  if (rawGrpc !== undefined) {
    const g = rawGrpc;
    if (g === null || typeof g !== "object" || typeof (g as { service?: unknown }).service !== "string" || typeof (g as { method?: unknown }).method !== "string") {
      return bad(id, "grpc must be {service, method} strings");
    }
    grpc = { service: (g as { service: string }).service, method: (g as { method: string }).method };
    // A gRPC call is a POST of content-type application/grpc to /service/method (PROTOCOL-HTTP2).
    if (headers["content-type"] === undefined) headers = { ...headers, "content-type": "application/grpc" };
  } else {
    grpc = grpcCallOf(str(method), str(path), headers);
  }

  let timeMs: number | null = null;
  if (time !== undefined) {
    timeMs = typeof time === "number" ? time : typeof time === "string" ? parseTime(time) : Number.NaN;
    if (!Number.isFinite(timeMs)) return bad(id, "time must be RFC 3339 or epoch milliseconds");
  }

  return {
    ok: true,
    id,
    gateway: str(gateway),
    service: str(service),
    address: str(address),
    scheme,
    port,
    host,
    hostPort,
    hostGiven,
    sni,
    sniGiven,
    // Methods are compared upper-cased (gwsim choice: trace files often say "get").
    method: grpc && rawGrpc !== undefined ? "POST" : upperMethod(str(method) ?? "GET"),
    // The `grpc` field names the call; it is sent as POST /service/method whatever `path` says.
    target: grpc && rawGrpc !== undefined ? `/${grpc.service}/${grpc.method}` : (str(path) ?? "/"),
    headers,
    protocol: str(protocol) ?? (grpc ? "HTTP/2" : "HTTP/1.1"),
    clientCertificate: str(clientCertificate),
    timeMs,
    grpc,
    from: str(from),
  };
}

// The minute of the last time parsed (its digits as one number), and its Date.parse.
let minuteKey = -1;
let minuteMs = Number.NaN;

/**
 * Date.parse, with the common `YYYY-MM-DDTHH:MM:SS[.f|.ff|.fff]Z` (hour not 24) computed from the
 * parse of its minute plus the seconds: trace times come in order, so most share the previous
 * one's minute. Equal to Date.parse for every string (request.test.ts).
 */
export function parseTime(t: string): number {
  const n = t.length;
  if (n < 20 || n > 24 || t.charCodeAt(n - 1) !== 90 /* Z */) return Date.parse(t);
  // `DDDD-DD-DDTDD:DD:` (D a digit); the digits, read as one number, name the minute.
  if (t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return Date.parse(t);
  const y1 = digit(t, 0);
  const y2 = digit(t, 1);
  const y3 = digit(t, 2);
  const y4 = digit(t, 3);
  const mo1 = digit(t, 5);
  const mo2 = digit(t, 6);
  const d1 = digit(t, 8);
  const d2 = digit(t, 9);
  const h1 = digit(t, 11);
  const h2 = digit(t, 12);
  const mi1 = digit(t, 14);
  const mi2 = digit(t, 15);
  if ((y1 | y2 | y3 | y4 | mo1 | mo2 | d1 | d2 | h1 | h2 | mi1 | mi2) < 0) return Date.parse(t);
  if (h1 === 2 && h2 === 4) return Date.parse(t); // 24:00 is only valid at :00
  const s1 = digit(t, 17);
  const s2 = digit(t, 18);
  if (s1 < 0 || s1 > 5 || s2 < 0) return Date.parse(t);
  let ms = (s1 * 10 + s2) * 1000;
  if (n > 20) {
    if (n === 21 || t.charCodeAt(19) !== 46 /* . */) return Date.parse(t);
    let scale = 100;
    for (let i = 20; i < n - 1; i++) {
      const f = digit(t, i);
      if (f < 0) return Date.parse(t);
      ms += f * scale;
      scale /= 10;
    }
  }
  const key = ((((((((((y1 * 10 + y2) * 10 + y3) * 10 + y4) * 10 + mo1) * 10 + mo2) * 10 + d1) * 10 + d2) * 10 + h1) * 10 + h2) * 10 + mi1) * 10 + mi2;
  if (key !== minuteKey) {
    minuteKey = key;
    minuteMs = Date.parse(`${t.slice(0, 16)}:00Z`);
  }
  return minuteMs + ms;
}

/** The digit at `i`, or -1. */
function digit(t: string, i: number): number {
  const c = t.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/**
 * A request that is a gRPC call without saying so in `grpc`: POST, content-type
 * application/grpc (or application/grpc+proto, ...), path /Service/Method with no query.
 * A gRPC POST whose path has another shape is still a call, of service "" and method "" (it
 * matches only GRPCRoute matches without a method match).
 */
function grpcCallOf(method: string | null, path: string | null, headers: Headers): RequestView["grpc"] {
  const ct = headers["content-type"];
  if (ct === undefined || method === null || method.toUpperCase() !== "POST") return null;
  const type = (Array.isArray(ct) ? ct[0] : ct)?.trim().toLowerCase();
  if (type === undefined || !(type === "application/grpc" || type.startsWith("application/grpc+") || type.startsWith("application/grpc;"))) return null;
  const m = /^\/([^/?#]+)\/([^/?#]+)$/.exec(path ?? "/");
  return m ? { service: m[1]!, method: m[2]! } : { service: "", method: "" };
}

/** "namespace/name"; a bare name means the `default` namespace. */
export function namespacedKey(ref: string): string {
  return ref.includes("/") ? ref : `default/${ref}`;
}
