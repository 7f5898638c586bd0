/**
 * Header names that are also Object.prototype properties (`constructor`, `toString`,
 * `__proto__`) are headers like any other: a request without them does not match them, a request
 * with them does, whatever the case of the name, and decide never throws on them.
 */
import { describe, expect, it } from "vitest";
import { worldFrom } from "../testing/world-from.js";
import { decide } from "./index.js";
import type { GatewayRequest } from "../model/request.js";

const world = (name: string, value: string) =>
  worldFrom(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: infra}
spec: {ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{headers: [{name: ${JSON.stringify(name)}, value: ${JSON.stringify(value)}}]}]
    backendRefs: [{name: svc, port: 80}]
`);

const base = { gateway: "infra/gw", port: 80, scheme: "http", host: "x.example", path: "/" } as const;
/** Headers as a trace line gives them: JSON.parse makes `__proto__` an own property. */
const headers = (json: string) => ({ ...base, headers: JSON.parse(json) as Record<string, string> }) as GatewayRequest;

describe("header names Object.prototype also has", () => {
  const nativeObject = String(Object);
  it.each([
    ["constructor", nativeObject, base as GatewayRequest, "notFound"],
    ["constructor", nativeObject, headers(`{"a": "1"}`), "notFound"],
    ["constructor", nativeObject, headers(`{"A": "1"}`), "notFound"],
    ["toString", String(Object.prototype.toString), headers(`{"B": "1", "b": "2"}`), "notFound"],
    ["constructor", "x", headers(`{"constructor": "x"}`), "forward"],
    ["constructor", "x", headers(`{"Constructor": "x"}`), "forward"],
    ["constructor", "x", headers(`{"Constructor": "y"}`), "notFound"],
    ["__proto__", "x", headers(`{"__proto__": "x"}`), "forward"],
    ["__proto__", "x", headers(`{"__proto__": "x", "A": "1"}`), "forward"],
    ["__proto__", "x", headers(`{"a": "1"}`), "notFound"],
  ] as const)("rule header %s=%j, request %j: %s", (name, value, request, outcome) => {
    const d = decide(world(name, value), request);
    expect(d.outcome).toBe(outcome);
  });

  it("a __proto__ header reaches the backend as a header", () => {
    const d = decide(world("__proto__", "x"), headers(`{"__proto__": "x", "A": "1"}`));
    expect(Object.hasOwn(d.forwarded!.headers, "__proto__")).toBe(true);
    expect(d.forwarded!.headers["__proto__"]).toBe("x");
    expect(Object.getPrototypeOf(d.forwarded!.headers)).toBe(Object.prototype);
  });
});
