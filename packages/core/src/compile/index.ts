/**
 * compile: resolved Graph → RouteTable (the IR `decide` reads). Pure and deterministic:
 * the same graph gives the same table, whatever the order of its arrays' equal-precedence
 * entries, because every sort ends on a total tie-break.
 */
import { compileRegex } from "../model/regex.js";
import { normalizeMatchPath } from "../decide/normalize.js";
import type {
  Graph,
  HTTPHeaderMatch,
  HTTPRouteMatch,
  ResolvedListener,
  ResolvedRoute,
  ResolvedRule,
} from "../resolve/graph.js";
import {
  ANY_HOST,
  addToHostIndex,
  compareHostSpecificity,
  emptyHostIndex,
  intersectHostname,
} from "./hostname.js";
import { comparePrecedence, type PrecedenceKey } from "./precedence.js";
import {
  ROUTE_TABLE_VERSION,
  type CompiledBackend,
  type CompiledBackendTLSPolicy,
  type CompiledGateway,
  type CompiledGatewayPort,
  type CompiledGroup,
  type CompiledListener,
  type CompiledMatch,
  type CompiledRoute,
  type CompiledRule,
  type CompiledService,
  type HostIndex,
  type RouteTable,
} from "./table.js";

export type * from "./table.js";
export { comparePrecedence, precedenceReason, PRECEDENCE_STEPS, type PrecedenceKey, type PrecedenceStep } from "./precedence.js";
export { hostMatches, compareHostSpecificity, intersectHostname } from "./hostname.js";

/** Route kinds this table routes HTTP requests for. */
const HTTP_ROUTE_KINDS = new Set(["HTTPRoute"]);

export function compile(graph: Graph): RouteTable {
  const routes: CompiledRoute[] = [];
  const rules: CompiledRule[] = [];
  const matches: CompiledMatch[] = [];
  /** Graph route index → table route index (HTTP kinds only). */
  const routeIndex = new Map<number, number>();

  graph.routes.forEach((route, gi) => {
    if (!HTTP_ROUTE_KINDS.has(route.kind)) return;
    routeIndex.set(gi, compileRoute(route, routes, rules, matches));
  });

  const keys = matches.map((m) => precedenceKeyOf(m, routes[m.route]!, ANY_HOST));

  // Attachments per listener id: table route index → hostnames (union over parentRefs).
  const attached = new Map<string, Map<number, Set<string>>>();
  const listenerById = new Map(graph.listeners.map((l) => [l.id, l]));
  for (const a of graph.attachments) {
    const ri = routeIndex.get(a.route);
    const listener = listenerById.get(a.listener);
    if (ri === undefined || listener === undefined) continue;
    let perRoute = attached.get(a.listener);
    if (!perRoute) attached.set(a.listener, (perRoute = new Map()));
    let hosts = perRoute.get(ri);
    if (!hosts) perRoute.set(ri, (hosts = new Set()));
    for (const h of effectiveHostnames(a.hostnames, listener.hostname)) hosts.add(h);
  }

  const listeners: CompiledListener[] = graph.listeners.map((l) =>
    compileListener(l, attached.get(l.id) ?? new Map(), routes, rules, matches, keys),
  );

  return deepFreeze({
    kind: "RouteTable",
    version: ROUTE_TABLE_VERSION,
    gateways: indexGateways(listeners),
    listeners,
    routes,
    rules,
    matches,
    backendTLSPolicies: compileBackendTLSPolicies(graph),
    services: compileServices(graph),
  } satisfies RouteTable);
}

/** The hostnames a route serves on a listener; defensive re-intersection keeps the table exact. */
function effectiveHostnames(attachmentHosts: readonly string[], listenerHost: string | null): string[] {
  if (attachmentHosts.length === 0) return [listenerHost ?? ANY_HOST];
  const out: string[] = [];
  for (const h of attachmentHosts) {
    const i = intersectHostname(h.toLowerCase(), listenerHost);
    if (i !== null) out.push(i);
  }
  return out;
}

