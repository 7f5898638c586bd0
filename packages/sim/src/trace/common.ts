// Helpers shared by the trace formats: values logs write as "-", timestamps, request lines, escapes.
import type { GatewayRequest } from "@gwsim/core";
import type { ReadTraceOptions, TraceRecord } from "./types.js";

/** A logged value, or undefined for the absent markers logs use ("-", empty, null). */
export function present(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  const s = typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
  return s === undefined || s === "" || s === "-" ? undefined : s;
}

export function statusCode(v: unknown): number | undefined {
  const s = present(v);
  if (s === undefined || !/^\d{1,3}$/.test(s)) return undefined;
  const n = Number(s);
  // 0 is Envoy's and HAR's "no response was sent": nothing was observed.
  return n > 0 ? n : undefined;
}

const ISO_RE = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;

const DAY_MS = 86_400_000;
const YEAR_10000_MS = 253_402_300_800_000;
let cachedDay = NaN;
let cachedDayPrefix = "";

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * Epoch milliseconds as `toISOString()` writes them. Trace times are mostly in order, so the date part
 * is kept for the last day seen and only the clock is formatted: Date's formatting costs more than
 * parsing the JSON line itself.
 */
function fromEpochMs(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  if (ms < 0 || ms >= YEAR_10000_MS) {
    const d = new Date(ms);
    return Number.isFinite(d.getTime()) ? d.toISOString() : undefined;
  }
  const t = Math.floor(ms);
  const day = Math.floor(t / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const inDay = t - day * DAY_MS;
  const millis = inDay % 1000;
  const secs = Math.floor(inDay / 1000);
  return `${cachedDayPrefix}${pad2(Math.floor(secs / 3600))}:${pad2(Math.floor(secs / 60) % 60)}:${pad2(secs % 60)}.${
    millis < 10 ? `00${millis}` : millis < 100 ? `0${millis}` : millis}Z`;
}

/**
 * An RFC 3339 / ISO 8601 timestamp or epoch milliseconds as a UTC ISO string.
 * A timestamp without a zone is taken as UTC, so a trace reads the same on every machine.
 */
export function isoTime(v: string | number): string | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? fromEpochMs(v) : undefined;
  const s = v.trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return fromEpochMs(Number(s));
  if (DATE_ONLY_RE.test(s)) return fromEpochMs(Date.parse(`${s}T00:00:00Z`));
  const m = ISO_RE.exec(s);
  if (!m) return undefined;
  const [, date, clock, frac, zone] = m;
  const hms = clock!.length === 5 ? `${clock}:00` : clock!;
  const ms = frac ? `.${frac.slice(0, 3).padEnd(3, "0")}` : "";
  let z = zone ?? "Z";
  if (z === "z") z = "Z";
  else if (z.length === 3) z = `${z}:00`;
  else if (z.length === 5) z = `${z.slice(0, 3)}:${z.slice(3)}`;
  return fromEpochMs(Date.parse(`${date}T${hms}${ms}${z}`));
}

const MONTHS: Record<string, string> = {
  Jan: "01", Feb: "02", Mar: "03", Apr: "04", May: "05", Jun: "06",
  Jul: "07", Aug: "08", Sep: "09", Oct: "10", Nov: "11", Dec: "12",
};
const CLF_RE = /^(\d{1,2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(\.\d+)?(?: ([+-]\d{4}))?$/;

/** Common Log Format time (`17/May/2015:10:05:03 +0000`; HAProxy's has milliseconds and no zone, taken as UTC). */
export function clfTime(s: string): string | undefined {
  const m = CLF_RE.exec(s);
  if (!m) return undefined;
  const [, day, mon, year, hh, mm, ss, frac, zone] = m;
  const month = MONTHS[mon!];
  if (!month) return undefined;
  return isoTime(`${year}-${month}-${day!.padStart(2, "0")}T${hh}:${mm}:${ss}${frac ?? ""}${zone ?? "Z"}`);
}

/** Maps a logged HTTP version to the CONTRACT's protocol; HTTP/1.0 and HTTP/3 have no CONTRACT value. */
export function httpProtocol(version: string | undefined, scheme?: string): GatewayRequest["protocol"] {
  if (!version) return undefined;
  const v = version.toLowerCase();
  if (v === "http/1.1") return "HTTP/1.1";
  if (v === "http/2" || v === "http/2.0" || v === "h2") return scheme === "http" ? "h2c" : "HTTP/2";
  if (v === "h2c") return "h2c";
  return undefined;
}

const METHOD_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE_RE = /^(\S+) (\S(?:.*?\S)??)(?: (HTTP\/\d(?:\.\d)?))?$/;

export interface RequestLine {
  method: string;
  target: string;
  version?: string;
}

/** `GET /a?b HTTP/1.1`, as access logs record the request line. */
export function requestLine(s: string): RequestLine | string {
  const m = REQUEST_LINE_RE.exec(s);
  if (!m || !METHOD_RE.test(m[1]!)) return `request line is not "METHOD TARGET VERSION": ${JSON.stringify(s.slice(0, 80))}`;
  const line: RequestLine = { method: m[1]!, target: m[2]! };
  if (m[3]) line.version = m[3];
  return line;
}

const ABSOLUTE_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^#]*)/;
const SCHEMES: Record<string, { scheme: "http" | "https"; websocket?: true }> = {
  http: { scheme: "http" },
  https: { scheme: "https" },
  ws: { scheme: "http", websocket: true },
  wss: { scheme: "https", websocket: true },
};

/**
 * Sets path (and, for an absolute URL, scheme and host) from a request target as sent.
 * The path is kept raw: no URL normalisation, which would change what route matching sees.
 */
export function applyTarget(rec: TraceRecord, target: string, method?: string): string | null {
  if (target.startsWith("/") || target === "*") {
    rec.path = target;
    return null;
  }
  const m = ABSOLUTE_RE.exec(target);
  if (m) {
    const scheme = SCHEMES[m[1]!.toLowerCase()];
    if (!scheme) return `unsupported URL scheme ${JSON.stringify(m[1])}`;
    rec.scheme = scheme.scheme;
    if (scheme.websocket) rec.protocol = "websocket";
    const authority = m[2]!.replace(/^[^@]*@/, "");
    if (authority) rec.host = authority;
    rec.path = m[3] || "/";
    return null;
  }
  if (method === "CONNECT" && target !== "-" && /^[^\s/]+$/.test(target)) {
    rec.host = target;
    return null;
  }
  return `request target is neither a path nor a URL: ${JSON.stringify(target.slice(0, 80))}`;
}

/** A client address as a user key: the IP without its port ("1.2.3.4:5" → "1.2.3.4", "[::1]:5" → "::1"). */
export function clientKey(addr: string | undefined): string | undefined {
  const a = present(addr?.trim());
  if (a === undefined) return undefined;
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracket) return bracket[1];
  const v4 = /^([^:]+):(\d+|-)?$/.exec(a);
  if (v4) return present(v4[1]);
  return a;
}

/** The client in an X-Forwarded-For list is the left-most entry. */
export function forwardedClient(xff: string | undefined): string | undefined {
  if (xff === undefined) return undefined;
  return clientKey(xff.split(",")[0]);
}

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", v: "\v" };

/**
 * Undoes access-log escaping: nginx writes `\xHH` per byte (so UTF-8 must be reassembled),
 * nginx `escape=json` and Apache write `\"`, `\\` and JSON-style escapes.
 */
export function unescapeLog(s: string): string {
  if (!s.includes("\\")) return s;
  let out = "";
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length) out += Buffer.from(bytes).toString("utf8");
    bytes = [];
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      const n = s[i + 1]!;
      if ((n === "x" || n === "X") && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
        bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
        i += 3;
        continue;
      }
      flush();
      if (n === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
        i += 5;
        continue;
      }
      const simple = SIMPLE_ESCAPES[n];
      if (simple !== undefined) {
        out += simple;
        i += 1;
        continue;
      }
      out += c;
      continue;
    }
    flush();
    out += c;
  }
  flush();
  return out;
}

