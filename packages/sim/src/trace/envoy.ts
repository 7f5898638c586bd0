// Envoy access logs: Envoy's default text line, Istio's default text line, and JSON lines
// (Envoy Gateway's default, Istio's JSON encoding, and others using the same key names).
//
// Envoy default: [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
//   %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
//   "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"
// Istio adds %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%"
//   before the byte counts, and %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS%
//   %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME% after the upstream host.
// Both end in the same five quoted fields, so the parser anchors on that run (read from both ends, see
// splitText) rather than on counts.
import {
  addHeader, applyTarget, clientKey, forwardedClient, httpProtocol, inferGrpc, isObject, isoTime, present, requestLine, statusCode,
  type Headers,
} from "./common.js";
import type { LineParser, LineResult, TraceObserved, TraceRecord } from "./types.js";

interface Token {
  quoted: boolean;
  value: string;
}

/** Splits space-separated fields; a quoted field ends at a quote followed by a space or the end (Envoy does not escape quotes). */
function tokenize(s: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === " ") {
      i++;
      continue;
    }
    if (s[i] === '"') {
      let j = s.indexOf('"', i + 1);
      while (j !== -1 && j + 1 < s.length && s[j + 1] !== " ") j = s.indexOf('"', j + 1);
      if (j === -1) return "unterminated quoted field";
      tokens.push({ quoted: true, value: s.slice(i + 1, j) });
      i = j + 1;
    } else {
      let j = s.indexOf(" ", i);
      if (j === -1) j = s.length;
      tokens.push({ quoted: false, value: s.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

const ISTIO_OUTBOUND_RE = /^outbound\|(\d+)\|[^|]*\|([^|]+)$/;
const SVC_HOST_RE = /^([^.]+)\.([^.]+)\.svc(?:\.|$)/;
const CONTOUR_CLUSTER_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/(\d+)\/[0-9a-f]+$/;

/**
 * The backend a cluster name stands for, when it names one: Istio's `outbound|PORT|SUBSET|NAME.NS.svc...`
 * and Contour's `NS/NAME/PORT/HASH` give `NS/NAME:PORT`. Envoy Gateway names clusters per route rule
 * (`httproute/NS/NAME/rule/N`), which names no single backend, so none is given.
 */
export function clusterBackend(cluster: string | undefined): string | undefined {
  if (!cluster) return undefined;
  const istio = ISTIO_OUTBOUND_RE.exec(cluster);
  if (istio) {
    const svc = SVC_HOST_RE.exec(istio[2]!);
    return svc ? `${svc[2]}/${svc[1]}:${istio[1]}` : `${istio[2]}:${istio[1]}`;
  }
  const contour = CONTOUR_CLUSTER_RE.exec(cluster);
  if (contour) return `${contour[1]}/${contour[3]}:${contour[5]}`;
  return undefined;
}

interface EnvoyFields {
  time?: string;
  method?: string;
  path?: string;
  protocol?: string;
  status?: string;
  authority?: string;
  forwardedFor?: string;
  userAgent?: string;
  requestId?: string;
  upstreamHost?: string;
  upstreamCluster?: string;
  downstreamRemote?: string;
  serverName?: string;
}

/**
 * %START_TIME% as logged: RFC 3339 by default; a number is seconds since the epoch, as the `%s`,
 * `%s.%3f` ... specifiers write it (Envoy access log docs, START_TIME). A 12-digit or longer
 * integer cannot be seconds (year 5138 and on) and is read as milliseconds.
 */
function startTime(s: string): string | undefined {
  if (/^\d+(?:\.\d+)?$/.test(s)) {
    const n = Number(s);
    return isoTime(n < 1e11 ? Math.round(n * 1000) : n);
  }
  // The docs' own custom example writes the date %Y/%m/%d.
  return isoTime(s.replace(/^(\d{4})\/(\d{2})\/(\d{2})/, "$1-$2-$3"));
}

function toRecord(f: EnvoyFields): LineResult {
  if (!f.method) return "not an HTTP request: no request method (a TCP connection log?)";
  // Every HTTP request but CONNECT has a path (:path); without one the line says nothing to route on.
  if (f.path === undefined && f.method !== "CONNECT") return `not an HTTP request: ${f.method} without a request path`;
  const rec: TraceRecord = { method: f.method };
  if (f.path !== undefined) {
    const problem = applyTarget(rec, f.path, f.method);
    if (problem) return problem;
  }
  if (f.authority) rec.host = f.authority;
  // Istio's own mesh mTLS SNI (outbound_.PORT_.SUBSET_.HOST) is not what a client sent.
  if (f.serverName && !f.serverName.startsWith("outbound_")) {
    rec.sni = f.serverName;
    rec.scheme = "https";
  }
  const protocol = httpProtocol(f.protocol, rec.scheme);
  if (protocol) rec.protocol = protocol;
  const headers: Headers = {};
  if (f.userAgent) addHeader(headers, "user-agent", f.userAgent);
  if (f.forwardedFor) addHeader(headers, "x-forwarded-for", f.forwardedFor);
  if (f.requestId) addHeader(headers, "x-request-id", f.requestId);
  inferGrpc(rec, headers);
  if (Object.keys(headers).length) rec.headers = headers;
  if (f.requestId) rec.id = f.requestId;
  const user = forwardedClient(f.forwardedFor) ?? clientKey(f.downstreamRemote);
  if (user) rec.user = user;
  if (f.time !== undefined) {
    const time = startTime(f.time);
    if (!time) return `start time is not a timestamp: ${JSON.stringify(f.time)}`;
    rec.time = time;
  }
  const observed: TraceObserved = {};
  const status = statusCode(f.status);
  if (status !== undefined) observed.status = status;
  if (f.upstreamHost) observed.upstreamHost = f.upstreamHost;
  const backend = clusterBackend(f.upstreamCluster);
  if (backend) observed.backend = backend;
  if (f.upstreamCluster) observed.cluster = f.upstreamCluster;
  if (Object.keys(observed).length) rec.observed = observed;
  return rec;
}

// The request section ends at the quote before the status code: a path may hold a quote of its own.
const TEXT_RE = /^\[([^\]]+)\] "(.*?)" (?=[\d-])(.*)$/;
/** The reason for a TCP proxy line in Envoy's layout: the layout is Envoy's, the line no HTTP request. */
export const ENVOY_TCP_LINE = "not an HTTP request (TCP connection log)";
const NOT_ENVOY_TEXT = 'not an Envoy access log line (Envoy\'s or Istio\'s default text layout: [START_TIME] "REQUEST" STATUS ...)';

interface TextFields {
  /** The unquoted fields from the status code up to X-Forwarded-For (Istio's quoted transport failure reason among them). */
  left: Token[];
  forwardedFor: string;
  userAgent: string;
  requestId: string;
  authority: string;
  upstreamHost: string;
  /** Istio's fields after the upstream host: cluster, upstream local, downstream local, downstream remote, SNI, route. */
  istio: string[];
}

/**
 * Splits what follows the request section. Envoy writes header values raw, quotes included, so the
 * quoted fields are read from both ends: the upstream host, authority and request id from the right,
 * X-Forwarded-For from the left (neither holds a quote), and the User-Agent is whatever lies between.
 */
function splitText(rest: string): TextFields | string {
  let body = rest.trimEnd();
  let istio: string[] = [];
  if (!body.endsWith('"')) {
    const q = body.lastIndexOf('"');
    if (q === -1) return NOT_ENVOY_TEXT;
    istio = body.slice(q + 1).trim().split(/ +/);
    // Istio writes six fields after the upstream host; fewer is a line cut short (or inside a quoted field).
    if (istio.length < 6) return "line is cut off, or a quoted field is never closed";
    body = body.slice(0, q + 1);
  }
  const right: string[] = [];
  let end = body.length - 1; // the closing quote of the field being peeled
  for (let k = 0; k < 3; k++) {
    const sep = body.lastIndexOf('" "', end - 1);
    if (sep === -1) return NOT_ENVOY_TEXT;
    right.unshift(body.slice(sep + 3, end));
    end = sep;
  }
  const head = body.slice(0, end);
  const xffEnd = head.indexOf('" "');
  if (xffEnd === -1) return NOT_ENVOY_TEXT;
  const xffStart = head.lastIndexOf('"', xffEnd - 1);
  if (xffStart === -1) return NOT_ENVOY_TEXT;
  const left = tokenize(head.slice(0, xffStart));
  if (typeof left === "string") return left;
  if (left.length === 0 || left[0]!.quoted) return NOT_ENVOY_TEXT;
  return {
    left, forwardedFor: head.slice(xffStart + 1, xffEnd), userAgent: head.slice(xffEnd + 3),
    requestId: right[0]!, authority: right[1]!, upstreamHost: right[2]!, istio,
  };
}

// The proxy's own logs, which `kubectl logs` interleaves with the access log: Envoy's
// "[DATE TIME][THREAD][LEVEL][LOGGER] ..." and Istio's agent "TIMESTAMP\tLEVEL\t...".
const PROXY_LOG_RE = /^(?:\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+\]\[\d+\]\[\w+\]|\d{4}-\d{2}-\d{2}T[\d:.]+Z\t(?:debug|info|warn|warning|error|fatal)\t)/;

export function parseEnvoyText(line: string): LineResult {
  const m = TEXT_RE.exec(line);
  if (!m) return PROXY_LOG_RE.test(line) ? "the proxy's own log line, not an access log line" : NOT_ENVOY_TEXT;
  const split = splitText(m[3]!);
  if (typeof split === "string") return split;
  if (m[2] === "- - -") return ENVOY_TCP_LINE;
  const rl = requestLine(m[2]!);
  if (typeof rl === "string") return rl;
  const fields: EnvoyFields = { time: m[1]!, method: rl.method, path: rl.target };
  const set = <K extends keyof EnvoyFields>(k: K, v: string | undefined) => {
    const s = present(v);
    if (s !== undefined) fields[k] = s;
  };
  set("status", split.left[0]!.value);
  set("forwardedFor", split.forwardedFor);
  set("userAgent", split.userAgent);
  set("requestId", split.requestId);
  set("authority", split.authority);
  set("upstreamHost", split.upstreamHost);
  if (rl.version) fields.protocol = rl.version;
  set("upstreamCluster", split.istio[0]);
  set("downstreamRemote", split.istio[3]);
  set("serverName", split.istio[4]);
  return toRecord(fields);
}

function pick(o: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = present(o[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * Key names of Envoy JSON access logs (Envoy Gateway's default, Istio's JSON, Contour's, and custom
 * ones named after Envoy's operators). None is a field of gwsim's own request shape.
 */
export const ENVOY_JSON_KEYS = [
  "start_time", "upstream_host", "upstream_cluster", "response_code", "response_flags", ":authority", "x-envoy-origin-path",
  "authority", "downstream_remote_address", "x_forwarded_for", "x-forwarded-for", "bytes_received", "route_name",
];

export function looksLikeEnvoyJson(o: Record<string, unknown>): boolean {
  return ENVOY_JSON_KEYS.some((k) => k in o);
}

export function parseEnvoyJson(line: string): LineResult {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    return `invalid JSON: ${(e as Error).message}`;
  }
  if (!isObject(o)) return "not a JSON object";
  // A JSON object with none of Envoy's keys is no Envoy log (gwsim's own JSON Lines, say): reading its
  // method and path alone would make a request without its host, gateway or headers.
  if (!looksLikeEnvoyJson(o))
    return "not an Envoy access log line: a JSON object with none of Envoy's keys (start_time, response_code, upstream_host, ...); requests in gwsim's JSON Lines shape are --format jsonl";
  const fields: EnvoyFields = {};
  const set = <K extends keyof EnvoyFields>(k: K, v: string | undefined) => {
    if (v !== undefined) fields[k] = v;
  };
  set("time", pick(o, "start_time", "@timestamp", "timestamp"));
  set("method", pick(o, "method", ":method"));
  set("path", pick(o, "x-envoy-origin-path", "path", ":path"));
  set("protocol", pick(o, "protocol"));
  set("status", pick(o, "response_code"));
  set("authority", pick(o, ":authority", "authority"));
  set("forwardedFor", pick(o, "x-forwarded-for", "x_forwarded_for"));
  set("userAgent", pick(o, "user-agent", "user_agent"));
  set("requestId", pick(o, "x-request-id", "request_id"));
  set("upstreamHost", pick(o, "upstream_host"));
  set("upstreamCluster", pick(o, "upstream_cluster"));
  set("downstreamRemote", pick(o, "downstream_remote_address"));
  set("serverName", pick(o, "requested_server_name"));
  return toRecord(fields);
}

export function envoyParser(): LineParser {
  return { parse: (line) => (line.trimStart().startsWith("{") ? parseEnvoyJson(line) : parseEnvoyText(line)) };
}