function compileRoute(
  route: ResolvedRoute,
  routes: CompiledRoute[],
  rules: CompiledRule[],
  matches: CompiledMatch[],
): number {
  const ri = routes.length;
  const id = `${route.kind.toLowerCase()}/${route.namespace}/${route.name}`;
  const ruleIndices: number[] = [];
  route.rules.forEach((rule, position) => {
    const ruleIdx = rules.length;
    ruleIndices.push(ruleIdx);
    const index = Number.isInteger(rule.index) ? rule.index : position;
    const ruleMatches = rule.matches.length > 0 ? rule.matches : [DEFAULT_MATCH];
    const matchIndices = ruleMatches.map((m, mi) => {
      matches.push(compileMatch(m as HTTPRouteMatch, ri, ruleIdx, index, mi, `${id}/rule/${index}/match/${mi}`));
      return matches.length - 1;
    });
    rules.push(compileRule(rule, ri, index, `${id}/rule/${index}`, matchIndices));
  });
  const createdMs = parseTimestamp(route.creationTimestamp);
  routes.push({
    id,
    kind: route.kind,
    namespace: route.namespace,
    name: route.name,
    creationTimestamp: route.creationTimestamp,
    createdMs,
    hostnames: [...route.hostnames],
    rules: ruleIndices,
    source: route.source ?? null,
  });
  return ri;
}

const DEFAULT_MATCH: HTTPRouteMatch = { path: { type: "PathPrefix", value: "/" }, headers: [], queryParams: [], method: null };

function parseTimestamp(ts: string | null): number | null {
  if (ts === null || ts === undefined) return null;
  const ms = Date.parse(ts);
  return Number.isFinite(ms) ? ms : null;
}

function compileRule(rule: ResolvedRule, route: number, index: number, id: string, matchIndices: number[]): CompiledRule {
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
  };
}

