/**
 * tls-backend-without-policy: a backendRef to a Service port that serves TLS (its appProtocol,
 * else its name or number says so) that no BackendTLSPolicy covers. The gateway then opens a
 * cleartext connection to a TLS server, and the requests fail (GEP-1911: a `kubernetes.io/wss`
 * backend of an HTTPRoute is supported "only if there is a corresponding BackendTLSPolicy").
 *
 * Which policy covers a backend is decide's answer, not a copy of it: the rule runtimes'
 * `tlsPolicy` (decide/runtime.ts policyFor), the same index that gives a Decision its
 * `backendTLS` (and explain its "over cleartext" note when that is null).
 */
import type { CompiledRoute, CompiledRule, RouteTable } from "../compile/table.js";
import { runtimeOf, type RuleRuntime } from "../decide/runtime.js";
import type { Severity } from "../model/diagnostic.js";
import type { ResolvedService } from "../resolve/graph.js";
import type { LintContext } from "./context.js";
import type { Finding, LintObjectRef, RelatedLocation } from "./finding.js";

/**
 * appProtocols that mean TLS: KEP-3726's `kubernetes.io/wss` and the IANA service names `https`
 * and `wss` (compared lower-case, as resolve does). Any other appProtocol says the port speaks
 * something else, and outranks the port's name and number (GEP-1911: honor appProtocol).
 */
const TLS_APP_PROTOCOLS: ReadonlySet<string> = new Set(["https", "wss", "kubernetes.io/wss"]);

type ServicePort = ResolvedService["ports"][number];

interface TlsSignal {
  severity: Severity;
  /** What says the port serves TLS, for the message. */
  because: string;
}

/**
 * Why a Service port is taken to serve TLS, or null. appProtocol and an `https` name (or the
 * `https-<suffix>` port naming some meshes read) are stated intent: warning. Port 443 alone is
 * a convention some services break (a cleartext port numbered 443): info.
 */
export function tlsSignalOf(port: ServicePort): TlsSignal | null {
  const app = port.appProtocol?.toLowerCase() ?? "";
  if (app !== "") return TLS_APP_PROTOCOLS.has(app) ? { severity: "warning", because: `its appProtocol is ${port.appProtocol}` } : null;
  // Port names are lower-case DNS labels (the Service schema checks), so no case folding here.
  if (port.name !== null && (port.name === "https" || port.name.startsWith("https-"))) return { severity: "warning", because: `it is named ${port.name}` };
  if (port.port === 443) return { severity: "info", because: "port 443 is HTTPS's, and no appProtocol or name says what it speaks" };
  return null;
}

/** One kind of rule the gateway (or mesh) re-originates to the backend, with its runtimes. */
interface RuleSet {
  routes: readonly CompiledRoute[];
  rules: readonly CompiledRule[];
  runtimes: readonly RuleRuntime[];
  /** Whether route `i` of `routes` sends its own connection to the backend (HTTP does; TLS only when terminated). */
  reoriginates: (routeIndex: number) => boolean;
}

function ruleSets(table: RouteTable): RuleSet[] {
  const rt = runtimeOf(table);
  // TLS and TCP routes send a new connection only from a TLS Terminate listener (decide/streams.ts
  // reencrypt; a TCPRoute there too); passed-through TLS and a TCP listener's stream reach the
  // backend as the client sent them.
  const terminated = new Set<number>();
  for (const l of table.listeners) if (l.protocol === "TLS" && l.tls?.mode === "Terminate") for (const r of l.streams.routes) terminated.add(r);
  const streamRoutes = table.streamRoutes ?? [];
  return [
    { routes: table.routes, rules: table.rules, runtimes: rt.rules, reoriginates: () => true },
    { routes: table.grpcRoutes ?? [], rules: table.grpcRules ?? [], runtimes: rt.grpcRules, reoriginates: () => true },
    { routes: streamRoutes, rules: table.streamRules ?? [], runtimes: rt.streamRules, reoriginates: (i) => terminated.has(i) },
  ];
}

