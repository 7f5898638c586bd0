/**
 * A per-user cookie jar for the cookies a rollout controller sets to keep users on one version
 * (Flagger's sessionAffinity): the replay sends a user's live cookies with each of their requests
 * and keeps those the gateway's answer sets, as a browser would. Only the named cookies are kept:
 * a recorded trace already carries the cookies its clients had.
 *
 * RFC 6265 §5 as a user agent applies it, against each request's host, path and scheme:
 * Set-Cookie parsing (§5.2, Expires dates per §5.1.1), the storage model (§5.3: Domain with
 * domain-match, host-only cookies, Path or the default-path, Secure, Max-Age over Expires, a
 * cookie replacing the one of the same name, domain and path) and the Cookie header (§5.4:
 * domain, path-match, Secure only over https, longer paths first). Not modelled: a public suffix
 * list (§5.3 step 5 is optional), HttpOnly (every request here is HTTP) and SameSite (RFC 6265bis;
 * a trace has no cross-site context).
 */
import { isIP } from "node:net";
import { splitHostPort, type Decision, type GatewayRequest } from "@gwsim/core";

interface Stored {
  name: string;
  value: string;
  /** Epoch milliseconds; Infinity for a session cookie. */
  expires: number;
  /** Lower-case; the request's host for a host-only cookie. */
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  /** Order of creation, kept when a cookie is replaced (§5.3 step 11.3): sorts the Cookie header. */
  created: number;
}

export interface CookieJar {
  names: ReadonlySet<string>;
  /** Per user, the cookies stored, keyed by name, domain and path (§5.3 step 11). */
  users: Map<string, Map<string, Stored>>;
  /** Creation counter (a replay is ordered, so no clock is needed to order creations). */
  created: number;
}

export function cookieJar(names: readonly string[]): CookieJar {
  return { names: new Set(names.filter((n) => n !== "")), users: new Map(), created: 0 };
}

/** Where a request goes, as the cookie rules read it. */
interface Target {
  /** Canonicalized host (§5.1.2): lower-case, no port; "" when the request names none. */
  host: string;
  /** The path of the request-target, without its query. */
  path: string;
  secure: boolean;
}

