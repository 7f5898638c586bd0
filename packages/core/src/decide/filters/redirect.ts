/**
 * RequestRedirect: the Location the gateway answers with (HTTPRequestRedirectFilter doc).
 */
import type { HTTPPathMatch, RouteFilter } from "../../resolve/graph.js";
import { modifyPath } from "./path-modifier.js";

export type RedirectSpec = NonNullable<RouteFilter["requestRedirect"]>;

const WELL_KNOWN_PORTS: Record<string, number> = { http: 80, https: 443 };
export const DEFAULT_REDIRECT_STATUS = 302;

export interface RedirectInput {
  /** The scheme the client used. */
  scheme: string;
  /** Host header's host name, without port. */
  host: string;
  listenerPort: number;
  /** Current (normalized, possibly rewritten) path and raw query. */
  path: string;
  query: string;
  pathMatch: HTTPPathMatch | null;
}

export type RedirectOutcome = { ok: true; status: number; location: string; note: string } | { ok: false; message: string };

/**
 * - scheme: the filter's, else the request's;
 * - hostname: the filter's, else the Host header's name (never its port);
 * - port: the filter's; else, when the filter sets a scheme, that scheme's well-known port
 *   (http 80, https 443; the listener port for any other); else the listener's port;
 * - the port is left out of Location for http:80 and https:443;
 * - path: the path modifier applied, else the request path; the query is kept as sent;
 * - status: the filter's, default 302.
 */
export function redirectLocation(spec: RedirectSpec, input: RedirectInput): RedirectOutcome {
  const scheme = spec.scheme ?? input.scheme;
  const host = spec.hostname ?? input.host;
  const port = spec.port ?? (spec.scheme !== undefined ? (WELL_KNOWN_PORTS[spec.scheme] ?? input.listenerPort) : input.listenerPort);
  let path = input.path;
  if (spec.path) {
    const modified = modifyPath(input.path, spec.path, input.pathMatch);
    if (!modified.ok) return modified;
    path = modified.path;
  }
  const showPort = WELL_KNOWN_PORTS[scheme] !== port;
  const location = `${scheme}://${host}${showPort ? `:${port}` : ""}${path}${input.query ? `?${input.query}` : ""}`;
  const status = spec.statusCode ?? DEFAULT_REDIRECT_STATUS;
  return { ok: true, status, location, note: `RequestRedirect: ${status} to ${location}` };
}
