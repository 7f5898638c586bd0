/**
 * The in-memory form of a RouteTable: its plain-object lookup maps as Maps and its regular
 * expressions compiled. Built once per table (cached by identity), so a table that arrives
 * as JSON (a worker, `/config`) works the same as one fresh from `compile`.
 */
import { compileRegex } from "../model/regex.js";
import type { RuleTarget } from "./forward.js";
import type { CompiledGroup, CompiledGrpcMatch, CompiledMatch, CompiledMeshService, CompiledRule, HostIndex, RouteTable } from "../compile/table.js";

export interface HostLookup {
  exact: Map<string, number>;
  wildcard: Map<string, number>;
  any: number | null;
}

export interface GroupRuntime {
  hostname: string;
  exactPaths: Map<string, readonly number[]>;
  prefixes: Map<string, readonly number[]>;
  regexes: readonly number[];
  order: readonly number[];
}

export interface ValueTest {
  name: string;
  type: string;
  value: string;
  /** null for Exact. */
  regex: RegExp | null;
}

export interface MatchRuntime {
  pathRegex: RegExp | null;
  headers: ValueTest[];
  queryParams: ValueTest[];
  /** Cheap check: no header, query or method condition besides the path. */
  pathOnly: boolean;
}

/** A GRPCRoute match: service and method tests (null = any), header tests. */
export interface GrpcMatchRuntime {
  service: { value: string; regex: RegExp | null } | null;
  method: { value: string; regex: RegExp | null } | null;
  headers: ValueTest[];
}

export interface RuleRuntime {
  /** Per backend: the index of the BackendTLSPolicy that applies to it (table.backendTLSPolicies), or -1. */
  tlsPolicy: number[];
  weights: number[];
  /** How many backends have weight above 0, and the first of them. */
  weighted: number;
  firstWeighted: number;
}

export interface Runtime {
  table: RouteTable;
  rules: RuleRuntime[];
  gateways: Map<string, { ports: Map<number, { protocols: Map<string, HostLookup>; listeners: readonly number[] }>; listeners: readonly number[] }>;
  listeners: { hosts: HostLookup; groups: GroupRuntime[]; grpcHosts: HostLookup; streamHosts: HostLookup }[];
  matches: MatchRuntime[];
  /** "namespace/service" → indices into table.backendTLSPolicies. */
  backendTLS: Map<string, number[]>;
  grpcRules: RuleRuntime[];
  grpcMatches: GrpcMatchRuntime[];
  streamRules: RuleRuntime[];
  /** Mesh: "namespace/name" → Service, clusterIP → "namespace/name". */
  meshServices: Map<string, CompiledMeshService>;
  meshAddresses: Map<string, string>;
  /** Mesh HTTPRoute groups by their id. */
  meshGroups: Map<string, GroupRuntime>;
  /** Per HTTPRoute match (table.matches): what applyRule needs, built once. */
  targets: RuleTarget[];
}

const cache = new WeakMap<RouteTable, Runtime>();

export function runtimeOf(table: RouteTable): Runtime {
  let rt = cache.get(table);
  if (!rt) {
    rt = prepare(table);
    cache.set(table, rt);
  }
  return rt;
}

function toMap<V>(record: Readonly<Record<string, V>> | undefined): Map<string, V> {
  const m = new Map<string, V>();
  if (record) for (const k of Object.keys(record)) m.set(k, record[k]!);
  return m;
}

function hostLookup(index: HostIndex): HostLookup {
  return { exact: toMap(index.exact), wildcard: toMap(index.wildcard), any: index.any ?? null };
}

