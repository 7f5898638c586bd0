/**
 * A per-user cookie jar for the cookies a rollout controller sets to keep users on one version
 * (Flagger's sessionAffinity): the replay sends a user's live cookies with each of their requests
 * and keeps those the gateway's answer sets, as a browser would. Only the named cookies are kept:
 * a recorded trace already carries the cookies its clients had.
 *
 * Simplified on purpose: Domain, Path, Secure and SameSite are not checked (every request of the
 * user carries the cookie), Expires is ignored (Flagger sets Max-Age).
 */
import type { Decision, GatewayRequest } from "@gwsim/core";

interface Stored {
  value: string;
  /** Epoch milliseconds; Infinity for a session cookie. */
  expires: number;
}

export interface CookieJar {
  names: ReadonlySet<string>;
  users: Map<string, Map<string, Stored>>;
}

export function cookieJar(names: readonly string[]): CookieJar {
  return { names: new Set(names.filter((n) => n !== "")), users: new Map() };
}

/** The request with the user's live cookies added to its Cookie header (the record is not changed). */
export function withCookies(jar: CookieJar, user: string, request: GatewayRequest, now: number): GatewayRequest {
  const stored = jar.users.get(user);
  if (!stored || stored.size === 0) return request;
  const pairs: string[] = [];
  for (const [name, c] of stored) {
    if (c.expires <= now) stored.delete(name);
    else pairs.push(`${name}=${c.value}`);
  }
  if (pairs.length === 0) return request;
  const ours = pairs.join("; ");
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

/** Keep (or delete, Max-Age ≤ 0) the named cookies the decision's answer sets for this user. */
export function keepCookies(jar: CookieJar, user: string, d: Decision, now: number): void {
  for (const line of setCookieLines(d)) {
    const [pair = "", ...attrs] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    if (!jar.names.has(name)) continue;
    let expires = Infinity;
    for (const a of attrs) {
      const [k = "", v = ""] = a.split("=");
      if (k.trim().toLowerCase() !== "max-age" || !/^-?\d+$/.test(v.trim())) continue;
      const seconds = Number(v.trim());
      expires = seconds <= 0 ? -Infinity : now + seconds * 1000;
    }
    let stored = jar.users.get(user);
    if (expires === -Infinity) {
      stored?.delete(name);
      continue;
    }
    if (!stored) jar.users.set(user, (stored = new Map()));
    stored.set(name, { value: pair.slice(eq + 1).trim(), expires });
  }
}
