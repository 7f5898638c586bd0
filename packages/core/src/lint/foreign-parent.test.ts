import { describe, expect, it } from "vitest";
import { worldFrom } from "../testing/world-from.js";
import { lint } from "./index.js";

// A parentRef of a kind gwsim does not route through (UnsupportedValue in status): an
// implementation's own parent (another API group, or a route as parent for route delegation) is
// a warning saying it is not simulated; a misspelt Gateway API kind stays an error.

const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: door, namespace: front}
spec:
  gatewayClassName: lb
  listeners: [{name: web, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]
`;
const route = (parents: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orders, namespace: shop}
spec:
  parentRefs: ${parents}
  rules: [{backendRefs: [{name: orders, port: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec: {ports: [{port: 8080}]}
`;

describe("parentRef of a kind gwsim does not route through", () => {
  it.each([
    { case: "a multicluster ServiceImport", parent: "{group: multicluster.x-k8s.io, kind: ServiceImport, name: orders}", severity: "warning", says: "which gwsim does not simulate" },
    { case: "an implementation's Mesh", parent: "{group: mesh.example.net, kind: Mesh, name: all, port: 8080}", severity: "warning", says: "which gwsim does not simulate" },
    { case: "an HTTPRoute (route delegation)", parent: "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: root, namespace: front}", severity: "warning", says: "route delegation" },
    { case: "a misspelt Gateway", parent: "{group: gateway.networking.k8s.io, kind: Gatway, name: door, namespace: front}", severity: "error", says: "is not supported" },
    { case: "an old XListenerSet", parent: "{group: gateway.networking.x-k8s.io, kind: XListenerSet, name: door, namespace: front}", severity: "error", says: "is not supported" },
  ])("the only parent is $case: route-not-attached, $severity", ({ parent, severity, says }) => {
    const findings = lint(worldFrom([GATEWAY, route(`[${parent}]`)].join("---\n"))).filter((f) => f.rule === "route-not-attached");
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity, path: "spec.parentRefs[0]" });
    expect(findings[0]!.message).toContain("UnsupportedValue");
    expect(findings[0]!.message).toContain(says);
    if (severity === "warning") expect(findings[0]!.fix).toMatch(/^if the implementation supports \w+ parents, this route's traffic is not simulated/);
    else expect(findings[0]!.fix).toBe('point the parentRef at a Gateway (group gateway.networking.k8s.io, kind Gateway, the default), a ListenerSet (same group) or, for mesh routing, a Service (group "")');
  });

  it("beside a Gateway parent it attaches to: parent-ref-not-attached, a warning", () => {
    const parents = "[{name: door, namespace: front}, {group: multicluster.x-k8s.io, kind: ServiceImport, name: orders}]";
    const findings = lint(worldFrom([GATEWAY, route(parents)].join("---\n"))).filter((f) => f.rule === "parent-ref-not-attached" || f.rule === "route-not-attached");
    expect(findings).toMatchObject([{ rule: "parent-ref-not-attached", severity: "warning", path: "spec.parentRefs[1]" }]);
  });
});

describe("a route without parentRefs that another route delegates to (kgateway route delegation)", () => {
  const parent = (backendRef: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: root, namespace: front}
spec:
  parentRefs: [{name: door}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /shop}}]
    backendRefs: [${backendRef}]
`;
  const child = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orders, namespace: shop}
spec:
  rules: [{backendRefs: [{name: orders, port: 8080}]}]
`;
  it.each([
    { case: "by name", ref: "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: orders, namespace: shop}", severity: "warning" },
    { case: "by * in its namespace", ref: "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: '*', namespace: shop}", severity: "warning" },
    { case: "a * in another namespace", ref: "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: '*', namespace: other}", severity: "error" },
    { case: "another name", ref: "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: payments, namespace: shop}", severity: "error" },
    { case: "a GRPCRoute kind", ref: "{group: gateway.networking.k8s.io, kind: GRPCRoute, name: orders, namespace: shop}", severity: "error" },
    { case: "a Service of that name", ref: "{name: orders, namespace: shop, port: 8080}", severity: "error" },
  ])("named $case: $severity", ({ ref, severity }) => {
    const findings = lint(worldFrom([GATEWAY, parent(ref), child].join("---\n"))).filter((f) => f.rule === "route-not-attached" && f.object.name === "orders");
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity, path: "spec" });
    if (severity === "warning") expect(findings[0]!.message).toBe("HTTPRoute shop/orders has no parentRefs; HTTPRoute front/root names it in a backendRef (route delegation, implementation-specific), which gwsim does not simulate: the delegating rule answers 500 in gwsim");
    else expect(findings[0]!.message).toBe("HTTPRoute shop/orders has no parentRefs, so it attaches to nothing and serves no traffic");
  });
});
