/**
 * tls-backend-without-policy: each row a Service port, the BackendTLSPolicies, the route that
 * sends to it, and what lint must say. Where a request can be made, the claim is checked against
 * decide: lint reports exactly the backends decide connects to without TLS (backendTLS null).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { worldFrom } from "../testing/world-from.js";
import type { GatewayRequest } from "../model/request.js";
import { decide } from "../world.js";
import { lint } from "./index.js";

const RULE = "tls-backend-without-policy";
const X = "gateway.networking.x-k8s.io";

const GATEWAY = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
`;

/** Service ns/s with the given ports (YAML flow mappings). */
const service = (ports: string, name = "s", ns = "ns") => `
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec: {clusterIP: 10.0.0.9, ports: [${ports}]}`;

const policy = (target: string, name = "p", ns = "ns", validation = "{hostname: s.ns.svc, wellKnownCACertificates: System}") => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec:
  targetRefs: [${target}]
  validation: ${validation}`;

const httpRoute = (backendRef: string, parent = "{name: gw, namespace: infra}") => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [${parent}]
  rules:
  - backendRefs: [${backendRef}]`;

const found = (text: string) => {
  const w = worldFrom(text);
  expect(w.problems).toEqual([]);
  return { w, findings: lint(w).filter((f) => f.rule === RULE) };
};

const GW_REQUEST: GatewayRequest = { gateway: "infra/gw", host: "h", path: "/" };

describe("tls-backend-without-policy: what says a port serves TLS", () => {
  it.each([
    { port: "{name: api, port: 8443, appProtocol: https}", want: ["warning"] },
    { port: "{name: api, port: 8443, appProtocol: HTTPS}", want: ["warning"] },
    { port: "{name: ws, port: 8443, appProtocol: kubernetes.io/wss}", want: ["warning"] },
    { port: "{name: ws, port: 8443, appProtocol: wss}", want: ["warning"] },
    { port: "{name: https, port: 8443}", want: ["warning"] },
    { port: "{name: https-web, port: 8443}", want: ["warning"] },
    { port: "{port: 443}", want: ["info"] },
    { port: "{name: web, port: 443}", want: ["info"] },
    // appProtocol says what the port speaks, over its name and number
    { port: "{name: https, port: 443, appProtocol: http}", want: [] },
    { port: "{name: https, port: 8443, appProtocol: kubernetes.io/h2c}", want: [] },
    { port: "{name: http, port: 8080}", want: [] },
    { port: "{name: httpsish, port: 8443}", want: [] },
  ])("$port → $want", ({ port, want }) => {
    const number = Number(/port: (\d+)/.exec(port)![1]);
    const { w, findings } = found(GATEWAY + service(port) + httpRoute(`{name: s, port: ${number}}`));
    expect(findings.map((f) => f.severity)).toEqual(want);
    // Only port 443 is a guess, and the message says so.
    for (const f of findings) expect(f.message).toContain(f.severity === "info" ? "which likely serves TLS" : "which serves TLS");
    // The claim: decide connects to that backend without TLS (explain's "over cleartext" hop).
    const d = decide(w, GW_REQUEST);
    expect(d.outcome).toBe("forward");
    expect(d.backendTLS).toBeNull();
  });
});

