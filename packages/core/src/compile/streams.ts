/**
 * TLSRoutes, TCPRoutes and UDPRoutes into the table. They have no matches: on a listener the
 * routes of one hostname (TLS: the SNI hostname; TCP and UDP: `*`) are ordered by the stream
 * precedence (oldest, then namespace/name) and the first one carries the traffic.
 */
import type { ResolvedRoute } from "../resolve/graph.js";
import { compileRoute, compileRule, routeId, ruleIndexOf } from "./common.js";
import { compareStreamPrecedence, type StreamPrecedenceKey } from "./precedence.js";
import type { CompiledRoute, CompiledRule, CompiledStreamGroup } from "./table.js";

export interface StreamArrays {
  routes: CompiledRoute[];
  rules: CompiledRule[];
}

export const STREAM_KINDS: ReadonlySet<string> = new Set(["TLSRoute", "TCPRoute", "UDPRoute"]);

export function compileStreamRoute(route: ResolvedRoute, out: StreamArrays): number {
  const ri = out.routes.length;
  const id = routeId(route);
  const ruleIndices = route.rules.map((rule, position) => {
    const index = ruleIndexOf(rule, position);
    out.rules.push(compileRule(rule, ri, index, `${id}/rule/${index}`, []));
    return out.rules.length - 1;
  });
  out.routes.push(compileRoute(route, ruleIndices));
  return ri;
}

export function streamKeyOf(route: CompiledRoute, hostname: string): StreamPrecedenceKey {
  return { hostname, createdMs: route.createdMs, creationTimestamp: route.creationTimestamp, nsName: `${route.namespace}/${route.name}` };
}

export function streamGroup(id: string, hostname: string, routeList: readonly number[], routes: readonly CompiledRoute[]): CompiledStreamGroup {
  const ordered = [...routeList].sort((a, b) => compareStreamPrecedence(streamKeyOf(routes[a]!, hostname), streamKeyOf(routes[b]!, hostname)) || a - b);
  return { id, hostname, routes: ordered };
}

/**
 * The rule a stream route sends traffic by. TLS/TCP/UDP rules have no matches, so only one can
 * ever be told apart: v1 allows one rule; of v1alpha2's up to 16, the first that resolve did not
 * drop takes everything (gwsim choice) and the others are unreachable.
 */
export function streamRuleOf(route: CompiledRoute, rules: readonly CompiledRule[]): number | null {
  for (const r of route.rules) if (rules[r]!.dropped === null) return r;
  return null;
}
