/**
 * What happens once a rule is chosen, for every kind: its filters in order, the weighted
 * backend draw, backendRef filters, and the request the backend receives (HTTPRoute and
 * GRPCRoute); or the stream forwarded to the drawn backend (TLSRoute, TCPRoute, UDPRoute).
 */
import { setHeader } from "./normalize.js";
import { backendProtocolOf } from "./backend-protocol.js";
import type { CompiledBackend, CompiledBackendTLSPolicy, CompiledRoute, CompiledRule } from "../compile/table.js";
import type { BackendId, BackendShare, BackendTLS, Decision } from "../model/decision.js";
import type { HTTPPathMatch, RouteFilter } from "../resolve/graph.js";
import { applyFilters, type FilterContext, type FilterResult } from "./filters/index.js";
import { answerHeaderEdits } from "./filters/headers.js";
import { draw, pickWeight } from "./draw.js";
import { fail } from "./listener.js";
import { readSession, sessionAfterDraw } from "./session.js";
import type { RequestView } from "./request.js";
import type { MatchRuntime, RuleRuntime, Runtime } from "./runtime.js";
import type { DecideContext } from "./index.js";
import { ruleLabel } from "./labels.js";
import { xBackendFields, xBackendNote } from "./xbackend.js";

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
  const r = t.weights;
  return { kind: r.kind, namespace: r.namespace, name: r.name, rule: r.index, ruleName: r.ruleName, match: t.matchIndex };
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
  const { notes } = ctx;
  // The rule's runtime has what the common path reads; target.rule/route serve the rest.
  const r = target.weights;
  const out = d;
  const lean = ctx.lean;
  if (lean) {
    out.route = (target as Partial<MatchRuntime>).ref ?? routeRefOf(target);
    out.backends = r.shares as BackendShare[];
    out.sessionPersistence = r.sessionPersistence;
  } else {
    out.route = routeRefOf(target);
    out.backends = r.backends.map(shareOf);
    out.timeouts = r.timeouts ? { ...r.timeouts } : null;
    out.retry = r.retry ? { ...r.retry, ...(r.retry.codes ? { codes: [...r.retry.codes] } : {}) } : null;
    out.sessionPersistence = r.sessionPersistence ? structuredClone(r.sessionPersistence) : null;
  }
  // Most rules have no filters: then nothing below needs the filter machinery.
  let fctx: FilterContext | null = null;
  let ruleResult: FilterResult | null = null;
  if (r.hasFilters) {
    fctx = filterContext(req, frontend, target, host, norm);
    ruleResult = applyFilters(target.rule.filters as RouteFilter[], fctx);
    if (notes) for (const n of ruleResult.notes) notes.push(`rule filter: ${n}`);
    const early = filterOutcome(ctx, out, ruleResult);
    if (early) return early;
    withFilterEffects(out, ruleResult);
  }

  // A rule without sessionPersistence reads no cookie: the check is all it pays.
  const pinned = r.sessionPersistence ? readSession(ctx, req.headers, req.timeMs, r, out) : -1;
  if (pinned < 0 && (r.backends.length === 0 || r.totalWeight <= 0)) {
    const { rule, route } = target;
    const message =
      rule.backends.length === 0
        ? `${ruleLabel(route.kind, route.namespace, route.name, rule.index, rule.name)} has no backendRefs: 500`
        : `every backendRef of ${ruleLabel(route.kind, route.namespace, route.name, rule.index, rule.name)} has weight 0: 500`;
    return fail(out, ctx, { outcome: "error", status: 500, reason: rule.backends.length === 0 ? "NoBackends" : "NoBackendWeight", message });
  }
  // A session pins its backend even at weight 0 (GEP-1619), so the draw is skipped.
  const index = pinned >= 0 ? pinned : pickBackend(ctx, r);
  // A policy's session on some backends only: the others start none (one check for every other rule).
  if (r.sessionBackends !== null && pinned < 0) sessionAfterDraw(ctx, r, index, out);
  if (lean && r.allValid && !r.backendFilters) {
    // What the lean path below comes to, without reading the backend object.
    out.backend = r.ids[index]!;
    out.outcome = "forward";
    out.status = null;
    return out;
  }
  const backend = r.backends[index]!;
  out.backend = lean ? r.ids[index]! : idOf(backend);
  if (notes) notes.push(pinned >= 0 ? `backend ${backendLabel(backend)}: weight ${backend.weight} of ${target.rule.totalWeight}, pinned by the session (no draw)` : pickNote(ctx, target.rule, backend, r, index));
  if (notes && backend.xbackend) notes.push(xBackendNote(backend)!);
  if (!backend.valid) {
    const reason = backend.reason ?? "InvalidBackend";
    return fail(out, ctx, {
      outcome: "error",
      status: 500,
      reason,
      message: `backend ${backendLabel(backend)} is invalid (${reason}${backend.message ? `: ${backend.message}` : ""}); ${pinned >= 0 ? "the session pinned to it answers 500" : "its share of traffic answers 500"}`,
    });
  }
  let forwarded: Decision["forwarded"];
  if (r.backendFilters && backend.filters.length > 0) {
    fctx ??= filterContext(req, frontend, target, host, norm);
    const prior = ruleResult ?? applyFilters([], fctx);
    const result = applyFilters(backend.filters as RouteFilter[], fctx, prior);
    if (notes) for (const n of result.notes.slice(prior.notes.length)) notes.push(`backendRef filter: ${n}`);
    const late = filterOutcome(ctx, out, result);
    if (late) return late;
    withFilterEffects(out, result);
    forwarded = result.forwarded;
  } else if (lean) {
    out.outcome = "forward";
    out.status = null;
    return out;
  } else {
    forwarded = ruleResult ? ruleResult.forwarded : forwardedAsSent(req, host, norm);
  }
  out.outcome = "forward";
  out.status = null;
  if (lean) return out;
  out.forwarded = forwarded;
  out.backendTLS = r.anyTLS ? backendTLSFor(ctx.rt, r, index, out.listener?.gateway) : null;
  if (notes && out.backendTLS) notes.push(`BackendTLSPolicy ${out.backendTLS.policy} applies: TLS to the backend with SNI ${out.backendTLS.sni}`);
  const protocol = backendProtocolOf(backend, r.kind, { grpc: req.grpc !== null, websocket: req.protocol === "websocket" }, out.backendTLS !== null);
  out.backendProtocol = protocol.protocol;
  if (notes && protocol.note) notes.push(protocol.note);
  return out;
}

