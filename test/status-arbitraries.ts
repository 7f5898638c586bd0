/**
 * Random worlds for the status properties: Gateways, ListenerSets and routes of every kind over a
 * few namespaces, ports and hostnames, so that conflicts, namespace selectors, hostname
 * intersection, grants and missing parents all occur. Objects respect the CRD rules (unique
 * listener names and port/protocol/hostname, no tls on HTTP/TCP/UDP, distinct parentRefs), so
 * validation keeps them and resolve sees them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";

export type Doc = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string } };

const GW = "gateway.networking.k8s.io/v1";
export const NAMESPACES = ["edge", "shop", "web"] as const;
const PORTS = [80, 443, 8080] as const;
const HOSTNAMES = [undefined, "a.example.com", "*.example.com", "b.example.org"] as const;
const ROUTE_HOSTNAMES = ["a.example.com", "x.example.com", "*.example.com", "c.example.net"] as const;
const ROUTE_KINDS = ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"] as const;

/** `undefined` `weight` times as often as a value. */
function mostlyAbsent<T>(arb: fc.Arbitrary<T>, weight: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

const listenerArb = fc.record({
  port: fc.constantFrom(...PORTS),
  protocol: fc.constantFrom("HTTP", "HTTP", "HTTP", "HTTPS", "TLS", "TCP", "UDP", "GOPHER"),
  hostname: fc.constantFrom(...HOSTNAMES),
  cert: fc.constantFrom("site", "missing"),
  mode: fc.constantFrom("Terminate", "Passthrough"),
  from: fc.constantFrom("Same", "All", "All", "Selector"),
  kinds: mostlyAbsent(fc.subarray(["HTTPRoute", "TLSRoute", "TCPRoute", "BogusRoute"], { minLength: 1 }), 4),
});

type ListenerSpec = typeof listenerArb extends fc.Arbitrary<infer T> ? T : never;

function listener(l: ListenerSpec, i: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: `l${i}`, port: l.port, protocol: l.protocol };
  const named = l.protocol === "HTTP" || l.protocol === "HTTPS" || l.protocol === "TLS";
  if (named && l.hostname) out.hostname = l.hostname;
  if (l.protocol === "HTTPS") out.tls = { mode: "Terminate", certificateRefs: [{ name: l.cert }] };
  if (l.protocol === "TLS") out.tls = l.mode === "Terminate" ? { mode: "Terminate", certificateRefs: [{ name: l.cert }] } : { mode: "Passthrough" };
  const namespaces = l.from === "Selector" ? { from: "Selector", selector: { matchLabels: { team: "a" } } } : { from: l.from };
  out.allowedRoutes = { namespaces, ...(l.kinds ? { kinds: l.kinds.map((kind) => ({ kind })) } : {}) };
  return out;
}

