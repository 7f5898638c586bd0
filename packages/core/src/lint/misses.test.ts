/**
 * Mistakes lint missed before its QA pass, one table per rule added for them: each row a world,
 * what decide does with it, and what lint must say.
 */
import { readFileSync } from "node:fs";
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
  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
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

const route = (kind: string, ns: string, rule: string) => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: {name: r, namespace: ${ns}}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - ${rule}`;

const grant = (fromKind: string, fromNs: string, to = "{group: '', kind: Service}") => `
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: ns}
spec:
  from: [{group: gateway.networking.k8s.io, kind: ${fromKind}, namespace: ${fromNs}}]
  to: [${to}]`;

const findings = (text: string, rule: string) => {
  const w = worldFrom(text);
  expect(w.problems).toEqual([]);
  return lint(w).filter((f) => f.rule === rule).map((f) => `${f.severity} ${f.path}`);
};

describe("rule-without-backend", () => {
  it.each([
    { title: "every weight 0", rule: "backendRefs: [{name: a, port: 80, weight: 0}, {name: b, port: 80, weight: 0}]", status: 500, want: ["error spec.rules[0].backendRefs"] },
    { title: "no backendRefs, a header filter only", rule: "filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x, value: '1'}]}}]", status: 500, want: ["error spec.rules[0]"] },
    { title: "one weight above 0", rule: "backendRefs: [{name: a, port: 80, weight: 0}, {name: b, port: 80, weight: 1}]", status: null, want: [] },
    { title: "a redirect without backendRefs", rule: "filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]", status: 302, want: [] },
    {
      title: "weight 0 with sessionPersistence (draining)",
      rule: "backendRefs: [{name: a, port: 80, weight: 0}]\n    sessionPersistence: {sessionName: s, type: Cookie}",
      status: 500,
      want: [],
    },
    {
      // decide keeps no session for a Header session without a name: nothing to drain.
      title: "weight 0 with a Header session without sessionName",
      rule: "backendRefs: [{name: a, port: 80, weight: 0}]\n    sessionPersistence: {type: Header}",
      status: 500,
      want: ["error spec.rules[0].backendRefs"],
    },
  ])("$title → $want", ({ rule, status, want }) => {
    const text = BASE + route("HTTPRoute", "ns", rule);
    expect(decide(worldFrom(text), { gateway: "infra/gw", host: "h", path: "/" }).status).toBe(status);
    expect(findings(text, "rule-without-backend")).toEqual(want);
  });

  it("GRPCRoutes too", () => {
    const text = BASE + route("GRPCRoute", "ns", "backendRefs: [{name: a, port: 80, weight: 0}]");
    expect(findings(text, "rule-without-backend")).toEqual(["error spec.rules[0].backendRefs"]);
  });

  const policy = (target: string, session = "sessionPersistence: {sessionName: s, type: Cookie}") => `