function filterContext(req: RequestView, frontend: Frontend, target: RuleTarget, host: string, norm: { path: string; query: string }): FilterContext {
  return {
    method: req.method,
    scheme: req.scheme,
    host,
    port: req.hostPort,
    listenerPort: frontend.port,
    listenerProtocol: frontend.protocol,
    path: norm.path,
    query: norm.query,
    headers: req.headers,
    pathMatch: target.pathMatch ? { ...target.pathMatch } : null,
  };
}

/**
 * The request as the backend receives it when no filter changes it: what applyFilters gives
 * for an empty list (filters/index.ts `unfiltered`), built directly. The Host travels as
 * `host`, not among the headers; a header sent once is a string.
 */
function forwardedAsSent(req: RequestView, host: string, norm: { path: string; query: string }): NonNullable<Decision["forwarded"]> {
  const headers: Record<string, string | string[]> = {};
  for (const name in req.headers) {
    if (name === "host") continue;
    const v = req.headers[name]!;
    setHeader(headers, name, typeof v === "string" ? v : v.length === 1 ? v[0]! : [...v]);
  }
  return {
    method: req.method,
    scheme: req.scheme,
    host: req.hostPort !== null ? `${host}:${req.hostPort}` : host,
    path: norm.query ? `${norm.path}?${norm.query}` : norm.path,
    headers,
  };
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
        ? `${ruleLabel(route.kind, route.namespace, route.name, rule.index, rule.name)} has no backendRefs: ${refuse}`
        : `every backendRef of ${ruleLabel(route.kind, route.namespace, route.name, rule.index, rule.name)} has weight 0: ${refuse}`;
    return fail(out, ctx, { outcome: "reject", status: null, reason: rule.backends.length === 0 ? "NoBackends" : "NoBackendWeight", message });
  }
  const index = pickBackend(ctx, target.weights);
  // Re-encrypted streams go through the backend's BackendTLSPolicy: one not accepted fails them.
  const policy = reencrypt ? ctx.rt.table.backendTLSPolicies[target.weights.tlsPolicy[index] ?? -1] : undefined;
  const backend = withPolicy(rule.backends[index]!, policy);
  out.backend = idOf(backend);
  ctx.notes?.push(pickNote(ctx, rule, backend, target.weights, index));
  if (ctx.notes && backend.xbackend) ctx.notes.push(xBackendNote(backend)!);
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
  out.backendTLS = reencrypt ? backendTLSFor(ctx.rt, target.weights, index, out.listener?.gateway) : null;
  if (ctx.notes && out.backendTLS) ctx.notes.push(`BackendTLSPolicy ${out.backendTLS.policy} applies: the stream is re-encrypted to the backend with SNI ${out.backendTLS.sni}`);
  return out;
}

