// HAProxy `option httplog` lines, with or without a syslog prefix:
//   CLIENT:PORT [ACCEPT_DATE] FRONTEND BACKEND/SERVER TR/Tw/Tc/Tr/Ta STATUS BYTES CC CS TSC
//   ACT/FE/BE/SRV/RETRIES SRVQ/BQ [{CAPTURED REQ HEADERS}] [{CAPTURED RES HEADERS}] "REQUEST"
// (`option httpslog` adds TLS error codes and SNI/VERSION/CIPHER after the request),
// and the common custom variant that logs the Host between BACKEND/SERVER and the timers.
import { applyTarget, clfTime, clientKey, httpProtocol, present, requestLine, statusCode } from "./common.js";
import type { LineParser, LineResult, TraceObserved, TraceRecord } from "./types.js";

const HTTPLOG_RE = new RegExp(
  "(?:^|\\s)(\\S+):(\\d+|-) \\[(\\d{1,2}/[A-Za-z]{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)\\] " +
    "(\\S+) ([^\\s/]+)/(\\S+) (?:(\\S+) )?" +
    "(-?\\d+)/(-?\\d+)/(-?\\d+)/(-?\\d+)/\\+?(-?\\d+) (-?\\d+) \\+?(\\d+) (\\S+) (\\S+) (\\S{4}) " +
    "(\\d+)/(\\d+)/(\\d+)/(\\d+)/\\+?(\\d+) (\\d+)/(\\d+)" +
    '(?: \\{([^}]*)\\})?(?: \\{([^}]*)\\})? "(.*)"' +
    // `option httpslog` (HAProxy's default_https_log_format) goes on after the request:
    //   %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc
    "(?: [^\\s/]+/[^\\s/]+/[^\\s/]+/[^\\s/]+/[^\\s/]+ ([^\\s/]*)/[^\\s/]*/[^\\s/]*)?$",
);

/** The reason for a line in HAProxy's layout that logs no request (<BADREQ>). */
export const HAPROXY_BADREQ = "HAProxy logged <BADREQ>: no valid request";

const HOSTNAME_RE = /^(?=.*[A-Za-z])[A-Za-z0-9.-]+(?::\d+)?$/;

/**
 * Undoes HAProxy's log encoding: each byte of the request line below 32 or from 127 on, and `"`
 * and `#`, is written `#` and two hex digits (url_encode_map); in captured headers `{`, `|` and `}`
 * too (hdr_encode_map; proto_http.c init_proto_http). Since `#` itself is always encoded, every
 * `#XX` is an escape. Bytes are reassembled as UTF-8 (invalid sequences become U+FFFD).
 */
export function unescapeHaproxy(s: string): string {
  if (!s.includes("#")) return s;
  let out = "";
  let bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 35 /* # */ && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    if (bytes.length) {
      out += Buffer.from(bytes).toString("utf8");
      bytes = [];
    }
    out += s[i];
  }
  if (bytes.length) out += Buffer.from(bytes).toString("utf8");
  return out;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

export function parseHaproxy(line: string): LineResult {
  const m = HTTPLOG_RE.exec(line);
  if (!m) return "not an HAProxy httplog line";
  const [, client, , acceptDate, frontend, backend, server, hostField] = m;
  const status = m[13];
  const capturedRequest = m[25];
  const request = m[27]!;
  const sni = present(m[28]);
  // Split before decoding: HAProxy leaves spaces as they are, and a decoded byte must not split fields.
  const rl = requestLine(request);
  if (typeof rl === "string") return request === "<BADREQ>" ? HAPROXY_BADREQ : rl;
  const rec: TraceRecord = { method: rl.method };
  const problem = applyTarget(rec, unescapeHaproxy(rl.target), rl.method);
  if (problem) return problem;
  // "~" after the frontend name is HAProxy's mark for a connection that came in over TLS.
  if (rec.scheme === undefined) rec.scheme = frontend!.endsWith("~") ? "https" : "http";
  if (sni !== undefined) rec.sni = sni;
  const protocol = httpProtocol(rl.version, rec.scheme);
  if (protocol) rec.protocol = protocol;
  // Host: the variant's own field, else the first captured request header when it looks like a host name
  // (`capture request header Host` is conventionally the first capture). Chosen because nothing else names it.
  // Captures are split at "|" first: a "|" inside a value is encoded (#7C).
  const capturedHost = capturedRequest === undefined ? undefined : unescapeHaproxy(capturedRequest.split("|")[0]!);
  const host = hostField ?? (capturedHost && HOSTNAME_RE.test(capturedHost) ? capturedHost : undefined);
  if (host && rec.host === undefined) rec.host = host;
  const user = clientKey(client);
  if (user) rec.user = user;
  const time = clfTime(acceptDate!);
  if (!time) return `accept date is not a date: ${JSON.stringify(acceptDate)}`;
  rec.time = time;
  const observed: TraceObserved = { backend: `${backend}/${server}` };
  const code = statusCode(status);
  if (code !== undefined) observed.status = code;
  rec.observed = observed;
  return rec;
}

export function haproxyParser(): LineParser {
  return { parse: parseHaproxy };
}
