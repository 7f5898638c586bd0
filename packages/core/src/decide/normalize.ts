/**
 * How the gateway sees a request before it matches and forwards it: the one place where gwsim
 * defines path normalization, query parsing and header lookup. `decide` matches on the
 * normalized path and forwards that same path, and the live adapter uses the same function,
 * so `/public/../admin` or `/public/%2e%2e/admin` is matched (and sent) as `/admin` and can
 * never reach a rule written for `/public`. The Gateway API leaves all of this to the
 * implementation; docs/decisions.md "Path normalization" records the choices and why.
 */

export interface NormalizedPath {
  /** Normalized path (starts with `/`); "" when not ok, so it matches no rule. */
  path: string;
  /** The query without `?` ("" when none): kept as sent, only illegal characters encoded. */
  query: string;
  /** False when the gateway answers 400 Bad Request instead of routing. */
  ok: boolean;
  reason?: string;
}

export interface PathNormalizationOptions {
  /** Merge runs of `/` into one (default true, as Envoy Gateway and NGINX do). */
  mergeSlashes?: boolean;
  /**
   * What `%2F`, `%5C` and a raw `\` mean. "decode" (default): a path separator, the path Envoy
   * Gateway ends up routing (its default UnescapeAndRedirect redirects to the decoded path) and
   * what NGINX routes. "keep": data inside a segment, normalized to `%2F` / `%5C` (plain Envoy,
   * Istio). "reject": 400.
   */
  escapedSlashes?: "decode" | "keep" | "reject";
}

const HEX = "0123456789ABCDEF";
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/** Characters RFC 3986 allows unencoded in a path (pchar and `/`), besides `%`. */
const PATH_RAW = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]$/;
/** Characters RFC 3986 allows unencoded in a query, besides `%`. */
const QUERY_RAW = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?]$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const invalid = (reason: string): NormalizedPath => ({ path: "", query: "", ok: false, reason });

/**
 * Normalizes a request target (`/path?query`) as the gateway sees it:
 * 1. the fragment (`#...`) is dropped: clients never send one (RFC 9110 §7.1);
 * 2. 400 for a raw control character (NUL, CR, LF, DEL, ...) anywhere, an encoded NUL (`%00`)
 *    or a malformed `%` escape in the path, or a path not starting with `/` (`*`, absolute-form);
 *    an empty path is `/` (RFC 9110 §4.2.3);
 * 3. percent-encoding: escapes of unreserved characters are decoded (RFC 3986 §6.2.2.2, so
 *    `%2e` is `.` and `%41` is `A`), every other escape is kept with upper-case hex
 *    (§6.2.2.1), characters not allowed raw in a path (space, non-ASCII as UTF-8, `"`...) are
 *    encoded; escaped slashes follow `options.escapedSlashes`;
 * 4. repeated slashes are merged (`options.mergeSlashes`), before dot segments, as NGINX does;
 * 5. dot segments are removed (RFC 3986 §5.2.4): `/a/./b/../c` → `/a/c`, `/..` → `/`.
 * Never throws; idempotent.
 */
export function normalizePath(pathAndQuery: string, options: PathNormalizationOptions = {}): NormalizedPath {
  const mergeSlashes = options.mergeSlashes ?? true;
  const escapedSlashes = options.escapedSlashes ?? "decode";

  const hash = pathAndQuery.indexOf("#");
  const target = hash < 0 ? pathAndQuery : pathAndQuery.slice(0, hash);
  if (CONTROL.test(target)) return invalid("control character in the request target");
  const q = target.indexOf("?");
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? "" : target.slice(q + 1);

  if (rawPath !== "" && !rawPath.startsWith("/")) return invalid("path must start with /");

  let decoded = "";
  for (let i = 0; i < rawPath.length; ) {
    const c = rawPath[i]!;
    if (c === "%") {
      const byte = hexByte(rawPath, i + 1);
      if (byte === null) return invalid(`malformed percent-encoding at offset ${i}`);
      i += 3;
      const ch = String.fromCharCode(byte);
      if (byte === 0) return invalid("encoded NUL (%00) in path");
      if (UNRESERVED.test(ch)) decoded += ch;
      else if (byte === 0x2f || byte === 0x5c) {
        if (escapedSlashes === "reject") return invalid("encoded slash in path");
        decoded += escapedSlashes === "decode" ? "/" : encodeByte(byte);
      } else decoded += encodeByte(byte);
      continue;
    }
    if (c === "\\") {
      if (escapedSlashes === "reject") return invalid("backslash in path");
      decoded += escapedSlashes === "decode" ? "/" : "%5C";
      i += 1;
      continue;
    }
    const cp = rawPath.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const raw = rawPath.slice(i, i + width);
    decoded += PATH_RAW.test(raw) ? raw : encodeUtf8(cp);
    i += width;
  }

  const merged = mergeSlashes ? decoded.replace(/\/{2,}/g, "/") : decoded;
  return { path: removeDotSegments(merged === "" ? "/" : merged), query: normalizeQuery(rawQuery), ok: true };
}

