/**
 * The words a world's routing is written in: its entry points, the hosts its listeners and
 * routes name (wildcards expanded, with near misses), the paths, methods, headers and query
 * params its matches compare. Requests built from these hit the boundaries that matter far more
 * often than random strings would.
 */
import fc from "fast-check";
import type { RouteTable } from "../compile/table.js";
import { normalizePath, percentDecode } from "../decide/normalize.js";
import { compileRegex } from "../model/regex.js";
import { literalStart, literalTail } from "../lint/regex-literals.js";
import type { World } from "../world.js";

export interface EntryPoint {
  gateway: string;
  port: number;
  scheme: "http" | "https";
}

export interface ValueWords {
  name: string;
  /** Values that satisfy some condition on the name first, then near misses. */
  values: string[];
  /** RegularExpression values matched against this name (gwsim's dialect, full match): requests draw fresh matches of them. */
  patterns: string[];
}

interface ValueMatch {
  type: "Exact" | "RegularExpression";
  name: string;
  value: string;
}

/** One GRPCRoute match, with where it is served: a gRPC call built from it takes that match. */
export interface GrpcTarget {
  entry: EntryPoint;
  hosts: string[];
  /** RegularExpression or Exact; a null service or method matches any. */
  type: "Exact" | "RegularExpression";
  service: string | null;
  method: string | null;
  headers: readonly ValueMatch[];
}

/** Everything one match of one rule asks for, and where it is served: a request built from it takes that match. */
export interface MatchTarget {
  entry: EntryPoint;
  /** Hosts the listener and route hostnames both take; empty when any host will do. */
  hosts: string[];
  path: { type: "Exact" | "PathPrefix" | "RegularExpression"; value: string };
  method: string | null;
  headers: readonly ValueMatch[];
  queryParams: readonly ValueMatch[];
}

export interface Vocabulary {
  entries: EntryPoint[];
  hosts: string[];
  paths: string[];
  segments: string[];
  methods: string[];
  headers: ValueWords[];
  queries: ValueWords[];
  /** RegularExpression path values. */
  pathPatterns: string[];
  /** Every programmed HTTPRoute match, with the entry point and hosts that reach it. */
  targets: MatchTarget[];
  /** Every programmed GRPCRoute match, likewise. */
  grpcTargets: GrpcTarget[];
}

const SCHEMES: Record<string, "http" | "https"> = { HTTP: "http", HTTPS: "https" };

export function vocabularyOf(worlds: readonly World[]): Vocabulary {
  const entries = new Map<string, EntryPoint>();
  const hosts = new Set<string>();
  const paths = new Set<string>(["/"]);
  const methods = new Set<string>(["GET", "POST"]);
  const headers = new Map<string, Words>();
  const queries = new Map<string, Words>();
  const pathPatterns = new Set<string>();
  const targets = new Map<string, MatchTarget>();
  const grpcTargets = new Map<string, GrpcTarget>();
  for (const w of worlds) {
    const t: RouteTable = w.table;
    for (const l of t.listeners) {
      const scheme = SCHEMES[l.protocol];
      if (!scheme) continue;
      if (l.ready || ![...entries.values()].some((e) => e.gateway === l.gateway)) {
        entries.set(`${l.gateway} ${l.port} ${scheme}`, { gateway: l.gateway, port: l.port, scheme });
      }
      for (const h of expandHost(l.hostname)) hosts.add(h);
      for (const g of l.groups) for (const h of expandHost(g.hostname)) hosts.add(h);
    }
    for (const route of t.routes) for (const h of route.hostnames) for (const x of expandHost(h.toLowerCase())) hosts.add(x);
    for (const t2 of targetsOf(t)) targets.set(`${t2.entry.gateway} ${t2.entry.port} ${t2.entry.scheme} ${JSON.stringify([t2.hosts, t2.path, t2.method, t2.headers, t2.queryParams])}`, t2);
    for (const g of grpcTargetsOf(t)) grpcTargets.set(JSON.stringify(g), g);
    for (const m of t.grpcMatches) for (const h of m.headers) addValues(headers, h.name.toLowerCase(), h, headerValueSendable);
    for (const m of t.matches) {
      if (m.path.type === "RegularExpression") pathPatterns.add(m.path.value);
      for (const p of pathWords(m.path)) paths.add(p);
      if (m.method) methods.add(m.method);
      for (const h of m.headers) addValues(headers, h.name.toLowerCase(), h, headerValueSendable);
      for (const q of m.queryParams) {
        addValues(queries, q.name, q, queryValueSendable);
        // Query names are case-sensitive: the other case is a near miss.
        const other = q.name === q.name.toUpperCase() ? q.name.toLowerCase() : q.name.toUpperCase();
        if (other !== q.name) addValues(queries, other, q, queryValueSendable);
      }
    }
  }
  hosts.add("unmatched.invalid");
  const segments = new Set<string>(["x"]);
  for (const p of paths) for (const s of p.split("/")) if (s) segments.add(s);
  return {
    entries: [...entries.values()].sort((a, b) => (a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : a.port - b.port)),
    hosts: [...hosts],
    paths: [...paths].sort((a, b) => a.length - b.length || (a < b ? -1 : 1)),
    segments: [...segments],
    methods: [...methods],
    headers: [...headers].map(([name, w]) => ({ name, values: [...w.values], patterns: [...w.patterns] })),
    queries: [...queries].map(([name, w]) => ({ name, values: [...w.values], patterns: [...w.patterns] })),
    pathPatterns: [...pathPatterns],
    targets: [...targets.values()],
    grpcTargets: [...grpcTargets.values()],
  };
}

interface Words {
  values: Set<string>;
  patterns: Set<string>;
}