describe("tls-backend-without-policy: which BackendTLSPolicy covers the port", () => {
  const PORTS = "{name: api, port: 8443, appProtocol: https}, {name: admin, port: 9443, appProtocol: https}";
  it.each([
    { title: "no policy", policies: "", want: 1 },
    { title: "a policy for the whole Service", policies: policy(`{group: "", kind: Service, name: s}`), want: 0 },
    { title: "a policy for the port (sectionName)", policies: policy(`{group: "", kind: Service, name: s, sectionName: api}`), want: 0 },
    { title: "a policy for another port (sectionName admin)", policies: policy(`{group: "", kind: Service, name: s, sectionName: admin}`), want: 1 },
    { title: "a policy for another Service", policies: service("{port: 80}", "other") + policy(`{group: "", kind: Service, name: other}`), want: 1 },
    { title: "a policy in another namespace (targetRefs are local)", policies: service("{port: 8443, appProtocol: https}", "s", "elsewhere") + policy(`{group: "", kind: Service, name: s}`, "p", "elsewhere"), want: 1 },
    {
      title: "two policies: one for admin, one for api",
      policies: policy(`{group: "", kind: Service, name: s, sectionName: admin}`, "a") + policy(`{group: "", kind: Service, name: s, sectionName: api}`, "b"),
      want: 0,
    },
  ])("$title → $want finding(s)", ({ policies, want }) => {
    const { w, findings } = found(GATEWAY + service(PORTS) + policies + httpRoute("{name: s, port: 8443}"));
    expect(findings).toHaveLength(want);
    const d = decide(w, GW_REQUEST);
    expect(d.outcome).toBe("forward");
    expect(d.backendTLS === null).toBe(want > 0);
  });

  it("names the policy for the other port, and points at the route's backendRef and the Service port", () => {
    const { findings } = found(GATEWAY + service(PORTS) + policy(`{group: "", kind: Service, name: s, sectionName: admin}`, "admin-tls") + httpRoute("{name: s, port: 8443}"));
    const [f] = findings;
    expect(f).toMatchObject({ severity: "warning", object: { kind: "HTTPRoute", namespace: "ns", name: "r" }, path: "spec.rules[0].backendRefs[0]", file: "manifests.yaml" });
    expect(f!.message).toContain("ns/admin-tls targets sectionName admin");
    expect(f!.message).toContain("appProtocol is https");
    expect(f!.related.map((r) => `${r.object.kind} ${r.object.name} ${r.path}`)).toEqual(["Service s spec.ports[0]", "BackendTLSPolicy admin-tls spec.targetRefs"]);
    expect(f!.fix).toContain("sectionName: api");
  });

  it("suggests the Service's cleartext port when it has one", () => {
    const { findings } = found(GATEWAY + service("{name: https, port: 8443}, {name: http, port: 8080}") + httpRoute("{name: s, port: 8443}"));
    expect(findings[0]!.fix).toContain("a cleartext port of the Service (8080)");
  });

  it("a policy that applies but is not accepted (its CA is missing) fails the requests another way: not reported", () => {
    const text = GATEWAY + service(PORTS) + policy(`{group: "", kind: Service, name: s}`, "p", "ns", `{hostname: s.ns.svc, caCertificateRefs: [{group: "", kind: ConfigMap, name: missing}]}`) + httpRoute("{name: s, port: 8443}");
    const { w, findings } = found(text);
    expect(findings).toEqual([]);
    expect(decide(w, GW_REQUEST)).toMatchObject({ outcome: "error", status: 500 });
  });
});

describe("tls-backend-without-policy: which backends and routes", () => {
  const TLS_SVC = service("{name: https, port: 443, appProtocol: https}");

  it.each([
    { title: "an XBackend (it has its own spec.tls)", ref: `{group: ${X}, kind: XBackend, name: x}`, want: 0 },
    { title: "a kind gwsim does not forward to", ref: `{group: example.com, kind: Bucket, name: s, port: 443}`, want: 0 },
    { title: "a port the Service lacks", ref: "{name: s, port: 8443}", want: 0 },
    { title: "weight 0", ref: "{name: s, port: 443, weight: 0}, {name: s, port: 443}", want: 1 },
    { title: "two backendRefs to it", ref: "{name: s, port: 443}, {name: s, port: 443}", want: 2 },
  ])("$title → $want", ({ ref, want }) => {
    const xbackend = `
---
apiVersion: ${X}/v1alpha1
kind: XBackend
metadata: {name: x, namespace: ns}
spec:
  type: ExternalHostname
  externalHostname: {hostname: api.example.com}
  port: {port: 443}
  tls: {mode: ServerOnly, validation: {hostname: api.example.com, wellKnownCACertificates: System}}`;
    const w = worldFrom(GATEWAY + TLS_SVC + xbackend + httpRoute(ref));
    expect(lint(w).filter((f) => f.rule === RULE)).toHaveLength(want);
  });

  it("a RequestMirror's backendRef is not checked", () => {
    const route = `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: s, port: 443}}}]
    backendRefs: [{name: plain, port: 80}]`;
    const { findings } = found(GATEWAY + TLS_SVC + service("{port: 80}", "plain") + route);
    expect(findings).toEqual([]);
  });

  it("a mesh HTTPRoute (parentRef a Service) sends in cleartext too; a policy covers it", () => {
    const mesh = `{group: "", kind: Service, name: front, port: 80}`;
    const text = GATEWAY + TLS_SVC + service("{name: http, port: 80}", "front") + httpRoute("{name: s, port: 443}", mesh);
    const { w, findings } = found(text);
    expect(findings.map((f) => `${f.severity} ${f.object.kind} ${f.path}`)).toEqual(["warning HTTPRoute spec.rules[0].backendRefs[0]"]);
    const meshRequest: GatewayRequest = { service: "ns/front", port: 80, host: "front", path: "/" } as GatewayRequest;
    const d = decide(w, meshRequest);
    expect(d).toMatchObject({ outcome: "forward", backend: { name: "s", port: 443 }, backendTLS: null });
    const covered = found(text + policy(`{group: "", kind: Service, name: s}`));
    expect(covered.findings).toEqual([]);
    expect(decide(covered.w, meshRequest).backendTLS).not.toBeNull();
  });

  it("a GRPCRoute to an https port", () => {
    const route = `
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: ns}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - backendRefs: [{name: s, port: 443}]`;
    const { findings } = found(GATEWAY + TLS_SVC + route);
    expect(findings.map((f) => `${f.severity} ${f.object.kind}/${f.object.name}`)).toEqual(["warning GRPCRoute/g"]);
    expect(found(GATEWAY + TLS_SVC + route + policy(`{group: "", kind: Service, name: s}`)).findings).toEqual([]);
  });

  it.each([
    { mode: "Terminate", want: 1 },
    { mode: "Passthrough", want: 0 },
  ])("a TLSRoute on a $mode listener → $want", ({ mode, want }) => {
    const text = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - name: tls
    protocol: TLS
    port: 443
    hostname: db.example.com
    tls: {mode: ${mode}${mode === "Terminate" ? ", certificateRefs: [{name: cert}]" : ""}}
    allowedRoutes: {namespaces: {from: All}}
${TLS_SVC}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: t, namespace: ns}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [db.example.com]
  rules:
  - backendRefs: [{name: s, port: 443}]`;
    const w = worldFrom(text);
    expect(w.problems).toEqual([]);
    const findings = lint(w).filter((f) => f.rule === RULE);
    expect(findings.map((f) => `${f.object.kind}/${f.object.name}`)).toEqual(want ? ["TLSRoute/t"] : []);
    if (want) expect(findings[0]!.message).toContain("terminates TLS and opens a cleartext connection");
  });

  it.each([
    { protocol: "TLS", want: 1 },
    { protocol: "TCP", want: 0 },
  ])("a TCPRoute on a $protocol listener → $want (a TLS Terminate listener decrypts the stream)", ({ protocol, want }) => {
    const text = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - name: l
    protocol: ${protocol}
    port: 443
${protocol === "TLS" ? "    tls: {mode: Terminate, certificateRefs: [{name: cert}]}\n" : ""}    allowedRoutes: {namespaces: {from: All}}
${TLS_SVC}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: t, namespace: ns}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - backendRefs: [{name: s, port: 443}]`;
    const w = worldFrom(text);
    expect(w.problems).toEqual([]);
    const findings = lint(w).filter((f) => f.rule === RULE);
    expect(findings.map((f) => `${f.object.kind}/${f.object.name}`)).toEqual(want ? ["TCPRoute/t"] : []);
  });
});