/**
 * An Exact or PathPrefix match value in the form requests are compared in: `/%41` is `/A`,
 * `%c3%a9` is `%C3%A9`. The CRD already forbids `//`, dot segments and `%2F` in these values,
 * so only percent-encoding changes; a trailing `/` stays. Compile should store values this way.
 */
export function normalizeMatchPath(value: string): string {
  const r = normalizePath(value, { mergeSlashes: false, escapedSlashes: "keep" });
  return r.ok && r.query === "" && !value.includes("#") ? r.path : value;
}

/** RFC 3986 §5.2.4 on an absolute path, segment by segment. */
export function removeDotSegments(path: string): string {
  const input = path.split("/").slice(1);
  const out: string[] = [];
  input.forEach((segment, i) => {
    const last = i === input.length - 1;
    if (segment === "..") {
      out.pop();
      if (last) out.push("");
    } else if (segment === ".") {
      if (last) out.push("");
    } else out.push(segment);
  });
  return "/" + out.join("/");
}

/** Keeps the query as sent (no decoding, `+` untouched); encodes only what is illegal raw. */
function normalizeQuery(query: string): string {
  let out = "";
  for (let i = 0; i < query.length; ) {
    const cp = query.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const raw = query.slice(i, i + width);
    out += raw === "%" || QUERY_RAW.test(raw) ? raw : encodeUtf8(cp);
    i += width;
  }
  return out;
}

function hexByte(s: string, at: number): number | null {
  const hex = s.slice(at, at + 2);
  return /^[0-9A-Fa-f]{2}$/.test(hex) ? parseInt(hex, 16) : null;
}

function encodeByte(byte: number): string {
  return "%" + HEX[byte >> 4]! + HEX[byte & 15]!;
}

function encodeUtf8(codePoint: number): string {
  // A lone surrogate is not a character: encode it as U+FFFD, as TextEncoder does.
  const cp = codePoint >= 0xd800 && codePoint <= 0xdfff ? 0xfffd : codePoint;
  return Array.from(new TextEncoder().encode(String.fromCodePoint(cp)), encodeByte).join("");
}

// ---------- query ----------

/** Query parameters in the order sent: names and values percent-decoded, `+` kept as `+`. */
export type QueryParams = [name: string, value: string][];

/**
 * Splits a query into parameters. Names are case-sensitive (the spec: "exact string match").
 * Percent escapes are decoded (RFC 3986); a malformed escape stays literal. `+` is not a
 * space: that is an HTML-form convention, not part of URI syntax. A parameter without `=`
 * has the value "". Empty pieces (`a=1&&b=2`) are skipped.
 */
export function parseQuery(query: string): QueryParams {
  const params: QueryParams = [];
  for (const piece of query.split("&")) {
    if (piece === "") continue;
    const eq = piece.indexOf("=");
    params.push(eq < 0 ? [percentDecode(piece), ""] : [percentDecode(piece.slice(0, eq)), percentDecode(piece.slice(eq + 1))]);
  }
  return params;
}

/**
 * The value a query param match compares against: the FIRST occurrence of the name, as the
 * HTTPQueryParamMatch doc comment recommends for a param sent more than once.
 */
export function queryValue(params: QueryParams, name: string): string | undefined {
  for (const [n, v] of params) if (n === name) return v;
  return undefined;
}

