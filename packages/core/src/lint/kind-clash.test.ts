/** hostname-kind-clash: an HTTPRoute and a GRPCRoute on one hostname of a listener (GEP-1016). */
import { describe, expect, it } from "vitest";
import { worldFrom } from "../testing/world-from.js";
import { decide } from "../world.js";
import { lint } from "./index.js";

const BASE = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: web, protocol: HTTP, port: 80, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
  - {name: other, protocol: HTTP, port: 8080, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns}
spec: {ports: [{port: 80}]}
`;

const route = (kind: "HTTPRoute" | "GRPCRoute", name: string, o: { parentRefs?: string; hostnames?: string[]; created?: string }) => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: {name: ${name}, namespace: ns${o.created ? `, creationTimestamp: "${o.created}"` : ""}}
spec:
  parentRefs: ${o.parentRefs ?? "[{name: gw, namespace: infra}]"}
  ${o.hostnames ? `hostnames: [${o.hostnames.map((h) => JSON.stringify(h)).join(", ")}]` : ""}
  rules:
  - backendRefs: [{name: a, port: 80}]`;

const WEB = "[{name: gw, namespace: infra, sectionName: web}]";
const JAN = "2026-01-01T00:00:00Z";
const FEB = "2026-02-01T00:00:00Z";
const clashes = (w: ReturnType<typeof worldFrom>) => {
  expect(w.problems).toEqual([]);
  return lint(w).filter((f) => f.rule === "hostname-kind-clash");
};
const summary = (w: ReturnType<typeof worldFrom>) => clashes(w) && lint(w).map((f) => `${f.rule} ${f.object.kind} ${f.object.name} ${f.path}`);

