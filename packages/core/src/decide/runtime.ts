/**
 * The in-memory form of a RouteTable: its plain-object lookup maps as Maps and its regular
 * expressions compiled. Built once per table (cached by identity), so a table that arrives
 * as JSON (a worker, `/config`) works the same as one fresh from `compile`.
 */
import { compileRegex } from "../model/regex.js";
import type { Frontend, RuleTarget } from "./forward.js";
import { idOf, shareOf, withPolicy } from "./forward.js";
import { refOf } from "./listener.js";
import type { BackendId, BackendShare, ListenerRef, RouteRef, SessionSource } from "../model/decision.js";
import { sessionOfRule } from "./session.js";
import type { CompiledGroup, CompiledGrpcMatch, CompiledMatch, CompiledMeshService, CompiledRoute, CompiledRule, HostIndex, RouteTable } from "../compile/table.js";

/** A hostname index as Maps: exact hostnames, wildcard suffixes (`.example.com`), the catch-all. */
export interface HostMaps<T> {
  exact: Map<string, T>;
  wildcard: Map<string, T>;
  any: T | null;
  /** selectListener's answers by name (null: none), when there are wildcards; bounded. */
  memo: Map<string, T | null>;
}

export type HostLookup = HostMaps<number>;

/** The matches of one hostname group with a given Exact value or PathPrefix key, each list in precedence order. */
export interface PathEntry {
  exact: readonly MatchRuntime[] | null;
  prefix: readonly MatchRuntime[] | null;
}

/** `GroupRuntime.lengths` bits. */
export const EXACT_LENGTH = 1;
export const PREFIX_LENGTH = 2;

export interface GroupRuntime {
  /** Index into the listener's groups. */
  index: number;
  hostname: string;
  /**
   * The group's exactPaths and prefixes buckets in one map: an Exact value, or a PathPrefix
   * value without its trailing `/` ("" for `/`), → its matches.
   */
  paths: Map<string, PathEntry>;
  /**
   * Per key length, whether an Exact value (EXACT_LENGTH) or a prefix key (PREFIX_LENGTH) has
   * that length; no key is longer than `lengths.length - 1`. Most lookups of a path that no key
   * can equal are skipped without slicing or hashing it.
   */
  lengths: Uint8Array;
  /**
   * The prefix keys when there are not many: `[length, key, matches, ...]`, longest first, read
   * in one pass as the path is cut back at each `/` and compared in place (startsWith: no slice
   * to hash, one array instead of a map's scattered entries). null: look keys up in `paths`.
   */
  prefixScan: readonly (number | string | readonly MatchRuntime[])[] | null;
  /** The Exact values likewise, `[length, value, matches, ...]`, when there are not many; else null. */
  exactScan: readonly (number | string | readonly MatchRuntime[])[] | null;
  hasPrefixes: boolean;
  /** regexes.length > 0 (read without touching the list). */
  hasRegexes: boolean;
  regexes: readonly MatchRuntime[];
  order: readonly number[];
}

export interface ValueTest {
  name: string;
  type: string;
  value: string;
  /** null for Exact. */
  regex: RegExp | null;
  /** Header tests: the name lower-case, as request headers are keyed (query tests: the name). */
  key: string;
}

/** An HTTPRoute match: its conditions, and (as a RuleTarget) the rule it selects. */
export interface MatchRuntime extends RuleTarget {
  /** Index into table.matches. */
  index: number;
  match: CompiledMatch;
  /** Upper-case method, or null for any (CompiledMatch.method). */
  method: string | null;
  pathRegex: RegExp | null;
  headers: ValueTest[];
  queryParams: ValueTest[];
  /** Cheap check: no header, query or method condition besides the path. */
  pathOnly: boolean;
  /**
   * When the only condition besides the path (and method) is one Exact header: its key, name
   * and value, read without the test objects. null otherwise.
   */
  soleHeaderKey: string | null;
  soleHeaderName: string;
  soleHeaderValue: string;
  /** soleHeaderName === "host" (a header match on `host` reads the request's Host). */
  soleHeaderIsHost: boolean;
  /** Lean decisions' `route`: built once, frozen. */
  ref: RouteRef;
}

