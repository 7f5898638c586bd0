/**
 * Status list limits of the experimental kinds: PolicyStatus.ancestors has at most 16 entries
 * (policy_types.go: "A maximum of 16 ancestors will be represented in this list ... If this
 * slice is full, implementations MUST NOT add further entries"; CRD maxItems 16), and XBackend
 * status.parents at most 32 (xbackend_types.go, CRD maxItems 32). A status over the limit is
 * one the API server refuses.
 */
import { describe, expect, it } from "vitest";
import { worldFrom } from "../testing/world-from.js";

const X = "gateway.networking.x-k8s.io";

/** `n` Gateways (gw-00 ...), HTTPRoutes attached to all of them, sending to Service a and XBackend x. */
function world(n: number): string {
  const gateways = Array.from({ length: n }, (_, i) => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw-${String(i).padStart(2, "0")}, namespace: infra}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]`).join("");
  // A route has at most 32 parentRefs: one route per 16 Gateways.
  const routes = Array.from({ length: Math.ceil(n / 16) }, (_, k) => {
    const parents = Array.from({ length: Math.min(16, n - k * 16) }, (_, i) => `{name: gw-${String(k * 16 + i).padStart(2, "0")}, namespace: infra}`).join(", ");
    return `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r${k}, namespace: ns}
spec:
  parentRefs: [${parents}]
  rules:
  - backendRefs: [{name: a, port: 80}, {group: ${X}, kind: XBackend, name: x}]`;
  }).join("");
  return `${gateways}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns}
spec: {ports: [{port: 80}]}
---
apiVersion: ${X}/v1alpha1
kind: XBackend
metadata: {name: x, namespace: ns}
spec:
  type: ExternalHostname
  externalHostname: {hostname: api.example.com}
  port: {port: 443}
  tls: {mode: ServerOnly, validation: {hostname: api.example.com, wellKnownCACertificates: System}}
---
apiVersion: ${X}/v1alpha1
kind: XBackendTrafficPolicy
metadata: {name: p, namespace: ns}
spec:
  targetRefs: [{group: "", kind: Service, name: a}]
  sessionPersistence: {}${routes}`;
}

const statusOf = (w: ReturnType<typeof worldFrom>, kind: string) => w.graph.status.find((s) => s.kind === kind)!.status as Record<string, { parentRef?: { name: string }; ancestorRef?: { name: string } }[]>;

describe("status list limits", () => {
  it.each([
    { gateways: 3, ancestors: 3, parents: 3 },
    { gateways: 16, ancestors: 16, parents: 16 },
    { gateways: 17, ancestors: 16, parents: 17 },
    { gateways: 33, ancestors: 16, parents: 32 },
  ])("$gateways Gateways reach the backends → $ancestors policy ancestors, $parents XBackend parents", ({ gateways, ancestors, parents }) => {
    const w = worldFrom(world(gateways));
    expect(w.problems).toEqual([]);
    const policy = statusOf(w, "XBackendTrafficPolicy").ancestors!;
    expect(policy).toHaveLength(ancestors);
    // The entries kept are the first in the sorted order: the list does not change with input order.
    expect(policy.map((a) => a.ancestorRef!.name)).toEqual(Array.from({ length: ancestors }, (_, i) => `gw-${String(i).padStart(2, "0")}`));
    const xb = statusOf(w, "XBackend").parents!;
    expect(xb).toHaveLength(parents);
    expect(xb.map((p) => p.parentRef!.name)).toEqual(Array.from({ length: parents }, (_, i) => `gw-${String(i).padStart(2, "0")}`));
  });
});
