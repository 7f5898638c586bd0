/**
 * redirect-loop: a RequestRedirect whose target is answered by a redirect again, and again, back
 * to a URL already seen, so clients follow it until they give up. The usual case: an http → https
 * redirect route attached without sectionName, so it also sits on the HTTPS listener and sends
 * https://host/x to https://host/x. Found with decide: a witness request that reaches the rule,
 * then each Location followed as a client would (same method, headers and Gateway), so every
 * finding is a loop decide really answers.
 */
import type { CompiledListener, RouteTable } from "../compile/table.js";
import { decide, type DecideWorld } from "../decide/index.js";
import type { GatewayRequest } from "../model/request.js";
import type { HTTPRouteMatch, ResolvedRoute, ResolvedRule } from "../resolve/graph.js";
import type { LintContext } from "./context.js";
import type { Finding } from "./finding.js";

/** Redirects followed before giving up on finding a loop (browsers stop at about 20). */
const MAX_HOPS = 6;

/** A host the group's hostname takes: itself, or a made-up name under a wildcard (or for any host). */
const witnessHost = (hostname: string): string => (hostname === "*" ? "gwsim-witness.test" : hostname.startsWith("*.") ? `gwsim-witness${hostname.slice(1)}` : hostname);

/** The simplest request a match takes: its Exact or PathPrefix path, method, exact headers and query. */
function witnessOf(match: HTTPRouteMatch): { path: string; method: string; headers: Record<string, string> } | null {
  const p = match.path;
  if (p && p.type !== "Exact" && p.type !== "PathPrefix") return null;
  if (match.headers.some((h) => h.type === "RegularExpression") || match.queryParams.some((q) => q.type === "RegularExpression")) return null;
  const query = match.queryParams.map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(q.value)}`).join("&");
  return { path: `${p?.value ?? "/"}${query ? `?${query}` : ""}`, method: match.method ?? "GET", headers: Object.fromEntries(match.headers.map((h) => [h.name, h.value])) };
}

const urlOf = (r: GatewayRequest): string => {
  const port = r.port === (r.scheme === "https" ? 443 : 80) ? "" : `:${r.port}`;
  return `${r.scheme}://${(r.host ?? "").replace(/:\d+$/, "")}${port}${r.path ?? "/"}`;
};

/**
 * The request a client sends after a redirect: the Location's scheme, host, port and path, the
 * rest as before, on a new connection (so the SNI, if any, is the new host's).
 */
export function followRedirect(request: GatewayRequest, location: string): GatewayRequest | null {
  const { sni: _sni, ...r } = request;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return null;
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") return null;
  const port = url.port ? Number(url.port) : scheme === "https" ? 443 : 80;
  return { ...r, scheme, port, host: url.host, path: `${url.pathname}${url.search}` };
}

/**
 * The URLs a client visits from `start` while it is redirected, when they lead back to `start`;
 * null when they end, or loop elsewhere (that loop is reported from its own start).
 */
export function redirectLoopFrom(world: DecideWorld, request: GatewayRequest): string[] | null {
  // The scheme and port a request leaves out are the defaults decide takes too.
  const scheme = request.scheme ?? "http";
  const start = { ...request, scheme, port: request.port ?? (scheme === "https" ? 443 : 80) };
  const seen = [urlOf(start)];
  let r: GatewayRequest = start;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const d = decide(world, r);
    if (d.outcome !== "redirect" || !d.redirect) return null;
    const next = followRedirect(r, d.redirect.location);
    if (!next) return null;
    const url = urlOf(next);
    seen.push(url);
    if (url === seen[0]) return seen;
    if (seen.indexOf(url) < seen.length - 1) return null;
    r = next;
  }
  return null;
}

export function redirectLoopFindings(ctx: LintContext): Finding[] {
  const { table, graph } = ctx.world;
  const routes = new Map(graph.routes.filter((r) => r.kind === "HTTPRoute").map((r) => [`${r.namespace}/${r.name}`, r]));
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const l of table.listeners) {
    if (!l.ready || (l.protocol !== "HTTP" && l.protocol !== "HTTPS")) continue;
    const scheme = l.protocol === "HTTPS" ? "https" : "http";
    for (const g of l.groups) {
      for (const ri of g.routes) {
        const compiled = table.routes[ri]!;
        const route = routes.get(`${compiled.namespace}/${compiled.name}`);
        if (!route) continue;
        for (const rule of route.rules) {
          const k = rule.filters.findIndex((f) => f.type === "RequestRedirect");
          if (rule.invalid || k < 0) continue;
          const key = `${compiled.id}|${rule.index}|${l.id}`;
          if (seen.has(key)) continue;
          for (const match of rule.matches as HTTPRouteMatch[]) {
            const w = witnessOf(match);
            if (!w) continue;
            const start: GatewayRequest = { gateway: l.gateway, port: l.port, scheme, host: witnessHost(g.hostname), method: w.method, path: w.path, headers: w.headers };
            const first = decide(ctx.world, start);
            // Only a request this very rule answers counts: another may win the witness.
            if (first.route?.namespace !== route.namespace || first.route.name !== route.name || first.route.rule !== rule.index) continue;
            const loop = redirectLoopFrom(ctx.world, start);
            const lost = loop || !first.redirect || g.hostname.includes("*") ? null : unservedTarget(ctx, start, first.redirect.location);
            if (!loop && !lost) continue;
            seen.add(key);
            findings.push(loop ? loopFinding(ctx, route, rule, k, l, loop) : notServedFinding(ctx, route, rule, k, l, urlOf(start), lost!));
            break;
          }
        }
      }
    }
  }
  return findings;
}