export function backendTLSFindings(ctx: LintContext): Finding[] {
  const { table, graph } = ctx.world;
  const services = new Map(graph.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  const out: Finding[] = [];
  for (const set of ruleSets(table)) {
    set.rules.forEach((rule, ri) => {
      const route = set.routes[rule.route];
      if (!route || rule.dropped !== null || !set.reoriginates(rule.route)) return;
      const runtime = set.runtimes[ri]!;
      rule.backends.forEach((b, j) => {
        // Invalid backends and weight 0 get no connection; other rules report the invalid ones.
        if (b.group !== "" || b.kind !== "Service" || !b.valid || b.weight <= 0 || b.port === null) return;
        if ((runtime.tlsPolicy[j] ?? -1) >= 0) return;
        const svc = services.get(`${b.namespace}/${b.name}`);
        const portIndex = svc ? svc.ports.findIndex((p) => p.port === b.port) : -1;
        if (!svc || portIndex < 0) return;
        const signal = tlsSignalOf(svc.ports[portIndex]!);
        if (signal) out.push(finding(ctx, table, route, rule, j, svc, portIndex, signal));
      });
    });
  }
  return out;
}

function finding(ctx: LintContext, table: RouteTable, route: CompiledRoute, rule: CompiledRule, j: number, svc: ResolvedService, portIndex: number, signal: TlsSignal): Finding {
  const port = svc.ports[portIndex]!;
  const svcRef: LintObjectRef = { kind: "Service", namespace: svc.namespace, name: svc.name };
  const portLabel = `port ${port.port}${port.name ? ` (${port.name})` : ""}`;
  const sure = signal.severity !== "info";
  // Policies for the Service that name another port: the usual near miss.
  const elsewhere = table.backendTLSPolicies.filter((p) => p.namespace === svc.namespace && p.service === svc.name && p.sectionName !== null);
  const related: RelatedLocation[] = [ctx.related(svcRef, `spec.ports[${portIndex}]`, `Service ${svc.namespace}/${svc.name} ${portLabel}: ${signal.because}`)];
  for (const p of elsewhere) {
    const [ns, name] = p.policy.split("/") as [string, string];
    related.push(ctx.related({ kind: "BackendTLSPolicy", namespace: ns, name }, "spec.targetRefs", `BackendTLSPolicy ${p.policy} covers sectionName ${p.sectionName} only`));
  }
  const cleartext = svc.ports.filter((p) => p !== port && tlsSignalOf(p) === null).map((p) => p.port);
  const hop = route.kind === "TLSRoute" ? "the gateway terminates TLS and opens a cleartext connection to it" : "the gateway sends its requests in cleartext (TLS ends at the gateway)";
  const policyYaml =
    `a BackendTLSPolicy in namespace ${svc.namespace} with targetRefs: [{group: "", kind: Service, name: ${svc.name}${port.name ? `, sectionName: ${port.name}` : ""}}] ` +
    `and validation: {hostname: <the name the backend's certificate carries>, caCertificateRefs: [<a ConfigMap with ca.crt>]} (or wellKnownCACertificates: System)`;
  return ctx.finding({
    rule: "tls-backend-without-policy",
    severity: signal.severity,
    object: { kind: route.kind, namespace: route.namespace, name: route.name },
    path: `spec.rules[${rule.index}].backendRefs[${j}]`,
    fallback: route.source,
    message:
      `backendRef ${j} of rule ${rule.index} of ${route.kind} ${route.namespace}/${route.name} sends to ${portLabel} of Service ${svc.namespace}/${svc.name}, which ${sure ? "serves" : "likely serves"} TLS (${signal.because}); ` +
      `no BackendTLSPolicy applies to that port${elsewhere.length ? ` (${elsewhere.map((p) => `${p.policy} targets sectionName ${p.sectionName}`).join(", ")})` : ""}, ` +
      `so ${hop} and ${sure ? "the backend's TLS server rejects" : "a TLS server there would reject"} ${route.kind === "TLSRoute" ? "the stream" : "the requests"}`,
    fix:
      `create ${policyYaml}` +
      (cleartext.length ? `, or send to a cleartext port of the Service (${cleartext.join(", ")})` : "") +
      (signal.severity === "info" ? `; if port ${port.port} is cleartext, say so with an appProtocol (${route.kind === "GRPCRoute" ? "kubernetes.io/h2c" : "http"})` : ""),
    related,
  });
}