/** A GRPCRoute match: service and method tests (null = any), header tests. */
export interface GrpcMatchRuntime {
  service: { value: string; regex: RegExp | null } | null;
  method: { value: string; regex: RegExp | null } | null;
  headers: ValueTest[];
}

/**
 * A rule (of any kind) as the decision reads it once the rule is chosen: its route's and its
 * own names, and what its backends need, in one object (the CompiledRoute and CompiledRule stay
 * for the uncommon paths: filters, explanations, errors).
 */
export interface RuleRuntime {
  /** The route's kind, namespace and name; the rule's index and name. */
  kind: string;
  namespace: string;
  name: string;
  index: number;
  ruleName: string | null;
  backends: CompiledRule["backends"];
  totalWeight: number;
  hasFilters: boolean;
  /** Whether any backendRef has filters of its own. */
  backendFilters: boolean;
  timeouts: CompiledRule["timeouts"];
  retry: CompiledRule["retry"];
  sessionPersistence: CompiledRule["sessionPersistence"];
  /** Where sessionPersistence comes from (decide/session.ts); null when the rule has none. */
  sessionSource: Readonly<SessionSource> | null;
  /** Per backend: it carries the session; null when every backend does (a policy on some backends only: false for the others). */
  sessionBackends: readonly boolean[] | null;
  /** Per backend: the index of the BackendTLSPolicy that applies to it (table.backendTLSPolicies), or -1. */
  tlsPolicy: number[];
  /** Whether any backend has a BackendTLSPolicy. */
  anyTLS: boolean;
  /** The backends' weights, in order (the draw reads these, not the backend objects). */
  weights: number[];
  /** Whether every backend is valid (then the common path never reads a backend object). */
  allValid: boolean;
  /** How many backends have weight above 0, and the first of them. */
  weighted: number;
  firstWeighted: number;
  /** Lean decisions' `backends` and `backend`: built once, frozen, shared by every decision. */
  shares: readonly BackendShare[];
  ids: readonly BackendId[];
}

/** A gateway port: its listeners' hostname indexes by protocol. */
export interface PortRuntime {
  protocols: Map<string, HostLookup>;
  listeners: readonly number[];
  /** The HTTP index when it has a programmed listener (cleartext HTTP's usual way in), else null. */
  http: HostLookup | null;
}

function isEmptyLookup(h: HostLookup): boolean {
  return h.any === null && h.exact.size === 0 && h.wildcard.size === 0;
}

export interface Runtime {
  table: RouteTable;
  rules: RuleRuntime[];
  gateways: Map<string, { ports: Map<number, PortRuntime>; listeners: readonly number[] }>;
  listeners: {
    hosts: HostLookup;
    groups: GroupRuntime[];
    /** `hosts` with the groups themselves as values. */
    groupOfHost: HostMaps<GroupRuntime>;
    grpcHosts: HostLookup;
    streamHosts: HostLookup;
    frontend: Frontend;
    /** Lean decisions' `listener`: built once, frozen. */
    ref: ListenerRef;
  }[];
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
  /** Per HTTPRoute match (table.matches): what applyRule needs, built once (the match runtimes). */
  targets: readonly RuleTarget[];
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
  return { exact: toMap(index.exact), wildcard: toMap(index.wildcard), any: index.any ?? null, memo: new Map() };
}

