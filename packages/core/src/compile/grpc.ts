/**
 * GRPCRoutes into the table: their rules, their matches (service/method and headers, with
 * repeated header names dropped), and per hostname the matches sorted by GRPCRoute precedence.
 */
import { compileRegex } from "../model/regex.js";
import type { GRPCRouteMatch, ResolvedRoute } from "../resolve/graph.js";
import { compileRoute, compileRule, firstByName, routeId, ruleIndexOf } from "./common.js";
import { compareGrpcPrecedence, type GrpcPrecedenceKey } from "./precedence.js";
import type { CompiledGrpcGroup, CompiledGrpcMatch, CompiledRoute, CompiledRule } from "./table.js";

export interface GrpcArrays {
  routes: CompiledRoute[];
  rules: CompiledRule[];
  matches: CompiledGrpcMatch[];
}

/** "If no matches are specified, the implementation MUST match every gRPC request." */
const MATCH_EVERY_CALL: GRPCRouteMatch = { method: null, headers: [] };

export function compileGrpcRoute(route: ResolvedRoute, out: GrpcArrays): number {
  const ri = out.routes.length;
  const id = routeId(route);
  const ruleIndices: number[] = [];
  route.rules.forEach((rule, position) => {
    const ruleIdx = out.rules.length;
    ruleIndices.push(ruleIdx);
    const index = ruleIndexOf(rule, position);
    const list = rule.matches.length > 0 ? (rule.matches as GRPCRouteMatch[]) : [MATCH_EVERY_CALL];
    const matchIndices = list.map((m, mi) => {
      const compiled = compileGrpcMatch(m, ri, ruleIdx, index, mi, `${id}/rule/${index}/match/${mi}`);
      out.matches.push(rule.invalid ? { ...compiled, never: `rule dropped: ${rule.invalid.message}` } : compiled);
      return out.matches.length - 1;
    });
    out.rules.push(compileRule(rule, ri, index, `${id}/rule/${index}`, matchIndices));
  });
  out.routes.push(compileRoute(route, ruleIndices));
  return ri;
}

function compileGrpcMatch(m: GRPCRouteMatch, route: number, rule: number, ruleIndex: number, matchIndex: number, id: string): CompiledGrpcMatch {
  let never: string | null = null;
  const method = m.method ? { type: m.method.type ?? "Exact", service: nonEmpty(m.method.service), method: nonEmpty(m.method.method) } : null;
  if (method) {
    if (method.type === "RegularExpression") {
      for (const v of [method.service, method.method]) {
        if (v === null) continue;
        const r = compileRegex(v);
        if (!r.ok && never === null) never = r.message;
      }
    } else if (method.type !== "Exact") {
      never = `unsupported method match type ${String(method.type)}`;
    }
  }
  const headers = firstByName(m.headers ?? [], (n) => n.toLowerCase());
  for (const h of headers) {
    if (h.type === "RegularExpression") {
      const r = compileRegex(h.value);
      if (!r.ok && never === null) never = r.message;
    } else if (h.type !== "Exact" && never === null) {
      never = `unsupported header match type ${String(h.type)}`;
    }
  }
  return { id, route, rule, ruleIndex, matchIndex, method, headers, never };
}

/** "If left empty or omitted, will match any service" (and any method): "" is the same as unset. */
function nonEmpty(v: string | null | undefined): string | null {
  return v === undefined || v === null || v === "" ? null : v;
}

export function grpcKeyOf(m: CompiledGrpcMatch, route: CompiledRoute, hostname: string): GrpcPrecedenceKey {
  return {
    hostname,
    service: m.method?.service ?? null,
    method: m.method?.method ?? null,
    headers: m.headers.length,
    createdMs: route.createdMs,
    creationTimestamp: route.creationTimestamp,
    nsName: `${route.namespace}/${route.name}`,
    ruleIndex: m.ruleIndex,
    matchIndex: m.matchIndex,
  };
}

/** The matches of `routeList` (indices into grpcRoutes) for one hostname, in precedence order. */
export function grpcGroup(id: string, hostname: string, routeList: readonly number[], arrays: GrpcArrays): CompiledGrpcGroup {
  const entries: number[] = [];
  for (const ri of routeList) for (const rule of arrays.routes[ri]!.rules) entries.push(...arrays.rules[rule]!.matches);
  const keys = new Map(entries.map((mi) => [mi, grpcKeyOf(arrays.matches[mi]!, arrays.routes[arrays.matches[mi]!.route]!, hostname)]));
  entries.sort((a, b) => compareGrpcPrecedence(keys.get(a)!, keys.get(b)!) || a - b);
  return { id, hostname, order: entries, routes: [...routeList] };
}
