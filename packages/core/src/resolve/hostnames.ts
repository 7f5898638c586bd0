/**
 * Hostname matching and intersection (GEP-718; HTTPRoute/TLSRoute `hostnames` doc comments).
 * A wildcard `*.example.com` is a suffix match that needs at least one more label:
 * it matches `a.example.com` and `a.b.example.com`, never `example.com`.
 */

export const isWildcard = (h: string): boolean => h.startsWith("*.");

/** Does the concrete or wildcard `pattern` cover the concrete host `host`? */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (!isWildcard(p)) return p === h;
  const suffix = p.slice(1); // ".example.com"
  return h.length > suffix.length && h.endsWith(suffix) && !isWildcard(h);
}

/**
 * The hostname two hostnames have in common, or null. For two wildcards the narrower one
 * (`*.a.example.com` within `*.example.com`) is the intersection.
 */
export function intersectHostname(a: string, b: string): string | null {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return x;
  const xw = isWildcard(x);
  const yw = isWildcard(y);
  if (!xw && !yw) return null;
  if (xw && !yw) return hostMatches(x, y) ? y : null;
  if (!xw && yw) return hostMatches(y, x) ? x : null;
  // both wildcards: the one whose suffix lies within the other's is the intersection
  if (x.endsWith(y.slice(1))) return x;
  if (y.endsWith(x.slice(1))) return y;
  return null;
}

/**
 * The hostnames a route serves on a listener. `null` means no intersection (the route does not
 * attach); an empty array means "whatever the listener accepts" (route without hostnames).
 * Route hostnames that fall outside the listener hostname are ignored, as the spec requires.
 */
export function routeHostnamesOnListener(listenerHostname: string | null, routeHostnames: readonly string[]): string[] | null {
  const route = routeHostnames.map((h) => h.toLowerCase());
  if (!listenerHostname) return dedupe(route);
  if (route.length === 0) return [];
  const out: string[] = [];
  for (const h of route) {
    const i = intersectHostname(listenerHostname, h);
    if (i !== null) out.push(i);
  }
  return out.length ? dedupe(out) : null;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}
