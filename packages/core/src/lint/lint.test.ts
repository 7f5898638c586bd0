/** Cases around the edges of each finding, beyond the one-per-rule fixtures in test/fixtures/lint. */
import { describe, expect, it } from "vitest";
import { worldFrom } from "../testing/world-from.js";
import { lint } from "./index.js";
import { decide } from "../world.js";

const GATEWAY = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: com, protocol: HTTP, port: 80, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
  - {name: org, protocol: HTTP, port: 80, hostname: "*.example.org", allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: ns}
spec: {ports: [{port: 80}]}
`;

const route = (name: string, hostnames: string[], rules: string, extra = "") => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ns${extra}}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [${hostnames.join(", ")}]
  rules:
${rules}`;

const rulesOf = (findings: ReturnType<typeof lint>) => findings.map((f) => `${f.rule} ${f.object.name} ${f.path}`);

describe("lint edges", () => {
  it("a conflict on one hostname is reported even when the loser is reached on another", () => {
    const w = worldFrom(
      GATEWAY +
        route("old", ["shop.example.com"], "  - backendRefs: [{name: a, port: 80}]", ", creationTimestamp: '2026-01-01T00:00:00Z'") +
        route("new", ["shop.example.com", "shop.example.org"], "  - backendRefs: [{name: b, port: 80}]", ", creationTimestamp: '2026-02-01T00:00:00Z'"),
    );
    expect(rulesOf(lint(w))).toEqual(["conflict-by-age new spec.rules[0].matches[0]"]);
    // Said once, with both times (it read "older (older route (created ... vs ...))").
    expect(lint(w)[0]!.message).toContain("wins only because it is older (created 2026-01-01T00:00:00Z vs 2026-02-01T00:00:00Z); re-creating it");
  });

  it("a rule covered on one hostname but alone on another is reachable", () => {
    const w = worldFrom(
      GATEWAY +
        route("catch-all", ["shop.example.com"], "  - backendRefs: [{name: a, port: 80}]") +
        route("api", ["shop.example.com", "api.example.org"], "  - matches: [{path: {type: PathPrefix, value: /api}}]\n    backendRefs: [{name: b, port: 80}]"),
    );
    expect(lint(w)).toEqual([]);
  });

  it("a more specific rule after a broad one in the same route is reachable (precedence, not list order)", () => {
    const w = worldFrom(
      GATEWAY +
        route("r", ["shop.example.com"], `  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: a, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}, method: GET}]
    backendRefs: [{name: b, port: 80}]`),
    );
    expect(lint(w)).toEqual([]);
  });

  it("a regex catch-all above every prefix makes them unreachable", () => {
    const w = worldFrom(
      GATEWAY +
        route("r", ["shop.example.com"], `  - matches: [{path: {type: RegularExpression, value: "/.*"}}]
    backendRefs: [{name: a, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: b, port: 80}]`),
    );
    expect(rulesOf(lint(w))).toEqual(["unreachable-rule r spec.rules[1]"]);
  });

  it("a regex written under its prefix is a refinement, not a shadow", () => {
    const w = worldFrom(
      GATEWAY +
        route("r", ["shop.example.com"], `  - matches: [{path: {type: RegularExpression, value: "/api/v[0-9]+/.*"}}]
    backendRefs: [{name: a, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: b, port: 80}]`),
    );
    expect(lint(w)).toEqual([]);
  });

  it.each([
    { weights: [9999, 1], want: ["info"] }, // 0.01% on the last backend: NGF gives it the remainder; whole percents round it away
    { weights: [10000, 1, 1], want: ["warning", "info"] }, // 0.009998% not last: NGF floors it to 0.00%
    { weights: [5, 995], want: [] }, // 0.5% ties with 99.5%'s remainder and, first, takes the point
    { weights: [995, 5], want: ["info"] }, // the same tie, lost by the later backendRef
    { weights: [7, 993], want: [] }, // 0.7%: remainder .7 beats .3, whole percents give it 1%
    { weights: [996, 4], want: ["info"] },
    { weights: [100, 0], want: [] }, // weight 0 is meant
  ])("weights $weights → $want", ({ weights, want }) => {
    const refs = weights.map((w, i) => `{name: ${i % 2 ? "b" : "a"}, port: 80, weight: ${w}}`).join(", ");
    const w = worldFrom(GATEWAY + route("r", ["shop.example.com"], `  - backendRefs: [${refs}]`));
    expect(lint(w).filter((f) => f.rule === "weight-rounds-to-zero").map((f) => f.severity)).toEqual(want);
  });

  it("a backendRef port missing from an existing Service is an error; a Service missing from the manifests is not", () => {
    const w = worldFrom(GATEWAY + route("r", ["shop.example.com"], "  - backendRefs: [{name: a, port: 81}, {name: elsewhere, port: 80}]"));
    expect(rulesOf(lint(w))).toEqual(["backend-port-not-found r spec.rules[0].backendRefs[0].port"]);
  });
});

