import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildWorld, decide } from "../world.js";
import { parseManifests } from "../manifest/parse.js";
import { checkRequest } from "./request-schema.js";

// One HTTP listener taking every host, one route taking every path: decide reads every field of a
// request sent to it (the path included), so its answer says whether the request was readable.
const WORLD = buildWorld(
  parseManifests(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: default}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: all, namespace: default}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: svc, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: default}
spec: {ports: [{port: 80}]}
`).objects,
);

const unreadable = (r: unknown) => {
  const d = decide(WORLD, r as never);
  return d.reason === "BadRequest" || d.reason === "NoEntryPoint";
};

/** A field absent, well-formed, or malformed in the ways trace lines are. */
const field = <T>(good: fc.Arbitrary<T>) => fc.option(fc.oneof({ weight: 4, arbitrary: good as fc.Arbitrary<unknown> }, fc.constantFrom<unknown>(null, -1, true, [], {})), { nil: undefined, freq: 3 });

const requestish = fc.record(
  {
    gateway: field(fc.constantFrom("default/edge", "edge")),
    port: field(fc.constantFrom<unknown>(80, "80", 0, 70000, 1.5)),
    scheme: field(fc.constantFrom("http", "HTTP", "ftp", "Http")),
    host: field(fc.constantFrom("a.example.com", "A.example.com:80", "a.example.com:99999", "[::1", "a b", "", "x:y")),
    method: field(fc.constantFrom("GET", "get", "", "POST")),
    path: field(fc.constantFrom("/api", "api", "", "/a?b=1", "/a%zz", "/a\nb", "*", "/a%00", "/%2e%2e/x", "/a#f")),
    headers: field(fc.dictionary(fc.constantFrom("x-a", "X-B", "bad name", "host"), fc.oneof(fc.constantFrom("1", "a\r\nb", "ok.example.com"), fc.array(fc.constantFrom("1", "2"), { maxLength: 2 }), fc.constant(5 as unknown as string)), { maxKeys: 2 })),
    grpc: field(fc.record({ service: fc.constantFrom("pkg.Svc", "a b"), method: fc.constantFrom("Call", "") })),
    time: field(fc.constantFrom<unknown>("2026-01-01T00:00:00Z", "yesterday", 1_700_000_000_000, Number.NaN)),
  },
  { requiredKeys: [] },
);

describe("checkRequest agrees with decide", () => {
  it("ok exactly when decide reads the request (no BadRequest, no NoEntryPoint)", () => {
    fc.assert(
      fc.property(fc.oneof(requestish, fc.constantFrom<unknown>(null, "GET /", [], 5)), (r) => {
        const check = checkRequest(r);
        expect(check.ok, `${JSON.stringify(r)}: ${check.ok ? "ok" : check.message}; decide: ${JSON.stringify(decide(WORLD, r as never).reason)}`).toBe(!unreadable(r));
      }),
      { numRuns: 3000 },
    );
  });

  it("the QA cases: no entry point, a bare gateway name, a relative path", () => {
    expect(checkRequest({ host: "a.example.com", path: "/api" })).toEqual({ ok: false, message: "request names no entry point (gateway, service or address)" });
    expect(checkRequest({ gateway: "edge", path: "/api" }).ok).toBe(true);
    expect(checkRequest({ gateway: "default/edge", path: "api" })).toEqual({ ok: false, message: 'path "api" is not valid: path must start with /' });
    expect(checkRequest({ gateway: "default/edge", port: "80" })).toEqual({ ok: false, message: "port must be an integer from 1 to 65535" });
    // A TCP connection carries no HTTP path: decide does not read it, neither does checkRequest.
    expect(checkRequest({ gateway: "default/edge", scheme: "tcp", port: 9000, path: "api" }).ok).toBe(true);
    expect(checkRequest({ service: "default/svc", from: "default" }).ok).toBe(true);
  });
});
