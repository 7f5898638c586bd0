/** The order of a 404's nearest misses: the one the user most likely meant comes first. */
import { describe, expect, it } from "vitest";
import { parseManifests } from "../packages/core/src/manifest/parse.js";
import { buildWorld } from "../packages/core/src/world.js";
import { decide } from "../packages/core/src/decide/index.js";

const { objects } = parseManifests(
  `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: gc }
spec: { controllerName: example.com/gc }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: infra }
spec:
  gatewayClassName: gc
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
apiVersion: v1
kind: Service
metadata: { name: svc, namespace: infra }
spec: { ports: [{ port: 8080 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: infra }
spec:
  parentRefs: [{ name: gw }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /zzz } }]
    backendRefs: [{ name: svc, port: 8080 }]
  - matches: [{ path: { type: PathPrefix, value: /reports }, method: POST }]
    backendRefs: [{ name: svc, port: 8080 }]
  - matches: [{ path: { type: PathPrefix, value: /orders }, method: POST, headers: [{ name: x-team, value: ops }] }]
    backendRefs: [{ name: svc, port: 8080 }]
`,
  { file: "nearest.yaml" },
);
const world = buildWorld(objects);

const misses = (path: string, method = "GET", headers: Record<string, string> = {}): string[] =>
  (decide(world, { gateway: "infra/gw", host: "a.example.com", path, method, headers }, { explain: true }).explain ?? [])
    .filter((l) => l.startsWith("nearest miss: "))
    .map((l) => l.replace(/^nearest miss: HTTPRoute infra\/r /, ""));

describe("nearest misses", () => {
  it("a path one character off comes before an unrelated path with fewer other conditions", () => {
    // /report shares 7 characters with /reports (which also wants POST); /zzz shares 1.
    expect(misses("/report")[0]).toBe("rule 1 match 0: path PathPrefix /reports does not match /report; method POST expected, got GET");
  });
  it("a match whose path holds comes first, then by the conditions that failed", () => {
    expect(misses("/orders/7", "POST")).toEqual([
      'rule 2 match 0: header x-team="ops" expected, got none',
      "rule 1 match 0: path PathPrefix /reports does not match /orders/7",
      "rule 0 match 0: path PathPrefix /zzz does not match /orders/7",
    ]);
  });
});
