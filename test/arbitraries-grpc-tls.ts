/**
 * fast-check generators for GRPCRoute and TLSRoute worlds built to overlap, and the hand-built
 * Graphs they describe (attachments and hostname intersections computed the way resolve does
 * for valid input, as test/http-graph.ts does for HTTPRoutes).
 *
 * gRPC: few services and methods that prefix each other (`pkg.Svc`, `pkg.SvcV2`; `Get`,
 * `GetAll`), Exact and RegularExpression method matches with service and/or method, competing
 * header matches, shared hostnames, equal and missing timestamps.
 * TLS: TLS (and HTTPS) listeners on one port with nested hostnames, TLSRoutes whose hostnames
 * nest and repeat, so SNI selection meets every specificity and age tie.
 */
import fc from "fast-check";
import type { Attachment, GRPCRouteMatch, Graph, ResolvedListener, ResolvedRoute } from "../packages/core/src/resolve/graph.js";
import { intersectHostname } from "../packages/core/src/compile/hostname.js";

export const HOSTS = ["example.com", "a.example.com", "b.a.example.com", "other.org", "x.other.org", "c.example.com"];
const ROUTE_HOSTNAMES = ["example.com", "a.example.com", "b.a.example.com", "*.example.com", "*.a.example.com", "*.org", "other.org"];
const LISTENER_HOSTNAMES: (string | null)[] = [null, "*.example.com", "a.example.com", "*.org", "example.com"];
const TIMESTAMPS = [null, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "2025-06-01T12:00:00Z"];
const NAMESPACES = ["team", "team-a", "a"];
const NAMES = ["r", "s", "r-1"];
export const SERVICES = ["pkg.Svc", "pkg.SvcV2", "pkg.Other", "x.Svc"];
export const METHODS = ["Get", "GetAll", "List", "Put"];
const SERVICE_REGEXES = ["pkg\\..*", ".*", "pkg\\.Svc.*", "[a-z]+\\.Svc"];
const METHOD_REGEXES = ["Get.*", ".*t", "L.st"];

export interface GrpcWorldSpec {
  listeners: { name: string; hostname: string | null }[];
  routes: {
    route: string;
    created: string | null;
    hostnames: string[];
    section?: number;
    rules: { matches: GRPCRouteMatch[]; backends: { name: string; weight: number; valid: boolean }[] }[];
  }[];
}

export interface TlsWorldSpec {
  listeners: { name: string; protocol: "TLS" | "HTTPS"; hostname: string | null }[];
  routes: { route: string; created: string | null; hostnames: string[]; section?: number; backends: { name: string; weight: number; valid: boolean }[] }[];
}

const backends = fc.array(
  fc.record({ name: fc.constantFrom("v1", "v2", "v3"), weight: fc.constantFrom(0, 1, 1, 3), valid: fc.constantFrom(true, true, true, false) }),
  { minLength: 1, maxLength: 3 },
);

const headerMatch = fc.record({
  name: fc.constantFrom("x", "X", "y"),
  value: fc.constantFrom("1", "2"),
  type: fc.constantFrom<"Exact" | "RegularExpression">("Exact", "Exact", "RegularExpression"),
});

const methodMatch: fc.Arbitrary<GRPCRouteMatch["method"]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 3,
    arbitrary: fc
      .record({ service: fc.option(fc.constantFrom(...SERVICES), { nil: null }), method: fc.option(fc.constantFrom(...METHODS), { nil: null }) })
      .filter((m) => m.service !== null || m.method !== null)
      .map((m) => ({ type: "Exact" as const, ...m })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ service: fc.option(fc.constantFrom(...SERVICE_REGEXES), { nil: null }), method: fc.option(fc.constantFrom(...METHOD_REGEXES), { nil: null }) })
      .filter((m) => m.service !== null || m.method !== null)
      .map((m) => ({ type: "RegularExpression" as const, ...m })),
  },
);

const grpcMatch: fc.Arbitrary<GRPCRouteMatch> = fc.record({ method: methodMatch, headers: fc.array(headerMatch, { maxLength: 2 }) });