/** Decodes %XX escapes as UTF-8; escapes that are malformed or not valid UTF-8 stay literal. */
export function percentDecode(s: string): string {
  if (!s.includes("%")) return s;
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return decodeBytesLeniently(run);
    }
  });
}

function decodeBytesLeniently(run: string): string {
  // Decode byte by byte where possible: ASCII bytes decode, stray UTF-8 bytes stay escaped.
  return run.replace(/%([0-9A-Fa-f]{2})/g, (esc, hex: string) => {
    const b = parseInt(hex, 16);
    return b < 0x80 ? String.fromCharCode(b) : esc;
  });
}

// ---------- headers ----------

/** Request headers keyed by lower-case name; a header sent more than once keeps every value. */
export type Headers = Record<string, string | string[]>;

/**
 * Lower-cases names and trims optional whitespace around values (RFC 9110 §5.5). Names that
 * differ only in case are merged, in the order given. `undefined` values are dropped.
 */
export function lowerCaseHeaders(headers: Record<string, string | string[] | undefined> | undefined): Headers {
  // A Map, not an object: a header may be called `constructor` or `__proto__`.
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const values = (Array.isArray(value) ? value : [value]).map((v) => String(v).replace(/^[ \t]+|[ \t]+$/g, ""));
    const key = name.toLowerCase();
    const list = out.get(key);
    if (list) list.push(...values);
    else out.set(key, values);
  }
  const result: Headers = {};
  for (const [name, values] of out) setHeader(result, name, values.length === 1 ? values[0]! : values);
  return result;
}

/** `headers[name] = value`, also for a header named `__proto__` (an own property, not the prototype). */
export function setHeader(headers: Record<string, string | string[]>, name: string, value: string | string[]): void {
  if (name === "__proto__") Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  else headers[name] = value;
}

/** Every value of a header, in order; [] when absent (own properties only: never Object.prototype's). */
export function headerValues(headers: Headers, name: string): string[] {
  const key = name.toLowerCase();
  const v = Object.hasOwn(headers, key) ? headers[key] : undefined;
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * The value a header match compares against, or undefined when absent. A header sent more
 * than once is matched as its values joined with "," (RFC 9110 §5.3 makes that equivalent;
 * Envoy matches the same way), so `Exact a` does not match `a` + `b`, but `Exact a,b` does.
 * Cookie is joined with "; " instead: HTTP/2 crumbs are joined so before an HTTP/1.1 hop
 * (RFC 9113 §8.2.3), which is the value `serve` forwards and matches.
 */
export function headerValue(headers: Headers, name: string): string | undefined {
  const values = headerValues(headers, name);
  if (values.length < 2) return values[0];
  return values.join(name.toLowerCase() === "cookie" ? "; " : ",");
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Why the gateway would answer 400 for these headers, or null: a name that is not an
 * RFC 9110 token, or a value with NUL, CR or LF (header injection).
 */
export function headerProblem(headers: Record<string, string | string[] | undefined> | undefined): string | null {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!TOKEN.test(name)) return `invalid header name ${JSON.stringify(name)}`;
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      if (/[\0\r\n]/.test(String(v))) return `invalid character in the value of header ${name}`;
    }
  }
  return null;
}

// ---------- host ----------

export interface HostPort {
  /** Host name lower-case, without port; an IPv6 literal keeps its brackets. */
  host: string;
  port: number | null;
  ok: boolean;
  reason?: string;
}

/** Already lower-case, nothing to trim or refuse: the common Host, split without the checks. */
const PLAIN_AUTHORITY = /^([a-z0-9.-]*)(?::([0-9]{1,5}))?$/;
/** PLAIN_AUTHORITY without a port: the host is the authority itself (no copy). */
const PLAIN_HOST = /^[a-z0-9.-]*$/;

/** Whether splitHostPort gives `authority` itself as the host, with no port. */
export function isPlainHost(authority: string): boolean {
  return PLAIN_HOST.test(authority);
}

