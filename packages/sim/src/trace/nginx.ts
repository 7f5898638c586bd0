// nginx / Apache access logs: the `combined` layout (nginx's default, NGINX Gateway Fabric's, Apache's),
// and any nginx `log_format` string compiled into a parser for custom layouts.
import {
  addHeader, applyTarget, clfTime, clientKey, forwardedClient, httpProtocol, inferGrpc, isoTime, present, requestLine, statusCode,
  unescapeLog, type Headers,
} from "./common.js";
import { matchRaw, type RawField, type RawLayout } from "./raw-fields.js";
import type { LineParser, LineResult, TraceObserved, TraceRecord } from "./types.js";

export const NAMED_LOG_FORMATS: Record<string, string> = {
  combined: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
  main: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"',
  common: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent',
};

/** Values of nginx variables captured from one line (unescaped, "-" already dropped). */
type Vars = Record<string, string>;

function upstreamLast(list: string): string | undefined {
  // Retries log "a:1, b:2" and internal redirects "a:1 : b:2"; the last one answered.
  const parts = list.split(/, | : /);
  return present(parts[parts.length - 1]?.trim());
}

/** Builds a record from nginx variables; the same mapping serves `combined` and custom layouts. */
export function recordFromVars(v: Vars): LineResult {
  let method = v.request_method;
  let target = v.request_uri;
  let version = v.server_protocol;
  if (v.request !== undefined) {
    const rl = requestLine(v.request);
    if (typeof rl === "string") return rl;
    method ??= rl.method;
    target ??= rl.target;
    version ??= rl.version;
  }
  if (target === undefined && v.uri !== undefined) {
    const args = v.args ?? v.query_string;
    target = args !== undefined ? `${v.uri}?${args}` : v.uri;
  }
  if (method === undefined) return "no request method in the line (no $request or $request_method)";
  // Only CONNECT goes without a path; a layout that logs none gives nothing to route on.
  if (target === undefined && method !== "CONNECT") return "no request path in the line (no $request, $request_uri or $uri)";
  const rec: TraceRecord = { method };
  if (target !== undefined) {
    const problem = applyTarget(rec, target, method);
    if (problem) return problem;
  }
  const host = v.http_host ?? v.host ?? (v.server_name !== "_" ? v.server_name : undefined);
  if (host !== undefined && rec.host === undefined) rec.host = host;
  if (v.scheme === "http" || v.scheme === "https") rec.scheme = v.scheme;
  else if (v.https === "on") rec.scheme = "https";
  if (v.server_port !== undefined) {
    const port = Number(v.server_port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `$server_port is not a port: ${JSON.stringify(v.server_port)}`;
    rec.port = port;
  }
  const protocol = httpProtocol(version, rec.scheme);
  if (protocol && rec.protocol === undefined) rec.protocol = protocol;
  const headers: Headers = {};
  for (const [name, value] of Object.entries(v)) {
    if (name.startsWith("http_") && name !== "http_host") addHeader(headers, name.slice(5).replace(/_/g, "-"), value);
    else if (name.startsWith("cookie_")) addHeader(headers, "cookie", `${name.slice(7)}=${value}`);
  }
  inferGrpc(rec, headers);
  if (Object.keys(headers).length) rec.headers = headers;
  if (v.request_id !== undefined) rec.id = v.request_id;
  const user = clientKey(v.remote_addr) ?? forwardedClient(v.http_x_forwarded_for);
  if (user) rec.user = user;
  const when = v.time_local ?? v.time_iso8601 ?? v.msec;
  if (when !== undefined) {
    const time =
      v.time_local !== undefined ? clfTime(when)
      : v.time_iso8601 !== undefined ? isoTime(when)
      : /^\d+(\.\d+)?$/.test(when) ? isoTime(Math.round(Number(when) * 1000))
      : undefined;
    if (!time) return `time is not a timestamp: ${JSON.stringify(when)}`;
    rec.time = time;
  }
  const observed: TraceObserved = {};
  const status = statusCode(v.status);
  if (status !== undefined) observed.status = status;
  const upstream = v.upstream_addr !== undefined ? upstreamLast(v.upstream_addr) : undefined;
  if (upstream) observed.upstreamHost = upstream;
  if (v.proxy_host !== undefined) observed.backend = v.proxy_host;
  if (Object.keys(observed).length) rec.observed = observed;
  return rec;
}

// `combined` written by hand, not compiled, to accept its relatives: `common` (no referer and agent) and
// layouts that append fields after the agent (nginx's `main`). A quoted field must close: a line cut
// inside one is bad, not read as `common` with junk after it.
const Q = '"((?:[^"\\\\]|\\\\.)*)"';
// Fields after the agent are words, quoted strings or both (`uct="0.001"`): an agent followed by
// stray quotes is an agent holding quotes (COMBINED_RAW_RE), not an agent and junk.
const EXTRA = '(?:[^\\s"]|"(?:[^"\\\\]|\\\\.)*")+';
// The time holds no "[" either: each " [" the user field may end at is then followed by a scan that
// stops at the next bracket, so a line of many " [" is read in linear time (it took seconds).
const TIME_IN_BRACKETS = "\\[([^\\][]+)\\]";
const COMBINED_RE = new RegExp(`^(\\S+) (\\S+) (.*?) ${TIME_IN_BRACKETS} ${Q} (\\d{3}|-) (\\d+|-)(?: ${Q} ${Q}(?: +${EXTRA})*)?$`);

/** The reason for a combined line whose request is "-" (a connection closed before a request, a TLS probe). */
export const COMBINED_NO_REQUEST = "no request line (the client sent no request)";

// NGINX Gateway Fabric logs its stream (TLS passthrough, TCP, UDP) connections to the same stdout as
// HTTP, in its own `stream-main` layout (internal/controller/nginx/conf/nginx.conf):
//   $remote_addr [$time_local] $protocol $status $bytes_sent $bytes_received $session_time "$ssl_preread_server_name"
const NGF_STREAM_RE = new RegExp(`^(\\S+) \\[([^\\]]+)\\] (TCP|UDP) (\\d{3}) \\d+ \\d+ \\d+(?:\\.\\d+)? ${Q}$`);

/** A stream-main line as a connection: TLS with the SNI it read, else TCP or UDP. Its status is no HTTP status and is not kept. */
function parseNgfStream(m: RegExpExecArray): LineResult {
  const sni = present(unescapeLog(m[5]!));
  const rec: TraceRecord = m[3] === "UDP" ? { scheme: "udp" } : sni !== undefined ? { scheme: "tls", sni } : { scheme: "tcp" };
  const user = clientKey(m[1]);
  if (user) rec.user = user;
  const time = clfTime(m[2]!);
  if (!time) return `time is not a timestamp: ${JSON.stringify(m[2])}`;
  rec.time = time;
  return rec;
}

/** nginx's error log, which a container's stderr interleaves with the access log: "2026/11/26 10:00:00 [notice] 1#1: ...". */
const ERROR_LOG_RE = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \[(?:debug|info|notice|warn|error|crit|alert|emerg)\] \d+#\d+: /;
/** A line that starts as combined does: client, ident, user, [time], an opening quote. */
const COMBINED_START_RE = /^\S+ \S+ .*? \[[^\][]+\] "/;
const VHOST_RE = /^([A-Za-z0-9][-A-Za-z0-9.]*):\d{1,5}$/;
const IP_RE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f.]{0,15}){2,8})$/;

