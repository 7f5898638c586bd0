/**
 * Backend findings: backendRefs to a Service port that does not exist (or to another port than
 * an XBackend's), references no grant permits, and weights that data planes round to nothing.
 */
import type { ResolvedBackend, ResolvedRoute, ResolvedRule, ResolvedService, ResolvedXBackend } from "../resolve/graph.js";
import { isXBackendRef } from "../resolve/xbackends.js";
import { namespaceOfObject } from "./context.js";
import type { LintContext } from "./context.js";
import type { Finding } from "./finding.js";
import { refOf } from "./shadowing.js";
import { likelyMeant } from "../resolve/typo.js";
import { effectiveWeights, minimumSurvivingWeight } from "../model/weight-precision.js";

export function backendFindings(ctx: LintContext): Finding[] {
  const { graph } = ctx.world;
  const services = new Map<string, ResolvedService>(graph.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  const xbackends = new Map<string, ResolvedXBackend>((graph.xbackends ?? []).map((x) => [`${x.namespace}/${x.name}`, x]));
  const findings: Finding[] = [];
  for (const route of graph.routes) {
    for (const rule of route.rules) {
      rule.backends.forEach((b, j) => {
        const f = portFinding(ctx, route, services, xbackends, b, `spec.rules[${rule.index}].backendRefs[${j}]`, `backendRef ${j} of rule ${rule.index}`);
        if (f) findings.push(f);
        const g = permitFinding(ctx, route, services, xbackends, b, `spec.rules[${rule.index}].backendRefs[${j}]`, `backendRef ${j} of rule ${rule.index}`);
        if (g) findings.push(g);
        const t = typoFinding(ctx, route, services, b, `spec.rules[${rule.index}].backendRefs[${j}]`, `backendRef ${j} of rule ${rule.index}`);
        if (t) findings.push(t);
        b.filters.forEach((filter, k) => {
          const mirror = filter.requestMirror?.backendRef;
          if (!mirror) return;
          const mf = portFinding(ctx, route, services, xbackends, mirror, `spec.rules[${rule.index}].backendRefs[${j}].filters[${k}].requestMirror.backendRef`, `the mirror of backendRef ${j} of rule ${rule.index}`);
          if (mf) findings.push(mf);
        });
      });
      rule.filters.forEach((filter, k) => {
        const mirror = filter.requestMirror?.backendRef;
        if (!mirror) return;
        const f = portFinding(ctx, route, services, xbackends, mirror, `spec.rules[${rule.index}].filters[${k}].requestMirror.backendRef`, `the mirror of rule ${rule.index}`);
        if (f) findings.push(f);
      });
      findings.push(...weightFindings(ctx, route, rule.index, rule.backends));
      const nowhere = nowhereFinding(ctx, route, rule);
      if (nowhere) findings.push(nowhere);
    }
  }
  return findings;
}

function portFinding(
  ctx: LintContext,
  route: ResolvedRoute,
  services: Map<string, ResolvedService>,
  xbackends: Map<string, ResolvedXBackend>,
  b: ResolvedBackend,
  path: string,
  where: string,
): Finding | null {
  if (isXBackendRef(b.group, b.kind)) return xbackendPortFinding(ctx, route, xbackends, b, path, where);
  if (b.group !== "" || b.kind !== "Service" || b.port === null) return null;
  // A Service missing from the manifests is not this rule's business (it may live elsewhere).
  const svc = services.get(`${b.namespace}/${b.name}`);
  if (!svc || svc.ports.some((p) => p.port === b.port)) return null;
  const have = svc.ports.map((p) => `${p.port}${p.name ? ` (${p.name})` : ""}`);
  const closest = svc.ports.length === 1 ? svc.ports[0]!.port : null;
  // A mirror's backend is only a copy: the requests themselves are served, nothing is mirrored.
  const mirror = path.endsWith("requestMirror.backendRef");
  return ctx.finding({
    rule: "backend-port-not-found",
    severity: mirror ? "warning" : "error",
    object: refOf(route),
    path: `${path}.port`,
    fallback: route.source,
    message:
      `${where} of ${route.kind} ${route.namespace}/${route.name} sends to port ${b.port} of Service ${b.namespace}/${b.name}, which has ${have.length ? `ports ${have.join(", ")}` : "no ports"}; ` +
      (mirror ? "nothing is mirrored (the requests themselves are served)" : "those requests answer 500"),
    fix: closest !== null ? `set port: ${closest}` : have.length ? `use one of the Service's ports: ${have.join(", ")}` : `add port ${b.port} to Service ${b.namespace}/${b.name}`,
    related: svc ? [ctx.related({ kind: "Service", namespace: svc.namespace, name: svc.name }, "spec.ports", `Service ${svc.namespace}/${svc.name} ports`)] : [],
  });
}

/**
 * A backendRef port other than the XBackend's spec.port: resolve makes the ref BackendNotFound
 * (an XBackend has one port to connect to), so its share answers 500. Only for an XBackend of
 * the route's namespace (another namespace is backend-ref-not-permitted) that the manifests hold.
 */
function xbackendPortFinding(ctx: LintContext, route: ResolvedRoute, xbackends: Map<string, ResolvedXBackend>, b: ResolvedBackend, path: string, where: string): Finding | null {
  if (b.port === null || b.namespace !== route.namespace) return null;
  const x = xbackends.get(`${b.namespace}/${b.name}`);
  if (!x || x.port === b.port) return null;
  const mirror = path.endsWith("requestMirror.backendRef");
  const xref = { kind: "XBackend", namespace: x.namespace, name: x.name };
  return ctx.finding({
    rule: "backend-port-not-found",
    severity: mirror ? "warning" : "error",
    object: refOf(route),
    path: `${path}.port`,
    fallback: route.source,
    message:
      `${where} of ${route.kind} ${route.namespace}/${route.name} sends to port ${b.port} of XBackend ${x.namespace}/${x.name}, which connects to ${x.hostname} on port ${x.port} only (spec.port); ` +
      (mirror ? "nothing is mirrored (the requests themselves are served)" : "those requests answer 500"),
    fix: `set port: ${x.port}, or leave the backendRef's port out (it then takes the XBackend's spec.port)`,
    related: [ctx.related(xref, "spec.port", `XBackend ${x.namespace}/${x.name} spec.port`)],
  });
}

/**
 * A Service missing from the manifests, reported only when one of that name is in another
 * namespace (for a ref in the route's own), or one of its namespace is a typo away (resolve's
 * likelyMeant): the rest may well be deployed from elsewhere.
 */
function typoFinding(ctx: LintContext, route: ResolvedRoute, services: Map<string, ResolvedService>, b: ResolvedBackend, path: string, where: string): Finding | null {
  if (b.valid || b.reason !== "BackendNotFound" || b.group !== "" || b.kind !== "Service" || services.has(`${b.namespace}/${b.name}`)) return null;
  // A Service of that name in another namespace, for a ref in the route's own: the namespace was left out.
  const elsewhere = b.namespace === route.namespace ? [...services.values()].filter((s) => s.name === b.name).map((s) => s.namespace).sort() : [];
  const meant = elsewhere.length ? null : likelyMeant(b.name, [...services.values()].filter((s) => s.namespace === b.namespace).map((s) => s.name));
  if (!elsewhere.length && !meant) return null;
  const target = elsewhere.length ? { namespace: elsewhere[0]!, name: b.name } : { namespace: b.namespace, name: meant! };
  return ctx.finding({
    rule: "backend-not-found",
    severity: "warning",
    object: refOf(route),
    path: `${path}.name`,
    fallback: route.source,
    message:
      `${where} of ${route.kind} ${route.namespace}/${route.name} sends to Service ${b.namespace}/${b.name}, which is not in the manifests, ` +
      (elsewhere.length
        ? `but a Service ${b.name} is in namespace ${elsewhere.join(", ")} (a backendRef without namespace means the route's own); its share of requests answers 500`
        : `but Service ${b.namespace}/${meant} is: a typo? Its share of requests answers 500`),
    fix: elsewhere.length ? `set namespace: ${target.namespace}, and let ${route.kind}s from ${route.namespace} refer to it with a ReferenceGrant in ${target.namespace}` : `set name: ${meant}`,
    related: [ctx.related({ kind: "Service", ...target }, "", `Service ${target.namespace}/${target.name}`)],
  });
}

/**
 * A backendRef into another namespace that resolve refused for want of a ReferenceGrant, when the
 * Service is in the manifests: then its namespace's grants are expected there too, and a grant
 * that is missing, or written for another kind or namespace, is a mistake rather than a file kept
 * elsewhere (a Service missing from the manifests is never reported).
 */
function permitFinding(
  ctx: LintContext,
  route: ResolvedRoute,
  services: Map<string, ResolvedService>,
  xbackends: Map<string, ResolvedXBackend>,
  b: ResolvedBackend,
  path: string,
  where: string,
): Finding | null {
  if (!b.valid && b.reason === "RefNotPermitted" && isXBackendRef(b.group, b.kind)) return xbackendNamespaceFinding(ctx, route, xbackends, b, path, where);
  if (b.valid || b.reason !== "RefNotPermitted" || b.group !== "" || b.kind !== "Service") return null;
  if (!services.has(`${b.namespace}/${b.name}`)) return null;
  const grants = ctx.byKind("ReferenceGrant").filter((g) => namespaceOfObject(g) === b.namespace);
  const grantYaml =
    `a ReferenceGrant in namespace ${b.namespace} with from: [{group: gateway.networking.k8s.io, kind: ${route.kind}, namespace: ${route.namespace}}] ` +
    `and to: [{group: "", kind: Service, name: ${b.name}}]`;
  return ctx.finding({
    rule: "backend-ref-not-permitted",
    severity: "error",
    object: refOf(route),
    path: `${path}.namespace`,
    fallback: route.source,
    message:
      `${where} of ${route.kind} ${route.namespace}/${route.name} refers to Service ${b.namespace}/${b.name} in another namespace, ` +
      `and no ReferenceGrant in ${b.namespace} lets ${route.kind}s from ${route.namespace} refer to it` +
      `${grants.length ? ` (the grants there, ${grants.map((g) => g.metadata.name).sort().join(", ")}, do not match)` : ""}; its share of requests answers 500`,
    fix: grants.length ? `add to one of the grants in ${b.namespace}, or create, ${grantYaml}` : `create ${grantYaml}`,
    related: grants.map((g) => ctx.related({ kind: "ReferenceGrant", namespace: b.namespace, name: g.metadata.name }, "spec", `ReferenceGrant ${b.namespace}/${g.metadata.name}, which does not cover this reference`)),
  });
}

/**
 * A backendRef to an XBackend in another namespace: GEP-4894 "Backends MUST live in the same
 * namespace as any route ... that references them", so no ReferenceGrant helps and the share
 * answers 500. Reported whether or not the XBackend is in the manifests (it is refused either way).
 */
function xbackendNamespaceFinding(ctx: LintContext, route: ResolvedRoute, xbackends: Map<string, ResolvedXBackend>, b: ResolvedBackend, path: string, where: string): Finding {
  const x = xbackends.get(`${b.namespace}/${b.name}`);
  const grants = ctx.byKind("ReferenceGrant").filter((g) => namespaceOfObject(g) === b.namespace && grantNamesXBackend(g.spec));
  return ctx.finding({
    rule: "backend-ref-not-permitted",
    severity: "error",
    object: refOf(route),
    path: `${path}.namespace`,
    fallback: route.source,
    message:
      `${where} of ${route.kind} ${route.namespace}/${route.name} refers to XBackend ${b.namespace}/${b.name} in another namespace; an XBackend must be in the namespace of the routes that reference it (GEP-4894)` +
      `${grants.length ? `, and ReferenceGrant ${grants.map((g) => `${b.namespace}/${g.metadata.name}`).join(", ")} does not change that` : ", and no ReferenceGrant can permit it"}; its share of requests answers 500`,
    fix: `create the XBackend in namespace ${route.namespace} (a copy of ${b.namespace}/${b.name}) and drop the backendRef's namespace`,
    related: x ? [ctx.related({ kind: "XBackend", namespace: x.namespace, name: x.name }, "", `XBackend ${x.namespace}/${x.name}`)] : [],
  });
}

function grantNamesXBackend(spec: unknown): boolean {
  const to = (spec as { to?: unknown } | undefined)?.to;
  return Array.isArray(to) && to.some((t) => t && typeof t === "object" && (t as { kind?: unknown }).kind === "XBackend");
}

/**
 * A rule with no backendRef to send to (none written, or every weight 0): decide answers 500 to
 * every request it takes (forward.ts), and stream routes refuse the connection. Left alone: a
 * rule that redirects (its normal form has no backendRefs), one with an ExtensionRef filter (it
 * may answer by itself), and weight 0 everywhere with sessionPersistence (draining sessions), the
 * rule's own or an XBackendTrafficPolicy's on one of its backends.
 */
function nowhereFinding(ctx: LintContext, route: ResolvedRoute, rule: ResolvedRule): Finding | null {
  if (rule.invalid) return null;
  const total = rule.backends.reduce((s, b) => s + b.weight, 0);
  if (rule.backends.length > 0 && total > 0) return null;
  if (rule.filters.some((f) => f.requestRedirect || f.extensionRef)) return null;
  if (rule.backends.length > 0 && (keepsSessions(rule.sessionPersistence) || policySessionOn(ctx, route, rule))) return null;
  const stream = route.kind === "TLSRoute" || route.kind === "TCPRoute" || route.kind === "UDPRoute";
  const outcome = stream ? (route.kind === "UDPRoute" ? "its datagrams are dropped" : "every connection it takes is refused") : "every request it matches answers 500";
  const none = rule.backends.length === 0;
  return ctx.finding({
    rule: "rule-without-backend",
    severity: "error",
    object: refOf(route),
    path: none ? `spec.rules[${rule.index}]` : `spec.rules[${rule.index}].backendRefs`,
    fallback: route.source,
    message: `rule ${rule.index}${rule.name ? ` (${rule.name})` : ""} of ${route.kind} ${route.namespace}/${route.name} ${none ? "has no backendRefs" : `gives every backendRef weight 0`}${stream || none ? "" : " and has no sessionPersistence"}, so ${outcome}`,
    fix: none
      ? `add a backendRef${stream ? "" : ", or a RequestRedirect filter if the rule is meant to redirect"}`
      : `give the backendRef that should take the traffic a weight above 0${stream ? "" : " (or, to drain sessions, add sessionPersistence)"}`,
  });
}

/**
 * Whether a sessionPersistence keeps sessions decide can pin: a Header session without
 * sessionName keeps none (decide/session.ts: the client could not know the header), so it drains nothing.
 */
function keepsSessions(sp: Record<string, unknown> | null | undefined): boolean {
  if (!sp) return false;
  return sp.type !== "Header" || (typeof sp.sessionName === "string" && sp.sessionName !== "");
}

/** Whether an accepted XBackendTrafficPolicy gives one of the rule's backends session persistence. */
function policySessionOn(ctx: LintContext, route: ResolvedRoute, rule: ResolvedRule): boolean {
  if (route.kind !== "HTTPRoute" && route.kind !== "GRPCRoute") return false;
  return (ctx.world.graph.backendTrafficPolicies ?? []).some(
    (p) => keepsSessions(p.sessionPersistence) && rule.backends.some((b) => b.namespace === p.namespace && p.targets.some((t) => t.group === b.group && t.kind === b.kind && t.name === b.name)),
  );
}

const NGF = "NGINX Gateway Fabric (0.01% steps, the last backendRef takes the rest)";
const WHOLE = "whole percents (largest remainder, as Istio up to 1.14)";

/**
 * A backend whose weight the precision profiles of `model/weight-precision.ts` (the ones replay's
 * `--precision` applies) round to nothing: NGINX Gateway Fabric's 0.01% floor (warning), and
 * whole percents by largest remainder, as Istio up to 1.14 converted them (info: a retired
 * release). The fix names, per profile, the weight from which on the backend keeps a share.
 */
function weightFindings(ctx: LintContext, route: ResolvedRoute, ruleIndex: number, backends: readonly ResolvedBackend[]): Finding[] {
  const written = backends.map((b) => b.weight);
  const ngf = effectiveWeights(written, "ngf").weights;
  const whole = effectiveWeights(written, "percent").weights;
  const total = written.reduce((s, w) => s + w, 0);
  const out: Finding[] = [];
  backends.forEach((b, j) => {
    if (b.weight <= 0) return;
    const ngfZero = ngf[j] === 0;
    const wholeZero = whole[j] === 0;
    if (!ngfZero && !wholeZero) return;
    const shown = `${trimPercent((b.weight * 100) / total)}%`;
    const minNgf = ngfZero ? minimumSurvivingWeight(written, j, "ngf") : 0;
    const minWhole = wholeZero ? minimumSurvivingWeight(written, j, "percent") : 0;
    const zeroBy = [ngfZero ? NGF : null, wholeZero ? WHOLE : null].filter((x) => x !== null).join(" and ");
    const others = [
      ngfZero ? null : `NGINX Gateway Fabric gives it ${trimPercent(ngf[j]! / 100)}%`,
      wholeZero ? null : `whole percents give it ${whole[j]}%`,
      `gwsim and Envoy-based data planes send it ${shown}`,
    ].filter((x) => x !== null);
    out.push(
      ctx.finding({
        rule: "weight-rounds-to-zero",
        severity: ngfZero ? "warning" : "info",
        object: refOf(route),
        path: `spec.rules[${ruleIndex}].backendRefs[${j}].weight`,
        fallback: route.source,
        message:
          `backendRef ${j} (${b.namespace}/${b.name}) of rule ${ruleIndex} has weight ${b.weight} of ${total} (${shown}): ` +
          `its share rounds to 0 under ${zeroBy}, so it gets no requests there (${others.join("; ")})`,
        fix:
          ngfZero && wholeZero
            ? `raise the weight to at least ${Math.max(minNgf, minWhole)} (NGINX Gateway Fabric needs ${minNgf}, whole percents ${minWhole}), or scale the other weights down`
            : `raise the weight to at least ${ngfZero ? minNgf : minWhole} (${ngfZero ? "NGINX Gateway Fabric" : "whole percents"}), or scale the other weights down`,
      }),
    );
  });
  return out;
}

function trimPercent(p: number): string {
  return p >= 0.01 ? p.toFixed(2).replace(/\.?0+$/, "") : p.toPrecision(2);
}