describe("tls-backend-without-policy: property", () => {
  const APP = [undefined, "https", "HTTPS", "wss", "kubernetes.io/wss", "http", "kubernetes.io/h2c", "kubernetes.io/ws"];
  const NAMES = [undefined, "https", "https-web", "http", "web", "httpsweb"];
  const PORTS = [443, 8443, 80];
  const POLICIES = ["none", "whole", "this-port", "other-port"] as const;

  /** What the docs say, written out independently of the rule. */
  const expected = (app: string | undefined, name: string | undefined, port: number): string | null => {
    if (app !== undefined) return ["https", "wss", "kubernetes.io/wss"].includes(app.toLowerCase()) ? "warning" : null;
    if (name !== undefined && /^https(-|$)/i.test(name)) return "warning";
    return port === 443 ? "info" : null;
  };

  it("a finding exactly when the port signals TLS and decide connects without TLS; decide's policy is the one the docs describe", () => {
    fc.assert(
      fc.property(fc.constantFrom(...APP), fc.constantFrom(...NAMES), fc.constantFrom(...PORTS), fc.constantFrom(...POLICIES), (app, name, port, pol) => {
        // The named port has a sibling (Kubernetes wants names when there are two); an unnamed one is alone.
        const target = `{${name ? `name: ${name}, ` : ""}port: ${port}${app ? `, appProtocol: ${app}` : ""}}`;
        const ports = name ? `${target}, {name: other, port: 9999}` : target;
        const section = pol === "this-port" ? name : pol === "other-port" ? "other" : undefined;
        const policies = pol === "none" || (pol === "this-port" && !name) ? "" : policy(`{group: "", kind: Service, name: s${section ? `, sectionName: ${section}` : ""}}`);
        const w = worldFrom(GATEWAY + service(ports) + policies + httpRoute(`{name: s, port: ${port}}`));
        expect(w.problems).toEqual([]);
        const d = decide(w, GW_REQUEST);
        expect(d.outcome).toBe("forward");
        const covered = pol === "whole" || (pol === "this-port" && name !== undefined);
        expect(d.backendTLS !== null).toBe(covered);
        const want = covered ? null : expected(app, name, port);
        expect(lint(w).filter((f) => f.rule === RULE).map((f) => f.severity)).toEqual(want ? [want] : []);
      }),
      { numRuns: 150 },
    );
  });
});
