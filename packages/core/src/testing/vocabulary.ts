/**
 * The words a world's routing is written in: its entry points, the hosts its listeners and
 * routes name (wildcards expanded, with near misses), the paths, methods, headers and query
 * params its matches compare. Requests built from these hit the boundaries that matter far more
 * often than random strings would.
 */
import type { RouteTable } from "../compile/table.js";
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
}

export interface Vocabulary {
  entries: EntryPoint[];
  hosts: string[];
  paths: string[];
  segments: string[];
  methods: string[];
  headers: ValueWords[];
  queries: ValueWords[];
}

const SCHEMES: Record<string, "http" | "https"> = { HTTP: "http", HTTPS: "https" };

export function vocabularyOf(worlds: readonly World[]): Vocabulary {
  const entries = new Map<string, EntryPoint>();
  const hosts = new Set<string>();
  const paths = new Set<string>(["/"]);
  const methods = new Set<string>(["GET", "POST"]);
  const headers = new Map<string, Set<string>>();
  const queries = new Map<string, Set<string>>();
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
    for (const m of t.matches) {
      for (const p of pathWords(m.path)) paths.add(p);
      if (m.method) methods.add(m.method);
      for (const h of m.headers) addValues(headers, h.name.toLowerCase(), h);
      for (const q of m.queryParams) {
        addValues(queries, q.name, q);
        // Query names are case-sensitive: the other case is a near miss.
        const other = q.name === q.name.toUpperCase() ? q.name.toLowerCase() : q.name.toUpperCase();
        if (other !== q.name) addValues(queries, other, q);
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
    headers: [...headers].map(([name, values]) => ({ name, values: [...values] })),
    queries: [...queries].map(([name, values]) => ({ name, values: [...values] })),
  };
}

/** Concrete hosts for a listener or route hostname: itself, or a wildcard's expansions and its bare suffix (a near miss). */
export function expandHost(h: string | null): string[] {
  if (h === null || h === "*") return [];
  if (!h.startsWith("*.")) return [h];
  const suffix = h.slice(2);
  return [`a.${suffix}`, `b.a.${suffix}`, suffix];
}

function pathWords(path: { type: string; value: string }): string[] {
  if (path.type !== "RegularExpression") return [path.value];
  return regexSamples(path.value, "/");
}

/**
 * Strings a regex matches, found by trying its literal parts in a few shapes (never by solving
 * the regex): may be empty. The literal start itself is kept as a near miss.
 */
export function regexSamples(pattern: string, lead = ""): string[] {
  const r = compileRegex(pattern);
  const start = literalStart(pattern);
  const tail = literalTail(pattern);
  const stem = start || lead;
  const tries = [start, `${stem}a`, `${stem}1`, `${stem}a/b`, `${stem}1/a`, `${stem}a${tail}`, `${stem}${tail}`, `${stem}/a`, `${stem}v1/a`, "a", "1", "/"];
  const hits = r.ok ? tries.filter((s) => r.regex.test(s)) : [];
  const out = [...new Set(hits)];
  if (start && !out.includes(start)) out.push(start);
  return out.length ? out : [stem || "/"];
}

function addValues(map: Map<string, Set<string>>, name: string, m: { type: string; value: string }): void {
  let set = map.get(name);
  if (!set) map.set(name, (set = new Set()));
  if (m.type === "RegularExpression") {
    for (const v of regexSamples(m.value)) set.add(v);
    return;
  }
  set.add(m.value);
  // Near misses: one character more, the other case, empty.
  set.add(`${m.value}x`);
  const swapped = m.value === m.value.toUpperCase() ? m.value.toLowerCase() : m.value.toUpperCase();
  if (swapped !== m.value) set.add(swapped);
  set.add("");
}
