import { GATEWAY_GROUP, RouteReason } from "../model/conditions.js";
import { compileRegex } from "../model/regex.js";
import { sourceOf } from "../manifest/object.js";
import { resolveBackendRef, type BackendContext } from "./backends.js";
import type { Problem } from "./conditions.js";
import type {
  GRPCRouteMatch,
  HeaderModifier,
  HTTPHeaderMatch,
  HTTPPathMatch,
  HTTPRouteMatch,
  ResolvedBackend,
  ResolvedRoute,
  ResolvedRule,
  RouteFilter,
  RouteKind,
} from "./graph.js";
import type { BackendRefIn, FilterIn, GRPCMatchIn, HeaderModifierIn, HTTPMatchIn, InputObject, RouteRuleIn, RouteSpecIn } from "./input.js";
import { arr, generationOf, namespaceOf, plain, specOf } from "./input.js";
import { ROUTE_KINDS, type ObjectIndex } from "./objects.js";

export interface RouteModel {
  obj: InputObject;
  kind: RouteKind;
  namespace: string;
  name: string;
  generation: number;
  spec: Partial<RouteSpecIn>;
  resolved: ResolvedRoute;
  /** Unresolved references: the route's ResolvedRefs condition. */
  refProblems: Problem[];
  /** Rules that cannot be programmed and are dropped, by rule index. */
  droppedRules: { index: number; reason: string; message: string }[];
}

const FILTERS_BY_KIND: Readonly<Record<RouteKind, ReadonlySet<string>>> = {
  HTTPRoute: new Set(["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS", "ExternalAuth"]),
  GRPCRoute: new Set(["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef"]),
  TLSRoute: new Set(),
  TCPRoute: new Set(),
  UDPRoute: new Set(),
};

const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);
const PATH_TYPES = new Set(["Exact", "PathPrefix", "RegularExpression"]);
const VALUE_MATCH_TYPES = new Set(["Exact", "RegularExpression"]);

