/**
 * HTTPRoute / GRPCRoute filters as pure transforms of the request the gateway sees, applied in
 * the order given (HTTPRouteRule.filters). `decide` calls `applyFilters` with the rule's filters,
 * then again with the picked backendRef's filters and the rule's result as `prior`.
 */
import type { ForwardedRequest, HeaderEdits, Mirror } from "../../model/decision.js";
import type { HTTPPathMatch, RouteFilter } from "../../resolve/graph.js";
import type { Headers } from "../normalize.js";
import { applyCORS, PREFLIGHT_STATUS } from "./cors.js";
import { composeHeaderEdits, headersFromRecord, headersToRecord, modifyHeaders, type HeaderMap } from "./headers.js";
import { toMirror } from "./mirror.js";
import { modifyPath } from "./path-modifier.js";
import { redirectLocation } from "./redirect.js";

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
  /** Query without `?` as normalizePath() returns it, "" when none. */
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
  /** Edits to the response the client gets (ResponseHeaderModifier, CORS headers). */
  responseHeaders: HeaderEdits | null;
  mirrors: Mirror[];
  /** A filter gwsim cannot honour: the request answers `status` (500). */
  error: { status: number; reason: string; message: string } | null;
  /** Human-readable steps for `explain`. */
  notes: string[];
}

/** The request while filters run. */
interface State {
  method: string;
  scheme: string;
  /** Host header sent to the backend (may carry the client's port). */
  host: string;
  path: string;
  query: string;
  headers: HeaderMap;
  responseHeaders: HeaderEdits | null;
  mirrors: Mirror[];
  notes: string[];
}

type Answer =
  | { redirect: { status: number; location: string } }
  | { respond: { status: number; headers: Record<string, string> } }
  | { error: { status: number; reason: string; message: string } };

type Step = { state: State } | { state: State; answer: Answer };
type Handler = (state: State, filter: RouteFilter, ctx: FilterContext) => Step;

const SERVER_ERROR = 500;

const fail = (state: State, reason: string, message: string): Step => ({
  state: { ...state, notes: [...state.notes, `${message}: answered ${SERVER_ERROR}`] },
  answer: { error: { status: SERVER_ERROR, reason, message } },
});

/** One handler per filter type the spec defines and gwsim can honour; any other type answers 500. */
const HANDLERS: Record<string, Handler> = {
  RequestHeaderModifier(state, filter) {
    const m = filter.requestHeaderModifier!;
    const { headers, notes } = modifyHeaders(state.headers, m);
    return { state: { ...state, headers, ...hostFromHeaderModifier(state, headers, m), notes: [...state.notes, `RequestHeaderModifier: ${notes.join("; ") || "no change"}`] } };
  },

  ResponseHeaderModifier(state, filter) {
    const m = filter.responseHeaderModifier!;
    return { state: { ...state, responseHeaders: composeHeaderEdits(state.responseHeaders, m), notes: [...state.notes, `ResponseHeaderModifier: ${describeEdits(m)}`] } };
  },

  RequestRedirect(state, filter, ctx) {
    const r = redirectLocation(filter.requestRedirect!, {
      scheme: state.scheme,
      host: ctx.host,
      listenerPort: ctx.listenerPort,
      path: state.path,
      query: state.query,
      pathMatch: ctx.pathMatch,
    });
    if (!r.ok) return fail(state, "UnsupportedValue", `RequestRedirect: ${r.message}`);
    return { state: { ...state, notes: [...state.notes, r.note] }, answer: { redirect: { status: r.status, location: r.location } } };
  },

  URLRewrite(state, filter, ctx) {
    const rw = filter.urlRewrite!;
    const notes: string[] = [];
    let { host, path } = state;
    if (rw.hostname !== undefined) {
      notes.push(`host ${host} → ${rw.hostname}`);
      host = rw.hostname;
    }
    if (rw.path) {
      const m = modifyPath(path, rw.path, ctx.pathMatch);
      if (!m.ok) return fail(state, "UnsupportedValue", `URLRewrite: ${m.message}`);
      notes.push(m.note);
      path = m.path;
    }
    return { state: { ...state, host, path, notes: [...state.notes, `URLRewrite: ${notes.join("; ") || "no change"}`] } };
  },

  RequestMirror(state, filter) {
    const { mirror, note } = toMirror(filter.requestMirror!);
    return { state: { ...state, mirrors: [...state.mirrors, mirror], notes: [...state.notes, note] } };
  },

  CORS(state, filter) {
    const lookup = (name: string): string | undefined => {
      const v = state.headers.get(name);
      return v && v.length ? v.join(",") : undefined;
    };
    const outcome = applyCORS(filter.cors!, state.method, lookup);
    const notes = outcome.note ? [...state.notes, outcome.note] : state.notes;
    if (outcome.kind === "preflight") {
      return { state: { ...state, notes }, answer: { respond: { status: PREFLIGHT_STATUS, headers: outcome.headers } } };
    }
    if (outcome.kind === "actual") {
      const set = Object.entries(outcome.headers).map(([name, value]) => ({ name, value }));
      return { state: { ...state, notes, responseHeaders: composeHeaderEdits(state.responseHeaders, { set, add: [], remove: [] }) } };
    }
    return { state: { ...state, notes } };
  },
};

