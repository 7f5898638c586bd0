/**
 * HTTPRoute / GRPCRoute filters as pure transforms of the request the gateway sees.
 * (Work in progress: signatures are final.)
 */
import type { ForwardedRequest, HeaderEdits, Mirror } from "../../model/decision.js";
import type { HTTPPathMatch, RouteFilter } from "../../resolve/graph.js";
import type { Headers } from "../normalize.js";

export interface FilterContext {
  method: string;
  /** "http" or "https": the scheme the client used. */
  scheme: string;
  /** Host as sent, without port, lower-case. */
  host: string;
  /** Port from the Host header, or null when it carried none. */
  port: number | null;
  listenerPort: number;
  /** HTTP or HTTPS (the listener's protocol). */
  listenerProtocol: string;
  /** Normalized path (normalizePath().path), without query. */
  path: string;
  /** Raw query without `?`, "" when none. */
  query: string;
  /** Request headers, names lower-case. */
  headers: Headers;
  /** The path match that selected the rule (for ReplacePrefixMatch); null for none / GRPCRoute. */
  pathMatch: HTTPPathMatch | null;
}

export interface FilterResult {
  /** The request as the backend receives it; null when the gateway answers itself. */
  forwarded: ForwardedRequest | null;
  redirect: { status: number; location: string } | null;
  /** The gateway answers itself (a CORS preflight). */
  respond: { status: number; headers: Record<string, string> } | null;
  responseHeaders: HeaderEdits | null;
  mirrors: Mirror[];
  error: { status: number; reason: string; message: string } | null;
  /** Human-readable steps for `explain`. */
  notes: string[];
}

/**
 * Applies filters in order. Pass the route rule's result as `prior` to continue with
 * backendRef-level filters (they see the request after the rule's filters).
 */
export function applyFilters(filters: RouteFilter[], ctx: FilterContext, prior?: FilterResult): FilterResult {
  void filters;
  if (prior) return prior;
  const qs = ctx.query === "" ? "" : `?${ctx.query}`;
  return {
    forwarded: { method: ctx.method, scheme: ctx.scheme, host: ctx.host, path: ctx.path + qs, headers: { ...ctx.headers } },
    redirect: null,
    respond: null,
    responseHeaders: null,
    mirrors: [],
    error: null,
    notes: [],
  };
}
