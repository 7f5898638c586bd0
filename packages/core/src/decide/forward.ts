/**
 * What happens once a rule is chosen, for every kind: its filters in order, the weighted
 * backend draw, backendRef filters, and the request the backend receives (HTTPRoute and
 * GRPCRoute); or the stream forwarded to the drawn backend (TLSRoute, TCPRoute, UDPRoute).
 */
import type { CompiledBackend, CompiledRoute, CompiledRule } from "../compile/table.js";
import type { BackendId, BackendShare, BackendTLS, Decision } from "../model/decision.js";
import type { HTTPPathMatch, RouteFilter } from "../resolve/graph.js";
import { applyFilters, type FilterContext, type FilterResult } from "./filters/index.js";
import { draw, pickWeighted } from "./draw.js";
import { fail } from "./listener.js";
import type { Headers } from "./normalize.js";
import type { RequestView } from "./request.js";
import type { RuleRuntime, Runtime } from "./runtime.js";
import type { DecideContext } from "./index.js";

/** The rule that takes the request, whatever its route kind. */
export interface RuleTarget {
  route: CompiledRoute;
  rule: CompiledRule;
  weights: RuleRuntime;
  /** The match within the rule, or null for stream routes. */
  matchIndex: number | null;
  /** The HTTPRoute path match (ReplacePrefixMatch needs it); null for GRPCRoute. */
  pathMatch: HTTPPathMatch | null;
}

/** Where the request came in: a listener's port and protocol, or a Service port (mesh). */
export interface Frontend {
  port: number;
  protocol: string;
}

export function routeRefOf(t: RuleTarget): NonNullable<Decision["route"]> {
  return { kind: t.route.kind, namespace: t.route.namespace, name: t.route.name, rule: t.rule.index, ruleName: t.rule.name, match: t.matchIndex };
}

/** HTTPRoute and GRPCRoute: filters, backend draw, backendRef filters, the forwarded request. */
export function applyRule(
  ctx: DecideContext,
  req: RequestView,
  d: Decision,
  frontend: Frontend,
  target: RuleTarget,
  host: string,
  norm: { path: string; query: string },
): Decision {
  const { rt, notes } = ctx;
  const { rule, route } = target;
  const out = d;
  out.route = routeRefOf(target);
  out.backends = rule.backends.map(shareOf);
  out.timeouts = rule.timeouts ? { ...rule.timeouts } : null;
  out.retry = rule.retry ? { ...rule.retry, ...(rule.retry.codes ? { codes: [...rule.retry.codes] } : {}) } : null;
  out.sessionPersistence = rule.sessionPersistence ? structuredClone(rule.sessionPersistence) : null;
  // forwarded.host carries the Host; the header map does not repeat it.
  let headers: Headers = req.headers;
  if (Object.hasOwn(headers, "host")) {
    headers = {};
    for (const k of Object.keys(req.headers)) if (k !== "host") headers[k] = req.headers[k]!;
  }
  const fctx: FilterContext = {
    method: req.method,
    scheme: req.scheme,
    host,
    port: req.hostPort,
    listenerPort: frontend.port,
    listenerProtocol: frontend.protocol,
    path: norm.path,
    query: norm.query,
    headers,
    pathMatch: target.pathMatch ? { ...target.pathMatch } : null,
  };
  const ruleResult = applyFilters(rule.filters as RouteFilter[], fctx);
  if (notes) for (const n of ruleResult.notes) notes.push(`rule filter: ${n}`);
  const early = filterOutcome(ctx, out, ruleResult);
  if (early) return early;

  if (rule.backends.length === 0 || rule.totalWeight <= 0) {
    const message =
      rule.backends.length === 0
        ? `rule ${rule.index} of ${route.namespace}/${route.name} has no backendRefs: 500`
        : `every backendRef of rule ${rule.index} of ${route.namespace}/${route.name} has weight 0: 500`;
    return fail(withFilterEffects(out, ruleResult), ctx, { outcome: "error", status: 500, reason: rule.backends.length === 0 ? "NoBackends" : "NoBackendWeight", message });
  }
  const picked = pickBackend(ctx, target.weights);
  const backend = rule.backends[picked.index]!;
  out.backend = idOf(backend);
  notes?.push(pickNote(ctx, rule, backend, picked.u));
  if (!backend.valid) {
    const reason = backend.reason ?? "InvalidBackend";
    return fail(withFilterEffects(out, ruleResult), ctx, {
      outcome: "error",
      status: 500,
      reason,
      message: `backend ${backendLabel(backend)} is invalid (${reason}${backend.message ? `: ${backend.message}` : ""}); its share of traffic answers 500`,
    });
  }
  let result = ruleResult;
  if (backend.filters.length > 0) {
    result = applyFilters(backend.filters as RouteFilter[], fctx, ruleResult);
    if (notes) for (const n of result.notes.slice(ruleResult.notes.length)) notes.push(`backendRef filter: ${n}`);
    const late = filterOutcome(ctx, out, result);
    if (late) return late;
  }
  const final = withFilterEffects(out, result);
  final.outcome = "forward";
  final.status = null;
  final.forwarded = result.forwarded;
  final.backendTLS = backendTLSFor(rt, target.weights, picked.index);
  if (notes && final.backendTLS) notes.push(`BackendTLSPolicy ${final.backendTLS.policy} applies: TLS to the backend with SNI ${final.backendTLS.sni}`);
  return final;
}

/**
 * TLSRoute, TCPRoute, UDPRoute: the stream goes to the drawn backend as it is (nothing is
 * forwarded at the HTTP level, so `forwarded` stays null). TCPRouteRule/UDPRouteRule/
 * TLSRouteRule backendRefs: an invalid backend, or none, makes the gateway reject the
 * connection (UDP: drop the packets), in proportion to its weight.
 * `reencrypt` is true for a TLS Terminate listener, where a BackendTLSPolicy applies.
 */