/** The field each handled type needs; a filter without it cannot be honoured. */
const CONFIG_FIELD: Record<string, keyof RouteFilter> = {
  RequestHeaderModifier: "requestHeaderModifier",
  ResponseHeaderModifier: "responseHeaderModifier",
  RequestRedirect: "requestRedirect",
  URLRewrite: "urlRewrite",
  RequestMirror: "requestMirror",
  CORS: "cors",
};

/**
 * Why a filter cannot be honoured, or null. ExtensionRef names a filter gwsim does not know,
 * and ExternalAuth needs an auth service gwsim cannot call (the spec says it fails closed):
 * both answer 500 for the requests they would handle, as the spec requires of a custom filter
 * that cannot be resolved, never skipped.
 */
export function unsupportedFilter(filter: RouteFilter): { reason: string; message: string } | null {
  if (filter.invalid) return { reason: filter.invalid.reason, message: `${filter.type} filter is invalid: ${filter.invalid.message}` };
  if (filter.type === "ExtensionRef") {
    const ref = filter.extensionRef;
    const what = ref ? `${ref.group || "core"}/${ref.kind} ${ref.name}` : "(no extensionRef)";
    return { reason: "UnsupportedValue", message: `ExtensionRef filter ${what} is not known to gwsim` };
  }
  if (filter.type === "ExternalAuth") return { reason: "UnsupportedValue", message: "ExternalAuth filter: gwsim cannot consult an external auth service, so it fails closed" };
  const field = CONFIG_FIELD[filter.type];
  if (!field || !HANDLERS[filter.type]) return { reason: "UnsupportedValue", message: `unknown filter type ${JSON.stringify(filter.type)}` };
  if (filter[field] === undefined || filter[field] === null) return { reason: "UnsupportedValue", message: `${filter.type} filter without its ${String(field)} field` };
  return null;
}

/**
 * Applies filters in order. A filter that answers (RequestRedirect, a CORS preflight, an error)
 * ends request processing: no forwarded request and no mirrors, since mirrors copy a request
 * sent upstream. ResponseHeaderModifiers anywhere in the list still shape that answer, since
 * they act on whatever response the client gets. Any filter gwsim cannot honour makes every
 * request the list handles answer 500, wherever it sits in the list.
 *
 * Pass the rule's result as `prior` to continue with backendRef-level filters; a prior that
 * already answered is returned unchanged.
 */