/**
 * The followed request when this Gateway answers it 404 or refuses it, for a redirect that keeps
 * the host (one to another host is usually served elsewhere); null otherwise.
 */
function unservedTarget(ctx: LintContext, start: GatewayRequest, location: string): { url: string; answer: string } | null {
  const next = followRedirect(start, location);
  if (!next || (next.host ?? "").replace(/:\d+$/, "") !== (start.host ?? "").replace(/:\d+$/, "")) return null;
  const d = decide(ctx.world, next, { explain: true });
  if (d.outcome !== "notFound" && d.outcome !== "reject") return null;
  const why = d.explain?.find((line) => !line.startsWith("listener ") || line.includes("no ")) ?? "";
  return { url: urlOf(next), answer: `${d.outcome === "reject" ? "refuses it" : `answers ${d.status ?? 404}`}${d.listener ? ` on listener ${d.listener.name}` : ""}${why ? ` (${why})` : ""}` };
}

function notServedFinding(ctx: LintContext, route: ResolvedRoute, rule: ResolvedRule, k: number, l: CompiledListener, from: string, lost: { url: string; answer: string }): Finding {
  return ctx.finding({
    rule: "redirect-not-served",
    severity: "warning",
    object: { kind: "HTTPRoute", namespace: route.namespace, name: route.name },
    path: `spec.rules[${rule.index}].filters[${k}]`,
    fallback: route.source ?? null,
    message:
      `rule ${rule.index} of HTTPRoute ${route.namespace}/${route.name}, on listener ${l.name} (${l.protocol} port ${l.port}) of Gateway ${l.gateway}, ` +
      `redirects ${from} to ${lost.url}, and the Gateway ${lost.answer}: clients are sent to a URL that does not work`,
    fix: "attach the routes that serve this host to the listener the redirect leads to (parentRef sectionName, or none), or fix the redirect's scheme, port or path",
  });
}

function loopFinding(ctx: LintContext, route: ResolvedRoute, rule: ResolvedRule, k: number, l: CompiledListener, loop: string[]): Finding {
  const from = loop[0]!;
  const redirect = rule.filters[k]!.requestRedirect ?? {};
  const cleartext = l.protocol === "HTTPS" && redirect.scheme === "https" ? cleartextListenerOf(ctx.world.table, l.gateway, `httproute/${route.namespace}/${route.name}`) : null;
  return ctx.finding({
    rule: "redirect-loop",
    severity: "error",
    object: { kind: "HTTPRoute", namespace: route.namespace, name: route.name },
    path: `spec.rules[${rule.index}].filters[${k}]`,
    fallback: route.source ?? null,
    message:
      `rule ${rule.index} of HTTPRoute ${route.namespace}/${route.name}, on listener ${l.name} (${l.protocol} port ${l.port}) of Gateway ${l.gateway}, ` +
      (loop.length === 2 ? `redirects ${from} to itself` : `redirects ${loop.join(" → ")}, back where it started`) +
      ": clients follow the redirects until they give up",
    fix: cleartext
      ? `attach the redirect to the cleartext listener only: give the route's parentRef sectionName: ${cleartext.name}`
      : "make the redirect change what the next request is matched on (scheme, hostname, port or path) to a URL that is served, or attach the route only to the listeners it redirects away from (sectionName)",
  });
}

/**
 * For a redirect to https that also answers on an HTTPS listener: the ready HTTP listener of the
 * same Gateway the route is attached to, the one it should be kept to (by sectionName).
 */
export function cleartextListenerOf(table: RouteTable, gateway: string, routeId: string): CompiledListener | null {
  return table.listeners.find((o) => o.gateway === gateway && o.protocol === "HTTP" && o.ready && o.groups.some((g) => g.routes.some((ri) => table.routes[ri]!.id === routeId))) ?? null;
}