export function forwardStream(ctx: DecideContext, d: Decision, target: RuleTarget, reencrypt: boolean): Decision {
  const { rule, route } = target;
  const out = d;
  out.route = routeRefOf(target);
  out.backends = rule.backends.map(shareOf);
  const refuse = route.kind === "UDPRoute" ? "its datagrams are dropped" : "the connection is rejected";
  if (rule.backends.length === 0 || rule.totalWeight <= 0) {
    const message =
      rule.backends.length === 0
        ? `${route.kind} ${route.namespace}/${route.name} has no backendRefs: ${refuse}`
        : `every backendRef of ${route.kind} ${route.namespace}/${route.name} has weight 0: ${refuse}`;
    return fail(out, ctx, { outcome: "reject", status: null, reason: rule.backends.length === 0 ? "NoBackends" : "NoBackendWeight", message });
  }
  const picked = pickBackend(ctx, target.weights);
  const backend = rule.backends[picked.index]!;
  out.backend = idOf(backend);
  ctx.notes?.push(pickNote(ctx, rule, backend, picked.u));
  if (!backend.valid) {
    const reason = backend.reason ?? "InvalidBackend";
    return fail(out, ctx, {
      outcome: "reject",
      status: null,
      reason,
      message: `backend ${backendLabel(backend)} is invalid (${reason}${backend.message ? `: ${backend.message}` : ""}); its share of ${route.kind === "UDPRoute" ? "datagrams is dropped" : "connections is rejected"}`,
    });
  }
  out.outcome = "forward";
  out.status = null;
  out.forwarded = null;
  out.backendTLS = reencrypt ? backendTLSFor(ctx.rt, target.weights, picked.index) : null;
  if (ctx.notes && out.backendTLS) ctx.notes.push(`BackendTLSPolicy ${out.backendTLS.policy} applies: the stream is re-encrypted to the backend with SNI ${out.backendTLS.sni}`);
  return out;
}

function pickNote(ctx: DecideContext, rule: CompiledRule, backend: CompiledBackend, u: number | null): string {
  return (
    `backend ${backendLabel(backend)}: weight ${backend.weight} of ${rule.totalWeight}, probability ${round(backend.probability)}` +
    (u === null ? " (the only backend with weight)" : `, picked by seeded draw ${round(u)} (seed ${ctx.seed}, index ${ctx.index})`)
  );
}

export function withFilterEffects(d: Decision, r: FilterResult): Decision {
  d.responseHeaders = r.responseHeaders;
  d.mirrors = r.mirrors;
  return d;
}

function filterOutcome(ctx: DecideContext, d: Decision, r: FilterResult): Decision | null {
  if (r.error) {
    return fail(withFilterEffects(d, r), ctx, { outcome: "error", status: r.error.status, reason: r.error.reason, message: r.error.message });
  }
  if (r.redirect) {
    ctx.notes?.push(`redirect ${r.redirect.status} to ${r.redirect.location}`);
    return Object.assign(withFilterEffects(d, r), { outcome: "redirect" as const, status: r.redirect.status, redirect: r.redirect });
  }
  if (r.respond) {
    ctx.notes?.push(`the gateway answers ${r.respond.status} itself`);
    // The gateway's own response: its headers show as `set` edits, so CONTRACT readers see them;
    // ResponseHeaderModifier edits still apply on top.
    const edits = r.responseHeaders ?? { set: {}, add: {}, remove: [] };
    const responseHeaders = { set: { ...r.respond.headers, ...edits.set }, add: { ...edits.add }, remove: [...edits.remove] };
    return Object.assign(withFilterEffects(d, r), { responseHeaders, outcome: "respond" as const, status: r.respond.status, respond: r.respond });
  }
  return null;
}

function pickBackend(ctx: DecideContext, r: RuleRuntime): { index: number; u: number | null } {
  if (r.weighted === 1) return { index: r.firstWeighted, u: null };
  const u = draw(ctx.seed, ctx.index);
  return { index: pickWeighted(r.weights, u), u };
}

export function shareOf(b: CompiledBackend): BackendShare {
  return { group: b.group, kind: b.kind, namespace: b.namespace, name: b.name, port: b.port, weight: b.weight, probability: b.probability, valid: b.valid, reason: b.reason };
}

export function idOf(b: CompiledBackend): BackendId {
  return { group: b.group, kind: b.kind, namespace: b.namespace, name: b.name, port: b.port };
}

export function backendLabel(b: { group: string; kind: string; namespace: string; name: string; port: number | null }): string {
  const kind = b.group === "" && b.kind === "Service" ? "" : `${b.kind}${b.group ? `.${b.group}` : ""} `;
  return `${kind}${b.namespace}/${b.name}${b.port !== null ? `:${b.port}` : ""}`;
}

export const round = (x: number): string => String(Math.round(x * 10_000) / 10_000);

/** The BackendTLSPolicy that applies to backend `i` of the rule (runtime.ts policyFor), or null. */
export function backendTLSFor(rt: Runtime, weights: RuleRuntime, i: number): BackendTLS | null {
  const p = weights.tlsPolicy[i] ?? -1;
  return p < 0 ? null : tlsOf(rt, p);
}

function tlsOf(rt: Runtime, i: number): BackendTLS {
  const p = rt.table.backendTLSPolicies[i]!;
  return {
    policy: p.policy,
    sni: p.sni,
    caCertificateRefs: [...p.caCertificateRefs],
    wellKnownCACertificates: p.wellKnownCACertificates,
    subjectAltNames: structuredClone([...p.subjectAltNames]),
    clientCertificate: p.clientCertificate,
  };
}
