/**
 * Deliberately naive references for GRPCRoute and TLSRoute selection, written from the spec
 * text (GRPCRouteRule `matches` precedence list; TLSRoute hostnames; the oldest-route conflict
 * rule) and docs/decisions.md, sharing no code with compile/decide except header lookup
 * (normalize.ts). They walk every rule of every attached route, keep the matching ones and
 * sort them; the differential test compares them with the compiled table.
 */
import type { GRPCRouteMatch, Graph, ResolvedListener, ResolvedRoute } from "../packages/core/src/resolve/graph.js";
import { headerValue, lowerCaseHeaders } from "../packages/core/src/decide/normalize.js";
import type { GrpcRequest, TlsRequest } from "./arbitraries-grpc-tls.js";

export interface KindRefDecision {
  outcome: "matched" | "notFound" | "reject" | "https";
  status: number | null;
  listener: string | null;
  route: string | null;
  rule: number | null;
  match: number | null;
  probabilities: Record<string, number> | null;
}

const none = (outcome: KindRefDecision["outcome"], status: number | null, listener: string | null = null): KindRefDecision => ({
  outcome,
  status,
  listener,
  route: null,
  rule: null,
  match: null,
  probabilities: null,
});

/** `*` or null = anything; `*.x` = at least one label, then `.x`; else equal. */
function covers(pattern: string | null, host: string): boolean {
  if (pattern === null || pattern === "*") return true;
  if (pattern.startsWith("*.")) return host.length > pattern.length - 1 && host.endsWith(pattern.substring(1));
  return pattern === host;
}

/** Sortable: exact first (longer first), then wildcards (longer first), then any. */
function specificity(pattern: string | null): [number, number] {
  if (pattern === null || pattern === "*") return [2, 0];
  if (pattern.startsWith("*.")) return [1, -pattern.length];
  return [0, -pattern.length];
}

function compareTuples(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}

function best(listeners: ResolvedListener[], name: string): ResolvedListener | null {
  const ok = listeners.filter((l) => covers(l.hostname, name));
  ok.sort((a, b) => compareTuples(specificity(a.hostname), specificity(b.hostname)));
  return ok[0] ?? null;
}

const age = (r: ResolvedRoute): number => {
  const t = r.creationTimestamp === null ? Number.NaN : Date.parse(r.creationTimestamp);
  return Number.isFinite(t) ? t : Number.POSITIVE_INFINITY;
};

function split(rules: ResolvedRoute["rules"][number]): Record<string, number> {
  const total = rules.backends.reduce((s, b) => s + b.weight, 0);
  const out: Record<string, number> = {};
  for (const b of rules.backends) out[b.name] = (out[b.name] ?? 0) + (total > 0 ? b.weight / total : 0);
  return out;
}

function full(pattern: string, v: string): boolean {
  return new RegExp(`^(?:${pattern})$`, "u").test(v);
}

function grpcHolds(m: GRPCRouteMatch, service: string, method: string, headers: Record<string, string | string[]>): boolean {
  if (m.method) {
    const regex = m.method.type === "RegularExpression";
    const s = m.method.service || null;
    const mm = m.method.method || null;
    if (s !== null && !(regex ? full(s, service) : s === service)) return false;
    if (mm !== null && !(regex ? full(mm, method) : mm === method)) return false;
  }
  const seen = new Set<string>();
  for (const h of m.headers) {
    const name = h.name.toLowerCase();
    if (seen.has(name)) continue;
    seen.add(name);
    const v = headerValue(headers, name);
    if (v === undefined) return false;
    if (h.type === "RegularExpression" ? !full(h.value, v) : v !== h.value) return false;
  }
  return true;
}

/** A gRPC call through an HTTP listener: the listener by Host, then GRPCRoute precedence. */
export function referenceGrpc(graph: Graph, request: GrpcRequest): KindRefDecision {
  const host = request.host.toLowerCase().replace(/:\d+$/, "");
  const listener = best(graph.listeners.filter((l) => l.protocol === "HTTP" && l.port === 80 && l.ready), host);
  if (!listener) return none("notFound", 404);
  const headers = lowerCaseHeaders(request.headers);
  type Unit = { route: ResolvedRoute; hostname: string; rule: number; match: number; m: GRPCRouteMatch };
  const units: Unit[] = [];
  for (const a of graph.attachments) {
    if (a.listener !== listener.id) continue;
    const route = graph.routes[a.route]!;
    const served = a.hostnames.length === 0 ? [listener.hostname ?? "*"] : a.hostnames;
    for (const hostname of served.filter((h) => covers(h, host))) {
      route.rules.forEach((rule, ri) => {
        const ms: GRPCRouteMatch[] = rule.matches.length > 0 ? (rule.matches as GRPCRouteMatch[]) : [{ method: null, headers: [] }];
        ms.forEach((m, mi) => units.push({ route, hostname, rule: ri, match: mi, m }));
      });
    }
  }
  if (units.length === 0) return none("notFound", 404, listener.name);
  // Hostnames are exclusive: only the most specific matching hostname's routes compete.
  const top = units.map((u) => u.hostname).sort((a, b) => compareTuples(specificity(a), specificity(b)))[0]!;
  const chars = (v: string | null | undefined) => (v ? v.length : 0);
  const key = (u: Unit): (number | string)[] => [
    -chars(u.m.method?.service),
    -chars(u.m.method?.method),
    -new Set(u.m.headers.map((h) => h.name.toLowerCase())).size,
    age(u.route),
    `${u.route.namespace}/${u.route.name}`,
    u.rule,
    u.match,
  ];
  const hits = units.filter((u) => u.hostname === top && grpcHolds(u.m, request.grpc.service, request.grpc.method, headers));
  hits.sort((a, b) => compareTuples(key(a), key(b)));
  const win = hits[0];
  if (!win) return none("notFound", 404, listener.name);
  return {
    outcome: "matched",
    status: null,
    listener: listener.name,
    route: `${win.route.namespace}/${win.route.name}`,
    rule: win.rule,
    match: win.match,
    probabilities: split(win.route.rules[win.rule]!),
  };
}

/** A TLS connection: the listener by SNI across TLS and HTTPS listeners, then the TLSRoute. */
export function referenceTls(graph: Graph, request: TlsRequest): KindRefDecision {
  const sni = (request.sni ?? "").toLowerCase();
  const listener = best(graph.listeners.filter((l) => (l.protocol === "TLS" || l.protocol === "HTTPS") && l.port === 443 && l.ready), sni);
  if (!listener) return none("reject", null);
  if (listener.protocol === "HTTPS") return none("https", null, listener.name);
  const candidates: { route: ResolvedRoute; hostname: string }[] = [];
  for (const a of graph.attachments) {
    if (a.listener !== listener.id) continue;
    const route = graph.routes[a.route]!;
    const served = a.hostnames.length === 0 ? [listener.hostname ?? "*"] : a.hostnames;
    for (const hostname of served) if (covers(hostname, sni)) candidates.push({ route, hostname });
  }
  candidates.sort(
    (a, b) =>
      compareTuples(specificity(a.hostname), specificity(b.hostname)) ||
      compareTuples([age(a.route), `${a.route.namespace}/${a.route.name}`], [age(b.route), `${b.route.namespace}/${b.route.name}`]),
  );
  const win = candidates[0];
  if (!win) return none("reject", null, listener.name);
  return {
    outcome: "matched",
    status: null,
    listener: listener.name,
    route: `${win.route.namespace}/${win.route.name}`,
    rule: 0,
    match: null,
    probabilities: split(win.route.rules[0]!),
  };
}