export type Headers = Record<string, string | string[]>;

/** Adds a header under its lower-case name; repeated names become a list, in order. */
export function addHeader(headers: Headers, name: string, value: string): void {
  const key = name.toLowerCase();
  // Own properties only: `constructor` is a header name too; `__proto__` becomes an own property.
  const had = Object.hasOwn(headers, key) ? headers[key] : undefined;
  const next = had === undefined ? value : Array.isArray(had) ? (had.push(value), had) : [had, value];
  if (key === "__proto__") Object.defineProperty(headers, key, { value: next, enumerable: true, writable: true, configurable: true });
  else headers[key] = next;
}

/**
 * Access logs (Envoy's and Istio's defaults, combined) do not record the content-type that makes a
 * POST a gRPC call. gRPC requires HTTP/2, and its clients name themselves `grpc-<language>/<version>`
 * in the User-Agent (PROTOCOL-HTTP2.md), so an HTTP/2 POST from such a client to /Service/Method is
 * read as the call it was: content-type application/grpc is added.
 */
export function inferGrpc(rec: TraceRecord, headers: Headers): void {
  if (rec.method !== "POST" || (rec.protocol !== "HTTP/2" && rec.protocol !== "h2c")) return;
  if (headers["content-type"] !== undefined) return;
  const agent = headers["user-agent"];
  if (typeof agent !== "string" || !agent.toLowerCase().startsWith("grpc-")) return;
  if (/^\/[^/?#]+\/[^/?#]+$/.test(rec.path ?? "")) headers["content-type"] = "application/grpc";
}

const SCHEME_VALUES = new Set(["http", "https", "tls", "tcp", "udp"]);

/** Fills what a record lacks from the reader's defaults (`--host`, `--gateway`, `--port`, `--scheme`). */
export function applyDefaults(rec: TraceRecord, options: ReadTraceOptions): TraceRecord {
  if (options.gateway !== undefined && rec.gateway === undefined && rec.service === undefined && rec.address === undefined)
    rec.gateway = options.gateway;
  if (options.host !== undefined && rec.host === undefined) rec.host = options.host;
  if (options.port !== undefined && rec.port === undefined) rec.port = options.port;
  if (options.scheme !== undefined && rec.scheme === undefined && SCHEME_VALUES.has(options.scheme))
    rec.scheme = options.scheme as NonNullable<GatewayRequest["scheme"]>;
  return rec;
}

// `kubectl logs --prefix` puts "[pod/NAME/CONTAINER] " before each line, `--timestamps` an RFC 3339
// time and a space (after the prefix when both are asked for); the node's CRI log files
// (/var/log/pods/.../0.log) "TIME STREAM F|P ".
const KUBECTL_PREFIX_RE = /^(?:\[pod\/[^\]\s]+\] )?(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}) (?:(?:stdout|stderr) [FP] )?)?/;

/** A log line without what `kubectl logs --prefix/--timestamps` put before it (the line itself when neither is there). */
export function withoutKubectlPrefix(line: string): string {
  const c = line.charCodeAt(0);
  if (c !== 91 /* [ */ && (c < 48 || c > 57)) return line;
  const m = KUBECTL_PREFIX_RE.exec(line);
  return m && m[0].length ? line.slice(m[0].length) : line;
}

/** Whether a value is a plain object (JSON `{}`), not an array or null. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