export function resolveRoutes(index: ObjectIndex): RouteModel[] {
  const out: RouteModel[] = [];
  const seen = new Set<string>();
  for (const kind of ROUTE_KINDS) {
    for (const obj of index.byKind(kind)) {
      const key = `${kind}/${namespaceOf(obj)}/${obj.metadata.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(resolveRoute(index, kind, obj));
    }
  }
  return out;
}

function resolveRoute(index: ObjectIndex, kind: RouteKind, obj: InputObject): RouteModel {
  const namespace = namespaceOf(obj);
  const spec = specOf<RouteSpecIn>(obj);
  const refProblems: Problem[] = [];
  const droppedRules: RouteModel["droppedRules"] = [];
  const parentRefs = arr(spec.parentRefs as { group?: string; kind?: string }[] | undefined);
  const meshOnly = parentRefs.length > 0 && parentRefs.every((p) => (p.group ?? GATEWAY_GROUP) === "" && p.kind === "Service");
  const ctx: BackendContext = { index, fromKind: kind, fromNamespace: namespace, routeKind: kind, meshOnly };
  const usesHostnames = kind === "HTTPRoute" || kind === "GRPCRoute" || kind === "TLSRoute";
  const rulesIn = arr(spec.rules);
  // HTTPRoute.spec.rules defaults to one rule matching every path.
  const rules = rulesIn.length === 0 && kind === "HTTPRoute" ? [{} as RouteRuleIn] : rulesIn;
  const resolvedRules = rules.map((rule, i) => {
    const r = resolveRule(ctx, kind, rule, i, refProblems);
    if (r.invalid) droppedRules.push({ index: i, ...r.invalid });
    return r;
  });
  const src = sourceOf(obj);
  const resolved: ResolvedRoute = {
    kind,
    namespace,
    name: obj.metadata.name,
    creationTimestamp: obj.metadata.creationTimestamp ?? null,
    generation: generationOf(obj),
    hostnames: usesHostnames ? arr(spec.hostnames).map((h) => h.toLowerCase()) : [],
    rules: resolvedRules,
    ...(src ? { source: { file: src.file, line: src.line, column: src.column } } : {}),
  };
  return { obj, kind, namespace, name: obj.metadata.name, generation: generationOf(obj), spec, resolved, refProblems, droppedRules };
}

function resolveRule(ctx: BackendContext, kind: RouteKind, rule: RouteRuleIn, i: number, problems: Problem[]): ResolvedRule {
  const where = `rule ${i}${rule.name ? ` (${rule.name})` : ""}`;
  let invalid: { reason: string; message: string } | null = null;
  const drop = (reason: string, message: string) => {
    invalid ??= { reason, message: `${where}: ${message}` };
  };
  const matches = resolveMatches(kind, arr(rule.matches), drop);
  const filterTypes = arr(rule.filters).map((f) => f.type);
  if (filterTypes.includes("RequestRedirect") && filterTypes.includes("URLRewrite")) {
    drop(RouteReason.IncompatibleFilters, "RequestRedirect and URLRewrite cannot be combined in one rule");
  }
  const filters = arr(rule.filters).map((f, k) => resolveFilter(ctx, kind, f, where, `filter ${k} (${f.type})`, problems, drop));
  const backends: ResolvedBackend[] = arr(rule.backendRefs).map((ref, j) => {
    const bwhere = `${where} backendRef ${j}`;
    const bfilters = arr(ref.filters).map((f, k) => resolveFilter(ctx, kind, f, where, `backendRef ${j} filter ${k} (${f.type})`, problems, drop));
    const r = resolveBackendRef(ctx, ref, bwhere, bfilters);
    if (r.problem) problems.push(r.problem);
    return r.backend;
  });
  return {
    index: i,
    name: rule.name ?? null,
    matches,
    filters,
    backends,
    timeouts: rule.timeouts ? plain(rule.timeouts) : null,
    retry: rule.retry ? plain(rule.retry) : null,
    sessionPersistence: rule.sessionPersistence ? plain(rule.sessionPersistence) : null,
    invalid,
  };
}

type Drop = (reason: string, message: string) => void;

function resolveMatches(kind: RouteKind, matches: readonly (HTTPMatchIn | GRPCMatchIn)[], drop: Drop): (HTTPRouteMatch | GRPCRouteMatch)[] {
  if (kind === "HTTPRoute") {
    // Defaults from the CRD: no matches means one PathPrefix "/" match; a match without path gets it too.
    const list = (matches.length ? matches : [{}]) as readonly HTTPMatchIn[];
    return list.map((m, k) => resolveHTTPMatch(m, `match ${k}`, drop));
  }
  if (kind === "GRPCRoute") {
    // "If no matches are specified, the implementation MUST match every gRPC request."
    const list = (matches.length ? matches : [{}]) as readonly GRPCMatchIn[];
    return list.map((m, k) => resolveGRPCMatch(m, `match ${k}`, drop));
  }
  return [];
}

function resolveHTTPMatch(m: HTTPMatchIn, where: string, drop: Drop): HTTPRouteMatch {
  const path: HTTPPathMatch = { type: (m.path?.type ?? "PathPrefix") as HTTPPathMatch["type"], value: m.path?.value ?? "/" };
  if (!PATH_TYPES.has(path.type)) drop(RouteReason.UnsupportedValue, `${where}: path type ${JSON.stringify(path.type)} is not supported`);
  else if (path.type === "RegularExpression") checkRegex(path.value, `${where} path`, drop);
  const method = m.method ?? null;
  if (method !== null && !HTTP_METHODS.has(method)) drop(RouteReason.UnsupportedValue, `${where}: method ${JSON.stringify(method)} is not supported`);
  return {
    path,
    headers: arr(m.headers).map((h, i) => valueMatch(h, `${where} headers[${i}]`, drop)),
    queryParams: arr(m.queryParams).map((q, i) => valueMatch(q, `${where} queryParams[${i}]`, drop)),
    method,
  };
}

function resolveGRPCMatch(m: GRPCMatchIn, where: string, drop: Drop): GRPCRouteMatch {
  let method: GRPCRouteMatch["method"] = null;
  if (m.method) {
    const type = (m.method.type ?? "Exact") as "Exact" | "RegularExpression";
    method = { type, service: m.method.service ?? null, method: m.method.method ?? null };
    if (!VALUE_MATCH_TYPES.has(type)) drop(RouteReason.UnsupportedValue, `${where}: method type ${JSON.stringify(type)} is not supported`);
    else if (type === "RegularExpression") {
      if (method.service !== null) checkRegex(method.service, `${where} method.service`, drop);
      if (method.method !== null) checkRegex(method.method, `${where} method.method`, drop);
    }
  }
  return { method, headers: arr(m.headers).map((h, i) => valueMatch(h, `${where} headers[${i}]`, drop)) };
}

function valueMatch(h: { type?: string; name: string; value: string }, where: string, drop: Drop): HTTPHeaderMatch {
  const type = (h.type ?? "Exact") as "Exact" | "RegularExpression";
  if (!VALUE_MATCH_TYPES.has(type)) drop(RouteReason.UnsupportedValue, `${where}: type ${JSON.stringify(type)} is not supported`);
  else if (type === "RegularExpression") checkRegex(h.value, where, drop);
  return { type, name: h.name, value: h.value };
}

function checkRegex(pattern: string, where: string, drop: Drop): void {
  const r = compileRegex(pattern);
  if (!r.ok) drop(RouteReason.UnsupportedValue, `${where}: ${r.message}`);
}

function headerModifier(m: HeaderModifierIn | undefined): HeaderModifier {
  return {
    set: arr(m?.set).map((h) => ({ name: h.name, value: h.value })),
    add: arr(m?.add).map((h) => ({ name: h.name, value: h.value })),
    remove: [...arr(m?.remove)],
  };
}

/** `ruleWhere` names the rule, `local` the filter within it (for messages). */
function resolveFilter(ctx: BackendContext, kind: RouteKind, f: FilterIn, ruleWhere: string, local: string, problems: Problem[], drop: Drop): RouteFilter {
  const out: RouteFilter = { type: f.type };
  const where = `${ruleWhere} ${local}`;
  if (!FILTERS_BY_KIND[kind].has(f.type)) {
    drop(RouteReason.UnsupportedValue, `${local}: filter type ${JSON.stringify(f.type)} is not supported on a ${kind}`);
    return out;
  }
  switch (f.type) {
    case "RequestHeaderModifier":
      out.requestHeaderModifier = headerModifier(f.requestHeaderModifier);
      break;
    case "ResponseHeaderModifier":
      out.responseHeaderModifier = headerModifier(f.responseHeaderModifier);
      break;
    case "RequestRedirect":
      out.requestRedirect = { statusCode: 302, ...plain(f.requestRedirect ?? {}) } as RouteFilter["requestRedirect"];
      break;
    case "URLRewrite":
      out.urlRewrite = plain(f.urlRewrite ?? {}) as RouteFilter["urlRewrite"];
      break;
    case "CORS":
      out.cors = plain(f.cors ?? {}) as RouteFilter["cors"];
      break;
    case "RequestMirror": {
      const m = f.requestMirror;
      const ref: BackendRefIn = { ...(m?.backendRef ?? { name: "" }), weight: 1 };
      const r = resolveBackendRef(ctx, ref, `${where} backendRef`);
      // An unresolvable mirror backend is dropped (not mirrored to); the request itself proceeds.
      if (r.problem) problems.push(r.problem);
      out.requestMirror = {
        backendRef: r.backend,
        ...(m?.percent !== undefined ? { percent: m.percent } : {}),
        ...(m?.fraction ? { fraction: { numerator: m.fraction.numerator, denominator: m.fraction.denominator ?? 100 } } : {}),
      };
      break;
    }
    case "ExternalAuth": {
      const ea = f.externalAuth ?? {};
      const r = resolveBackendRef(ctx, { ...(ea.backendRef ?? { name: "" }), weight: 1 }, `${where} backendRef`);
      out.externalAuth = { ...plain(ea), protocol: String(ea.protocol ?? ""), backendRef: r.backend };
      if (r.problem) {
        problems.push(r.problem);
        // Requests the filter would authorize cannot be authorized: they answer 500.
        out.invalid = { reason: r.problem.reason, message: r.problem.message };
      }
      break;
    }
    case "ExtensionRef": {
      const e = f.extensionRef;
      out.extensionRef = { group: e?.group ?? "", kind: e?.kind ?? "", name: e?.name ?? "" };
      // gwsim implements no extension filters. The spec says the filter must not be skipped:
      // requests it would process get an error (500), and the reference is reported (GEP-1364).
      const message = `${where}: ${e?.group ? `${e.group}/` : ""}${e?.kind ?? "?"} ${e?.name ?? "?"} is an extension filter gwsim does not implement; requests this rule matches answer 500`;
      out.invalid = { reason: RouteReason.InvalidKind, message };
      problems.push({ reason: RouteReason.InvalidKind, message });
      break;
    }
  }
  return out;
}
