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