function prepare(table: RouteTable): Runtime {
  const gateways: Runtime["gateways"] = new Map();
  for (const key of Object.keys(table.gateways)) {
    const gw = table.gateways[key]!;
    const ports = new Map<number, { protocols: Map<string, HostLookup>; listeners: readonly number[] }>();
    for (const p of Object.keys(gw.ports)) {
      const port = gw.ports[p]!;
      const protocols = new Map<string, HostLookup>();
      for (const proto of Object.keys(port.protocols)) protocols.set(proto, hostLookup(port.protocols[proto]!));
      ports.set(Number(p), { protocols, listeners: port.listeners });
    }
    gateways.set(key, { ports, listeners: gw.listeners });
  }
  const listeners = table.listeners.map((l) => ({
    hosts: hostLookup(l.hosts),
    groups: l.groups.map(groupRuntime),
    grpcHosts: hostLookup(l.grpc?.hosts ?? EMPTY_INDEX),
    streamHosts: hostLookup(l.streams?.hosts ?? EMPTY_INDEX),
  }));
  const meshServices = toMap(table.mesh?.services);
  const meshGroups = new Map<string, GroupRuntime>();
  for (const svc of meshServices.values()) {
    for (const port of Object.values(svc.bindings)) {
      for (const set of [port.producer, ...Object.values(port.consumers)]) if (set?.http) meshGroups.set(set.id, groupRuntime(set.http));
    }
  }
  const backendTLS = new Map<string, number[]>();
  table.backendTLSPolicies.forEach((p, i) => {
    const k = `${p.namespace}/${p.service}`;
    let list = backendTLS.get(k);
    if (!list) backendTLS.set(k, (list = []));
    list.push(i);
  });
  const ruleRuntime = (r: CompiledRule): RuleRuntime => {
    const weights = r.backends.map((b) => b.weight);
    return {
      tlsPolicy: r.backends.map((b) => policyFor(table, backendTLS, b)),
      weights,
      weighted: weights.filter((w) => w > 0).length,
      firstWeighted: weights.findIndex((w) => w > 0),
    };
  };
  const rules = table.rules.map(ruleRuntime);
  return {
    table,
    rules,
    targets: table.matches.map((m) => ({ route: table.routes[m.route]!, rule: table.rules[m.rule]!, weights: rules[m.rule]!, matchIndex: m.matchIndex, pathMatch: m.path })),
    gateways,
    listeners,
    matches: table.matches.map(matchRuntime),
    backendTLS,
    grpcRules: (table.grpcRules ?? []).map(ruleRuntime),
    grpcMatches: (table.grpcMatches ?? []).map(grpcMatchRuntime),
    streamRules: (table.streamRules ?? []).map(ruleRuntime),
    meshServices,
    meshAddresses: toMap(table.mesh?.addresses),
    meshGroups,
  };
}

const EMPTY_INDEX: HostIndex = { exact: {}, wildcard: {}, any: null };

function groupRuntime(g: CompiledGroup): GroupRuntime {
  return { hostname: g.hostname, exactPaths: toMap(g.exactPaths), prefixes: toMap(g.prefixes), regexes: g.regexes, order: g.order };
}

/**
 * The BackendTLSPolicy for a Service backend: one naming the port's sectionName wins over one
 * for the whole Service (gwsim choice: the more specific target), else the first in graph order.
 */
function policyFor(table: RouteTable, byService: Map<string, number[]>, b: { group: string; kind: string; namespace: string; name: string; port: number | null }): number {
  if (b.group !== "" || b.kind !== "Service") return -1;
  const key = `${b.namespace}/${b.name}`;
  const list = byService.get(key);
  if (!list) return -1;
  const svc = Object.hasOwn(table.services, key) ? table.services[key] : undefined;
  const portName = svc?.ports.find((p) => p.port === b.port)?.name ?? null;
  let whole = -1;
  for (const i of list) {
    const p = table.backendTLSPolicies[i]!;
    if (p.sectionName !== null) {
      if (p.sectionName === portName) return i;
    } else if (whole === -1) {
      whole = i;
    }
  }
  return whole;
}

function grpcMatchRuntime(m: CompiledGrpcMatch): GrpcMatchRuntime {
  const regex = m.method?.type === "RegularExpression";
  const test = (v: string | null) => (v === null ? null : { value: v, regex: regex ? regexOf(v) : null });
  return {
    service: test(m.method?.service ?? null),
    method: test(m.method?.method ?? null),
    headers: m.headers.map((h) => ({ name: h.name, type: h.type, value: h.value, regex: h.type === "RegularExpression" ? regexOf(h.value) : null })),
  };
}

function regexOf(pattern: string): RegExp | null {
  const r = compileRegex(pattern);
  return r.ok ? r.regex : null;
}

function matchRuntime(m: CompiledMatch): MatchRuntime {
  const test = (h: { name: string; type: string; value: string }): ValueTest => ({
    name: h.name,
    type: h.type,
    value: h.value,
    regex: h.type === "RegularExpression" ? regexOf(h.value) : null,
  });
  return {
    pathRegex: m.path.type === "RegularExpression" ? regexOf(m.path.value) : null,
    headers: m.headers.map(test),
    queryParams: m.queryParams.map(test),
    pathOnly: m.method === null && m.headers.length === 0 && m.queryParams.length === 0,
  };
}