function pickNote(ctx: DecideContext, rule: CompiledRule, backend: CompiledBackend, r: RuleRuntime, index: number): string {
  const u = r.weighted === 1 ? null : draw(ctx.seed, ctx.index);
  if (u === null) return `backend ${backendLabel(backend)}: weight ${backend.weight} of ${rule.totalWeight}, probability ${round(backend.probability)} (the only backend with weight)`;
  // The backend's slice of [0, 1): the weights before it, in list order (draw.ts pickWeight).
  let before = 0;
  for (let i = 0; i < index; i++) before += r.weights[i]! > 0 ? r.weights[i]! : 0;
  const total = r.weights.reduce((sum, w) => sum + (w > 0 ? w : 0), 0);
  const from = before / total;
  const to = (before + Math.max(0, r.weights[index]!)) / total;
  return (
    `backend ${backendLabel(backend)}: weight ${backend.weight} of ${rule.totalWeight}, probability ${round(backend.probability)}, ` +
    `picked by seeded draw ${round(u)} (seed ${ctx.seed}, index ${ctx.index}), which falls in its slice [${round(from)}, ${round(to)}) of the split`
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
    // The RequestRedirect filter's own line already says it.
    return Object.assign(withFilterEffects(d, r), { outcome: "redirect" as const, status: r.redirect.status, redirect: r.redirect });
  }
  if (r.respond) {
    ctx.notes?.push(`the gateway answers ${r.respond.status} itself`);
    // The gateway's own response: its headers show as `set` edits, so CONTRACT readers see them;
    // ResponseHeaderModifier edits still apply on top.
    const responseHeaders = answerHeaderEdits(r.respond.headers, r.responseHeaders);
    return Object.assign(withFilterEffects(d, r), { responseHeaders, outcome: "respond" as const, status: r.respond.status, respond: r.respond });
  }
  return null;
}

/** The backend of this decision: the only one with weight, else the seeded draw's. */
function pickBackend(ctx: DecideContext, r: RuleRuntime): number {
  if (r.weighted === 1) return r.firstWeighted;
  return pickWeight(r.weights, draw(ctx.seed, ctx.index));
}

export function shareOf(b: CompiledBackend): BackendShare {
  return { group: b.group, kind: b.kind, namespace: b.namespace, name: b.name, port: b.port, ...xBackendFields(b.xbackend), weight: b.weight, probability: b.probability, valid: b.valid, reason: b.reason };
}

export function idOf(b: CompiledBackend): BackendId {
  return { group: b.group, kind: b.kind, namespace: b.namespace, name: b.name, port: b.port, ...xBackendFields(b.xbackend) };
}

export function backendLabel(b: { group: string; kind: string; namespace: string; name: string; port: number | null }): string {
  const kind = b.group === "" && b.kind === "Service" ? "" : `${b.kind}${b.group ? `.${b.group}` : ""} `;
  return `${kind}${b.namespace}/${b.name}${b.port !== null ? `:${b.port}` : ""}`;
}

export const round = (x: number): string => String(Math.round(x * 10_000) / 10_000);

/**
 * A backend whose BackendTLSPolicy is not accepted (its CA does not resolve) is invalid: the
 * connection to it fails, so its share of requests answers 500 like any invalid backend's.
 */
export function withPolicy(b: CompiledBackend, policy: CompiledBackendTLSPolicy | undefined): CompiledBackend {
  if (!b.valid || policy === undefined || policy.valid !== false) return b;
  const why = `${policy.reason ?? "Invalid"}${policy.message ? `: ${policy.message}` : ""}`;
  return { ...b, valid: false, reason: "InvalidBackendTLSPolicy", message: `BackendTLSPolicy ${policy.policy} is not accepted (${why}); TLS connections to the backend fail` };
}

/** The BackendTLSPolicy that applies to backend `i` of the rule (runtime.ts policyFor), or null. */
export function backendTLSFor(rt: Runtime, weights: RuleRuntime, i: number, gateway?: string | null): BackendTLS | null {
  const p = weights.tlsPolicy[i] ?? -1;
  return p < 0 ? null : tlsOf(rt, p, gateway ?? null);
}

/**
 * The connection a BackendTLSPolicy asks for. The client certificate is the Gateway's
 * spec.tls.backend.clientCertificateRef (the Gateway's certificate for every backend it speaks
 * TLS to; conformance GatewayTLSBackendClientCertificate); mesh traffic has no Gateway.
 */
function tlsOf(rt: Runtime, i: number, gateway: string | null): BackendTLS {
  const p = rt.table.backendTLSPolicies[i]!;
  const fromGateway = gateway !== null && Object.hasOwn(rt.table.gateways, gateway) ? (rt.table.gateways[gateway]!.backendClientCertificate ?? null) : null;
  return {
    policy: p.policy,
    sni: p.sni,
    caCertificateRefs: [...p.caCertificateRefs],
    wellKnownCACertificates: p.wellKnownCACertificates,
    subjectAltNames: structuredClone([...p.subjectAltNames]),
    clientCertificate: p.clientCertificate ?? fromGateway,
  };
}