/** Splits a Host / :authority value into host and port (`example.com:8080`, `[::1]:80`). */
export function splitHostPort(authority: string): HostPort {
  if (PLAIN_HOST.test(authority)) return { host: authority, port: null, ok: true };
  const plain = PLAIN_AUTHORITY.exec(authority);
  if (plain) {
    const port = plain[2] === undefined ? null : Number(plain[2]);
    if (port === null || (port >= 1 && port <= 65535)) return { host: plain[1]!, port, ok: true };
  }
  return splitHostPortChecked(authority);
}

/**
 * splitHostPort for any input (the definition; the fast path above must agree with it).
 * Host = uri-host [":" port] (RFC 9110 §7.2), uri-host = RFC 3986 §3.2.2 host: an IP-literal
 * (`[IPv6]`, `[vX.future]`) or a reg-name (IPv4 addresses are reg-names too). Anything else is
 * 400 (RFC 9112 §3.2), so `a"b`, `<`, `{`, `|`, spaces, `@`, `/` and non-ASCII never route.
 * Surrounding OWS (space, tab) is not part of a field value (RFC 9110 §5.5) and is dropped. The
 * name is compared lower-case (RFC 3986 §6.2.2.1; the Gateway API matches hostnames
 * case-insensitively); percent escapes are not decoded. A port must be 1-65535 (an empty one,
 * `host:`, is no port): port 0 or above 65535 names no listener, so it is 400 here too.
 */
export function splitHostPortChecked(authority: string): HostPort {
  const a = authority.replace(/^[ \t]+|[ \t]+$/g, "");
  let hostEnd: number;
  let hostOk: boolean;
  if (a.startsWith("[")) {
    const close = a.indexOf("]");
    hostEnd = close + 1;
    hostOk = close > 0 && isIpLiteralInside(a.slice(1, close));
  } else {
    const colon = a.indexOf(":");
    hostEnd = colon < 0 ? a.length : colon;
    hostOk = REG_NAME.test(a.slice(0, hostEnd));
  }
  const host = a.slice(0, hostEnd);
  const rest = a.slice(hostEnd);
  if (!hostOk || !PORT_PART.test(rest)) return { host: "", port: null, ok: false, reason: `invalid host ${JSON.stringify(authority)}` };
  const name = host.toLowerCase();
  const port = rest.length <= 1 ? null : Number(rest.slice(1));
  if (port !== null && (port < 1 || port > 65535)) return { host: name, port: null, ok: false, reason: `invalid port in host ${JSON.stringify(authority)}` };
  return { host: name, port, ok: true };
}

/** RFC 3986 reg-name: *( unreserved / pct-encoded / sub-delims ), in either case. */
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
/** `[ ":" *DIGIT ]` after the host. */
const PORT_PART = /^(?::[0-9]*)?$/;
/** RFC 3986 IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ). */
const IP_FUTURE = /^[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/;
const H16 = /^[0-9A-Fa-f]{1,4}$/;

/** What an IP-literal holds between its brackets: an IPv6address or an IPvFuture. */
function isIpLiteralInside(inside: string): boolean {
  return IP_FUTURE.test(inside) || isIpv6(inside);
}

/**
 * RFC 3986 IPv6address: eight 16-bit pieces, or fewer around one "::" (standing for at least
 * one); the last two pieces may be an IPv4address.
 */
function isIpv6(s: string): boolean {
  const gap = s.indexOf("::");
  if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) return false;
  const head = gap < 0 ? s : s.slice(0, gap);
  const tail = gap < 0 ? "" : s.slice(gap + 2);
  const headPieces = head === "" ? [] : head.split(":");
  const tailPieces = tail === "" ? [] : tail.split(":");
  let count = headPieces.length + tailPieces.length;
  const lastPieces = gap < 0 ? headPieces : tailPieces;
  if (lastPieces.length > 0 && lastPieces[lastPieces.length - 1]!.includes(".")) {
    if (!isIpv4(lastPieces.pop()!)) return false;
    count += 1;
  }
  if (!headPieces.every((p) => H16.test(p)) || !tailPieces.every((p) => H16.test(p))) return false;
  return gap < 0 ? count === 8 : count <= 7;
}

/** RFC 3986 IPv4address: four dec-octets 0-255, no leading zeros. */
function isIpv4(s: string): boolean {
  const octets = s.split(".");
  return octets.length === 4 && octets.every((o) => /^(?:0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255);
}