export function applyFilters(filters: RouteFilter[], ctx: FilterContext, prior?: FilterResult): FilterResult {
  if (prior && (prior.forwarded === null || prior.redirect || prior.respond || prior.error)) return prior;
  // Most rules have no filters: the request goes on as it came (the same shapes the loop makes).
  if (filters.length === 0) return prior ?? unfiltered(ctx);
  const start = prior ? stateFromResult(prior) : stateFromContext(ctx);

  for (const filter of filters) {
    const problem = unsupportedFilter(filter);
    if (problem) {
      const notes = [...start.notes, `${problem.message}: answered ${SERVER_ERROR}`];
      return answered({ ...start, notes, mirrors: [], responseHeaders: null }, { error: { status: SERVER_ERROR, ...problem } });
    }
  }

  let state = start;
  for (let i = 0; i < filters.length; i++) {
    const filter = filters[i]!;
    const step = HANDLERS[filter.type]!(state, filter, ctx);
    state = step.state;
    if ("answer" in step) {
      for (const later of filters.slice(i + 1)) {
        if (later.type === "ResponseHeaderModifier") state = HANDLERS.ResponseHeaderModifier!(state, later, ctx).state;
      }
      if (state.mirrors.length) state = { ...state, notes: [...state.notes, "the gateway answers itself: nothing is mirrored"], mirrors: [] };
      return answered(state, step.answer);
    }
  }
  return {
    forwarded: { method: state.method, scheme: state.scheme, host: state.host, path: state.path + (state.query ? `?${state.query}` : ""), headers: headersToRecord(state.headers) },
    redirect: null,
    respond: null,
    responseHeaders: state.responseHeaders,
    mirrors: state.mirrors,
    error: null,
    notes: state.notes,
  };
}

function unfiltered(ctx: FilterContext): FilterResult {
  const headers: Record<string, string | string[]> = {};
  for (const name in ctx.headers) {
    if (name === "host") continue; // carried as `host`
    const v = ctx.headers[name]!;
    headers[name.toLowerCase()] = typeof v === "string" ? v : v.length === 1 ? v[0]! : [...v];
  }
  return {
    forwarded: { method: ctx.method, scheme: ctx.scheme, host: ctx.port !== null ? `${ctx.host}:${ctx.port}` : ctx.host, path: ctx.query ? `${ctx.path}?${ctx.query}` : ctx.path, headers },
    redirect: null,
    respond: null,
    responseHeaders: null,
    mirrors: [],
    error: null,
    notes: [],
  };
}

function answered(state: State, answer: Answer): FilterResult {
  return {
    forwarded: null,
    redirect: "redirect" in answer ? answer.redirect : null,
    respond: "respond" in answer ? answer.respond : null,
    responseHeaders: state.responseHeaders,
    mirrors: [],
    error: "error" in answer ? answer.error : null,
    notes: state.notes,
  };
}

function stateFromContext(ctx: FilterContext): State {
  const headers: HeaderMap = new Map();
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (name === "host") continue; // carried as `host`
    headers.set(name.toLowerCase(), Array.isArray(value) ? [...value] : [value]);
  }
  return {
    method: ctx.method,
    scheme: ctx.scheme,
    host: ctx.host + (ctx.port !== null ? `:${ctx.port}` : ""),
    path: ctx.path,
    query: ctx.query,
    headers,
    responseHeaders: null,
    mirrors: [],
    notes: [],
  };
}

function stateFromResult(prior: FilterResult): State {
  const f = prior.forwarded!;
  const q = f.path.indexOf("?");
  return {
    method: f.method,
    scheme: f.scheme,
    host: f.host,
    path: q < 0 ? f.path : f.path.slice(0, q),
    query: q < 0 ? "" : f.path.slice(q + 1),
    headers: headersFromRecord(f.headers),
    responseHeaders: prior.responseHeaders,
    mirrors: [...prior.mirrors],
    notes: [...prior.notes],
  };
}

/**
 * The Host header travels as `forwarded.host`, not among the headers, so a RequestHeaderModifier
 * that sets `host` rewrites the host; `add` or `remove` of `host` cannot apply (a request has
 * exactly one Host) and leaves it as it was.
 */
function hostFromHeaderModifier(state: State, headers: HeaderMap, m: RouteFilter["requestHeaderModifier"] & object): { host: string } {
  const host = headers.get("host");
  headers.delete("host");
  const setsHost = (m.set ?? []).some((h) => h.name.toLowerCase() === "host");
  return { host: setsHost && host && host.length ? host[0]! : state.host };
}

function describeEdits(m: NonNullable<RouteFilter["responseHeaderModifier"]>): string {
  const parts = [
    ...(m.set ?? []).map((h) => `set ${h.name.toLowerCase()}: ${h.value}`),
    ...(m.add ?? []).map((h) => `add ${h.name.toLowerCase()}: ${h.value}`),
    ...(m.remove ?? []).map((n) => `remove ${n.toLowerCase()}`),
  ];
  return parts.join("; ") || "no change";
}
