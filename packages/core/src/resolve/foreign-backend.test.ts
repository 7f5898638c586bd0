import { describe, expect, it } from "vitest";
import { parseManifests } from "../manifest/parse.js";
import { buildWorld, decide, statusOf } from "../world.js";

// A backendRef of a kind gwsim does not send to: an implementation's own kind (another API
// group) is said to be beyond the simulation; a core or Gateway API kind is a mistake to fix.
const world = (backendRef: string) => {
  const text = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: door, namespace: shop}
spec:
  gatewayClassName: lb
  listeners: [{name: web, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orders, namespace: shop}
spec:
  parentRefs: [{name: door}]
  rules: [{backendRefs: [${backendRef}]}]
`;
  return buildWorld(parseManifests(text).objects);
};

function resolvedRefs(w: ReturnType<typeof world>): { status: string; reason: string; message: string } {
  const route = statusOf(w).items.find((i) => i.kind === "HTTPRoute")!;
  const parents = (route.status as { parents: { conditions: { type: string; status: string; reason: string; message: string }[] }[] }).parents;
  return parents[0]!.conditions.find((c) => c.type === "ResolvedRefs")!;
}

describe("backendRef of a kind gwsim does not send to", () => {
  it.each([
    { case: "an implementation's Backend", ref: "{group: proxy.example.net, kind: Backend, name: api}", says: "backend kind proxy.example.net/Backend is not one gwsim simulates (an implementation's or extension's own), so its share of requests answers 500 here; gwsim sends to a Service" },
    { case: "a multicluster ServiceImport", ref: "{group: multicluster.x-k8s.io, kind: ServiceImport, name: api, port: 80}", says: "multicluster.x-k8s.io/ServiceImport is not one gwsim simulates" },
    { case: "a core kind other than Service", ref: "{group: '', kind: Pod, name: api}", says: 'backend kind Pod is not supported; use a Service (group "", kind Service) or an XBackend' },
    { case: "a Gateway API group kind", ref: "{group: gateway.networking.k8s.io, kind: Backend, name: api}", says: "backend kind gateway.networking.k8s.io/Backend is not supported; use a Service" },
  ])("$case: InvalidKind, and its requests answer 500", ({ ref, says }) => {
    const w = world(ref);
    expect(resolvedRefs(w)).toMatchObject({ status: "False", reason: "InvalidKind" });
    expect(resolvedRefs(w).message).toContain(says);
    const d = decide(w, { gateway: "shop/door", host: "shop.test", path: "/" });
    expect(d.status).toBe(500);
  });
});
