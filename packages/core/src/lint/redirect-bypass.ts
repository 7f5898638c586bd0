/**
 * https-redirect-bypassed: a cleartext HTTP listener whose catch-all route redirects to https,
 * and a team's route attached to that listener too (a parentRef without sectionName attaches to
 * every listener that admits it). On the HTTP listener the team route's more specific hostname
 * wins over the redirect's (hostname precedence comes before anything else), so plain-http
 * requests for it are served in cleartext instead of being redirected. Checked with decide on a
 * witness request, so every finding is a request decide really serves over http.
 */
import { hostMatches } from "../compile/hostname.js";
import type { CompiledListener, CompiledRoute } from "../compile/table.js";
import { decide } from "../decide/index.js";
import type { ResolvedRoute } from "../resolve/graph.js";
import type { LintContext } from "./context.js";
import type { Finding } from "./finding.js";
import { refOf } from "./shadowing.js";

/** A rule that sends every request on its hostnames to https: PathPrefix / alone, a RequestRedirect to https. */
function redirectsAllToHttps(route: ResolvedRoute): boolean {
  return route.rules.some(
    (rule) =>
      !rule.invalid &&
      rule.filters.some((f) => f.requestRedirect?.scheme === "https") &&
      rule.matches.some((m) => {
        const http = m as { path?: { type: string; value: string } | null; headers?: unknown[]; queryParams?: unknown[]; method?: string | null };
        return (http.path == null || (http.path.type === "PathPrefix" && http.path.value === "/")) && !http.headers?.length && !http.queryParams?.length && !http.method;
      }),
  );
}

/** A host a hostname takes: itself, or a made-up name under a wildcard. */
const witnessHost = (hostname: string): string | null => (hostname === "*" ? null : hostname.startsWith("*.") ? `gwsim-witness${hostname.slice(1)}` : hostname);

/** A path the route's first rule takes: its first Exact or PathPrefix value, else /. */
function witnessPath(route: ResolvedRoute): string {
  for (const rule of route.rules) {
    for (const m of rule.matches) {
      const p = (m as { path?: { type: string; value: string } | null }).path;
      if (p && (p.type === "Exact" || p.type === "PathPrefix")) return p.value;
    }
  }
  return "/";
}

export function redirectBypassFindings(ctx: LintContext): Finding[] {
  const { table, graph } = ctx.world;
  const resolved = new Map(graph.routes.filter((r) => r.kind === "HTTPRoute").map((r) => [`${r.namespace}/${r.name}`, r]));
  const graphOf = (r: CompiledRoute) => resolved.get(`${r.namespace}/${r.name}`);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const l of table.listeners) {
    if (!l.ready || l.protocol !== "HTTP") continue;
    const redirects = l.groups.filter((g) => g.routes.some((ri) => redirectsAllToHttps(graphOf(table.routes[ri]!) ?? ({ rules: [] } as unknown as ResolvedRoute))));
    if (redirects.length === 0) continue;
    const secure = table.listeners.filter((s: CompiledListener) => s.ready && s.protocol === "HTTPS" && s.gateway === l.gateway);
    for (const g of l.groups) {
      const host = witnessHost(g.hostname);
      if (host === null) continue;
      const redirect = redirects.find((rg) => rg !== g && hostMatches(rg.hostname, host));
      if (!redirect) continue;
      for (const ri of g.routes) {
        const route = table.routes[ri]!;
        const full = graphOf(route);
        if (!full || redirectsAllToHttps(full)) continue;
        // Meant for https: attached to an HTTPS listener of the same Gateway that takes the host.
        const https = secure.find((s) => s.routes.includes(ri) && hostMatches(s.hostname ?? "*", host));
        if (!https) continue;
        const path = witnessPath(full);
        const d = decide({ table }, { gateway: l.gateway, port: l.port, scheme: "http", host, method: "GET", path });
        if (d.outcome !== "forward" || d.route?.namespace !== route.namespace || d.route.name !== route.name) continue;
        const key = `${route.id}|${l.id}|${g.hostname}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const redirectRoute = table.routes[redirect.routes.find((x) => redirectsAllToHttps(graphOf(table.routes[x]!) ?? ({ rules: [] } as unknown as ResolvedRoute)))!]!;
        findings.push(
          ctx.finding({
            rule: "https-redirect-bypassed",
            severity: "warning",
            object: refOf(route),
            path: "spec.parentRefs",
            fallback: route.source,
            message:
              `HTTPRoute ${route.namespace}/${route.name} is attached to the cleartext listener ${l.name} (port ${l.port}) of Gateway ${l.gateway} as well as to ${https.name}: ` +
              `its hostname ${g.hostname} is more specific than ${redirect.hostname === "*" ? "the catch-all" : redirect.hostname} of HTTPRoute ${redirectRoute.namespace}/${redirectRoute.name}, which redirects to https, ` +
              `so GET http://${host}${path} is served in cleartext instead of redirected`,
            fix: `attach the route to the HTTPS listener only: give its parentRef sectionName: ${https.name}`,
            related: [ctx.related(refOf(redirectRoute), "spec.rules", `HTTPRoute ${redirectRoute.namespace}/${redirectRoute.name} redirects other hosts to https`, redirectRoute.source)],
          }),
        );
      }
    }
  }
  return findings;
}