---
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackendTrafficPolicy
metadata: {name: p, namespace: ns}
spec:
  targetRefs: [{group: "", kind: Service, name: ${target}}]
  ${session}`;
  it.each([
    { title: "an XBackendTrafficPolicy session on the drained backend (draining)", extra: policy("a"), want: [] },
    { title: "the policy on another Service", extra: policy("b"), want: ["error spec.rules[0].backendRefs"] },
    { title: "a policy with a retry budget only", extra: policy("a", "retryConstraint: {budget: {percent: 20}}"), want: ["error spec.rules[0].backendRefs"] },
    { title: "a policy Header session without sessionName (decide keeps none)", extra: policy("a", "sessionPersistence: {type: Header}"), want: ["error spec.rules[0].backendRefs"] },
  ])("weight 0 everywhere, $title → $want", ({ extra, want }) => {
    const text = BASE + route("HTTPRoute", "ns", "backendRefs: [{name: a, port: 80, weight: 0}]") + extra;
    // A session can drain the rule only where decide keeps one for a fresh request.
    const d = decide(worldFrom(text), { gateway: "infra/gw", host: "h", path: "/" });
    expect(d.session ? "session" : "none").toBe(want.length ? "none" : "session");
    expect(findings(text, "rule-without-backend")).toEqual(want);
  });
});

describe("backend-ref-not-permitted", () => {
  const cross = "backendRefs: [{name: a, namespace: ns, port: 80}]";
  it.each([
    { title: "no grant", extra: "", status: 500, want: ["error spec.rules[0].backendRefs[0].namespace"] },
    { title: "a grant for the route's namespace and kind", extra: grant("HTTPRoute", "web"), status: null, want: [] },
    { title: "a grant naming this Service", extra: grant("HTTPRoute", "web", "{group: '', kind: Service, name: a}"), status: null, want: [] },
    { title: "a grant for another namespace", extra: grant("HTTPRoute", "webb"), status: 500, want: ["error spec.rules[0].backendRefs[0].namespace"] },
    { title: "a grant for GRPCRoutes", extra: grant("GRPCRoute", "web"), status: 500, want: ["error spec.rules[0].backendRefs[0].namespace"] },
    { title: "a grant for another Service", extra: grant("HTTPRoute", "web", "{group: '', kind: Service, name: b}"), status: 500, want: ["error spec.rules[0].backendRefs[0].namespace"] },
  ])("$title → $want", ({ extra, status, want }) => {
    const text = BASE + route("HTTPRoute", "web", cross) + extra;
    expect(decide(worldFrom(text), { gateway: "infra/gw", host: "h", path: "/" }).status).toBe(status);
    expect(findings(text, "backend-ref-not-permitted")).toEqual(want);
  });

  it("a Service missing from the manifests is left alone (its namespace may be managed elsewhere)", () => {
    expect(findings(BASE + route("HTTPRoute", "web", "backendRefs: [{name: elsewhere, namespace: other, port: 80}]"), "backend-ref-not-permitted")).toEqual([]);
  });

  it("the fix spells out the grant, and the grant that does not match is a related location", () => {
    const w = worldFrom(BASE + route("HTTPRoute", "web", cross) + grant("GRPCRoute", "web"));
    const [f] = lint(w).filter((x) => x.rule === "backend-ref-not-permitted");
    expect(f!.fix).toContain("from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}]");
    expect(f!.fix).toContain('to: [{group: "", kind: Service, name: a}]');
    expect(f!.related.map((r) => `${r.object.kind} ${r.object.namespace}/${r.object.name}`)).toEqual(["ReferenceGrant ns/g"]);
  });
});

describe("grant-unused when the referrers are linted elsewhere", () => {
  const svcGrant = (from: string) => `
apiVersion: v1
kind: Service
metadata: {name: api, namespace: payments}
spec: {ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: payments}
spec:
  from: [${from}]
  to: [{group: "", kind: Service}]`;
  const shop = "{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}";
  const store = "{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: store}";
  const shopRoute = (backend: string) => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: shop}
spec:
  rules: [{backendRefs: [${backend}]}]`;
  it.each([
    { title: "the payments repository alone: no HTTPRoute in shop to check against", text: svcGrant(shop), want: ["info spec"] },
    { title: "shop's routes linted too, none refers to payments", text: svcGrant(shop) + shopRoute("{name: local, port: 80}"), want: ["warning spec"] },
    { title: "a reference into payments the grant misses (a typo'd namespace)", text: svcGrant(store) + shopRoute("{name: api, namespace: payments, port: 80}"), want: ["warning spec"] },
    { title: "one from entry used, the other's namespace not linted", text: svcGrant(`${shop}, ${store}`) + shopRoute("{name: api, namespace: payments, port: 80}"), want: ["info spec.from[1]"] },
  ])("$title → $want", ({ text, want }) => {
    const w = worldFrom(text);
    expect(lint(w).filter((f) => f.rule === "grant-unused").map((f) => `${f.severity} ${f.path}`)).toEqual(want);
  });
});