describe("hostname-kind-clash", () => {
  it("the newer GRPCRoute, still attached to another listener, is named with the HTTPRoute, the listener and why it loses", () => {
    const w = worldFrom(BASE + route("HTTPRoute", "rest", { parentRefs: WEB, hostnames: ["api.example.com"], created: JAN }) + route("GRPCRoute", "rpc", { hostnames: ["api.example.com"], created: FEB }));
    expect(w.problems).toEqual([]);
    expect(summary(w)).toEqual(["hostname-kind-clash GRPCRoute rpc spec.parentRefs[0]"]);
    const [f] = clashes(w);
    expect(f!.message).toContain("GRPCRoute ns/rpc is not attached to listener web of Gateway infra/gw: HTTPRoute ns/rest is attached there for api.example.com");
    expect(f!.message).toContain(`it loses there because HTTPRoute ns/rest is older (${JAN} against ${FEB})`);
    expect(f!.message).toContain("attaches to listener other");
    expect(f!.fix).toContain("distinct hostnames");
    expect(f!.related.map((r) => `${r.object.kind} ${r.object.name} ${r.path}`)).toEqual(["HTTPRoute rest spec.hostnames", "Gateway gw spec.listeners[0]"]);
    // What decide does: the gRPC call on web goes to the HTTPRoute; on other, to the GRPCRoute.
    const call = { grpc: { service: "pkg.Svc", method: "Get" }, host: "api.example.com", gateway: "infra/gw" };
    expect(decide(w, { ...call, port: 80 }).route).toMatchObject({ kind: "HTTPRoute", name: "rest" });
    expect(decide(w, { ...call, port: 8080 }).route).toMatchObject({ kind: "GRPCRoute", name: "rpc" });
  });

  it("an older GRPCRoute wins: the HTTPRoute is the one reported", () => {
    const w = worldFrom(BASE + route("GRPCRoute", "rpc", { parentRefs: WEB, hostnames: ["*.example.com"], created: JAN }) + route("HTTPRoute", "rest", { hostnames: ["shop.example.com"], created: FEB }));
    expect(summary(w)).toEqual(["hostname-kind-clash HTTPRoute rest spec.parentRefs[0]"]);
    expect(clashes(w)[0]!.message).toContain("GRPCRoute ns/rpc is attached there for shop.example.com");
    expect(clashes(w)[0]!.fix).not.toContain("an HTTPRoute can also route");
  });

  it("same age: the first namespace/name wins, and the message says so", () => {
    const w = worldFrom(BASE + route("HTTPRoute", "b-rest", { hostnames: ["api.example.com"] }) + route("GRPCRoute", "a-rpc", { hostnames: ["api.example.com"] }));
    // a-rpc sorts first: b-rest loses web (and other: both parentRefs cover both listeners).
    expect(lint(w).map((f) => f.rule)).toEqual(["route-not-attached"]);
    const w2 = worldFrom(BASE + route("HTTPRoute", "b-rest", { hostnames: ["api.example.com"] }) + route("GRPCRoute", "a-rpc", { parentRefs: WEB, hostnames: ["api.example.com"] }));
    expect(summary(w2)).toEqual(["hostname-kind-clash HTTPRoute b-rest spec.parentRefs[0]"]);
    expect(clashes(w2)[0]!.message).toContain("neither has a creationTimestamp and ns/a-rpc sorts first by namespace/name");
  });

  it("a route without a timestamp loses to one with a timestamp", () => {
    const w = worldFrom(BASE + route("HTTPRoute", "z", { parentRefs: WEB, created: JAN }) + route("GRPCRoute", "a", {}));
    expect(clashes(w)[0]!.message).toContain(`HTTPRoute ns/z has a creationTimestamp (${JAN}) and ns/a has none, which counts as newer`);
    // The route's own hostnames on web are every host the listener takes.
    expect(clashes(w)[0]!.message).toContain("is attached there for *.example.com");
  });

  it("hostnames the winner does not share are lost on that listener too, and the message says so", () => {
    const w = worldFrom(BASE + route("HTTPRoute", "rest", { parentRefs: WEB, hostnames: ["api.example.com"], created: JAN }) + route("GRPCRoute", "rpc", { hostnames: ["api.example.com", "grpc.example.com"], created: FEB }));
    expect(clashes(w)[0]!.message).toContain("Requests for api.example.com, grpc.example.com on web (not only the shared hostname) never reach ns/rpc");
    expect(decide(w, { gateway: "infra/gw", port: 80, host: "grpc.example.com", grpc: { service: "pkg.Svc", method: "Get" } }).route).toBeNull();
  });

  it("not reported: distinct hostnames, a parentRef left with no listener (route-not-attached / parent-ref-not-attached say it), no objects", () => {
    expect(clashes(worldFrom(BASE + route("HTTPRoute", "rest", { hostnames: ["api.example.com"], created: JAN }) + route("GRPCRoute", "rpc", { hostnames: ["grpc.example.com"], created: FEB })))).toEqual([]);
    const pinned = worldFrom(BASE + route("HTTPRoute", "rest", { parentRefs: WEB, created: JAN }) + route("GRPCRoute", "rpc", { parentRefs: WEB, created: FEB }));
    expect(summary(pinned)).toEqual(["route-not-attached GRPCRoute rpc spec.parentRefs[0]"]);
    const two = worldFrom(
      BASE + route("HTTPRoute", "rest", { parentRefs: WEB, created: JAN }) + route("GRPCRoute", "rpc", { parentRefs: `${WEB.slice(0, -1)}, {name: gw, namespace: infra, sectionName: other}]`, created: FEB }),
    );
    expect(summary(two)).toEqual(["parent-ref-not-attached GRPCRoute rpc spec.parentRefs[0]"]);
    const w = worldFrom(BASE + route("HTTPRoute", "rest", { parentRefs: WEB, created: JAN }) + route("GRPCRoute", "rpc", { created: FEB }));
    expect(clashes(w)).toHaveLength(1);
    expect(lint({ ...w, objects: [] }).filter((f) => f.rule === "hostname-kind-clash")).toEqual([]);
  });
});
