/**
 * Backend findings: backendRefs to a Service port that does not exist, and weights that data
 * planes round to nothing.
 */
import type { ResolvedBackend, ResolvedRoute, ResolvedService } from "../resolve/graph.js";
import type { LintContext } from "./context.js";
import type { Finding } from "./finding.js";
import { refOf } from "./shadowing.js";
import { effectiveWeights, minimumSurvivingWeight } from "../model/weight-precision.js";

export function backendFindings(ctx: LintContext): Finding[] {
  const { graph } = ctx.world;
  const services = new Map<string, ResolvedService>(graph.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  const findings: Finding[] = [];
  for (const route of graph.routes) {
    for (const rule of route.rules) {
      rule.backends.forEach((b, j) => {
        const f = portFinding(ctx, route, services, b, `spec.rules[${rule.index}].backendRefs[${j}]`, `backendRef ${j} of rule ${rule.index}`);
        if (f) findings.push(f);
        b.filters.forEach((filter, k) => {
          const mirror = filter.requestMirror?.backendRef;
          if (!mirror) return;
          const mf = portFinding(ctx, route, services, mirror, `spec.rules[${rule.index}].backendRefs[${j}].filters[${k}].requestMirror.backendRef`, `the mirror of backendRef ${j} of rule ${rule.index}`);
          if (mf) findings.push(mf);
        });
      });
      rule.filters.forEach((filter, k) => {
        const mirror = filter.requestMirror?.backendRef;
        if (!mirror) return;
        const f = portFinding(ctx, route, services, mirror, `spec.rules[${rule.index}].filters[${k}].requestMirror.backendRef`, `the mirror of rule ${rule.index}`);
        if (f) findings.push(f);
      });
      findings.push(...weightFindings(ctx, route, rule.index, rule.backends));
    }
  }
  return findings;
}

function portFinding(
  ctx: LintContext,
  route: ResolvedRoute,
  services: Map<string, ResolvedService>,
  b: ResolvedBackend,
  path: string,
  where: string,
): Finding | null {
  if (b.group !== "" || b.kind !== "Service" || b.port === null) return null;
  // A Service missing from the manifests is not this rule's business (it may live elsewhere).
  const svc = services.get(`${b.namespace}/${b.name}`);
  if (!svc || svc.ports.some((p) => p.port === b.port)) return null;
  const have = svc.ports.map((p) => `${p.port}${p.name ? ` (${p.name})` : ""}`);
  const closest = svc.ports.length === 1 ? svc.ports[0]!.port : null;
  return ctx.finding({
    rule: "backend-port-not-found",
    severity: "error",
    object: refOf(route),
    path: `${path}.port`,
    fallback: route.source,
    message: `${where} of ${route.kind} ${route.namespace}/${route.name} sends to port ${b.port} of Service ${b.namespace}/${b.name}, which has ${have.length ? `ports ${have.join(", ")}` : "no ports"}; those requests answer 500`,
    fix: closest !== null ? `set port: ${closest}` : have.length ? `use one of the Service's ports: ${have.join(", ")}` : `add port ${b.port} to Service ${b.namespace}/${b.name}`,
    related: svc ? [ctx.related({ kind: "Service", namespace: svc.namespace, name: svc.name }, "spec.ports", `Service ${svc.namespace}/${svc.name} ports`)] : [],
  });
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