describe("route-not-attached through a ListenerSet its Gateway does not accept", () => {
  it("the fix points at the Gateway's allowedListeners, not at the route's parentRef", () => {
    const w = worldFrom(`${BASE}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: ls, namespace: ns}
spec:
  parentRef: {name: gw, namespace: infra}
  listeners: [{name: extra, protocol: HTTP, port: 9090}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{group: gateway.networking.k8s.io, kind: ListenerSet, name: ls}]
  rules: [{backendRefs: [{name: a, port: 80}]}]`);
    const [f] = lint(w).filter((x) => x.rule === "route-not-attached");
    expect(f).toMatchObject({ severity: "error", path: "spec.parentRefs[0]" });
    expect(f!.fix).toMatch(/^the parentRef is fine but ListenerSet ns\/ls is not accepted by its Gateway \(NotAllowed: .*\): let the Gateway's spec\.allowedListeners admit its namespace/);
  });
});

describe("backend-port-not-found on a RequestMirror", () => {
  it("is a warning: the request is served, only the copy is lost", () => {
    const text = BASE + route("HTTPRoute", "ns", "backendRefs: [{name: a, port: 80}]\n    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: b, port: 81}}}]");
    const d = decide(worldFrom(text), { gateway: "infra/gw", host: "h", path: "/" });
    expect(d.outcome).toBe("forward");
    const [f] = lint(worldFrom(text)).filter((x) => x.rule === "backend-port-not-found");
    expect(f).toMatchObject({ severity: "warning", path: "spec.rules[0].filters[0].requestMirror.backendRef.port" });
    expect(f!.message).toMatch(/nothing is mirrored \(the requests themselves are served\)$/);
  });
});

describe("listener-not-programmed", () => {
  const gateway = (tls: string) => `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - name: https
    protocol: HTTPS
    port: 443
    tls: {certificateRefs: [${tls}]}`;
  const secret = (ns: string) => `
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: ${ns}}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: ""}`;
  it.each([
    { title: "a Secret kept out of the manifests", text: gateway("{name: cert}"), want: [] },
    { title: "a Secret in another namespace without a grant", text: gateway("{name: cert, namespace: certs}") + secret("certs"), want: ["error spec.listeners[0] RefNotPermitted"] },
    {
      title: "the same with a grant, but the Secret holds no certificate",
      text:
        gateway("{name: cert, namespace: certs}") +
        secret("certs") +
        `
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}]
  to: [{group: "", kind: Secret}]`,
      want: ["error spec.listeners[0] InvalidCertificateRef"],
    },
  ])("$title → $want", ({ text, want }) => {
    const w = worldFrom(text);
    expect(w.problems).toEqual([]);
    const got = lint(w).filter((f) => f.rule === "listener-not-programmed");
    expect(got.map((f) => `${f.severity} ${f.path} ${/\((\w+)\)/.exec(f.message)?.[1]}`)).toEqual(want);
    // lint agrees with decide: a listener it reports takes no connection.
    const d = decide(w, { gateway: "infra/gw", scheme: "https", host: "a.example.com", path: "/" });
    if (want.length) expect(d.outcome).toBe("reject");
  });
});

describe("route-not-attached: a GRPCRoute on an HTTPRoute's hostname", () => {
  it("the fix asks for distinct hostnames, not for allowedRoutes", () => {
    const text = `${BASE}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ns, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [api.example.com]
  rules: [{backendRefs: [{name: a, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpc, namespace: ns, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [api.example.com]
  rules: [{backendRefs: [{name: b, port: 80}]}]`;
    const found = lint(worldFrom(text)).filter((f) => f.rule === "route-not-attached");
    expect(found.map((f) => `${f.object.kind} ${f.object.name}`)).toEqual(["GRPCRoute grpc"]);
    expect(found[0]!.fix).toMatch(/^give this GRPCRoute and the HTTPRoute named above distinct hostnames \(GEP-1016/);
  });
});

describe("hostname-taken-by-other-listener", () => {
  const gw = (second: string) => `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: wide, protocol: HTTP, port: 80, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
  - ${second}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns}
spec: {ports: [{port: 80}]}`;
  const shop = (parentRefs: string) => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: ${parentRefs}
  hostnames: [shop.example.com]
  rules: [{backendRefs: [{name: a, port: 80}]}]`;
  it.each([
    { title: "pinned to the wildcard listener", second: "{name: shop, protocol: HTTP, port: 80, hostname: shop.example.com}", refs: "[{name: gw, namespace: infra, sectionName: wide}]", status: 404, want: ["warning spec.hostnames[0]"] },
    { title: "attached to both", second: "{name: shop, protocol: HTTP, port: 80, hostname: shop.example.com, allowedRoutes: {namespaces: {from: All}}}", refs: "[{name: gw, namespace: infra}]", status: null, want: [] },
    { title: "no sectionName, but the other listener admits only its own namespace", second: "{name: shop, protocol: HTTP, port: 80, hostname: shop.example.com}", refs: "[{name: gw, namespace: infra}]", status: 404, want: ["warning spec.hostnames[0]"] },
    { title: "the other listener on another port", second: "{name: shop, protocol: HTTP, port: 8080, hostname: shop.example.com}", refs: "[{name: gw, namespace: infra, sectionName: wide}]", status: null, want: [] },
    { title: "the other listener less specific", second: "{name: any, protocol: HTTP, port: 80}", refs: "[{name: gw, namespace: infra, sectionName: wide}]", status: null, want: [] },
  ])("$title → $want", ({ second, refs, status, want }) => {
    const w = worldFrom(gw(second) + shop(refs));
    expect(w.problems).toEqual([]);
    expect(decide(w, { gateway: "infra/gw", host: "shop.example.com", path: "/" }).status).toBe(status);
    expect(lint(w).filter((f) => f.rule === "hostname-taken-by-other-listener").map((f) => `${f.severity} ${f.path}`)).toEqual(want);
  });
});

describe("session-name-invalid", () => {
  const sessionRule = (session: string) => `backendRefs: [{name: a, port: 80}]\n    sessionPersistence: ${session}`;
  it.each([
    { session: "{sessionName: my-session, type: Cookie}", want: [] },
    { session: "{sessionName: 'my session', type: Cookie}", want: ["error spec.rules[0].sessionPersistence.sessionName"] },
    { session: "{sessionName: 'a=b', type: Cookie}", want: ["error spec.rules[0].sessionPersistence.sessionName"] },
    { session: "{sessionName: 'x-session', type: Header}", want: [] },
    { session: "{sessionName: 'x session', type: Header}", want: ["error spec.rules[0].sessionPersistence.sessionName"] },
    { session: "{type: Cookie}", want: [] }, // no name: gwsim makes one
  ])("$session → $want", ({ session, want }) => {
    expect(findings(BASE + route("HTTPRoute", "ns", sessionRule(session)), "session-name-invalid")).toEqual(want);
  });

  it("an XBackendTrafficPolicy's name too, with what is wrong in the message", () => {
    const text = `${BASE + route("HTTPRoute", "ns", "backendRefs: [{name: a, port: 80}]")}
---
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackendTrafficPolicy
metadata: {name: p, namespace: ns}
spec:
  targetRefs: [{group: "", kind: Service, name: a}]
  sessionPersistence: {sessionName: "shop session", type: Cookie}`;
    const w = worldFrom(text);
    const got = lint(w).filter((f) => f.rule === "session-name-invalid");
    expect(got.map((f) => `${f.object.kind} ${f.path}`)).toEqual(["XBackendTrafficPolicy spec.sessionPersistence.sessionName"]);
    expect(got[0]!.message).toContain('sessionName "shop session" is not a cookie name (RFC 6265): it holds a space');
  });
});

describe("a RegularExpression path that cannot start with /", () => {
  const regexRule = (...patterns: string[]) => `matches: [${patterns.map((p) => `{path: {type: RegularExpression, value: '${p}'}}`).join(", ")}]\n    backendRefs: [{name: a, port: 80}]`;
  const dead = (text: string) => {
    const w = worldFrom(text);
    expect(w.problems).toEqual([]);
    return lint(w).filter((f) => f.rule === "unreachable-rule" || f.rule === "unreachable-match").map((f) => `${f.rule} ${f.severity} ${f.path}`);
  };
  it.each([
    { patterns: ["api/v[0-9]+/.*"], path: "/api/v1/x", want: ["unreachable-rule error spec.rules[0].matches[0].path.value"] },
    { patterns: ["^orders/.*"], path: "/orders/1", want: ["unreachable-rule error spec.rules[0].matches[0].path.value"] },
    { patterns: ["/api/.*"], path: "/api/x", want: [] },
    { patterns: ["^/api/.*"], path: "/api/x", want: [] },
    { patterns: ["a?/x"], path: "/x", want: [] }, // may take no a
    { patterns: ["api|/x"], path: "/x", want: [] }, // alternation: left alone
    { patterns: [".*/x"], path: "/a/x", want: [] },
    { patterns: ["api/.*", "/api/.*"], path: "/api/x", want: ["unreachable-match warning spec.rules[0].matches[0].path.value"] },
  ])("$patterns → $want", ({ patterns, path, want }) => {
    const text = BASE + route("HTTPRoute", "ns", regexRule(...patterns));
    expect(dead(text)).toEqual(want);
    // What decide does with a path the pattern was meant for: a dead rule never takes it.
    const d = decide(worldFrom(text), { gateway: "infra/gw", host: "h", path });
    expect(d.outcome === "forward").toBe(want[0]?.startsWith("unreachable-rule") !== true);
  });

  it("the fix starts the pattern with /", () => {
    const f = lint(worldFrom(BASE + route("HTTPRoute", "ns", regexRule("^api/v[0-9]+/.*")))).find((x) => x.rule === "unreachable-rule")!;
    expect(f.message).toContain('path RegularExpression "^api/v[0-9]+/.*" must match the whole path and starts with "a", but every request path starts with /');
    expect(f.fix).toBe('start the pattern with / ("/api/v[0-9]+/.*")');
  });
});

// The bundled example's self-signed certificate (store.example.com), so the HTTPS listener is programmed.
const STORE_TLS = readFileSync(new URL("../../../examples/world/01-tls-secret.yaml", import.meta.url), "utf8");

describe("https-redirect-bypassed", () => {
  const world = (opts: { shopParent?: string; redirectRule?: string; redirectHosts?: string; httpsHost?: string } = {}) => `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
  - {name: https, protocol: HTTPS, port: 443, hostname: "${opts.httpsHost ?? "*.example.com"}", tls: {certificateRefs: [{name: store-tls}]}, allowedRoutes: {namespaces: {from: All}}}
---
${STORE_TLS}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-https, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: http}]
  hostnames: [${opts.redirectHosts ?? ""}]
  rules:
  - ${opts.redirectRule ?? "filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]"}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 8080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [${opts.shopParent ?? "{name: edge, namespace: infra}"}]
  hostnames: [store.example.com]
  rules:
  - backendRefs: [{name: web, port: 8080}]
`;
  const found = (text: string) => {
    const w = worldFrom(text);
    expect(w.problems).toEqual([]);
    return lint(w).filter((f) => f.rule === "https-redirect-bypassed").map((f) => `${f.object.name} ${f.path}`);
  };
  const overHttp = (text: string) => decide(worldFrom(text), { gateway: "infra/edge", port: 80, scheme: "http", host: "store.example.com", path: "/" }).outcome;

  it.each([
    { title: "a route with no sectionName on both listeners", opts: {}, want: ["shop spec.parentRefs"], served: "forward" },
    { title: "sectionName: https", opts: { shopParent: "{name: edge, namespace: infra, sectionName: https}" }, want: [], served: "redirect" },
    { title: "the redirect covers only other hosts", opts: { redirectHosts: "'*.other.test'" }, want: [], served: "forward" },
    { title: "a redirect of /admin only is no catch-all", opts: { redirectRule: "matches: [{path: {type: PathPrefix, value: /admin}}]\n    filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]" }, want: [], served: "forward" },
    { title: "no HTTPS listener takes the host: the route is meant for http", opts: { httpsHost: "api.example.org" }, want: [], served: "forward" },
  ])("$title → $want", ({ opts, want, served }) => {
    const text = world(opts);
    expect(found(text)).toEqual(want);
    // Every finding is a request decide serves over http: and without one, the redirect or no catch-all.
    expect(overHttp(text)).toBe(served);
  });
});
