/**
 * HTTPRoutes into the table: rules, matches (paths in the form requests are normalized to,
 * repeated header/query names dropped), and per hostname the matches sorted by the HTTPRoute
 * precedence comparator, bucketed by exact path, path prefix and regex for fast lookup.
 */
import { compileRegex } from "../model/regex.js";
import { normalizeMatchPath } from "../decide/normalize.js";
import type { HTTPRouteMatch, ResolvedRoute } from "../resolve/graph.js";
import { compileRoute, compileRule, firstByName, routeId, ruleIndexOf } from "./common.js";
import { comparePrecedence, type PrecedenceKey } from "./precedence.js";
import type { CompiledGroup, CompiledMatch, CompiledRoute, CompiledRule } from "./table.js";

export interface HttpArrays {
  routes: CompiledRoute[];
  rules: CompiledRule[];
  matches: CompiledMatch[];
  /** Precedence key per match, hostname `*` (within a group every entry shares the hostname). */
  keys: PrecedenceKey[];
}

const DEFAULT_MATCH: HTTPRouteMatch = { path: { type: "PathPrefix", value: "/" }, headers: [], queryParams: [], method: null };

export function compileHttpRoute(route: ResolvedRoute, out: HttpArrays): number {
  const ri = out.routes.length;
  const id = routeId(route);
  const ruleIndices: number[] = [];
  const pending: CompiledMatch[] = [];
  route.rules.forEach((rule, position) => {
    const ruleIdx = out.rules.length;
    ruleIndices.push(ruleIdx);
    const index = ruleIndexOf(rule, position);
    const ruleMatches = rule.matches.length > 0 ? rule.matches : [DEFAULT_MATCH];
    const matchIndices = ruleMatches.map((m, mi) => {
      const compiled = compileMatch(m as HTTPRouteMatch, ri, ruleIdx, index, mi, `${id}/rule/${index}/match/${mi}`);
      // A rule resolve dropped must not take traffic (graph.ts ResolvedRule.invalid).
      out.matches.push(rule.invalid ? { ...compiled, never: `rule dropped: ${rule.invalid.message}` } : compiled);
      pending.push(out.matches[out.matches.length - 1]!);
      return out.matches.length - 1;
    });
    out.rules.push(compileRule(rule, ri, index, `${id}/rule/${index}`, matchIndices));
  });
  const compiled = compileRoute(route, ruleIndices);
  out.routes.push(compiled);
  for (const m of pending) out.keys.push(precedenceKeyOf(m, compiled, "*"));
  return ri;
}

function compileMatch(m: HTTPRouteMatch, route: number, rule: number, ruleIndex: number, matchIndex: number, id: string): CompiledMatch {
  const written = m.path ?? { type: "PathPrefix" as const, value: "/" };
  // Exact/PathPrefix values are compared in the form requests are normalized to (normalize.ts).
  const path = written.type === "RegularExpression" ? written : { type: written.type, value: normalizeMatchPath(written.value) };
  let never: string | null = null;
  if (path.type === "RegularExpression") {
    const r = compileRegex(path.value);
    if (!r.ok) never = r.message;
  } else if (path.type !== "Exact" && path.type !== "PathPrefix") {
    never = `unsupported path match type ${String(path.type)}`;
  }
  // Spec: of entries with equivalent names only the first counts (header names case-insensitive).
  const headers = firstByName(m.headers ?? [], (n) => n.toLowerCase());
  const queryParams = firstByName(m.queryParams ?? [], (n) => n);
  for (const h of [...headers, ...queryParams]) {
    if (h.type === "RegularExpression") {
      const r = compileRegex(h.value);
      if (!r.ok && never === null) never = r.message;
    } else if (h.type !== "Exact" && never === null) {
      never = `unsupported match type ${String(h.type)}`;
    }
  }
  return {
    id,
    route,
    rule,
    ruleIndex,
    matchIndex,
    path: { type: path.type, value: path.value },
    method: m.method ? m.method.toUpperCase() : null,
    headers,
    queryParams,
    never,
  };
}

export function precedenceKeyOf(m: CompiledMatch, route: CompiledRoute, hostname: string): PrecedenceKey {
  return {
    hostname,
    pathType: m.path.type,
    pathValue: m.path.value,
    method: m.method,
    headers: m.headers.length,
    queryParams: m.queryParams.length,
    createdMs: route.createdMs,
    creationTimestamp: route.creationTimestamp,
    nsName: `${route.namespace}/${route.name}`,
    ruleIndex: m.ruleIndex,
    matchIndex: m.matchIndex,
  };
}

/** The bucket key of a PathPrefix value: the value without one trailing `/` (`/` → ""). */
export function prefixKey(value: string): string {
  return value.endsWith("/") ? value.slice(0, -1) : value;
}

/** The matches of `routeList` (indices into routes) for one hostname, sorted and bucketed. */
export function httpGroup(id: string, hostname: string, routeList: readonly number[], arrays: HttpArrays): CompiledGroup {
  const entries: number[] = [];
  for (const ri of routeList) {
    for (const rule of arrays.routes[ri]!.rules) entries.push(...arrays.rules[rule]!.matches);
  }
  // Within a group every entry shares the hostname, so the key's hostname can stay `*`.
  entries.sort((a, b) => comparePrecedence(arrays.keys[a]!, arrays.keys[b]!) || a - b);
  const exactPaths: Record<string, number[]> = Object.create(null);
  const prefixes: Record<string, number[]> = Object.create(null);
  const regexes: number[] = [];
  for (const mi of entries) {
    const m = arrays.matches[mi]!;
    if (m.never !== null) continue;
    if (m.path.type === "Exact") (exactPaths[m.path.value] ??= []).push(mi);
    else if (m.path.type === "PathPrefix") (prefixes[prefixKey(m.path.value)] ??= []).push(mi);
    else if (m.path.type === "RegularExpression") regexes.push(mi);
  }
  return { id, hostname, order: entries, exactPaths, prefixes, regexes, routes: [...routeList] };
}