/** Each programmed match once per listener group that serves it. */
function targetsOf(t: RouteTable): MatchTarget[] {
  const out: MatchTarget[] = [];
  for (const l of t.listeners) {
    const scheme = SCHEMES[l.protocol];
    if (!scheme) continue;
    const entry = { gateway: l.gateway, port: l.port, scheme };
    for (const g of l.groups) {
      const hosts = g.hostname === "*" ? [] : expandHost(g.hostname).filter((h) => !g.hostname.startsWith("*.") || h !== g.hostname.slice(2));
      for (const i of g.order) {
        const m = t.matches[i]!;
        if (m.never !== null || t.rules[m.rule]?.dropped) continue;
        out.push({ entry, hosts, path: m.path, method: m.method, headers: m.headers, queryParams: m.queryParams });
      }
    }
  }
  return out;
}

function grpcTargetsOf(t: RouteTable): GrpcTarget[] {
  const out: GrpcTarget[] = [];
  for (const l of t.listeners) {
    const scheme = SCHEMES[l.protocol];
    if (!scheme) continue;
    const entry = { gateway: l.gateway, port: l.port, scheme };
    for (const g of l.grpc.groups) {
      const hosts = g.hostname === "*" ? [] : expandHost(g.hostname).filter((h) => !g.hostname.startsWith("*.") || h !== g.hostname.slice(2));
      for (const i of g.order) {
        const m = t.grpcMatches[i]!;
        if (m.never !== null || t.grpcRules[m.rule]?.dropped) continue;
        out.push({ entry, hosts, type: m.method?.type ?? "Exact", service: m.method?.service || null, method: m.method?.method || null, headers: m.headers });
      }
    }
  }
  return out;
}

/** A gRPC service or method name a call can carry: `/service/method` is then a path the gateway reads unchanged. */
export function grpcPartSendable(s: string): boolean {
  return s !== "" && !s.includes("/") && pathStable(`/${s}`);
}

/** A path as the gateway matches it unchanged: no query, fragment or encoding the gateway would rewrite. */
export function pathStable(s: string): boolean {
  if (s.includes("?") || s.includes("#") || LONE_SURROGATE.test(s)) return false;
  const n = normalizePath(s);
  return n.ok && n.path === s;
}

// A lone surrogate is not a character: no client sends one.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** A header value a client can send and the gateway compares unchanged (values are trimmed; CR, LF, NUL are a 400). */
export function headerValueSendable(s: string): boolean {
  return !/[\0\r\n]/.test(s) && s.trim() === s && !LONE_SURROGATE.test(s);
}

/** A query value that reads back as itself after encodeQuery. */
export function queryValueSendable(s: string): boolean {
  return !LONE_SURROGATE.test(s) && percentDecode(encodeQuery(s)) === s;
}

/** A query name or value written into a request target. */
export const encodeQuery = (s: string): string => s.replace(/[^A-Za-z0-9\-._~!$'()*+,;:@/?]/g, (c) => encodeURIComponent(c));

/** Concrete hosts for a listener or route hostname: itself, or a wildcard's expansions and its bare suffix (a near miss). */
export function expandHost(h: string | null): string[] {
  if (h === null || h === "*") return [];
  if (!h.startsWith("*.")) return [h];
  const suffix = h.slice(2);
  return [`a.${suffix}`, `b.a.${suffix}`, suffix];
}

function pathWords(path: { type: string; value: string }): string[] {
  if (path.type !== "RegularExpression") return [path.value];
  return regexSamples(path.value, "/", pathStable);
}

/**
 * Strings a regex matches, in gwsim's dialect (compileRegex: full match): its literal parts in a
 * few shapes, then fast-check's own `stringMatching` with a fixed seed (deterministic), keeping
 * only those `accept` takes. The literal start itself is kept as a near miss.
 */
export function regexSamples(pattern: string, lead = "", accept: (s: string) => boolean = () => true): string[] {
  const r = compileRegex(pattern);
  const start = literalStart(pattern);
  const tail = literalTail(pattern);
  const stem = start || lead;
  const tries = [start, `${stem}a`, `${stem}1`, `${stem}a/b`, `${stem}1/a`, `${stem}a${tail}`, `${stem}${tail}`, `${stem}/a`, `${stem}v1/a`, "a", "1", "/"];
  const hits = r.ok ? tries.filter((s) => r.regex.test(s) && accept(s)) : [];
  if (r.ok) hits.push(...sampleMatching(r.regex, accept, 2));
  const out = [...new Set(hits)];
  if (start && !out.includes(start)) out.push(start);
  return out.length ? out : [stem || "/"];
}

/** Up to `n` strings fast-check generates for a regex, shortest first; none when it cannot. */
function sampleMatching(regex: RegExp, accept: (s: string) => boolean, n: number): string[] {
  try {
    const found = fc.sample(fc.stringMatching(regex), { numRuns: 30, seed: 1 }).filter((s) => regex.test(s) && accept(s));
    return [...new Set(found)].sort((a, b) => a.length - b.length).slice(0, n);
  } catch {
    return [];
  }
}

function addValues(map: Map<string, Words>, name: string, m: { type: string; value: string }, accept: (s: string) => boolean): void {
  let words = map.get(name);
  if (!words) map.set(name, (words = { values: new Set(), patterns: new Set() }));
  const set = words.values;
  if (m.type === "RegularExpression") {
    words.patterns.add(m.value);
    for (const v of regexSamples(m.value, "", accept)) set.add(v);
    return;
  }
  set.add(m.value);
  // Near misses: one character more, the other case, empty.
  set.add(`${m.value}x`);
  const swapped = m.value === m.value.toUpperCase() ? m.value.toLowerCase() : m.value.toUpperCase();
  if (swapped !== m.value) set.add(swapped);
  set.add("");
}
