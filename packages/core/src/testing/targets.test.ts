import { describe, expect, it } from "vitest";
import { decide } from "../world.js";
import { shareOf } from "./targets.js";
import { worldFrom } from "./world-from.js";

const world = worldFrom(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /split}}]
    backendRefs: [{name: stable, port: 80, weight: 85}, {name: canary, port: 80, weight: 10}, {name: canary, port: 81, weight: 5}]
  - matches: [{path: {type: PathPrefix, value: /broken}}]
    backendRefs: [{name: stable, port: 80, weight: 1}, {name: missing, port: 80, weight: 1}]
  - matches: [{path: {type: PathPrefix, value: /moved}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: elsewhere.example.com}}]
---
apiVersion: v1
kind: Service
metadata: {name: stable, namespace: app}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: canary, namespace: app}
spec: {ports: [{name: a, port: 80}, {name: b, port: 81}]}
`);

describe("shareOf: the probability a decision sends the request to the target", () => {
  it.each([
    { path: "/split", target: "app/canary", want: 0.15 }, // both ports of the canary
    { path: "/split", target: "app/canary:81", want: 0.05 },
    { path: "/split", target: "app/*", want: 1 },
    { path: "/split", target: "other/*", want: 0 },
    { path: "/broken", target: "app/stable", want: 0.5 },
    { path: "/broken", target: "app/missing", want: 0 }, // invalid: its share answers 500
    { path: "/moved", target: "app/*", want: 0 }, // redirected: reaches nothing
    { path: "/nowhere", target: "app/*", want: 0 }, // 404
  ])("$path to $target: $want", ({ path, target, want }) => {
    expect(world.problems).toEqual([]);
    expect(shareOf(decide(world, { gateway: "infra/gw", path }), target)).toBeCloseTo(want, 12);
  });
});