const routeIdentity = { ns: fc.constantFrom(...NAMESPACES), name: fc.constantFrom(...NAMES), created: fc.constantFrom(...TIMESTAMPS) };

export const grpcWorldSpec: fc.Arbitrary<GrpcWorldSpec> = fc
  .record({
    listeners: fc
      .tuple(fc.boolean(), fc.uniqueArray(fc.constantFrom(...LISTENER_HOSTNAMES.slice(1)), { maxLength: 2 }))
      .map(([catchAll, hs]) => (catchAll || hs.length === 0 ? [null, ...hs] : hs)),
    routes: fc.uniqueArray(
      fc.record({
        ...routeIdentity,
        hostnames: fc.uniqueArray(fc.constantFrom(...ROUTE_HOSTNAMES), { maxLength: 2 }),
        section: fc.option(fc.nat(2), { nil: undefined }),
        rules: fc.array(fc.record({ matches: fc.array(grpcMatch, { maxLength: 3 }), backends }), { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 6, selector: (r) => `${r.ns}/${r.name}` },
    ),
  })
  .map(({ listeners, routes }) => ({
    listeners: listeners.map((hostname, i) => ({ name: `l${i}`, hostname })),
    routes: routes.map((r) => ({ route: `${r.ns}/${r.name}`, created: r.created, hostnames: r.hostnames, section: r.section, rules: r.rules })),
  }));

export const tlsWorldSpec: fc.Arbitrary<TlsWorldSpec> = fc
  .record({
    tls: fc.uniqueArray(fc.constantFrom(...LISTENER_HOSTNAMES), { minLength: 1, maxLength: 3 }),
    https: fc.uniqueArray(fc.constantFrom(...LISTENER_HOSTNAMES), { maxLength: 2 }),
    routes: fc.uniqueArray(
      fc.record({
        ...routeIdentity,
        hostnames: fc.uniqueArray(fc.constantFrom(...ROUTE_HOSTNAMES), { maxLength: 2 }),
        section: fc.option(fc.nat(2), { nil: undefined }),
        backends,
      }),
      { minLength: 1, maxLength: 6, selector: (r) => `${r.ns}/${r.name}` },
    ),
  })
  .map(({ tls, https, routes }) => ({
    // Listener hostnames are distinct across the port (resolve marks duplicates conflicted).
    listeners: [
      ...tls.map((hostname, i) => ({ name: `tls${i}`, protocol: "TLS" as const, hostname })),
      ...https.filter((h) => !tls.includes(h)).map((hostname, i) => ({ name: `https${i}`, protocol: "HTTPS" as const, hostname })),
    ],
    routes: routes.map((r) => ({ route: `${r.ns}/${r.name}`, created: r.created, hostnames: r.hostnames, section: r.section, backends: r.backends })),
  }));

const headerValue: fc.Arbitrary<string | string[]> = fc.oneof(fc.constantFrom("1", "2"), fc.constantFrom(["1", "2"], ["2"]).map((v) => [...v]));

export interface GrpcRequest {
  gateway: string;
  host: string;
  grpc: { service: string; method: string };
  headers: Record<string, string | string[]>;
}

export const grpcRequest: fc.Arbitrary<GrpcRequest> = fc.record({
  gateway: fc.constant("infra/gw"),
  host: fc.oneof(fc.constantFrom(...HOSTS), fc.constantFrom(...HOSTS).map((h) => `${h.toUpperCase()}:80`)),
  grpc: fc.record({ service: fc.constantFrom(...SERVICES), method: fc.constantFrom(...METHODS) }),
  headers: fc.dictionary(fc.constantFrom("x", "X", "y"), headerValue, { maxKeys: 2 }),
});

export interface TlsRequest {
  gateway: string;
  scheme: "tls";
  sni?: string;
}

export const tlsRequest: fc.Arbitrary<TlsRequest> = fc.record(
  { gateway: fc.constant("infra/gw"), scheme: fc.constant("tls" as const), sni: fc.oneof(fc.constantFrom(...HOSTS), fc.constantFrom(...HOSTS).map((h) => h.toUpperCase())) },
  { requiredKeys: ["gateway", "scheme"] },
);

function split(nsName: string): { namespace: string; name: string } {
  const [namespace = "", name = ""] = nsName.split("/");
  return { namespace, name };
}

function listener(name: string, protocol: string, port: number, hostname: string | null): ResolvedListener {
  return {
    id: `gateway/infra/gw/listener/${name}`,
    gateway: { namespace: "infra", name: "gw" },
    listenerSet: null,
    name,
    port,
    protocol,
    hostname,
    tls:
      protocol === "HTTP"
        ? null
        : {
            mode: protocol === "TLS" ? "Passthrough" : "Terminate",
            certificates: protocol === "HTTPS" ? [{ namespace: "infra", name: "cert", certPem: null, keyPem: null, dnsNames: [], valid: true, reason: null }] : [],
            frontendValidation: null,
            options: {},
          },
    supportedKinds: [{ group: "gateway.networking.k8s.io", kind: protocol === "TLS" ? "TLSRoute" : "GRPCRoute" }],
    ready: true,
  };
}

function backendsOf(list: { name: string; weight: number; valid: boolean }[], namespace: string) {
  return list.map((b) => ({
    group: "",
    kind: "Service",
    namespace,
    name: b.name,
    port: 8080,
    weight: b.weight,
    valid: b.valid,
    reason: b.valid ? null : "BackendNotFound",
    message: null,
    filters: [],
    appProtocol: null,
  }));
}

/** Attachments as resolve makes them for valid input: sectionName, then hostname intersection. */
function attach(routes: ResolvedRoute[], sections: (number | undefined)[], listeners: ResolvedListener[], kindListeners: (l: ResolvedListener) => boolean): Attachment[] {
  const out: Attachment[] = [];
  routes.forEach((r, ri) => {
    const candidates = listeners.filter(kindListeners);
    const s = sections[ri];
    const pool = s === undefined ? candidates : candidates.filter((l) => l === candidates[s % Math.max(1, candidates.length)]);
    for (const l of pool) {
      let hostnames: string[] = [];
      if (r.hostnames.length > 0) {
        hostnames = r.hostnames.map((h) => intersectHostname(h, l.hostname)).filter((h): h is string => h !== null);
        if (hostnames.length === 0) continue;
      }
      out.push({ route: ri, listener: l.id, parentRefIndex: 0, hostnames });
    }
  });
  return out;
}

export function buildGrpcGraph(spec: GrpcWorldSpec): Graph {
  const listeners = spec.listeners.map((l) => listener(l.name, "HTTP", 80, l.hostname));
  const routes: ResolvedRoute[] = spec.routes.map((r) => {
    const { namespace, name } = split(r.route);
    return {
      kind: "GRPCRoute",
      namespace,
      name,
      creationTimestamp: r.created,
      generation: 1,
      hostnames: r.hostnames,
      rules: r.rules.map((rule, index) => ({
        index,
        name: null,
        matches: rule.matches,
        filters: [],
        backends: backendsOf(rule.backends, namespace),
        timeouts: null,
        retry: null,
        sessionPersistence: null,
      })),
    };
  });
  const attachments = attach(routes, spec.routes.map((r) => r.section), listeners, () => true);
  return { listeners, routes, attachments, meshAttachments: [], services: [], backendTLSPolicies: [], status: [] };
}

export function buildTlsGraph(spec: TlsWorldSpec): Graph {
  const listeners = spec.listeners.map((l) => listener(l.name, l.protocol, 443, l.hostname));
  const routes: ResolvedRoute[] = spec.routes.map((r) => {
    const { namespace, name } = split(r.route);
    return {
      kind: "TLSRoute",
      namespace,
      name,
      creationTimestamp: r.created,
      generation: 1,
      hostnames: r.hostnames,
      rules: [{ index: 0, name: null, matches: [], filters: [], backends: backendsOf(r.backends, namespace), timeouts: null, retry: null, sessionPersistence: null }],
    };
  });
  const attachments = attach(routes, spec.routes.map((r) => r.section), listeners, (l) => l.protocol === "TLS");
  return { listeners, routes, attachments, meshAttachments: [], services: [], backendTLSPolicies: [], status: [] };
}
