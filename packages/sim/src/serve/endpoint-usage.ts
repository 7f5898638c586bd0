/**
 * `--endpoints` entries no route uses. The file is written by hand next to the manifests, so a
 * typo in a key (`app/wbe:8080`, a wrong port) left its backend without endpoints (503 at
 * runtime) and the entry silently unused. Each unused entry is named, with the used backend it
 * most likely meant.
 */
import type { CompiledRule, RouteFilter, RouteTable } from "@gwsim/core";
import { editDistance } from "@gwsim/core";
import { backendKey, type EndpointProblem, type EndpointTable } from "./endpoints.js";

/**
 * `namespace/service:port` of every Service backend a route names: backendRefs of every rule
 * (HTTP, gRPC, TLS/TCP/UDP; valid or not, dropped or not: the entry is then not what is wrong)
 * and the backendRefs of filters (RequestMirror, ExternalAuth), at rule and backendRef level.
 * XBackends never read the endpoint table, so they use no entry.
 */
export function backendsInUse(table: RouteTable): Set<string> {
  const used = new Set<string>();
  const addFilters = (filters: readonly RouteFilter[]) => {
    for (const f of filters) {
      for (const value of Object.values(f)) {
        const ref = (value as { backendRef?: { kind?: string; namespace?: string; name?: string; port?: number | null } } | null)?.backendRef;
        if (ref && typeof ref.namespace === "string" && typeof ref.name === "string" && ref.kind !== "XBackend") used.add(backendKey({ namespace: ref.namespace, name: ref.name, port: ref.port ?? null }));
      }
    }
  };
  const visit = (rules: readonly CompiledRule[]) => {
    for (const rule of rules) {
      addFilters(rule.filters);
      for (const b of rule.backends) {
        if (b.kind !== "XBackend") used.add(backendKey(b));
        addFilters(b.filters);
      }
    }
  };
  visit(table.rules);
  visit(table.grpcRules);
  visit(table.streamRules);
  return used;
}

/**
 * Warnings for the entries of an `--endpoints` file that no route uses, in file order, at the
 * key's position when known: "app/wbe:8080 is used by no route (typo of app/web:8080?)".
 */
export function unusedEndpoints(
  table: RouteTable,
  entries: EndpointTable,
  file: string,
  positions: ReadonlyMap<string, { line: number; column: number }> = new Map(),
): EndpointProblem[] {
  const used = backendsInUse(table);
  const unlisted = [...used].filter((k) => !entries.has(k)).sort();
  const problems: EndpointProblem[] = [];
  for (const key of entries.keys()) {
    if (used.has(key)) continue;
    // A used backend without an entry is the likeliest meaning; else any used backend.
    const near = nearest(key, unlisted) ?? nearest(key, [...used].sort());
    problems.push({ file, ...positions.get(key), message: `endpoints: ${key} is used by no route${near ? ` (typo of ${near}?)` : ""}` });
  }
  return problems;
}

/** The closest of `candidates` to `key`, when close enough to be a typo of it (same Service, other port counts). */
export function nearest(key: string, candidates: readonly string[]): string | null {
  const service = key.slice(0, key.lastIndexOf(":"));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.slice(0, c.lastIndexOf(":")) === service ? 0 : editDistance(key, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 5)) ? best : null;
}

