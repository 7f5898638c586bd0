/**
 * Backend findings: backendRefs to a Service port that does not exist, and weights that data
 * planes round to nothing.
 */
import type { ResolvedBackend, ResolvedRoute, ResolvedService } from "../resolve/graph.js";
import type { LintContext } from "./context.js";
import type { Finding } from "./finding.js";
import { refOf } from "./shadowing.js";

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

/**
 * NGINX Gateway Fabric writes each backend's share as a split_clients percentage floored to two
 * decimals, and gives the last backend the remainder (internal/nginx/config/split_clients.go),
 * so a backend other than the last with a share under 0.01% receives nothing. Data planes that
 * take whole percentages round a share under 0.5% to 0.
 */
function weightFindings(ctx: LintContext, route: ResolvedRoute, ruleIndex: number, backends: readonly ResolvedBackend[]): Finding[] {
  const weighted = backends.filter((b) => b.weight > 0);
  if (weighted.length < 2) return [];
  const total = weighted.reduce((s, b) => s + b.weight, 0);
  const out: Finding[] = [];
  const last = backends.length - 1;
  backends.forEach((b, j) => {
    if (b.weight <= 0) return;
    const percent = (b.weight * 100) / total;
    const ngfZero = j !== last && Math.floor(percent * 100) === 0;
    const wholeZero = Math.round(percent) === 0;
    if (!ngfZero && !wholeZero) return;
    const shown = `${trimPercent(percent)}%`;
    const rest = total - b.weight;
    const minNgf = Math.max(1, Math.ceil(rest / 9_999)); // smallest w with w / (rest + w) >= 0.01%
    const minWhole = Math.max(1, Math.ceil(rest / 199)); // smallest w with w / (rest + w) >= 0.5%
    out.push(
      ctx.finding({
        rule: "weight-rounds-to-zero",
        severity: ngfZero ? "warning" : "info",
        object: refOf(route),
        path: `spec.rules[${ruleIndex}].backendRefs[${j}].weight`,
        fallback: route.source,
        message:
          `backendRef ${j} (${b.namespace}/${b.name}) of rule ${ruleIndex} has weight ${b.weight} of ${total} (${shown}): ` +
          (ngfZero
            ? `NGINX Gateway Fabric floors each share to 0.01% and sends it nothing; data planes that use whole percentages send it nothing either`
            : `data planes that use whole percentages round it to 0% and send it nothing (gwsim and Envoy-based data planes send it ${shown})`),
        fix: ngfZero
          ? `raise the weight to at least ${minNgf} (0.01%)${minWhole > minNgf ? `, or ${minWhole} to survive whole-percent rounding` : ""}, or scale the other weights down`
          : `raise the weight to at least ${minWhole} (0.5%), or scale the other weights down`,
      }),
    );
  });
  return out;
}

function trimPercent(p: number): string {
  return p >= 0.01 ? p.toFixed(2).replace(/\.?0+$/, "") : p.toPrecision(2);
}
