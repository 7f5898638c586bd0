/**
 * A deliberately naive reference for HTTP routing, written straight from the spec text and
 * docs/decisions.md, sharing no code with compile/decide except the request normalization
 * (normalize.ts is the one definition of how the gateway sees a path, headers and query).
 *
 * It walks every rule of every route attached to the listener, keeps the matching ones and
 * sorts them by the precedence list. Slow on purpose; the differential test compares it with
 * the compiled table.
 */
import type { Graph, HTTPRouteMatch, ResolvedListener, ResolvedRoute } from "../packages/core/src/resolve/graph.js";
import { headerValue, lowerCaseHeaders, normalizeMatchPath, normalizePath, parseQuery, queryValue } from "../packages/core/src/decide/normalize.js";

export interface RefRequest {
  gateway: string;
  port?: number;
  scheme?: "http" | "https";
  host?: string;
  sni?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
}

export interface RefDecision {
  outcome: "forward" | "notFound" | "error" | "reject" | "matched";
  status: number | null;
  listener: string | null;
  route: string | null;
  rule: number | null;
  match: number | null;
  /** backend name → probability */
  probabilities: Record<string, number> | null;
}

const none = (outcome: RefDecision["outcome"], status: number | null, listener: string | null = null): RefDecision => ({
  outcome,
  status,
  listener,
  route: null,
  rule: null,
  match: null,
  probabilities: null,
});

function stripPort(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const parts = h.split(":");
  return parts.length === 2 && /^\d+$/.test(parts[1]!) ? parts[0]! : h;
}

