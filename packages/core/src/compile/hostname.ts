/**
 * Hostname matching as the Gateway API defines it (hostnames concept page, GEP-718):
 * `*.example.com` is a suffix match over one or more labels (`foo.bar.example.com` matches,
 * `example.com` does not); `*` (an unset hostname) matches everything.
 */
import type { HostIndex } from "./table.js";

export const ANY_HOST = "*";

export function isWildcard(hostname: string): boolean {
  return hostname.startsWith("*.");
}

/** Whether a precise host (as sent, without port) matches a hostname pattern. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === ANY_HOST) return true;
  if (isWildcard(pattern)) {
    const suffix = pattern.slice(1);
    return host.length > suffix.length && host.endsWith(suffix);
  }
  return host === pattern;
}

/**
 * Orders hostnames from most to least specific: precise before wildcard, then more characters
 * (for two patterns matching the same host that is also more labels), `*` last.
 * Negative when `a` is more specific.
 */
export function compareHostSpecificity(a: string, b: string): number {
  const ra = hostRank(a);
  const rb = hostRank(b);
  if (ra !== rb) return ra - rb;
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function hostRank(h: string): number {
  return h === ANY_HOST ? 2 : isWildcard(h) ? 1 : 0;
}

/**
 * The intersection of a route hostname with a listener hostname (null = any), or null when
 * they do not intersect. Two wildcards intersect as the more specific one.
 */
export function intersectHostname(route: string, listener: string | null): string | null {
  if (listener === null || listener === ANY_HOST) return route;
  if (route === ANY_HOST) return listener;
  const rw = isWildcard(route);
  const lw = isWildcard(listener);
  if (!rw && !lw) return route === listener ? route : null;
  if (!rw) return hostMatches(listener, route) ? route : null;
  if (!lw) return hostMatches(route, listener) ? listener : null;
  if (route === listener) return route;
  if (hostMatches(listener, route.slice(2))) return route;
  if (hostMatches(route, listener.slice(2))) return listener;
  return null;
}

/** Adds `hostname` → `value` to a mutable index being built (first one in wins). */
export function addToHostIndex(
  index: { exact: Record<string, number>; wildcard: Record<string, number>; any: number | null },
  hostname: string,
  value: number,
): void {
  if (hostname === ANY_HOST) {
    if (index.any === null) index.any = value;
  } else if (isWildcard(hostname)) {
    const key = hostname.slice(1);
    if (!Object.hasOwn(index.wildcard, key)) index.wildcard[key] = value;
  } else if (!Object.hasOwn(index.exact, hostname)) {
    index.exact[hostname] = value;
  }
}

/**
 * Every entry of a host index that matches `host`, most specific first: the exact entry,
 * then wildcard suffixes from longest to shortest, then the catch-all.
 * `lookup` abstracts the map type (plain object or Map).
 */
export function hostCandidates(
  host: string,
  exact: (h: string) => number | undefined,
  wildcard: (suffix: string) => number | undefined,
  any: number | null,
  firstOnly: boolean,
): number[] {
  const out: number[] = [];
  const e = host === "" ? undefined : exact(host);
  if (e !== undefined) {
    out.push(e);
    if (firstOnly) return out;
  }
  // Wildcards need at least one character before the suffix's leading dot.
  for (let i = host.indexOf(".", 1); i > 0; i = host.indexOf(".", i + 1)) {
    const w = wildcard(host.slice(i));
    if (w !== undefined) {
      out.push(w);
      if (firstOnly) return out;
    }
  }
  if (any !== null) out.push(any);
  return out;
}

export function emptyHostIndex(): { exact: Record<string, number>; wildcard: Record<string, number>; any: number | null } {
  return { exact: Object.create(null) as Record<string, number>, wildcard: Object.create(null) as Record<string, number>, any: null };
}

export type { HostIndex };
