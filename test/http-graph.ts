/**
 * Hand-built resolved Graphs for routing tests: a compact description in, a Graph out
 * (attachments and hostname intersections computed the way resolve does for valid input).
 */
import type {
  Attachment,
  Graph,
  HTTPHeaderMatch,
  HTTPRouteMatch,
  ResolvedBackend,
  ResolvedBackendTLSPolicy,
  ResolvedListener,
  ResolvedRoute,
  ResolvedRule,
  ResolvedService,
  RouteFilter,
} from "../packages/core/src/resolve/graph.js";
import { intersectHostname } from "../packages/core/src/compile/hostname.js";

export interface ListenerSpec {
  name: string;
  port?: number;
  protocol?: string;
  hostname?: string | null;
  ready?: boolean;
  listenerSet?: string;
  certNames?: string[];
  /** PEM CA bundles for client-certificate validation (HTTPS only). */
  frontendCAs?: string[];
  frontendMode?: "AllowValidOnly" | "AllowInsecureFallback";
}

export interface GatewaySpec {
  /** "ns/name" */
  gateway: string;
  listeners: ListenerSpec[];
}

export interface MatchSpec {
  path?: { type?: "Exact" | "PathPrefix" | "RegularExpression"; value?: string };
  method?: string;
  headers?: { name: string; value: string; type?: "Exact" | "RegularExpression" }[];
  queryParams?: { name: string; value: string; type?: "Exact" | "RegularExpression" }[];
}

export interface BackendSpec {
  name: string;
  namespace?: string;
  port?: number | null;
  weight?: number;
  kind?: string;
  group?: string;
  valid?: boolean;
  reason?: string;
  filters?: RouteFilter[];
}

export interface RuleSpec {
  name?: string;
  matches?: MatchSpec[];
  backends?: BackendSpec[];
  filters?: RouteFilter[];
  timeouts?: ResolvedRule["timeouts"];
  retry?: ResolvedRule["retry"];
  sessionPersistence?: ResolvedRule["sessionPersistence"];
}

export interface RouteSpec {
  /** "ns/name" */
  route: string;
  created?: string | null;
  hostnames?: string[];
  parents: { gateway: string; sectionName?: string; port?: number }[];
  rules: RuleSpec[];
}

export interface WorldSpec {
  gateways: GatewaySpec[];
  routes: RouteSpec[];
  services?: ResolvedService[];
  backendTLSPolicies?: ResolvedBackendTLSPolicy[];
}

function split(nsName: string): { namespace: string; name: string } {
  const [namespace = "", name = ""] = nsName.split("/");
  return { namespace, name };
}

function headerMatches(list: MatchSpec["headers"]): HTTPHeaderMatch[] {
  return (list ?? []).map((h) => ({ type: h.type ?? "Exact", name: h.name, value: h.value }));
}

export function match(m: MatchSpec): HTTPRouteMatch {
  return {
    path: { type: m.path?.type ?? "PathPrefix", value: m.path?.value ?? "/" },
    headers: headerMatches(m.headers),
    queryParams: headerMatches(m.queryParams),
    method: m.method ?? null,
  };
}

function backend(b: BackendSpec, ns: string): ResolvedBackend {
  return {
    group: b.group ?? "",
    kind: b.kind ?? "Service",
    namespace: b.namespace ?? ns,
    name: b.name,
    port: b.port === undefined ? 8080 : b.port,
    weight: b.weight ?? 1,
    valid: b.valid ?? true,
    reason: b.valid === false ? (b.reason ?? "BackendNotFound") : null,
    message: null,
    filters: b.filters ?? [],
    appProtocol: null,
  };
}

export function buildGraph(spec: WorldSpec): Graph {
  const listeners: ResolvedListener[] = [];
  for (const g of spec.gateways) {
    const gateway = split(g.gateway);
    for (const l of g.listeners) {
      const protocol = l.protocol ?? "HTTP";
      listeners.push({
        id: l.listenerSet ? `listenerset/${l.listenerSet}/listener/${l.name}` : `gateway/${g.gateway}/listener/${l.name}`,
        gateway,
        listenerSet: l.listenerSet ? split(l.listenerSet) : null,
        name: l.name,
        port: l.port ?? (protocol === "HTTPS" ? 443 : 80),
        protocol,
        hostname: l.hostname ?? null,
        tls:
          protocol === "HTTPS"
            ? {
                mode: "Terminate",
                certificates: [{ namespace: gateway.namespace, name: "cert", certPem: null, keyPem: null, dnsNames: l.certNames ?? [], valid: true, reason: null }],
                frontendValidation: l.frontendCAs
                  ? {
                      caCertificates: l.frontendCAs.map((pem, i) => ({ namespace: gateway.namespace, name: `ca-${i}`, kind: "ConfigMap", pem })),
                      mode: l.frontendMode ?? "AllowValidOnly",
                    }
                  : null,
                options: {},
              }
            : null,
        supportedKinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
        ready: l.ready ?? true,
      });
    }
  }
  const routes: ResolvedRoute[] = [];
  const attachments: Attachment[] = [];
  spec.routes.forEach((r, ri) => {
    const { namespace, name } = split(r.route);
    routes.push({
      kind: "HTTPRoute",
      namespace,
      name,
      creationTimestamp: r.created === undefined ? null : r.created,
      generation: 1,
      hostnames: r.hostnames ?? [],
      rules: r.rules.map((rule, index) => ({
        index,
        name: rule.name ?? null,
        matches: (rule.matches ?? [{}]).map(match),
        filters: rule.filters ?? [],
        backends: (rule.backends ?? []).map((b) => backend(b, namespace)),
        timeouts: rule.timeouts ?? null,
        retry: rule.retry ?? null,
        sessionPersistence: rule.sessionPersistence ?? null,
      })),
    });
    r.parents.forEach((p, parentRefIndex) => {
      const gw = split(p.gateway);
      for (const l of listeners) {
        if (l.gateway.namespace !== gw.namespace || l.gateway.name !== gw.name) continue;
        if (p.sectionName !== undefined && l.name !== p.sectionName) continue;
        if (p.port !== undefined && l.port !== p.port) continue;
        if (l.protocol !== "HTTP" && l.protocol !== "HTTPS") continue;
        let hostnames: string[] = [];
        if ((r.hostnames ?? []).length > 0) {
          hostnames = (r.hostnames ?? []).map((h) => intersectHostname(h, l.hostname)).filter((h): h is string => h !== null);
          if (hostnames.length === 0) continue;
        }
        attachments.push({ route: ri, listener: l.id, parentRefIndex, hostnames });
      }
    });
  });
  return {
    listeners,
    routes,
    attachments,
    meshAttachments: [],
    services: spec.services ?? [],
    backendTLSPolicies: spec.backendTLSPolicies ?? [],
    status: [],
  };
}