function prepare(table: RouteTable): Runtime {
  const gateways: Runtime["gateways"] = new Map();
  for (const key of Object.keys(table.gateways)) {
    const gw = table.gateways[key]!;
    const ports = new Map<number, PortRuntime>();
    for (const p of Object.keys(gw.ports)) {
      const port = gw.ports[p]!;
      const protocols = new Map<string, HostLookup>();
      for (const proto of Object.keys(port.protocols)) protocols.set(proto, hostLookup(port.protocols[proto]!));
      const http = protocols.get("HTTP");
      ports.set(Number(p), { protocols, listeners: port.listeners, http: http && !isEmptyLookup(http) ? http : null });
    }
    gateways.set(key, { ports, listeners: gw.listeners });
  }
  const meshServices = toMap(table.mesh?.services);
  const backendTLS = new Map<string, number[]>();
  table.backendTLSPolicies.forEach((p, i) => {
    const k = `${p.namespace}/${p.service}`;
    let list = backendTLS.get(k);
    if (!list) backendTLS.set(k, (list = []));
    list.push(i);
  });
  // HTTP and gRPC always speak to a backend through its BackendTLSPolicy; streams only from a
  // TLS Terminate listener (forwardStream checks those).
  const ruleRuntime = (routes: readonly CompiledRoute[], policiesApply: boolean) => (r: CompiledRule): RuleRuntime => {
    const weights = r.backends.map((b) => b.weight);
    const route = routes[r.route];
    const tlsPolicy = r.backends.map((b) => policyFor(table, backendTLS, b));
    const backends = policiesApply ? r.backends.map((b, i) => withPolicy(b, table.backendTLSPolicies[tlsPolicy[i]!])) : r.backends;
    // Field order matters: what every decision reads comes first, so it shares the object's
    // first cache lines (a world of many routes keeps few of them in cache).
    return {
      shares: Object.freeze(backends.map((b) => Object.freeze(shareOf(b)))),
      ids: Object.freeze(backends.map((b) => Object.freeze(idOf(b)))),
      ...sessionOfRule(r, route, policiesApply),
      hasFilters: r.filters.length > 0,
      backendFilters: r.backends.some((b) => b.filters.length > 0),
      totalWeight: r.totalWeight,
      weighted: weights.filter((w) => w > 0).length,
      firstWeighted: weights.findIndex((w) => w > 0),
      weights,
      allValid: backends.every((b) => b.valid),
      backends,
      // A hand-made table may lack the route: only the decision's route reference would miss it.
      kind: route?.kind ?? "",
      namespace: route?.namespace ?? "",
      name: route?.name ?? "",
      index: r.index,
      ruleName: r.name,
      timeouts: r.timeouts,
      retry: r.retry,
      tlsPolicy,
      anyTLS: tlsPolicy.some((p) => p >= 0),
    };
  };
  const rules = table.rules.map(ruleRuntime(table.routes, true));
  const matches = table.matches.map((m, i) => matchRuntime(m, i, table.routes[m.route]!, table.rules[m.rule]!, rules[m.rule]!));
  const targets: readonly RuleTarget[] = matches;
  const groupRuntime = (g: CompiledGroup, index: number): GroupRuntime => groupRuntimeOf(g, index, matches);
  const listeners = table.listeners.map((l) => {
    const groups = l.groups.map(groupRuntime);
    const hosts = hostLookup(l.hosts);
    const byGroup = (m: Map<string, number>) => new Map([...m].map(([k, gi]) => [k, groups[gi]!] as const));
    return {
      hosts,
      groups,
      groupOfHost: { exact: byGroup(hosts.exact), wildcard: byGroup(hosts.wildcard), any: hosts.any === null ? null : groups[hosts.any]!, memo: new Map() },
    grpcHosts: hostLookup(l.grpc?.hosts ?? EMPTY_INDEX),
      streamHosts: hostLookup(l.streams?.hosts ?? EMPTY_INDEX),
      frontend: { port: l.port, protocol: l.protocol },
      ref: Object.freeze(refOf(l)!),
    };
  });
  const meshGroups = new Map<string, GroupRuntime>();
  for (const svc of meshServices.values()) {
    for (const port of Object.values(svc.bindings)) {
      for (const set of [port.producer, ...Object.values(port.consumers)]) if (set?.http) meshGroups.set(set.id, groupRuntime(set.http, 0));
    }
  }
  return {
    table,
    rules,
    targets,
    gateways,
    listeners,
    matches,
    backendTLS,
    grpcRules: (table.grpcRules ?? []).map(ruleRuntime(table.grpcRoutes ?? [], true)),
    grpcMatches: (table.grpcMatches ?? []).map(grpcMatchRuntime),
    streamRules: (table.streamRules ?? []).map(ruleRuntime(table.streamRoutes ?? [], false)),
    meshServices,
    meshAddresses: toMap(table.mesh?.addresses),
    meshGroups,
  };
}

const EMPTY_INDEX: HostIndex = { exact: {}, wildcard: {}, any: null };