const grpcRoute = (name: string, rules: string, extra = "") => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: ${name}, namespace: ns${extra}}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [grpc.example.com]
  rules:
${rules}`;

describe("lint on GRPCRoutes", () => {
  it("an escaped-dot regex service outranks (more characters) and covers the Exact service: the Exact rule is unreachable", () => {
    const w = worldFrom(
      GATEWAY +
        grpcRoute("regex", `  - matches: [{method: {type: RegularExpression, service: 'shop\\.v1\\.Cart', method: Get}}]
    backendRefs: [{name: a, port: 80}]`) +
        grpcRoute("exact", `  - matches: [{method: {service: shop.v1.Cart, method: Get}}]
    backendRefs: [{name: b, port: 80}]`),
    );
    const findings = lint(w);
    expect(rulesOf(findings)).toEqual(["unreachable-rule exact spec.rules[0]"]);
    expect(findings[0]!.message).toContain("is covered by match 0 of rule 0 of GRPCRoute ns/regex");
    expect(decideGrpc(w, "shop.v1.Cart", "Get")).toBe("regex");
  });

  it("the same service and method in two GRPCRoutes is a conflict settled by age", () => {
    const w = worldFrom(
      GATEWAY +
        grpcRoute("old", "  - matches: [{method: {service: shop.v1.Cart}}]\n    backendRefs: [{name: a, port: 80}]", ", creationTimestamp: '2026-01-01T00:00:00Z'") +
        grpcRoute("new", "  - matches: [{method: {service: shop.v1.Cart}}]\n    backendRefs: [{name: b, port: 80}]", ", creationTimestamp: '2026-02-01T00:00:00Z'"),
    );
    expect(rulesOf(lint(w))).toEqual(["conflict-by-age new spec.rules[0].matches[0]"]);
  });

  it("a header condition or a longer method keeps a rule reachable; a repeated match in the same rule is redundant", () => {
    const w = worldFrom(
      GATEWAY +
        grpcRoute("r", `  - matches: [{method: {service: shop.v1.Cart}}]
    backendRefs: [{name: a, port: 80}]
  - matches: [{method: {service: shop.v1.Cart}, headers: [{name: x-canary, value: "1"}]}, {method: {service: shop.v1.Cart, method: Get}}]
    backendRefs: [{name: b, port: 80}]
  - matches: [{method: {service: shop.v1.Cart, method: Put}}, {method: {service: shop.v1.Cart, method: Put}}]
    backendRefs: [{name: b, port: 80}]`),
    );
    expect(rulesOf(lint(w))).toEqual(["unreachable-match r spec.rules[2].matches[1]"]);
    expect(decideGrpc(w, "shop.v1.Cart", "Get")).toBe("r/1");
  });
});

/** The route (and rule, when not 0) a gRPC call to grpc.example.com reaches. */
function decideGrpc(w: ReturnType<typeof worldFrom>, service: string, method: string): string | undefined {
  const d = decide(w, { gateway: "infra/gw", port: 80, scheme: "http", host: "grpc.example.com", grpc: { service, method } });
  return d.route ? `${d.route.name}${d.route.rule ? `/${d.route.rule}` : ""}` : undefined;
}

describe("route-not-attached: a TCPRoute on a TLS Passthrough listener", () => {
  const world = (mode: "Passthrough" | "Terminate") => worldFrom(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners: [{name: tls, protocol: TLS, port: 443, tls: {mode: ${mode}${mode === "Terminate" ? ", certificateRefs: [{name: cert}]" : ""}}}]
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: infra}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: ""}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: db, namespace: infra}
spec:
  parentRefs: [{name: gw, sectionName: tls}]
  rules: [{backendRefs: [{name: db, port: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: infra}
spec: {ports: [{port: 5432}]}
`);
  it("the fix says what can carry it (allowedRoutes cannot admit a TCPRoute there)", () => {
    const f = lint(world("Passthrough")).find((x) => x.rule === "route-not-attached")!;
    expect(f.fix).toBe("route the TLS connections with a TLSRoute (Passthrough), or attach this TCPRoute to a TLS listener in Terminate mode or to a TCP listener");
  });
});