function compileMatch(
  m: HTTPRouteMatch,
  route: number,
  rule: number,
  ruleIndex: number,
  matchIndex: number,
  id: string,
): CompiledMatch {
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

function firstByName(list: readonly HTTPHeaderMatch[], key: (name: string) => string): HTTPHeaderMatch[] {
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

function compileListener(
  l: ResolvedListener,
  attached: Map<number, Set<string>>,
  routes: CompiledRoute[],
  rules: CompiledRule[],
  matches: CompiledMatch[],
  keys: PrecedenceKey[],
): CompiledListener {
  // hostname → routes serving it on this listener
  const byHost = new Map<string, number[]>();
  for (const [ri, hosts] of attached) {
    for (const h of hosts) {
      let list = byHost.get(h);
      if (!list) byHost.set(h, (list = []));
      list.push(ri);
    }
  }
  const hostnames = [...byHost.keys()].sort(compareHostSpecificity);
  const groups: CompiledGroup[] = hostnames.map((hostname) => {
    const routeList = [...byHost.get(hostname)!].sort((a, b) => a - b);
    const entries: number[] = [];
    for (const ri of routeList) {
      for (const rule of routes[ri]!.rules) entries.push(...rules[rule]!.matches);
    }
    // Within a group every entry shares the hostname, so the key's hostname can stay `*`.
    entries.sort((a, b) => comparePrecedence(keys[a]!, keys[b]!) || a - b);
    const exactPaths: Record<string, number[]> = Object.create(null);
    const prefixes: Record<string, number[]> = Object.create(null);
    const regexes: number[] = [];
    for (const mi of entries) {
      const m = matches[mi]!;
      if (m.never !== null) continue;
      if (m.path.type === "Exact") (exactPaths[m.path.value] ??= []).push(mi);
      else if (m.path.type === "PathPrefix") (prefixes[prefixKey(m.path.value)] ??= []).push(mi);
      else if (m.path.type === "RegularExpression") regexes.push(mi);
    }
    return { id: `${l.id}/host/${hostname}`, hostname, order: entries, exactPaths, prefixes, regexes, routes: routeList };
  });
  const hosts = emptyHostIndex();
  groups.forEach((g, gi) => addToHostIndex(hosts, g.hostname, gi));
  return {
    id: l.id,
    gateway: `${l.gateway.namespace}/${l.gateway.name}`,
    listenerSet: l.listenerSet ? `${l.listenerSet.namespace}/${l.listenerSet.name}` : null,
    name: l.name,
    port: l.port,
    protocol: l.protocol,
    hostname: l.hostname ? l.hostname.toLowerCase() : null,
    ready: l.ready,
    tls: l.tls
      ? {
          mode: l.tls.mode,
          certificates: l.tls.certificates.map((c) => ({
            ref: `${c.namespace}/${c.name}`,
            dnsNames: [...c.dnsNames],
            valid: c.valid,
          })),
          frontendValidation: l.tls.frontendValidation
            ? {
                mode: l.tls.frontendValidation.mode,
                caCertificates: l.tls.frontendValidation.caCertificates.map((c) => ({ ref: `${c.namespace}/${c.name}`, pem: c.pem })),
              }
            : null,
        }
      : null,
    groups,
    hosts,
    routes: [...attached.keys()].sort((a, b) => a - b),
    source: l.source ?? null,
  };
}

/** Programmed listeners indexed by gateway, port and protocol, then by hostname. */
function indexGateways(listeners: CompiledListener[]): Record<string, CompiledGateway> {
  const gateways: Record<string, { id: string; namespace: string; name: string; ports: Record<string, CompiledGatewayPort>; listeners: number[] }> =
    Object.create(null);
  const byPortProtocol = new Map<string, number[]>();
  listeners.forEach((l, li) => {
    const [namespace = "", name = ""] = l.gateway.split("/");
    const gw = (gateways[l.gateway] ??= { id: `gateway/${l.gateway}`, namespace, name, ports: Object.create(null), listeners: [] });
    gw.listeners.push(li);
    const port = (gw.ports[String(l.port)] ??= { protocols: Object.create(null), listeners: [] });
    (port.listeners as number[]).push(li);
    const k = `${l.gateway}\u0000${l.port}\u0000${l.protocol}`;
    let list = byPortProtocol.get(k);
    if (!list) byPortProtocol.set(k, (list = []));
    list.push(li);
  });
  for (const list of byPortProtocol.values()) {
    const first = listeners[list[0]!]!;
    const index = emptyHostIndex();
    // Listeners keep graph order on equal hostnames (resolve marks the losers not ready).
    for (const li of list) {
      const l = listeners[li]!;
      if (l.ready) addToHostIndex(index, l.hostname ?? ANY_HOST, li);
    }
    (gateways[first.gateway]!.ports[String(first.port)]!.protocols as Record<string, HostIndex>)[first.protocol] = index;
  }
  return gateways;
}

function compileBackendTLSPolicies(graph: Graph): CompiledBackendTLSPolicy[] {
  const out: CompiledBackendTLSPolicy[] = [];
  for (const p of graph.backendTLSPolicies) {
    for (const t of p.targets) {
      if ((t.group ?? "") !== "" || t.kind !== "Service") continue;
      out.push({
        policy: `${p.namespace}/${p.name}`,
        namespace: p.namespace,
        service: t.name,
        sectionName: t.sectionName ?? null,
        sni: p.hostname,
        caCertificateRefs: p.caCertificateRefs.map((r) => `${p.namespace}/${r.name}`),
        wellKnownCACertificates: p.wellKnownCACertificates,
        subjectAltNames: p.subjectAltNames,
        clientCertificate: p.clientCertificate,
      });
    }
  }
  return out;
}

function compileServices(graph: Graph): Record<string, CompiledService> {
  const out: Record<string, CompiledService> = Object.create(null);
  for (const s of graph.services) {
    out[`${s.namespace}/${s.name}`] = {
      namespace: s.namespace,
      name: s.name,
      ports: s.ports.map((p) => ({ name: p.name, port: p.port })),
    };
  }
  return out;
}

/** The table owns its copies: freezing it must not freeze the caller's graph. */
function clone<T>(value: T): T {
  return value === null || value === undefined ? value : structuredClone(value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
