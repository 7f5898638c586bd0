// Envoy access logs: Envoy's default text line, Istio's default text line, and JSON lines
// (Envoy Gateway's default, Istio's JSON encoding, and others using the same key names).
//
// Envoy default: [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
//   %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
//   "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"
// Istio adds %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%"
//   before the byte counts, and %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS%
//   %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME% after the upstream host.
// Both end in the same five quoted fields, so the parser anchors on that run rather than on counts.
import {
  addHeader, applyTarget, clientKey, forwardedClient, httpProtocol, isObject, isoTime, present, requestLine, statusCode,
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

function toRecord(f: EnvoyFields): LineResult {
  if (!f.method) return "no request method: not an HTTP access log line";
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
  if (Object.keys(headers).length) rec.headers = headers;
  if (f.requestId) rec.id = f.requestId;
  const user = forwardedClient(f.forwardedFor) ?? clientKey(f.downstreamRemote);
  if (user) rec.user = user;
  if (f.time !== undefined) {
    const time = isoTime(f.time);
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

const TEXT_RE = /^\[([^\]]+)\] "([^"]*)" (.*)$/;

export function parseEnvoyText(line: string): LineResult {
  const m = TEXT_RE.exec(line);
  if (!m) return `not an Envoy text access log line ([START_TIME] "REQUEST" ...)`;
  const tokens = tokenize(m[3]!);
  if (typeof tokens === "string") return tokens;
  let run = -1;
  for (let i = 1; i + 4 < tokens.length; i++) {
    if (tokens[i]!.quoted && tokens[i + 1]!.quoted && tokens[i + 2]!.quoted && tokens[i + 3]!.quoted && tokens[i + 4]!.quoted) {
      run = i;
      break;
    }
  }
  if (run === -1 || tokens[0]!.quoted) return "fields do not follow Envoy's or Istio's default text layout";
  const v = (i: number) => present(tokens[i]?.value);
  if (m[2] === "- - -") return "not an HTTP request (TCP connection log)";
  const rl = requestLine(m[2]!);
  if (typeof rl === "string") return rl;
  const fields: EnvoyFields = {
    time: m[1]!,
    method: rl.method,
    path: rl.target,
    status: v(0),
    forwardedFor: v(run),
    userAgent: v(run + 1),
    requestId: v(run + 2),
    authority: v(run + 3),
    upstreamHost: v(run + 4),
  };
  if (rl.version) fields.protocol = rl.version;
  // Istio's trailing fields: cluster, upstream local, downstream local, downstream remote, SNI, route.
  if (tokens.length > run + 5) {
    fields.upstreamCluster = v(run + 5);
    fields.downstreamRemote = v(run + 8);
    fields.serverName = v(run + 9);
  }
  return toRecord(fields);
}

function pick(o: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = present(o[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Key names of Envoy JSON access logs (Envoy Gateway's default, Istio's JSON, Contour's). */
export const ENVOY_JSON_KEYS = [
  "start_time", "upstream_host", "upstream_cluster", "response_code", "response_flags", ":authority", "x-envoy-origin-path",
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