function targetOf(r: GatewayRequest): Target {
  const hostHeader = Object.entries(r.headers ?? {}).find(([k]) => k.toLowerCase() === "host")?.[1];
  const authority = r.host ?? (Array.isArray(hostHeader) ? hostHeader[0] : hostHeader) ?? "";
  const split = splitHostPort(authority);
  const host = split.ok ? split.host : authority.toLowerCase();
  const target = r.grpc ? `/${r.grpc.service}/${r.grpc.method}` : (r.path ?? "/");
  const q = target.search(/[?#]/);
  return { host, path: q < 0 ? target : target.slice(0, q), secure: (r.scheme ?? "http").toLowerCase() === "https" };
}

const isIpHost = (host: string): boolean => isIP(host.startsWith("[") ? host.slice(1, -1) : host) !== 0;

/** §5.1.3: the host is the domain, or a host name ending in "." + domain. */
export function domainMatch(host: string, domain: string): boolean {
  if (host === domain) return true;
  return domain !== "" && host.endsWith(domain) && host[host.length - domain.length - 1] === "." && !isIpHost(host);
}

/** §5.1.4: the directory of the request path, "/" when it has none. */
export function defaultPath(uriPath: string): string {
  if (!uriPath.startsWith("/")) return "/";
  const last = uriPath.lastIndexOf("/");
  return last === 0 ? "/" : uriPath.slice(0, last);
}

/** §5.1.4: the cookie path is the request path, or a prefix of it ending at a "/". */
export function pathMatch(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
// delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E (§5.1.1)
const DATE_DELIMITER = /[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+/;

/** §5.1.1: an Expires value as epoch milliseconds (UTC), or null when it is not a cookie-date. */
export function parseCookieDate(text: string): number | null {
  let time: [number, number, number] | null = null;
  let day: number | null = null;
  let month: number | null = null;
  let year: number | null = null;
  for (const token of text.split(DATE_DELIMITER)) {
    if (token === "") continue;
    // Each production is tried in this order, and each is taken from its first matching token;
    // digits may be followed by non-digits (e.g. "12th"), which are ignored.
    const t: RegExpExecArray | null = time === null ? /^(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[^\d]|$)/.exec(token) : null;
    if (t) {
      time = [Number(t[1]), Number(t[2]), Number(t[3])];
      continue;
    }
    const d: RegExpExecArray | null = day === null ? /^(\d{1,2})(?:[^\d]|$)/.exec(token) : null;
    if (d) {
      day = Number(d[1]);
      continue;
    }
    const m: number = month === null ? MONTHS.indexOf(token.slice(0, 3).toLowerCase()) : -1;
    if (m >= 0 && token.length >= 3) {
      month = m;
      continue;
    }
    const y: RegExpExecArray | null = year === null ? /^(\d{2,4})(?:[^\d]|$)/.exec(token) : null;
    if (y) year = Number(y[1]);
  }
  if (time === null || day === null || month === null || year === null) return null;
  if (year >= 70 && year <= 99) year += 1900;
  else if (year >= 0 && year <= 69) year += 2000;
  const [h, mi, s] = time;
  if (day < 1 || day > 31 || year < 1601 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(year, month, day, h, mi, s);
  // "If no such date exists" (Feb 30): Date.UTC would roll over into the next month.
  return new Date(ms).getUTCDate() === day ? ms : null;
}

interface Parsed {
  name: string;
  value: string;
  /** Absolute expiry from Max-Age or Expires, if any (Max-Age wins, §5.3 step 3). */
  expires: number | null;
  domain: string | null;
  path: string | null;
  secure: boolean;
}

const trimWsp = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, "");

/** §5.2: one Set-Cookie field value, or null when the user agent ignores it entirely. */
export function parseSetCookie(line: string, now: number): Parsed | null {
  const [pair = "", ...attributes] = line.split(";");
  const eq = pair.indexOf("=");
  if (eq < 0) return null;
  const name = trimWsp(pair.slice(0, eq));
  if (name === "") return null;
  const out: Parsed = { name, value: trimWsp(pair.slice(eq + 1)), expires: null, domain: null, path: null, secure: false };
  let maxAge: number | null = null;
  let expires: number | null = null;
  for (const av of attributes) {
    const i = av.indexOf("=");
    const key = trimWsp(i < 0 ? av : av.slice(0, i)).toLowerCase();
    const value = i < 0 ? "" : trimWsp(av.slice(i + 1));
    // The last of each attribute wins (§5.3), so later ones simply overwrite.
    switch (key) {
      case "expires": {
        const t = parseCookieDate(value);
        if (t !== null) expires = t;
        break;
      }
      case "max-age":
        if (/^-?\d+$/.test(value)) {
          const seconds = Number(value);
          maxAge = seconds <= 0 ? -Infinity : now + seconds * 1000;
        }
        break;
      case "domain":
        // An empty Domain is ignored (§5.2.3 SHOULD); a leading dot is dropped.
        if (value !== "") out.domain = (value.startsWith(".") ? value.slice(1) : value).toLowerCase();
        break;
      case "path":
        out.path = value.startsWith("/") ? value : null;
        break;
      case "secure":
        out.secure = true;
        break;
    }
  }
  out.expires = maxAge ?? expires;
  return out;
}

/** The request with the user's live cookies for it added to its Cookie header (the record is not changed). */
export function withCookies(jar: CookieJar, user: string, request: GatewayRequest, now: number): GatewayRequest {
  const stored = jar.users.get(user);
  if (!stored || stored.size === 0) return request;
  const to = targetOf(request);
  const live: Stored[] = [];
  for (const [key, c] of stored) {
    if (c.expires <= now) stored.delete(key);
    else if (c.hostOnly ? to.host === c.domain : domainMatch(to.host, c.domain)) {
      if (pathMatch(to.path, c.path) && (!c.secure || to.secure)) live.push(c);
    }
  }
  if (live.length === 0) return request;
  // §5.4 step 2: longer paths first, then earlier creation.
  live.sort((a, b) => b.path.length - a.path.length || a.created - b.created);
  const ours = live.map((c) => `${c.name}=${c.value}`).join("; ");
  const headers: Record<string, string | string[]> = { ...(request.headers ?? {}) };
  const key = Object.keys(headers).find((k) => k.toLowerCase() === "cookie");
  if (key === undefined) headers.cookie = ours;
  else {
    const line = headers[key]!;
    headers[key] = Array.isArray(line) ? [...line, ours] : line === "" ? ours : `${line}; ${ours}`;
  }
  return { ...request, headers };
}

/** The Set-Cookie lines of the gateway's answer: its own header edits (lower-case names). */
function setCookieLines(d: Decision): string[] {
  const h = d.responseHeaders;
  if (!h) return [];
  const set = h.setAll?.["set-cookie"] ?? (h.set["set-cookie"] !== undefined ? [h.set["set-cookie"]] : []);
  const add = h.addAll?.["set-cookie"] ?? (h.add["set-cookie"] !== undefined ? [h.add["set-cookie"]] : []);
  return [...set, ...add];
}

/**
 * Store (§5.3) the named cookies the decision's answer to `request` sets for this user; an
 * expired one (Max-Age ≤ 0, an Expires in the past) removes the cookie of the same name,
 * domain and path.
 */
export function keepCookies(jar: CookieJar, user: string, request: GatewayRequest, d: Decision, now: number): void {
  const lines = setCookieLines(d);
  if (lines.length === 0) return;
  const to = targetOf(request);
  for (const line of lines) {
    const c = parseSetCookie(line, now);
    if (!c || !jar.names.has(c.name)) continue;
    // Step 6: a Domain the request's host does not domain-match makes the whole cookie ignored.
    if (c.domain !== null && !domainMatch(to.host, c.domain)) continue;
    const cookie: Stored = {
      name: c.name,
      value: c.value,
      expires: c.expires ?? Infinity,
      domain: c.domain ?? to.host,
      hostOnly: c.domain === null,
      path: c.path ?? defaultPath(to.path),
      secure: c.secure,
      created: jar.created++,
    };
    let stored = jar.users.get(user);
    if (!stored) jar.users.set(user, (stored = new Map()));
    const key = `${cookie.name}\u0000${cookie.domain}\u0000${cookie.path}`;
    const old = stored.get(key);
    if (old) {
      cookie.created = old.created;
      stored.delete(key);
    }
    // An expired cookie is evicted at once: storing it only removed the old one.
    if (cookie.expires > now) stored.set(key, cookie);
  }
}