/** Does a (precise) host fall under a hostname pattern? `*` = anything; `*.x` = one or more labels + `.x`. */
function covers(pattern: string | null, host: string): boolean {
  if (pattern === null || pattern === "*") return true;
  if (pattern.startsWith("*.")) {
    const suffix = pattern.substring(1);
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  return pattern === host;
}

/** Specificity as a sortable tuple: [class (0 exact, 1 wildcard, 2 any), -length]. */
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

function bestListener(listeners: ResolvedListener[], name: string): ResolvedListener | null {
  const ok = listeners.filter((l) => covers(l.hostname, name));
  ok.sort((a, b) => compareTuples(specificity(a.hostname), specificity(b.hostname)));
  return ok[0] ?? null;
}

function matchHolds(m: HTTPRouteMatch, path: string, query: string, method: string, headers: Record<string, string | string[]>): boolean {
  const p = m.path ?? { type: "PathPrefix", value: "/" };
  if (p.type === "Exact") {
    if (path !== normalizeMatchPath(p.value)) return false;
  } else if (p.type === "PathPrefix") {
    let v = normalizeMatchPath(p.value);
    if (v.endsWith("/")) v = v.substring(0, v.length - 1);
    if (!(path === v || path.startsWith(v + "/"))) return false;
  } else if (p.type === "RegularExpression") {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${p.value})$`, "u");
    } catch {
      return false;
    }
    if (!re.test(path)) return false;
  } else {
    return false;
  }
  if (m.method && m.method.toUpperCase() !== method) return false;
  const seen = new Set<string>();
  for (const h of m.headers) {
    const name = h.name.toLowerCase();
    if (seen.has(name)) continue;
    seen.add(name);
    const v = headerValue(headers, name);
    if (v === undefined) return false;
    if (h.type === "RegularExpression" ? !new RegExp(`^(?:${h.value})$`, "u").test(v) : v !== h.value) return false;
  }
  const params = parseQuery(query);
  const seenQ = new Set<string>();
  for (const q of m.queryParams) {
    if (seenQ.has(q.name)) continue;
    seenQ.add(q.name);
    const v = queryValue(params, q.name);
    if (v === undefined) return false;
    if (q.type === "RegularExpression" ? !new RegExp(`^(?:${q.value})$`, "u").test(v) : v !== q.value) return false;
  }
  return true;
}

function countDistinct(names: string[]): number {
  return new Set(names).size;
}

export function referenceDecide(graph: Graph, request: RefRequest, opts: { hostnameFallthrough?: boolean } = {}): RefDecision {
  const scheme = request.scheme ?? "http";
  const port = request.port ?? (scheme === "https" ? 443 : 80);
  const protocol = scheme === "https" ? "HTTPS" : "HTTP";
  const [gwNs, gwName] = request.gateway.split("/");
  const ofGateway = graph.listeners.filter((l) => l.gateway.namespace === gwNs && l.gateway.name === gwName);
  if (ofGateway.length === 0) return none("reject", null);
  const onPort = ofGateway.filter((l) => l.port === port && l.protocol === protocol && l.ready);
  if (onPort.length === 0) return none("reject", null);
  const rawHeaders = lowerCaseHeaders(request.headers);
  const hostRaw = request.host ?? (typeof rawHeaders.host === "string" ? rawHeaders.host : undefined);
  let host = hostRaw === undefined ? "" : stripPort(hostRaw);

  let listener: ResolvedListener | null;
  if (protocol === "HTTPS") {
    const sni = (request.sni ?? host).toLowerCase();
    if (hostRaw === undefined) host = sni;
    listener = bestListener(onPort, sni);
    if (!listener) return none("reject", null);
    const forHost = bestListener(onPort, host);
    if (!forHost) return none("notFound", 404, listener.name);
    if (forHost !== listener) return none("error", 421, listener.name);
  } else {
    listener = bestListener(onPort, host);
    if (!listener) return none("notFound", 404);
  }

  const norm = normalizePath(request.path ?? "/");
  if (!norm.ok) return none("error", 400, listener.name);
  const method = (request.method ?? "GET").toUpperCase();
  const headers = hostRaw !== undefined ? { ...rawHeaders, host: hostRaw.toLowerCase().trim() } : rawHeaders;

  type Unit = { route: ResolvedRoute; hostname: string; rule: number; match: number; m: HTTPRouteMatch };
  const units: Unit[] = [];
  const claimed: string[] = [];
  for (const a of graph.attachments) {
    if (a.listener !== listener.id) continue;
    const route = graph.routes[a.route]!;
    if (route.kind !== "HTTPRoute") continue;
    // Attachment hostnames are already intersected with the listener's (resolve's job).
    const served = a.hostnames.length === 0 ? [listener.hostname ?? "*"] : a.hostnames;
    const matching = served.filter((h) => covers(h, host));
    claimed.push(...matching);
    if (matching.length === 0) continue;
    for (const hostname of matching) {
      route.rules.forEach((rule, ri) => {
        const ms = rule.matches.length > 0 ? rule.matches : [{ path: { type: "PathPrefix" as const, value: "/" }, headers: [], queryParams: [], method: null }];
        ms.forEach((m, mi) => units.push({ route, hostname, rule: Number.isInteger(rule.index) ? rule.index : ri, match: mi, m: m as HTTPRouteMatch }));
      });
    }
  }
  let pool = units;
  if (!opts.hostnameFallthrough && claimed.length > 0) {
    // Exclusive hostnames: only the routes of the most specific matching hostname compete.
    const best = [...claimed].sort((a, b) => compareTuples(specificity(a), specificity(b)))[0]!;
    pool = units.filter((u) => u.hostname === best);
  }
  const hits = pool.filter((u) => matchHolds(u.m, norm.path, norm.query, method, headers));
  const pathRank = (t: string) => (t === "Exact" ? 0 : t === "RegularExpression" ? 1 : 2);
  const key = (u: Unit): (number | string)[] => {
    const p = u.m.path ?? { type: "PathPrefix", value: "/" };
    const ts = u.route.creationTimestamp === null ? Number.POSITIVE_INFINITY : Date.parse(u.route.creationTimestamp);
    return [
      ...specificity(u.hostname),
      pathRank(p.type),
      p.type === "Exact" ? 0 : -p.value.length,
      u.m.method ? 0 : 1,
      -countDistinct(u.m.headers.map((h) => h.name.toLowerCase())),
      -countDistinct(u.m.queryParams.map((q) => q.name)),
      Number.isFinite(ts) ? ts : Number.POSITIVE_INFINITY,
      `${u.route.namespace}/${u.route.name}`,
      u.rule,
      u.match,
    ];
  };
  hits.sort((a, b) => compareTuples(key(a), key(b)));
  const win = hits[0];
  if (!win) return none("notFound", 404, listener.name);
  const rule = win.route.rules.find((r, i) => (Number.isInteger(r.index) ? r.index : i) === win.rule)!;
  const total = rule.backends.reduce((s, b) => s + b.weight, 0);
  const probabilities: Record<string, number> = {};
  for (const b of rule.backends) probabilities[b.name] = (probabilities[b.name] ?? 0) + (total > 0 ? b.weight / total : 0);
  return {
    outcome: "matched",
    status: null,
    listener: listener.name,
    route: `${win.route.namespace}/${win.route.name}`,
    rule: win.rule,
    match: win.match,
    probabilities,
  };
}