/**
 * combined written raw, as nginx `escape=none` and writers that escape nothing do: a quote may sit
 * inside a field. Read from both ends: the request ends at the quote the status and byte count
 * follow; the referer ends at the first `" "` (browsers send `"` in URLs as %22), and the
 * User-Agent, the field with quotes in practice, runs to the last quote, which must end the line.
 * An agent so read that holds `" "` may as well be an agent and quoted fields after it (nginx
 * `main` appends "$http_x_forwarded_for"): that line is bad, with the way to name its layout.
 * As the regexes `… "(.*?)" (\d{3}|-) (\d+|-) "(.*?)" "(.*)"$` and `… "(.*?)" (\d{3}|-) (\d+|-)$`
 * would read it, in linear time (raw-fields.ts).
 */
const RAW_HEAD = /(\S+) (\S+) (.*?) \[([^\][]+)\] "/y;
export const COMBINED_RAW_LAYOUT: RawLayout = {
  head: RAW_HEAD,
  fields: [
    { greedy: false, tail: /" (\d{3}|-) (\d+|-) "/y },
    { greedy: false, tail: /" "/y },
    { greedy: true, tail: /"$/y },
  ],
};
export const COMMON_RAW_LAYOUT: RawLayout = { head: RAW_HEAD, fields: [{ greedy: false, tail: /" (\d{3}|-) (\d+|-)$/y }] };

const keepRaw = (s: string): string => s;

/** The reason for a raw combined line whose User-Agent may end at more than one quote. */
export const COMBINED_AMBIGUOUS =
  'a quoted field holds quotes (values written unescaped) and where the User-Agent ends is ambiguous (it holds \'" "\', or fields follow it): name the layout with --log-format "log_format NAME escape=none \'...\'"';

export function parseCombined(line: string): LineResult {
  let m: (string | undefined)[] | null = COMBINED_RE.exec(line);
  let unescape = unescapeLog;
  if (!m) {
    const stream = NGF_STREAM_RE.exec(line);
    if (stream) return parseNgfStream(stream);
    // Values that broke the escaped split are raw: a backslash in them is the client's, not an escape.
    // (Which of the two by the last character: the agent's closing quote ends a combined line.)
    const raw = matchRaw(line.endsWith('"') ? COMBINED_RAW_LAYOUT : COMMON_RAW_LAYOUT, line);
    m = raw && [line, ...raw];
    unescape = keepRaw;
    if (m?.[9]?.includes('" "')) return COMBINED_AMBIGUOUS;
  }
  if (!m) {
    if (COMBINED_START_RE.test(line)) return "combined log line cut off, or a quoted field never closes";
    return ERROR_LOG_RE.test(line) ? "nginx's error log line, not an access log line" : "not in the combined log layout";
  }
  const v: Vars = {};
  const set = (k: string, raw: string | undefined) => {
    const s = present(raw === undefined ? undefined : unescape(raw));
    if (s !== undefined) v[k] = s;
  };
  // Apache's vhost_combined (Debian's default for virtual hosts) puts "%v:%p" before the client:
  // the first field is a host:port and the second an IP, where combined has the client and "-".
  if (VHOST_RE.test(m[1]!) && IP_RE.test(m[2]!) && /^\S+ \S+$/.test(m[3]!)) {
    set("remote_addr", m[2]);
    set("host", VHOST_RE.exec(m[1]!)![1]);
  } else set("remote_addr", m[1]);
  set("time_local", m[4]);
  if (m[5] === undefined || m[5] === "-" || m[5] === "") return COMBINED_NO_REQUEST;
  v.request = unescape(m[5]);
  set("status", m[6]);
  set("http_referer", m[8]);
  set("http_user_agent", m[9]);
  return recordFromVars(v);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

const ESCAPED_STRING = '((?:[^"\\\\]|\\\\.)*)';
const TOKEN_PATTERNS: Record<string, string> = {
  time_local: "(\\d{1,2}/[A-Za-z]{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4})",
  time_iso8601: "(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:[+-]\\d{2}:\\d{2}|Z))",
  status: "(\\d{3}|-)",
  body_bytes_sent: "(\\d+|-)",
  bytes_sent: "(\\d+|-)",
  request_length: "(\\d+|-)",
  msec: "(\\d+(?:\\.\\d+)?)",
  request_time: "(\\d+(?:\\.\\d+)?|-)",
  is_args: "(\\??)",
  uri: '([^?\\s"]*)',
  request_uri: '([^\\s"]*)',
  // Host names hold no "/", so `$host$request_uri` splits where the path starts.
  host: '([^\\s/"]*)',
  http_host: '([^\\s/"]*)',
  server_name: '([^\\s/"]*)',
  server_port: "(\\d+)",
  scheme: "([a-z]+)",
  remote_addr: '([^\\s"]*)',
};
// escape=none: a request target may hold a raw quote.
const RAW_TOKEN_PATTERNS: Record<string, string> = {
  uri: "([^?\\s]*)",
  request_uri: "(\\S*)",
};
const LIST_VALUE = "([^\\s,]*(?:(?:, | : )[^\\s,]*)*)";

// `log_format name [escape=default|json|none] '...' ...;`, or the strings alone with or without the escape option.
const DIRECTIVE_RE = /^(?:log_format\s+\S+\s+)?(?:escape=(\S+)\s+)?(['"][\s\S]*?);?\s*$/;
const NAMED_DIRECTIVE_RE = /^log_format\s+\S+\s+(?:escape=\S+\s+)?([\s\S]*?);?\s*$/;

export type LogEscape = "default" | "json" | "none";

/** The `escape=` of a `log_format` directive (nginx: default, json or none); `default` when not given. */
export function logFormatEscape(format: string): LogEscape {
  const escape = /^(?:log_format\s+\S+\s+)?escape=(\S+)\s/.exec(format.trim())?.[1];
  return escape === "json" || escape === "none" ? escape : "default";
}

/** Reads a `log_format` value as written in nginx.conf: `log_format name [escape=..] '...' '...';` or the bare string. */
export function logFormatText(format: string): string {
  let s = format.trim();
  const named = NAMED_LOG_FORMATS[s];
  if (named) return named;
  const directive = NAMED_DIRECTIVE_RE.exec(s) ?? DIRECTIVE_RE.exec(s);
  if (directive) s = directive[directive.length - 1]!.trim();
  if (s.startsWith("'") || s.startsWith('"')) {
    const parts: string[] = [];
    const segment = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*/y;
    let m: RegExpExecArray | null;
    while (segment.lastIndex < s.length && (m = segment.exec(s)))
      parts.push((m[1] ?? m[2]!).replace(/\\(['"\\])/g, "$1"));
    if (segment.lastIndex === s.length) return parts.join("");
  }
  return s;
}

/** `rawLayout`: how an `escape=none` layout with quoted values is matched (raw-fields.ts), when it is. */
export type CompiledLogFormat = { parser: LineParser; variables: string[]; rawLayout?: RawLayout } | { error: string };

/**
 * Compiles an nginx `log_format` into a line parser: each variable captures up to the literal text after it.
 * With `escape=none` nginx writes values raw, so a quoted value may hold quotes: quoted fields are read
 * from both ends. Each ends at the first quote after which the rest of the layout still matches,
 * except `$http_user_agent`, the value with quotes in practice, which ends at the last: the fields
 * around it are taken to hold no `" "` (as the Envoy reader does). Values are then not unescaped.
 */
export function compileLogFormat(format: string): CompiledLogFormat {
  const text = logFormatText(format);
  const raw = logFormatEscape(format) === "none";
  if (text === NAMED_LOG_FORMATS.combined && !raw) return { parser: { parse: parseCombined }, variables: varNames(text) };
  const pieces = text.split(/\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/);
  // split with two capture groups gives: literal, braced?, bare?, literal, ...
  const literals: string[] = [];
  const vars: string[] = [];
  for (let i = 0; i < pieces.length; i += 3) {
    literals.push(pieces[i] ?? "");
    if (i + 1 < pieces.length) vars.push((pieces[i + 1] ?? pieces[i + 2])!.toLowerCase());
  }
  if (!vars.length) return { error: "the log format has no $variables" };
  // The regex source piece by piece; with escape=none, cut at each quoted value (a raw field).
  let source = "^" + escapeRegex(literals[0]!);
  // Each variable's pattern has one group, so a match's groups are the variables in order (either way).
  let headSource = "";
  const rawFields: { greedy: boolean; source: string }[] = [];
  vars.forEach((name, k) => {
    const before = literals[k]!;
    const after = literals[k + 1]!;
    const last = k === vars.length - 1;
    let pattern: string;
    if (raw && before.endsWith('"') && after.startsWith('"')) {
      if (rawFields.length === 0) headSource = source.slice(1); // sticky at 0 instead of ^
      rawFields.push({ greedy: name === "http_user_agent", source: escapeRegex(after) });
      source += (name === "http_user_agent" ? "(.*)" : "(.*?)") + escapeRegex(after);
      return;
    }
    if (before.endsWith('"') && after.startsWith('"')) pattern = ESCAPED_STRING;
    else if (before.endsWith("[") && after.startsWith("]")) pattern = "([^\\]]*)";
    else if (raw && RAW_TOKEN_PATTERNS[name]) pattern = RAW_TOKEN_PATTERNS[name];
    else if (TOKEN_PATTERNS[name]) pattern = TOKEN_PATTERNS[name];
    else if (name.startsWith("upstream_")) pattern = LIST_VALUE;
    else if (/^\s/.test(after) || (after === "" && last)) pattern = "(\\S*)";
    else pattern = "(.*?)";
    source += pattern + escapeRegex(after);
    const field = rawFields[rawFields.length - 1];
    if (field) field.source += pattern + escapeRegex(after);
  });
  const value = raw ? (s: string) => s : unescapeLog;
  const fromVars = (m: (string | undefined)[] | null): LineResult => {
    if (!m) return "does not match the log format";
    const v: Vars = {};
    vars.forEach((name, k) => {
      const s = present(value(m[k + 1] ?? ""));
      if (s !== undefined) v[name] ??= s;
    });
    return recordFromVars(v);
  };
  if (rawFields.length) {
    // Matched field by field (raw-fields.ts); the groups come back in layout order, as the whole regex would give them.
    const rawLayout: RawLayout = {
      head: new RegExp(headSource, "y"),
      fields: rawFields.map((f, j): RawField => ({ greedy: f.greedy, tail: new RegExp(j === rawFields.length - 1 ? `${f.source}$` : f.source, "y") })),
    };
    return { variables: vars, rawLayout, parser: { parse: (line) => fromVars(rawGroups(matchRaw(rawLayout, line))) } };
  }
  const re = new RegExp(source + "$");
  return { variables: vars, parser: { parse: (line) => fromVars(re.exec(line)) } };
}

/** matchRaw's groups as a regex match array (index 0 unused). */
function rawGroups(groups: (string | undefined)[] | null): (string | undefined)[] | null {
  return groups && [undefined, ...groups];
}

function varNames(text: string): string[] {
  return [...text.matchAll(/\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g)].map((m) => (m[1] ?? m[2])!.toLowerCase());
}

export function nginxParser(logFormat?: string): LineParser {
  if (logFormat === undefined) return { parse: parseCombined };
  const compiled = compileLogFormat(logFormat);
  if ("error" in compiled) return { parse: () => `invalid log format: ${compiled.error}` };
  return compiled.parser;
}
