/**
 * What every route kind compiles the same way: rules and their weighted backends, route
 * identity and age, hostnames on a listener, and the hostname groups a listener keeps.
 */
import type { HTTPHeaderMatch, ResolvedRoute, ResolvedRule } from "../resolve/graph.js";
import { ANY_HOST, addToHostIndex, compareHostSpecificity, emptyHostIndex, intersectHostname } from "./hostname.js";
import type { CompiledBackend, CompiledRoute, CompiledRule, HostIndex } from "./table.js";

export function parseTimestamp(ts: string | null): number | null {
  if (ts === null || ts === undefined) return null;
  const ms = Date.parse(ts);
  return Number.isFinite(ms) ? ms : null;
}

export function routeId(route: { kind: string; namespace: string; name: string }): string {
  return `${route.kind.toLowerCase()}/${route.namespace}/${route.name}`;
}

/** The rule's position as resolve numbered it (stable even when rules are dropped). */
export function ruleIndexOf(rule: ResolvedRule, position: number): number {
  return Number.isInteger(rule.index) ? rule.index : position;
}

export function compileRoute(route: ResolvedRoute, ruleIndices: number[]): CompiledRoute {
  return {
    id: routeId(route),
    kind: route.kind,
    namespace: route.namespace,
    name: route.name,
    creationTimestamp: route.creationTimestamp,
    createdMs: parseTimestamp(route.creationTimestamp),
    hostnames: [...route.hostnames],
    rules: ruleIndices,
    source: route.source ?? null,
  };
}

export function compileRule(rule: ResolvedRule, route: number, index: number, id: string, matchIndices: number[]): CompiledRule {
  const totalWeight = rule.backends.reduce((sum, b) => sum + Math.max(0, b.weight), 0);
  const backends: CompiledBackend[] = rule.backends.map((b) => {
    const weight = Math.max(0, b.weight);
    return {
      group: b.group,
      kind: b.kind,
      namespace: b.namespace,
      name: b.name,
      port: b.port,
      weight,
      probability: totalWeight > 0 ? weight / totalWeight : 0,
      valid: b.valid,
      reason: b.reason,
      message: b.message,
      filters: clone(b.filters ?? []),
      appProtocol: b.appProtocol,
      ...(b.xbackend ? { xbackend: clone(b.xbackend) } : {}),
    };
  });
  return {
    id,
    route,
    index,
    name: rule.name ?? null,
    matches: matchIndices,
    filters: clone(rule.filters ?? []),
    backends,
    totalWeight,
    timeouts: clone(rule.timeouts ?? null),
    retry: clone(rule.retry ?? null),
    sessionPersistence: clone(rule.sessionPersistence ?? null),
    dropped: rule.invalid ? rule.invalid.message : null,
  };
}

/** Spec: of entries with equivalent names only the first counts. */
export function firstByName(list: readonly HTTPHeaderMatch[], key: (name: string) => string): HTTPHeaderMatch[] {
  const seen = new Set<string>();
  const out: HTTPHeaderMatch[] = [];
  for (const h of list) {
    const k = key(h.name);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ type: h.type ?? "Exact", name: k, value: h.value });
  }
  return out;
}

/** The hostnames a route serves on a listener; defensive re-intersection keeps the table exact. */
export function effectiveHostnames(attachmentHosts: readonly string[], listenerHost: string | null): string[] {
  if (attachmentHosts.length === 0) return [listenerHost ?? ANY_HOST];
  const out: string[] = [];
  for (const h of attachmentHosts) {
    const i = intersectHostname(h.toLowerCase(), listenerHost);
    if (i !== null) out.push(i);
  }
  return out;
}

/** route index → hostnames it serves, turned into hostname → routes, most specific hostname first. */
export function byHostname(attached: ReadonlyMap<number, ReadonlySet<string>>): { hostname: string; routes: number[] }[] {
  const byHost = new Map<string, number[]>();
  for (const [ri, hosts] of attached) {
    for (const h of hosts) {
      let list = byHost.get(h);
      if (!list) byHost.set(h, (list = []));
      list.push(ri);
    }
  }
  return [...byHost.keys()].sort(compareHostSpecificity).map((hostname) => ({ hostname, routes: [...byHost.get(hostname)!].sort((a, b) => a - b) }));
}

export function hostIndexOf(groups: readonly { hostname: string }[]): HostIndex {
  const hosts = emptyHostIndex();
  groups.forEach((g, gi) => addToHostIndex(hosts, g.hostname, gi));
  return hosts;
}

/** Attachments of one route kind, per listener id: compiled route index → hostnames. */
export type AttachedByListener = Map<string, Map<number, Set<string>>>;

export function addAttachment(into: AttachedByListener, listenerId: string, route: number, hostnames: readonly string[]): void {
  let perRoute = into.get(listenerId);
  if (!perRoute) into.set(listenerId, (perRoute = new Map()));
  let hosts = perRoute.get(route);
  if (!hosts) perRoute.set(route, (hosts = new Set()));
  for (const h of hostnames) hosts.add(h);
}

/** The table owns its copies: freezing it must not freeze the caller's graph. */
export function clone<T>(value: T): T {
  return value === null || value === undefined ? value : structuredClone(value);
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