/** Listeners with the CRD's uniqueness rules applied (later duplicates dropped). */
function listeners(specs: readonly ListenerSpec[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  specs.forEach((s, i) => {
    const l = listener(s, i);
    const key = `${l.port}/${l.protocol}/${l.hostname ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(l);
  });
  return out;
}

// Mostly the parent's own namespace and no sectionName or port, so that most routes get as far
// as the listeners' own checks.
const parentArb = fc.record({
  target: fc.oneof({ weight: 12, arbitrary: fc.constantFrom("g0", "g0", "g1", "s0", "s1") }, { weight: 1, arbitrary: fc.constant("nope") }),
  namespace: fc.oneof({ weight: 8, arbitrary: fc.constant("auto") }, { weight: 1, arbitrary: fc.constantFrom(...NAMESPACES) }),
  sectionName: mostlyAbsent(fc.constantFrom("l0", "l1", "l2", "zz"), 3),
  port: mostlyAbsent(fc.constantFrom(...PORTS), 4),
});

const routeArb = fc.record({
  kind: fc.constantFrom("HTTPRoute", "HTTPRoute", ...ROUTE_KINDS),
  namespace: fc.constantFrom(...NAMESPACES),
  hostnames: fc.subarray([...ROUTE_HOSTNAMES]),
  parents: fc.uniqueArray(parentArb, { minLength: 1, maxLength: 2, selector: (p) => p.target }),
  backends: fc.array(fc.record({ name: fc.constantFrom("svc", "gone"), namespace: fc.constantFrom(...NAMESPACES), port: fc.constantFrom(80, 53) }), { minLength: 1, maxLength: 2 }),
  created: fc.option(fc.constantFrom("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"), { nil: undefined }),
});

export const worldArb: fc.Arbitrary<Doc[]> = fc
  .record({
    labelled: fc.subarray([...NAMESPACES]),
    gateways: fc.array(
      fc.record({
        namespace: fc.constantFrom(...NAMESPACES),
        listeners: fc.array(listenerArb, { minLength: 1, maxLength: 4 }),
        allowed: fc.constantFrom("None", "Same", "All", "All"),
      }),
      { minLength: 2, maxLength: 2 },
    ),
    sets: fc.array(
      fc.record({ namespace: fc.constantFrom(...NAMESPACES), gateway: fc.constantFrom("g0", "g1"), listeners: fc.array(listenerArb, { minLength: 1, maxLength: 2 }), created: fc.option(fc.constantFrom("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"), { nil: undefined }) }),
      { minLength: 1, maxLength: 2 },
    ),
    routes: fc.array(routeArb, { minLength: 1, maxLength: 6 }),
    grants: fc.array(fc.record({ namespace: fc.constantFrom(...NAMESPACES), fromNamespace: fc.constantFrom(...NAMESPACES), kind: fc.constantFrom("HTTPRoute", "TCPRoute", "Gateway", "ListenerSet"), to: fc.constantFrom("Service", "Secret") }), { maxLength: 2 }),
  })
  .map((w) => {
    const docs: Doc[] = [{ apiVersion: GW, kind: "GatewayClass", metadata: { name: "gwsim" }, spec: { controllerName: "gwsim.dev/simulator" } }];
    for (const ns of NAMESPACES) {
      if (w.labelled.includes(ns)) docs.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { team: "a" } } });
      docs.push({ apiVersion: "v1", kind: "Service", metadata: { name: "svc", namespace: ns }, spec: { ports: [{ name: "http", port: 80 }, { name: "dns", port: 53, protocol: "UDP" }] } });
      docs.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "site", namespace: ns }, type: "kubernetes.io/tls", data: { "tls.crt": TEST_CERT, "tls.key": TEST_KEY } });
    }
    w.gateways.forEach((g, i) =>
      docs.push({
        apiVersion: GW,
        kind: "Gateway",
        metadata: { name: `g${i}`, namespace: g.namespace },
        spec: { gatewayClassName: "gwsim", listeners: listeners(g.listeners), allowedListeners: { namespaces: { from: g.allowed } } },
      }),
    );
    const gwNamespace = (name: string) => w.gateways[Number(name.slice(1))]?.namespace ?? "edge";
    const setNamespace = (name: string) => w.sets[Number(name.slice(1))]?.namespace ?? "edge";
    w.sets.forEach((s, i) =>
      docs.push({
        apiVersion: GW,
        kind: "ListenerSet",
        metadata: { name: `s${i}`, namespace: s.namespace, ...(s.created ? { creationTimestamp: s.created } : {}) },
        spec: { parentRef: { name: s.gateway, namespace: gwNamespace(s.gateway) }, listeners: listeners(s.listeners) },
      }),
    );
    w.routes.forEach((r, i) => {
      const parentRefs = r.parents.map((p) => ({
        ...(p.target.startsWith("s") ? { group: "gateway.networking.k8s.io", kind: "ListenerSet" } : {}),
        name: p.target,
        namespace: p.namespace !== "auto" ? p.namespace : p.target.startsWith("s") ? setNamespace(p.target) : gwNamespace(p.target),
        ...(p.sectionName ? { sectionName: p.sectionName } : {}),
        ...(p.port ? { port: p.port } : {}),
      }));
      const usesHostnames = r.kind === "HTTPRoute" || r.kind === "GRPCRoute" || r.kind === "TLSRoute";
      const hostnames = r.kind === "TLSRoute" && r.hostnames.length === 0 ? ["a.example.com"] : r.hostnames;
      docs.push({
        apiVersion: r.kind === "TCPRoute" || r.kind === "UDPRoute" ? "gateway.networking.k8s.io/v1alpha2" : GW,
        kind: r.kind,
        metadata: { name: `r${i}`, namespace: r.namespace, ...(r.created ? { creationTimestamp: r.created } : {}) },
        spec: {
          parentRefs,
          ...(usesHostnames && hostnames.length ? { hostnames } : {}),
          rules: [{ backendRefs: r.backends.map((b) => ({ name: b.name, namespace: b.namespace, port: b.port })) }],
        },
      });
    });
    w.grants.forEach((g, i) =>
      docs.push({
        apiVersion: GW,
        kind: "ReferenceGrant",
        metadata: { name: `grant${i}`, namespace: g.namespace },
        spec: { from: [{ group: "gateway.networking.k8s.io", kind: g.kind, namespace: g.fromNamespace }], to: [{ group: "", kind: g.to }] },
      }),
    );
    return docs;
  });

/** Objects in a namespace nothing else mentions, referring only to each other. */
export const unrelatedArb: fc.Arbitrary<Doc[]> = fc
  .subarray(["Namespace", "Service", "Secret", "Gateway", "HTTPRoute", "ListenerSet", "ReferenceGrant", "BackendTLSPolicy"], { minLength: 1 })
  .map((kinds) => {
    const ns = "zz-unrelated";
    const all: Record<string, Doc> = {
      Namespace: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { team: "a" } } },
      Service: { apiVersion: "v1", kind: "Service", metadata: { name: "svc", namespace: ns }, spec: { ports: [{ port: 80 }] } },
      Secret: { apiVersion: "v1", kind: "Secret", metadata: { name: "site", namespace: ns }, type: "kubernetes.io/tls", data: { "tls.crt": TEST_CERT, "tls.key": TEST_KEY } },
      Gateway: {
        apiVersion: GW,
        kind: "Gateway",
        metadata: { name: "g0", namespace: ns },
        spec: { gatewayClassName: "gwsim", allowedListeners: { namespaces: { from: "All" } }, listeners: [{ name: "l0", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] },
      },
      HTTPRoute: { apiVersion: GW, kind: "HTTPRoute", metadata: { name: "r0", namespace: ns }, spec: { parentRefs: [{ name: "g0" }], rules: [{ backendRefs: [{ name: "svc", port: 80 }] }] } },
      ListenerSet: { apiVersion: GW, kind: "ListenerSet", metadata: { name: "s0", namespace: ns }, spec: { parentRef: { name: "g0" }, listeners: [{ name: "l0", port: 8080, protocol: "HTTP" }] } },
      ReferenceGrant: {
        apiVersion: GW,
        kind: "ReferenceGrant",
        metadata: { name: "grant", namespace: ns },
        spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "edge" }], to: [{ group: "", kind: "Service" }] },
      },
      BackendTLSPolicy: {
        apiVersion: GW,
        kind: "BackendTLSPolicy",
        metadata: { name: "p", namespace: ns },
        spec: { targetRefs: [{ group: "", kind: "Service", name: "svc" }], validation: { hostname: "svc.internal", wellKnownCACertificates: "System" } },
      },
    };
    return kinds.map((k) => all[k] as Doc);
  });

export function toYaml(docs: readonly Doc[]): string {
  return docs.map((d) => JSON.stringify(d)).join("\n---\n");
}

// The throwaway self-signed pair of test/fixtures/tls, as Secret data.
const TEST_CERT = readFileSync(join(import.meta.dirname, "fixtures", "tls", "rsa.crt")).toString("base64");
const TEST_KEY = readFileSync(join(import.meta.dirname, "fixtures", "tls", "rsa.key")).toString("base64");