function groupRuntimeOf(g: CompiledGroup, index: number, matches: readonly MatchRuntime[]): GroupRuntime {
  const paths = new Map<string, { exact: MatchRuntime[] | null; prefix: MatchRuntime[] | null }>();
  const entry = (key: string) => {
    let e = paths.get(key);
    if (!e) paths.set(key, (e = { exact: null, prefix: null }));
    return e;
  };
  let longest = -1;
  for (const key of Object.keys(g.exactPaths)) {
    entry(key).exact = g.exactPaths[key]!.map((mi) => matches[mi]!);
    longest = Math.max(longest, key.length);
  }
  const prefixKeys = Object.keys(g.prefixes);
  for (const key of prefixKeys) {
    entry(key).prefix = g.prefixes[key]!.map((mi) => matches[mi]!);
    longest = Math.max(longest, key.length);
  }
  const lengths = new Uint8Array(longest + 1);
  for (const key of Object.keys(g.exactPaths)) lengths[key.length]! |= EXACT_LENGTH;
  for (const key of prefixKeys) lengths[key.length]! |= PREFIX_LENGTH;
  let prefixScan: (number | string | readonly MatchRuntime[])[] | null = null;
  if (prefixKeys.length <= SCANNED_PREFIXES) {
    prefixScan = [];
    for (const key of [...prefixKeys].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))) prefixScan.push(key.length, key, paths.get(key)!.prefix!);
  }
  const exactKeys = Object.keys(g.exactPaths);
  let exactScan: (number | string | readonly MatchRuntime[])[] | null = null;
  if (exactKeys.length <= SCANNED_PREFIXES) {
    exactScan = [];
    for (const key of exactKeys.sort((a, b) => b.length - a.length || (a < b ? -1 : 1))) exactScan.push(key.length, key, paths.get(key)!.exact!);
  }
  // Hot fields first (see ruleRuntime): firstMatchEntry's.
  return {
    lengths,
    exactScan,
    hasRegexes: g.regexes.length > 0,
    hasPrefixes: prefixKeys.length > 0,
    prefixScan,
    paths,
    regexes: g.regexes.map((mi) => matches[mi]!),
    index,
    hostname: g.hostname,
    order: g.order,
  };
}

/** Groups with up to this many prefix keys (Exact values) scan them (GroupRuntime.prefixScan, exactScan); more are looked up. */
const SCANNED_PREFIXES = 32;

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
    headers: m.headers.map((h) => valueTest(h, h.name.toLowerCase())),
  };
}

function regexOf(pattern: string): RegExp | null {
  const r = compileRegex(pattern);
  return r.ok ? r.regex : null;
}

function valueTest(h: { name: string; type: string; value: string }, key: string): ValueTest {
  return { name: h.name, type: h.type, value: h.value, regex: h.type === "RegularExpression" ? regexOf(h.value) : null, key };
}

function matchRuntime(m: CompiledMatch, index: number, route: CompiledRoute, rule: CompiledRule, weights: RuleRuntime): MatchRuntime {
  const headers = m.headers.map((h) => valueTest(h, h.name.toLowerCase()));
  const sole = headers.length === 1 && m.queryParams.length === 0 && headers[0]!.type === "Exact" ? headers[0]! : null;
  // Hot fields first (see ruleRuntime): entryConditionsMatch's, then applyRule's.
  return {
    pathOnly: m.method === null && m.headers.length === 0 && m.queryParams.length === 0,
    method: m.method,
    soleHeaderKey: sole ? sole.key : null,
    soleHeaderValue: sole ? sole.value : "",
    soleHeaderIsHost: sole !== null && sole.name === "host",
    // A hand-made table (lint's tests) may lack the rule.
    ref: Object.freeze({ kind: weights?.kind ?? "", namespace: weights?.namespace ?? "", name: weights?.name ?? "", rule: weights?.index ?? m.ruleIndex, ruleName: weights?.ruleName ?? null, match: m.matchIndex }),
    weights,
    index,
    match: m,
    pathRegex: m.path.type === "RegularExpression" ? regexOf(m.path.value) : null,
    headers,
    queryParams: m.queryParams.map((q) => valueTest(q, q.name)),
    soleHeaderName: sole ? sole.name : "",
    route,
    rule,
    matchIndex: m.matchIndex,
    pathMatch: m.path,
  };
}
