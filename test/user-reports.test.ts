// "Why is my route not accepted / why does my request 404?" as users of Gateway API
// implementations asked it. Each case rebuilds the situation of one public thread as a small
// world of its own (names changed, YAML written here), and checks that gwsim reaches the outcome
// the specification asks for AND that its status, explanation or lint names the cause, so a user
// with the same problem is led to it. Where the implementation in the thread was itself wrong,
// the case follows the spec and says so.
import { describe, expect, it } from "vitest";
import { buildWorld, decide, lint, parseManifests, statusOf, type Decision, type GatewayRequest, type LintRuleId, type World } from "../packages/core/src/index.js";
import { inheritedHostnameNotes, isolationNotes, passedOverRouteNotes, unattachedListenerSetNotes } from "../packages/sim/src/cli/explain-notes.js";
import { runCli } from "./helpers/cli.js";
import { EXAMPLE_CERT, EXAMPLE_KEY } from "./helpers/example-cert.js";

/** A kubernetes.io/tls Secret holding the bundled certificate for store.example.com and *.store.example.com. */
const tlsSecret = (namespace: string, name: string) => `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${namespace}}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(EXAMPLE_CERT).toString("base64")}
  tls.key: ${Buffer.from(EXAMPLE_KEY).toString("base64")}
`;

const service = (namespace: string, name: string, ports = "[{port: 80}]") => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec: {ports: ${ports}}
`;

interface ConditionWant {
  /** "Kind ns/name" of the object whose status holds the condition. */
  on: string;
  /** For a route: the parentRef's name (and sectionName as name/section); for a Gateway: a listener name. */
  at?: string;
  type: string;
  status: "True" | "False";
  reason: string;
  /** The message must name the cause. */
  message?: RegExp;
}

interface RequestWant {
  request: GatewayRequest;
  outcome: Decision["outcome"];
  status?: number | null;
  /** "ns/name" of the picked backend. */
  backend?: string;
  /** Path the backend receives. */
  path?: string;
  location?: string;
  /** Every pattern must appear in the explanation. */
  explain?: RegExp[];
}

interface Case {
  source: string;
  title: string;
  yaml: string[];
  conditions?: ConditionWant[];
  requests?: RequestWant[];
  /** Rules lint must report, with what their message must say; [] means no finding at all. */
  findings?: { rule: LintRuleId; message?: RegExp }[];
  /** Text `gwsim explain` must print for a request line. */
  explainCli?: { line: string; args?: string[]; says: RegExp[] };
  /** Text `gwsim status` must print (its hints come from the CLI). */
  statusCli?: RegExp[];
  more?: (world: World) => void;
}

const CASES: Case[] = [
  {
    source: "https://github.com/vdupain/gitops-k8s/issues/53",
    title: "a route in the app namespace, a listener without allowedRoutes (defaults to Same): NotAllowedByListeners, 404",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ingress}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: ingress}]
  hostnames: [shop.corp.test]
  rules: [{backendRefs: [{name: shop, port: 80}]}]
`,
      service("shop", "shop"),
    ],
    conditions: [
      {
        on: "HTTPRoute shop/shop",
        at: "edge",
        type: "Accepted",
        status: "False",
        reason: "NotAllowedByListeners",
        // The user never wrote "Same": the message must say it is the default.
        message: /only from its own namespace ingress \(allowedRoutes\.namespaces\.from: Same, the default when it is not set; set from: All or Selector/,
      },
    ],
    requests: [
      {
        request: { gateway: "ingress/edge", host: "shop.corp.test", path: "/" },
        outcome: "notFound",
        status: 404,
        explain: [/HTTPRoute shop\/shop .* is not attached: Accepted=False \(NotAllowedByListeners\)/, /default/],
      },
    ],
    findings: [{ rule: "route-not-attached", message: /from: Same/ }],
    more: (world) => {
      // Written out, Same is no default: the note is left out.
      const written = CASES[0]!.yaml.map((doc) => doc.replace("protocol: HTTP}", "protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}"));
      const explicit = worldOf({ ...CASES[0]!, yaml: written });
      const cond = conditionsAt(explicit, { on: "HTTPRoute shop/shop", at: "edge", type: "Accepted", status: "False", reason: "NotAllowedByListeners" }).find((x) => x.type === "Accepted");
      expect(cond?.message).toMatch(/\(allowedRoutes\.namespaces\.from: Same\)$/);
      expect(conditionsAt(world, { on: "HTTPRoute shop/shop", at: "edge", type: "Accepted", status: "False", reason: "" })[0]?.message).toMatch(/default/);
      // decide names the route on the 404 already: explain adds no second line for it.
      const request = { gateway: "ingress/edge", host: "shop.corp.test", path: "/" } as const;
      const d = decide(world, request, { explain: true });
      expect(d.explain?.filter((l) => l.startsWith("HTTPRoute shop/shop (parentRef"))).toHaveLength(1);
      expect(passedOverRouteNotes(world, request, d)).toEqual([]);
    },
  },
  {
    source: "https://github.com/nginx/nginx-gateway-fabric/issues/2299",
    title: "a listener whose allowedRoutes.kinds takes GRPCRoute only: an HTTPRoute naming it is not accepted and not counted",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: cafe}
spec:
  gatewayClassName: cls
  listeners:
  - name: rpc
    port: 80
    protocol: HTTP
    hostname: "*.cafe.test"
    allowedRoutes: {kinds: [{kind: GRPCRoute}]}
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: tea, namespace: cafe}
spec:
  parentRefs: [{name: gw, sectionName: rpc}]
  hostnames: [tea.cafe.test]
  rules:
  - matches: [{path: {type: Exact, value: /tea}}]
    backendRefs: [{name: tea, port: 80}]
`,
      service("cafe", "tea"),
    ],
    conditions: [{ on: "HTTPRoute cafe/tea", at: "gw/rpc", type: "Accepted", status: "False", reason: "NotAllowedByListeners", message: /rpc takes GRPCRoute.*allowedRoutes\.kinds/ }],
    requests: [{ request: { gateway: "cafe/gw", host: "tea.cafe.test", path: "/tea" }, outcome: "notFound", status: 404, explain: [/not attached.*NotAllowedByListeners/] }],
    findings: [{ rule: "route-not-attached" }],
    more: (world) => {
      const gw = item(world, "Gateway cafe/gw");
      const listener = (gw.status.listeners as { name: string; attachedRoutes: number }[]).find((l) => l.name === "rpc");
      expect(listener?.attachedRoutes).toBe(0); // the thread's bug: 1
    },
  },
  {
    // NGF rejected the reference although the grant named GRPCRoute: a controller bug. Per spec
    // the grant admits it.
    source: "https://github.com/nginx/nginx-gateway-fabric/issues/2333",
    title: "a GRPCRoute to a Service in another namespace with a ReferenceGrant from GRPCRoutes: resolved and forwarded",
    yaml: grpcGrantWorld("GRPCRoute"),
    conditions: [{ on: "GRPCRoute front/greeter", at: "gw", type: "ResolvedRefs", status: "True", reason: "ResolvedRefs" }],
    requests: [{ request: { gateway: "front/gw", host: "rpc.test", grpc: { service: "hello.Greeter", method: "SayHi" } }, outcome: "forward", backend: "backends/greeter-v1" }],
    findings: [],
  },
  {
    source: "https://github.com/nginx/nginx-gateway-fabric/issues/2333",
    title: "the same GRPCRoute with a grant written for HTTPRoutes: RefNotPermitted, 500 (UNAVAILABLE), and lint names the grant that does not cover it",
    yaml: grpcGrantWorld("HTTPRoute"),
    conditions: [
      { on: "GRPCRoute front/greeter", at: "gw", type: "ResolvedRefs", status: "False", reason: "RefNotPermitted", message: /no ReferenceGrant in backends lets GRPCRoutes from front/ },
    ],
    requests: [{ request: { gateway: "front/gw", host: "rpc.test", grpc: { service: "hello.Greeter", method: "SayHi" } }, outcome: "error", status: 500, explain: [/RefNotPermitted/] }],
    findings: [
      { rule: "backend-ref-not-permitted", message: /let-front-in, do not match/ },
      { rule: "grant-unused", message: /lets HTTPRoutes in front .* but the references into backends are GRPCRoute front\/greeter/ },
    ],
  },
  {
    // Cilium users got an endless 301 from https to https: the redirect route had no sectionName,
    // so it sat on the HTTPS listener too.
    source: "https://github.com/cilium/cilium/issues/28796",
    title: "an http→https redirect route attached to the HTTPS listener as well: https requests redirect to themselves",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: prod, namespace: web}
spec:
  gatewayClassName: cls
  listeners:
  - {name: plain, port: 80, protocol: HTTP, hostname: "*.store.example.com"}
  - name: secure
    port: 443
    protocol: HTTPS
    hostname: "*.store.example.com"
    tls: {certificateRefs: [{name: store-cert}]}
`,
      tlsSecret("web", "store-cert"),
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-https, namespace: web}
spec:
  parentRefs: [{name: prod}]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: site, namespace: web}
spec:
  parentRefs: [{name: prod, sectionName: secure}]
  hostnames: [www.store.example.com]
  rules: [{backendRefs: [{name: site, port: 80}]}]
`,
      service("web", "site"),
    ],
    requests: [
      { request: { gateway: "web/prod", scheme: "http", host: "app.store.example.com", path: "/a" }, outcome: "redirect", location: "https://app.store.example.com/a" },
      // The loop: the redirect also answers on the HTTPS listener, with the very URL asked for.
      { request: { gateway: "web/prod", scheme: "https", host: "app.store.example.com", path: "/a" }, outcome: "redirect", location: "https://app.store.example.com/a" },
      // The site's own host is more specific on the HTTPS listener, so it is served.
      { request: { gateway: "web/prod", scheme: "https", host: "www.store.example.com", path: "/" }, outcome: "forward", backend: "web/site" },
    ],
    findings: [{ rule: "redirect-loop", message: /HTTPRoute web\/to-https, on listener secure \(HTTPS port 443\).*redirects https:\/\/\S*\.store\.example\.com\/ to itself/ }],
    explainCli: { line: "GET https://app.store.example.com/a", says: [/redirect loop/, /same URL/, /sectionName: plain/] },
  },
  {
    // Traefik's maintainers: a route without hostnames takes the listener's, so both routes are
    // equally specific and the spec's tie-break (oldest, then namespace/name) decides.
    source: "https://github.com/traefik/traefik/issues/12795",
    title: "a catch-all route (no hostnames) and a route naming the listener's hostname: a tie, the older route wins",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: demo}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP, hostname: demo.corp.test}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: catch-all, namespace: demo, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: fallback, port: 80}]}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: specific, namespace: demo, creationTimestamp: "2026-03-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [demo.corp.test]
  rules: [{backendRefs: [{name: named, port: 80}]}]
`,
      service("demo", "fallback"),
      service("demo", "named"),
    ],
    requests: [
      {
        request: { gateway: "demo/gw", host: "demo.corp.test", path: "/x" },
        outcome: "forward",
        backend: "demo/fallback",
        explain: [/beat HTTPRoute demo\/specific .*older route/],
      },
    ],
    findings: [{ rule: "conflict-by-age", message: /demo\/catch-all wins only because it is older/ }],
    explainCli: {
      line: "GET http://demo.corp.test/x",
      says: [/HTTPRoute demo\/catch-all has no hostnames, so it takes the listener's demo\.corp\.test and is as specific as HTTPRoute demo\/specific, which names the host: the tie went by age or name/],
    },
  },
  {
    // Envoy Gateway answered 500 to every request once one backendRef of a rule was invalid; the
    // spec keeps the valid share flowing and gives 500 to the invalid share only.
    source: "https://github.com/envoyproxy/gateway/issues/7483",
    title: "one backendRef of a split names a Service that does not exist: only its share answers 500",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split, namespace: shop}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs:
    - {name: stable, port: 80, weight: 3}
    - {name: canery, port: 80, weight: 1}
`,
      service("shop", "stable"),
      service("shop", "canary"),
    ],
    conditions: [
      // The typo is one letter from a Service that exists: the message says which.
      { on: "HTTPRoute shop/split", at: "gw", type: "ResolvedRefs", status: "False", reason: "BackendNotFound", message: /backendRef 1: Service shop\/canery not found.*did you mean canary/ },
    ],
    findings: [{ rule: "backend-not-found", message: /Service shop\/canery.*canary/ }],
    more: (world) => {
      const picks = Array.from({ length: 40 }, (_, index) => decide(world, { gateway: "shop/gw", host: "a.test", path: "/" }, { seed: 7, index }));
      const first = picks[0]!;
      expect(first.backends.map((b) => [b.name, b.probability, b.valid])).toEqual([
        ["stable", 0.75, true],
        ["canery", 0.25, false],
      ]);
      expect(picks.some((d) => d.outcome === "forward" && d.backend?.name === "stable")).toBe(true);
      expect(picks.some((d) => d.outcome === "error" && d.status === 500 && d.backend?.name === "canery")).toBe(true);
      expect(picks.every((d) => (d.backend?.name === "stable" ? d.outcome === "forward" : d.status === 500))).toBe(true);
    },
  },
  {
    source: "https://github.com/kgateway-dev/kgateway/issues/11998",
    title: "a backendRef to a port the Service does not have: the status says the port, not that the Service is missing",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: foo}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: foo, namespace: foo}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: foo-svc, port: 800}]}]
`,
      service("foo", "foo-svc", "[{name: http, port: 8080, targetPort: web}]"),
    ],
    conditions: [{ on: "HTTPRoute foo/foo", at: "gw", type: "ResolvedRefs", status: "False", reason: "BackendNotFound", message: /Service foo\/foo-svc has no port 800 \(ports: 8080\/http\)/ }],
    requests: [{ request: { gateway: "foo/gw", host: "a.test", path: "/" }, outcome: "error", status: 500, explain: [/has no port 800/] }],
    findings: [{ rule: "backend-port-not-found", message: /port 800 of Service foo\/foo-svc, which has ports 8080 \(http\)/ }],
  },
  {
    // The conformance suite once expected InvalidCertificateRef here; RefNotPermitted is right.
    source: "https://github.com/kubernetes-sigs/gateway-api/issues/1297",
    title: "a certificateRef to a Secret in another namespace without a ReferenceGrant: RefNotPermitted, connections refused",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  gatewayClassName: cls
  listeners:
  - name: tls
    port: 443
    protocol: HTTPS
    hostname: store.example.com
    tls: {certificateRefs: [{name: store-cert, namespace: certs}]}
`,
      tlsSecret("certs", "store-cert"),
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: edge}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: shop, port: 80}]}]
`,
      service("edge", "shop"),
    ],
    conditions: [
      { on: "Gateway edge/gw", at: "tls", type: "ResolvedRefs", status: "False", reason: "RefNotPermitted", message: /Secret certs\/store-cert is in another namespace and no ReferenceGrant in certs/ },
      { on: "Gateway edge/gw", at: "tls", type: "Programmed", status: "False", reason: "Invalid" },
    ],
    requests: [{ request: { gateway: "edge/gw", scheme: "https", host: "store.example.com", path: "/" }, outcome: "reject", explain: [/RefNotPermitted/] }],
    findings: [{ rule: "listener-not-programmed", message: /RefNotPermitted/ }],
  },
  {
    // kgateway dropped the whole listener; the spec leaves several certificates implementation-
    // specific, and gwsim serves the ones that resolve (docs/decisions.md) while saying which does not.
    source: "https://github.com/kgateway-dev/kgateway/issues/13963",
    title: "one of two certificateRefs names a missing Secret: ResolvedRefs False for that ref, the listener still serves",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: certs}
spec:
  gatewayClassName: cls
  listeners:
  - name: tls
    port: 443
    protocol: HTTPS
    tls: {certificateRefs: [{name: store-cert}, {name: other-cert}]}
`,
      tlsSecret("certs", "store-cert"),
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: certs}
spec:
  parentRefs: [{name: gw}]
  hostnames: [store.example.com]
  rules: [{backendRefs: [{name: shop, port: 80}]}]
`,
      service("certs", "shop"),
    ],
    conditions: [
      { on: "Gateway certs/gw", at: "tls", type: "ResolvedRefs", status: "False", reason: "InvalidCertificateRef", message: /certificateRefs\[1\]: Secret certs\/other-cert not found/ },
      { on: "Gateway certs/gw", at: "tls", type: "Programmed", status: "True", reason: "Programmed" },
    ],
    requests: [{ request: { gateway: "certs/gw", scheme: "https", host: "store.example.com", path: "/" }, outcome: "forward", backend: "certs/shop" }],
  },
  {
    // Same port, same hostname, one terminating and one passing TLS through: both are told apart by
    // SNI only, so no flow can be assigned to exactly one of them (gateway_types.go "Distinct
    // Listeners"): both are Conflicted, and none is picked as the winner.
    source: "https://github.com/envoyproxy/gateway/issues/8524",
    title: "an HTTPS and a TLS Passthrough listener on one port with the same hostname: both Conflicted",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: certs}
spec:
  gatewayClassName: cls
  listeners:
  - name: term
    port: 443
    protocol: HTTPS
    hostname: "*.store.example.com"
    tls: {certificateRefs: [{name: store-cert}]}
  - name: pass
    port: 443
    protocol: TLS
    hostname: "*.store.example.com"
    tls: {mode: Passthrough}
`,
      tlsSecret("certs", "store-cert"),
    ],
    conditions: [
      { on: "Gateway certs/gw", at: "term", type: "Conflicted", status: "True", reason: "ProtocolConflict", message: /cannot share the port with TLS \(Passthrough\) listener pass.*TLSRouteModeMixed.*not even then with the same hostname/ },
      { on: "Gateway certs/gw", at: "pass", type: "Conflicted", status: "True", reason: "ProtocolConflict", message: /listener term/ },
    ],
    findings: [{ rule: "listener-not-programmed" }, { rule: "listener-not-programmed" }],
    more: (world) => {
      // With different hostnames, only TLSRouteModeMixed stands between them, and the message says so alone.
      const yaml = [...CASES.find((c) => c.source.endsWith("/8524"))!.yaml];
      yaml[0] = yaml[0]!.replace(/hostname: "\*\.store\.example\.com"\n    tls: \{mode: Passthrough\}/, 'hostname: db.corp.test\n    tls: {mode: Passthrough}');
      const apart = worldOf({ source: "", title: "", yaml });
      const cond = conditionsAt(apart, { on: "Gateway certs/gw", at: "term", type: "Conflicted", status: "True", reason: "" }).find((x) => x.type === "Conflicted");
      expect(cond?.message).toMatch(/TLSRouteModeMixed, off unless enabled\)$/);
      expect(conditionsAt(world, { on: "Gateway certs/gw", at: "term", type: "", status: "True", reason: "" }).length).toBeGreaterThan(0);
    },
  },
  {
    source: "https://github.com/theepicsaxguy/homelab/pull/463",
    title: "a sectionName that names no listener (https-gateway for https): NoMatchingParent lists the listeners",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: internal, namespace: gateway}
spec:
  gatewayClassName: cls
  listeners:
  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: store-cert}]}, allowedRoutes: {namespaces: {from: All}}}
`,
      tlsSecret("gateway", "store-cert"),
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cd, namespace: tools}
spec:
  parentRefs: [{name: internal, namespace: gateway, sectionName: https-gateway}]
  hostnames: [cd.store.example.com]
  rules: [{backendRefs: [{name: cd, port: 80}]}]
`,
      service("tools", "cd"),
    ],
    conditions: [
      { on: "HTTPRoute tools/cd", at: "internal/https-gateway", type: "Accepted", status: "False", reason: "NoMatchingParent", message: /sectionName "https-gateway" matches no listener .*\(listeners: https\)/ },
    ],
    requests: [{ request: { gateway: "gateway/internal", scheme: "https", host: "cd.store.example.com", path: "/" }, outcome: "notFound", status: 404, explain: [/NoMatchingParent/] }],
    findings: [{ rule: "route-not-attached", message: /NoMatchingParent/ }],
  },
  {
    source: "https://github.com/lexfrei/cloudflare-tunnel-gateway-controller/issues/810",
    title: "PathPrefix /docs/ matches /docs and /docs/x (a trailing slash is ignored) but not /docsx",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: site}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: docs, namespace: site}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /docs/}}]
    backendRefs: [{name: docs, port: 80}]
`,
      service("site", "docs"),
    ],
    requests: [
      { request: { gateway: "site/gw", host: "a.test", path: "/docs" }, outcome: "forward", backend: "site/docs", path: "/docs" },
      { request: { gateway: "site/gw", host: "a.test", path: "/docs/intro" }, outcome: "forward", backend: "site/docs" },
      { request: { gateway: "site/gw", host: "a.test", path: "/docsx" }, outcome: "notFound", status: 404 },
    ],
  },
  {
    source: "https://github.com/vmware-tanzu/nsx-operator/pull/1427",
    title: "a route on a ListenerSet listener whose hostname it does not share: NoMatchingListenerHostname, 404",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: team}
spec:
  gatewayClassName: cls
  allowedListeners: {namespaces: {from: Same}}
  listeners: [{name: base, port: 8080, protocol: HTTP, hostname: base.corp.test}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: extra, namespace: team}
spec:
  parentRef: {name: shared, kind: Gateway, group: gateway.networking.k8s.io}
  listeners: [{name: more, port: 80, protocol: HTTP, hostname: "*.corp.test"}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bin, namespace: team}
spec:
  parentRefs: [{name: extra, kind: ListenerSet, group: gateway.networking.k8s.io, sectionName: more}]
  hostnames: [bin.corp1.test]
  rules: [{backendRefs: [{name: bin, port: 80}]}]
`,
      service("team", "bin"),
    ],
    conditions: [
      { on: "HTTPRoute team/bin", at: "extra/more", type: "Accepted", status: "False", reason: "NoMatchingListenerHostname", message: /bin\.corp1\.test match no listener hostname .*more: \*\.corp\.test/ },
    ],
    requests: [{ request: { gateway: "team/shared", host: "bin.corp1.test", path: "/" }, outcome: "notFound", status: 404, explain: [/listener hostnames: \*\.corp\.test/] }],
    findings: [{ rule: "hostname-matches-no-listener" }],
    explainCli: {
      line: "GET http://bin.corp1.test/",
      says: [/HTTPRoute team\/bin \(parentRef ListenerSet team\/extra sectionName more\) names host bin\.corp1\.test but is not attached, so it was not considered: Accepted=False \(NoMatchingListenerHostname\)/],
    },
  },
  {
    // Envoy Gateway matched the parentRef by name alone; a parentRef without namespace means the
    // route's own namespace.
    source: "https://github.com/envoyproxy/gateway/issues/3872",
    title: "two Gateways with one name in two namespaces: each route attaches to the Gateway of its own namespace",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: alpha}
spec:
  gatewayClassName: cls
  listeners: [{name: http, port: 80, protocol: HTTP, hostname: www.corp.test}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: beta}
spec:
  gatewayClassName: cls
  listeners: [{name: http, port: 80, protocol: HTTP, hostname: www.corp.test}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: alpha}
spec:
  parentRefs: [{name: eg}]
  rules: [{backendRefs: [{name: app, port: 80}]}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: beta}
spec:
  parentRefs: [{name: eg}]
  rules: [{backendRefs: [{name: app, port: 80}]}]
`,
      service("alpha", "app"),
      service("beta", "app"),
    ],
    conditions: [
      { on: "HTTPRoute alpha/app", at: "eg", type: "Accepted", status: "True", reason: "Accepted" },
      { on: "HTTPRoute beta/app", at: "eg", type: "Accepted", status: "True", reason: "Accepted" },
    ],
    requests: [
      { request: { gateway: "alpha/eg", host: "www.corp.test", path: "/" }, outcome: "forward", backend: "alpha/app" },
      { request: { gateway: "beta/eg", host: "www.corp.test", path: "/" }, outcome: "forward", backend: "beta/app" },
    ],
    findings: [],
  },
  {
    // Data planes that matched the prefix without its trailing slash sent //bar or /api/service//v.
    source: "https://github.com/envoyproxy/gateway/issues/3807",
    title: "ReplacePrefixMatch on a prefix written with a trailing slash: no double slash, in a rewrite or a redirect",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: api}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: api}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /service/}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /api/service/}}}]
    backendRefs: [{name: svc, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /old/public/}}]
    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}, port: 8443, scheme: https, statusCode: 301}}]
  - matches: [{path: {type: PathPrefix, value: /llm}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
    backendRefs: [{name: svc, port: 80}]
`,
      service("api", "svc"),
    ],
    requests: [
      { request: { gateway: "api/gw", host: "a.test", path: "/service/version" }, outcome: "forward", path: "/api/service/version" },
      // https://github.com/envoyproxy/gateway/issues/2976
      { request: { gateway: "api/gw", host: "a.test", path: "/old/public/bar" }, outcome: "redirect", status: 301, location: "https://a.test:8443/bar" },
      // https://github.com/kubernetes-sigs/wg-ai-gateway/pull/38
      { request: { gateway: "api/gw", host: "a.test", path: "/llm/v1/chat" }, outcome: "forward", path: "/v1/chat" },
      { request: { gateway: "api/gw", host: "a.test", path: "/llm" }, outcome: "forward", path: "/" },
    ],
  },
  {
    // Host matching ignores a port in the Host header (HTTPRouteSpec.hostnames).
    source: "https://github.com/istio/istio/issues/6773",
    title: "a Host header that carries the port still matches the route's hostname",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: bin}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bin, namespace: bin}
spec:
  parentRefs: [{name: gw}]
  hostnames: [bin.corp.test]
  rules: [{backendRefs: [{name: bin, port: 80}]}]
`,
      service("bin", "bin"),
    ],
    requests: [
      { request: { gateway: "bin/gw", host: "bin.corp.test:80", path: "/status/200" }, outcome: "forward", backend: "bin/bin" },
      { request: { gateway: "bin/gw", host: "bin.corp.test", path: "/status/200" }, outcome: "forward", backend: "bin/bin" },
    ],
  },
  {
    // Listener isolation: the more specific listener on the port takes the host, so the route on
    // the catch-all listener never sees its requests (conformance GatewayHTTPListenerIsolation).
    source: "https://github.com/kubernetes-sigs/gateway-api/issues/2416",
    title: "a route on the catch-all listener for a host a wildcard listener on the same port also takes: 404 there",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: iso}
spec:
  gatewayClassName: cls
  listeners:
  - {name: any, port: 80, protocol: HTTP}
  - {name: wild, port: 80, protocol: HTTP, hostname: "*.example.com"}
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: first, namespace: iso}
spec:
  parentRefs: [{name: gw, sectionName: any}]
  hostnames: [a.b.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /one}}]
    backendRefs: [{name: one, port: 80}]
`,
      service("iso", "one"),
    ],
    conditions: [{ on: "HTTPRoute iso/first", at: "gw/any", type: "Accepted", status: "True", reason: "Accepted" }],
    requests: [
      {
        request: { gateway: "iso/gw", host: "a.b.example.com", path: "/one" },
        outcome: "notFound",
        status: 404,
        explain: [/listener iso\/gw\/wild .* accepts host a\.b\.example\.com: the most specific of 2 HTTP listeners/, /no HTTPRoute is attached to listener iso\/gw\/wild/],
      },
      { request: { gateway: "iso/gw", host: "other.test", path: "/one" }, outcome: "notFound", status: 404 },
    ],
    findings: [{ rule: "hostname-taken-by-other-listener", message: /requests for a\.b\.example\.com on port 80 go to listener wild .* they never reach it/ }],
    explainCli: {
      line: "GET http://a.b.example.com/one",
      says: [/HTTPRoute iso\/first serves host a\.b\.example\.com on listener any \(hostname any\) of this port, but the more specific listener wild .* attach it to wild too/],
    },
    more: (world) => {
      // Nothing to say for a host the wildcard listener does not take, or a host no route names.
      for (const host of ["other.test", "c.example.com"]) {
        const request = { gateway: "iso/gw", scheme: "http", host, path: "/one" } as const;
        expect(isolationNotes(world, request, decide(world, request))).toEqual([]);
      }
    },
  },
  {
    // A Gateway without spec.allowedListeners admits no ListenerSet (default None).
    source: "https://github.com/lexfrei/cloudflare-tunnel-gateway-controller/issues/821",
    title: "a ListenerSet on a Gateway that does not set allowedListeners: NotAllowed, and its routes attach nowhere",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: infra}
spec:
  gatewayClassName: cls
  listeners: [{name: base, port: 80, protocol: HTTP, hostname: base.corp.test}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: team-ls, namespace: infra}
spec:
  parentRef: {name: shared, kind: Gateway, group: gateway.networking.k8s.io}
  listeners: [{name: team, port: 80, protocol: HTTP, hostname: team.corp.test}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: infra}
spec:
  parentRefs: [{name: team-ls, kind: ListenerSet, group: gateway.networking.k8s.io}]
  rules: [{backendRefs: [{name: app, port: 80}]}]
`,
      service("infra", "app"),
    ],
    conditions: [
      { on: "ListenerSet infra/team-ls", type: "Accepted", status: "False", reason: "NotAllowed", message: /does not allow ListenerSets \(set spec\.allowedListeners\.namespaces\.from/ },
      { on: "HTTPRoute infra/app", at: "team-ls", type: "Accepted", status: "False", reason: "NoMatchingParent", message: /ListenerSet infra\/team-ls is not attached to a Gateway/ },
    ],
    requests: [{ request: { gateway: "infra/shared", host: "team.corp.test", path: "/" }, outcome: "notFound", status: 404 }],
    findings: [{ rule: "route-not-attached", message: /allowedListeners/ }],
    explainCli: {
      line: "GET http://team.corp.test/",
      says: [/404/, /ListenerSet infra\/team-ls has listener team \(port 80, hostname team\.corp\.test\) for this request, but it is not accepted: Accepted=False \(NotAllowed\): Gateway infra\/shared does not allow ListenerSets/],
    },
    more: (world) => {
      // Another host, or another port: the ListenerSet's listener would not have taken it either.
      for (const request of [
        { gateway: "infra/shared", scheme: "http", host: "base.corp.test", path: "/" },
        { gateway: "infra/shared", scheme: "http", port: 8080, host: "team.corp.test", path: "/" },
      ] as const) {
        expect(unattachedListenerSetNotes(world, request, decide(world, request))).toEqual([]);
      }
    },
  },
  {
    // Regex precedence is implementation-specific; gwsim ranks a RegularExpression path above every
    // PathPrefix (docs/decisions.md), so a catch-all / does not swallow it, and explain says why.
    source: "https://github.com/haproxytech/haproxy-unified-gateway/issues/16",
    title: "a PathPrefix / default rule next to a RegularExpression rule: the regex rule still gets its requests",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: hello}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: hello, namespace: hello}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: fallback, port: 80}]
  - matches: [{path: {type: RegularExpression, value: "/api/v[0-9]+/.*"}}]
    backendRefs: [{name: api, port: 80}]
`,
      service("hello", "fallback"),
      service("hello", "api"),
    ],
    requests: [
      { request: { gateway: "hello/gw", host: "a.test", path: "/api/v1/users" }, outcome: "forward", backend: "hello/api", explain: [/RegularExpression path \/api\/v\[0-9\]\+\/\.\* ranks above PathPrefix path \//] },
      { request: { gateway: "hello/gw", host: "a.test", path: "/api/vx/users" }, outcome: "forward", backend: "hello/fallback" },
    ],
    findings: [],
  },
  {
    // Istio let a handshake for a name outside the listener's hostname through a broader TLSRoute;
    // the listener hostname bounds what any route on it can take.
    source: "https://github.com/istio/istio/issues/59229",
    title: "a TLSRoute for *.com on a *.example.com passthrough listener: SNI outside the listener's hostname is refused",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: tls}
spec:
  gatewayClassName: cls
  listeners:
  - {name: pass, port: 443, protocol: TLS, hostname: "*.example.com", tls: {mode: Passthrough}, allowedRoutes: {kinds: [{kind: TLSRoute}]}}
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: narrow, namespace: tls}
spec:
  parentRefs: [{name: gw}]
  hostnames: [abc.example.com]
  rules: [{backendRefs: [{name: one, port: 443}]}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: broad, namespace: tls}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["*.com"]
  rules: [{backendRefs: [{name: two, port: 443}]}]
`,
      service("tls", "one", "[{port: 443}]"),
      service("tls", "two", "[{port: 443}]"),
    ],
    conditions: [{ on: "TLSRoute tls/broad", at: "gw", type: "Accepted", status: "True", reason: "Accepted" }],
    requests: [
      { request: { gateway: "tls/gw", scheme: "tls", port: 443, host: "abc.example.com" }, outcome: "forward", backend: "tls/one" },
      { request: { gateway: "tls/gw", scheme: "tls", port: 443, host: "x.example.com" }, outcome: "forward", backend: "tls/two", explain: [/selects TLSRoute hostname \*\.example\.com/] },
      { request: { gateway: "tls/gw", scheme: "tls", port: 443, host: "non.matching.com" }, outcome: "reject", explain: [/no TLS listener on port 443 of tls\/gw accepts SNI non\.matching\.com/] },
    ],
    findings: [],
  },
  {
    // The API (GRPCRoute spec.hostnames, v1.6) still says MUST accept exactly one of the two; the
    // site guide now says "may", and Istio, Envoy Gateway and kgateway serve both. gwsim follows the API.
    source: "https://github.com/istio/istio/issues/57172",
    title: "an HTTPRoute and a GRPCRoute for one hostname on one listener: the newer GRPCRoute is not accepted, its calls go to the HTTPRoute",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: svc}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rest, namespace: svc, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [api.corp.test]
  rules: [{backendRefs: [{name: rest, port: 8080}]}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc, namespace: svc, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [api.corp.test]
  rules: [{backendRefs: [{name: rpc, port: 9090}]}]
`,
      service("svc", "rest", "[{port: 8080}]"),
      service("svc", "rpc", "[{port: 9090, appProtocol: kubernetes.io/h2c}]"),
    ],
    conditions: [
      { on: "GRPCRoute svc/rpc", at: "gw", type: "Accepted", status: "False", reason: "NotAllowedByListeners", message: /already serves HTTPRoute svc\/rest on an overlapping hostname/ },
      { on: "HTTPRoute svc/rest", at: "gw", type: "Accepted", status: "True", reason: "Accepted" },
    ],
    requests: [{ request: { gateway: "svc/gw", host: "api.corp.test", grpc: { service: "pkg.Orders", method: "Get" } }, outcome: "forward", backend: "svc/rest" }],
    findings: [{ rule: "route-not-attached", message: /GEP-1016/ }],
    explainCli: {
      line: "http://api.corp.test/",
      args: ["--grpc", "pkg.Orders/Get"],
      says: [/via HTTPRoute svc\/rest/, /GRPCRoute svc\/rpc \(parentRef Gateway svc\/gw\) names host api\.corp\.test but is not attached, so it was not considered: Accepted=False \(NotAllowedByListeners\)/],
    },
    more: (world) => {
      // A plain HTTP request is the HTTPRoute's anyway: the GRPCRoute is not mentioned.
      const request = { gateway: "svc/gw", host: "api.corp.test", path: "/orders" } as const;
      expect(passedOverRouteNotes(world, request, decide(world, request))).toEqual([]);
    },
  },
  {
    // Envoy Gateway set the ListenerSet and its HTTPS listener Accepted=False for a certificate not
    // yet issued, so cert-manager's HTTP-01 solver route could not attach: a deadlock. A missing
    // certificate is ResolvedRefs=False only; the listener is Accepted, just not Programmed, and
    // the ListenerSet's HTTP listener serves the challenge (fixed in envoyproxy/gateway#8871).
    source: "https://github.com/envoyproxy/gateway/issues/9012",
    title: "a ListenerSet whose HTTPS certificate does not exist yet: its HTTP listener still serves the ACME challenge",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: infra}
spec:
  gatewayClassName: cls
  allowedListeners: {namespaces: {from: All}}
  listeners: [{name: base, port: 80, protocol: HTTP, hostname: base.corp.test}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: shop, namespace: shop}
spec:
  parentRef: {name: shared, namespace: infra, kind: Gateway, group: gateway.networking.k8s.io}
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: shop.corp.test}
  - {name: https, port: 443, protocol: HTTPS, hostname: shop.corp.test, tls: {certificateRefs: [{name: shop-tls}]}}
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: acme-solver, namespace: shop}
spec:
  parentRefs: [{name: shop, kind: ListenerSet, group: gateway.networking.k8s.io, sectionName: http}]
  hostnames: [shop.corp.test]
  rules:
  - matches: [{path: {type: Exact, value: /.well-known/acme-challenge/tok}}]
    backendRefs: [{name: solver, port: 8089}]
`,
      service("shop", "solver", "[{port: 8089}]"),
    ],
    conditions: [
      { on: "ListenerSet shop/shop", type: "Accepted", status: "True", reason: "ListenersNotValid", message: /https \(no usable TLS certificate\)/ },
      { on: "ListenerSet shop/shop", at: "https", type: "Accepted", status: "True", reason: "Accepted" },
      { on: "ListenerSet shop/shop", at: "https", type: "ResolvedRefs", status: "False", reason: "InvalidCertificateRef", message: /Secret shop\/shop-tls not found/ },
      { on: "ListenerSet shop/shop", at: "https", type: "Programmed", status: "False", reason: "Invalid" },
      { on: "HTTPRoute shop/acme-solver", at: "shop/http", type: "Accepted", status: "True", reason: "Accepted" },
    ],
    requests: [
      { request: { gateway: "infra/shared", host: "shop.corp.test", path: "/.well-known/acme-challenge/tok" }, outcome: "forward", backend: "shop/solver" },
      { request: { gateway: "infra/shared", scheme: "https", host: "shop.corp.test", path: "/" }, outcome: "reject", explain: [/InvalidCertificateRef/] },
    ],
  },
  {
    // Weights do not add up across routes: identical matches in two routes are a conflict, and the
    // older route takes every request (HTTPRouteRule precedence).
    source: "https://github.com/kubernetes-sigs/gateway-api/issues/573",
    title: "two HTTPRoutes for one hostname, weight 3 in one and 7 in the other: no 30/70 split, the older route takes all",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: split}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: part-1, namespace: split, creationTimestamp: "2026-05-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [split.corp.test]
  rules: [{backendRefs: [{name: svc1, port: 8080, weight: 3}]}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: part-2, namespace: split, creationTimestamp: "2026-05-02T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [split.corp.test]
  rules: [{backendRefs: [{name: svc2, port: 8080, weight: 7}]}]
`,
      service("split", "svc1", "[{port: 8080}]"),
      service("split", "svc2", "[{port: 8080}]"),
    ],
    requests: [
      {
        request: { gateway: "split/gw", host: "split.corp.test", path: "/" },
        outcome: "forward",
        backend: "split/svc1",
        explain: [/beat HTTPRoute split\/part-2 rule 0 match 0: older route/, /weight 3 of 3, probability 1/],
      },
    ],
    findings: [{ rule: "conflict-by-age", message: /split\/part-1 wins only because it is older/ }],
    more: (world) => {
      const d = decide(world, { gateway: "split/gw", host: "split.corp.test", path: "/" }, { seed: 1, index: 0, explain: true });
      expect(d.backends.map((b) => [b.name, b.probability])).toEqual([["svc1", 1]]);
      // Both routes name the host: no note about an inherited hostname.
      expect(inheritedHostnameNotes(world, d)).toEqual([]);
    },
  },
  {
    // The spec says implementations SHOULD NOT forward to ExternalName Services (CVE-2021-25740);
    // Envoy Gateway's maintainers: "there should be a status highlighting that ExternalName is not
    // supported", and the ways to reach an outside host.
    source: "https://github.com/envoyproxy/gateway/issues/5617",
    title: "a backendRef to an ExternalName Service: InvalidKind, 500, and the message says how to reach the outside host",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ext}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: outside, namespace: ext}
spec:
  parentRefs: [{name: gw}]
  hostnames: [unifi.corp.test]
  rules: [{backendRefs: [{name: unifi-proxy, port: 443}]}]
`,
      `apiVersion: v1
kind: Service
metadata: {name: unifi-proxy, namespace: ext}
spec: {type: ExternalName, externalName: unifi.lan.test, ports: [{port: 443}]}
`,
    ],
    conditions: [
      {
        on: "HTTPRoute ext/outside",
        at: "gw",
        type: "ResolvedRefs",
        status: "False",
        reason: "InvalidKind",
        message: /Service ext\/unifi-proxy is of type ExternalName, .* to reach unifi\.lan\.test an XBackend .*ExternalHostname.* or a Service without a selector and its own EndpointSlice/,
      },
    ],
    requests: [{ request: { gateway: "ext/gw", host: "unifi.corp.test", path: "/" }, outcome: "error", status: 500, explain: [/InvalidKind/] }],
  },
  {
    // Cilium left the route unaccepted although its namespace carried the selector's label (a
    // controller bug). Per spec it attaches; without the Namespace object in the manifests gwsim
    // cannot know the labels, and says so.
    source: "https://github.com/cilium/cilium/issues/28186",
    title: "allowedRoutes from: Selector and a namespace with the label: accepted; without the Namespace object: a hint",
    yaml: selectorWorld(true),
    conditions: [{ on: "HTTPRoute team-a/app", at: "gw", type: "Accepted", status: "True", reason: "Accepted" }],
    requests: [{ request: { gateway: "infra/gw", host: "app.corp.test", path: "/" }, outcome: "forward", backend: "team-a/app" }],
    findings: [],
    more: () => {
      const bare = worldOf({ source: "", title: "", yaml: selectorWorld(false) });
      const cond = conditionsAt(bare, { on: "HTTPRoute team-a/app", at: "gw", type: "Accepted", status: "False", reason: "" }).find((x) => x.type === "Accepted");
      expect(cond).toMatchObject({ status: "False", reason: "NotAllowedByListeners" });
      expect(cond?.message).toMatch(/namespace team-a does not match its allowedRoutes selector \(shared-gateway-access=true\)/);
    },
  },
  {
    source: "https://github.com/cilium/cilium/issues/28186",
    title: "the same route when the manifests leave the Namespace out: status says which labels gwsim gave it",
    yaml: selectorWorld(false),
    conditions: [{ on: "HTTPRoute team-a/app", at: "gw", type: "Accepted", status: "False", reason: "NotAllowedByListeners" }],
    statusCli: [/hint: the manifests have no Namespace team-a: gwsim gives it only the label the API server adds, kubernetes\.io\/metadata\.name=team-a/],
  },
  {
    // The guide's redirect example left out the HTTPS side; users attached their site route to the
    // HTTP listener (next to the redirect), so the redirect led to a 404.
    source: "https://github.com/kubernetes-sigs/gateway-api/issues/2622",
    title: "an http → https redirect whose site route is attached to the HTTP listener only: the https URL answers 404",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: prod, namespace: web}
spec:
  gatewayClassName: cls
  listeners:
  - {name: plain, port: 80, protocol: HTTP}
  - {name: secure, port: 443, protocol: HTTPS, hostname: "*.store.example.com", tls: {certificateRefs: [{name: store-cert}]}}
`,
      tlsSecret("web", "store-cert"),
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-https, namespace: web}
spec:
  parentRefs: [{name: prod, sectionName: plain}]
  hostnames: [www.store.example.com]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: site, namespace: web}
spec:
  parentRefs: [{name: prod, sectionName: plain}]
  hostnames: [www.store.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /shop}}]
    backendRefs: [{name: site, port: 80}]
`,
      service("web", "site"),
    ],
    requests: [
      // On http the site's longer path wins over the redirect's /: served in cleartext.
      { request: { gateway: "web/prod", scheme: "http", host: "www.store.example.com", path: "/shop" }, outcome: "forward", backend: "web/site" },
      { request: { gateway: "web/prod", scheme: "http", host: "www.store.example.com", path: "/" }, outcome: "redirect", location: "https://www.store.example.com/" },
      { request: { gateway: "web/prod", scheme: "https", host: "www.store.example.com", path: "/shop" }, outcome: "notFound", status: 404 },
    ],
    findings: [{ rule: "redirect-not-served", message: /HTTPRoute web\/to-https, on listener plain .*redirects http:\/\/www\.store\.example\.com\/ to https:\/\/www\.store\.example\.com\/, and the Gateway answers 404 on listener secure/ }],
    explainCli: {
      line: "GET http://www.store.example.com/",
      says: [/301 https:\/\/www\.store\.example\.com\//, /following the redirect: https:\/\/www\.store\.example\.com\/ is answered 404 by this Gateway \(listener secure\): .*no HTTPRoute is attached to listener web\/prod\/secure/],
    },
  },
  {
    // Kuma set RefNotPermitted on a mesh consumer route's cross-namespace backendRef; GEP-1294:
    // mesh routes augment Services rather than expose them, so they need no ReferenceGrant.
    source: "https://github.com/kumahq/kuma/issues/7764",
    title: "a GAMMA consumer route sending to a Service in another namespace without a ReferenceGrant: resolved, and only its namespace's callers use it",
    yaml: [
      service("books", "reviews", "[{name: http, port: 9080}]").replace("spec: {", "spec: {clusterIP: 10.96.0.20, "),
      service("books", "reviews-v2", "[{name: http, port: 9080}]"),
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews-canary, namespace: shoppers}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews, namespace: books, port: 9080}]
  rules:
  - backendRefs: [{name: reviews-v2, namespace: books, port: 9080}]
`,
    ],
    conditions: [
      { on: "HTTPRoute shoppers/reviews-canary", at: "reviews", type: "Accepted", status: "True", reason: "Accepted" },
      { on: "HTTPRoute shoppers/reviews-canary", at: "reviews", type: "ResolvedRefs", status: "True", reason: "ResolvedRefs" },
    ],
    requests: [
      { request: { service: "books/reviews", from: "shoppers", port: 9080, path: "/r" }, outcome: "forward", backend: "books/reviews-v2", explain: [/consumer routes of namespace shoppers apply/] },
      { request: { service: "books/reviews", from: "elsewhere", port: 9080, path: "/r" }, outcome: "forward", backend: "books/reviews", explain: [/no mesh route is bound to Service books\/reviews port 9080 for callers in elsewhere/] },
    ],
    findings: [],
  },
  {
    // A chart rendered parentRefs without namespace, so the route looked for the Gateway in its
    // own namespace: NoMatchingParent, and 404 on the Gateway it was meant for.
    source: "https://github.com/authelia/chartrepo/issues/376",
    title: "a parentRef without namespace to a Gateway in another namespace: not found where it looks, and every message says where it is",
    yaml: [
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ingress}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: auth, namespace: sso}
spec:
  parentRefs: [{name: edge}]
  hostnames: [auth.corp.test]
  rules: [{backendRefs: [{name: auth, port: 80}]}]
`,
      service("sso", "auth"),
    ],
    conditions: [
      {
        on: "HTTPRoute sso/auth",
        at: "edge",
        type: "Accepted",
        status: "False",
        reason: "NoMatchingParent",
        message: /Gateway sso\/edge not found \(a parentRef without namespace means the route's own, sso; Gateway edge is in namespace ingress: set namespace: ingress\)/,
      },
    ],
    requests: [{ request: { gateway: "ingress/edge", host: "auth.corp.test", path: "/" }, outcome: "notFound", status: 404 }],
    findings: [{ rule: "route-not-attached", message: /set namespace: ingress/ }],
    explainCli: {
      line: "GET http://auth.corp.test/",
      says: [/404/, /HTTPRoute sso\/auth \(parentRef Gateway sso\/edge\) names host auth\.corp\.test but is not attached to ingress\/edge or anywhere, so it was not considered: Accepted=False \(NoMatchingParent\)/],
    },
    more: (world) => {
      const f = lint(world).find((x) => x.rule === "route-not-attached");
      expect(f).toMatchObject({ severity: "error", fix: "set the parentRef's namespace: ingress (without one it means the route's own namespace, sso)" });
      // A typo in the name, namespace given: the nearest name there.
      const typo = worldOf({ source: "", title: "", yaml: CASES.find((c) => c.source.endsWith("/376"))!.yaml.map((doc) => doc.replace("parentRefs: [{name: edge}]", "parentRefs: [{name: egde, namespace: ingress}]")) });
      const cond = conditionsAt(typo, { on: "HTTPRoute sso/auth", at: "egde", type: "", status: "False", reason: "" }).find((x) => x.type === "Accepted");
      expect(cond?.message).toBe("Gateway ingress/egde not found (did you mean edge?)");
      expect(lint(typo).find((x) => x.rule === "route-not-attached")).toMatchObject({ severity: "error", fix: "set the parentRef's name: edge" });
    },
  },
];

function selectorWorld(withNamespace: boolean): string[] {
  return [
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: cls
  listeners:
  - name: web
    port: 80
    protocol: HTTP
    allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {shared-gateway-access: "true"}}}}
`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: team-a}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules: [{backendRefs: [{name: app, port: 80}]}]
`,
    service("team-a", "app"),
    ...(withNamespace ? [`apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {shared-gateway-access: "true"}}\n`] : []),
  ];
}

function grpcGrantWorld(grantFromKind: string): string[] {
  return [
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: front}
spec:
  gatewayClassName: cls
  listeners: [{name: h, port: 80, protocol: HTTP}]
`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: greeter, namespace: front}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{method: {service: hello.Greeter, method: SayHi}}]
    backendRefs: [{name: greeter-v1, namespace: backends, port: 9000}]
`,
    service("backends", "greeter-v1", "[{port: 9000, appProtocol: kubernetes.io/h2c}]"),
    `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: let-front-in, namespace: backends}
spec:
  from: [{group: gateway.networking.k8s.io, kind: ${grantFromKind}, namespace: front}]
  to: [{group: "", kind: Service}]
`,
  ];
}

function worldOf(c: Case): World {
  const parsed = parseManifests(c.yaml.join("---\n"), { file: "report.yaml" });
  expect(parsed.diagnostics).toEqual([]);
  const world = buildWorld(parsed.objects, { controllerName: undefined });
  expect(world.diagnostics).toEqual([]);
  return world;
}

type Item = { kind: string; metadata: { namespace?: string; name: string }; status: Record<string, unknown> };
type Condition = { type: string; status: string; reason: string; message: string };

function item(world: World, on: string): Item {
  const [kind, nn] = on.split(" ");
  const found = (statusOf(world).items as Item[]).find((i) => i.kind === kind && `${i.metadata.namespace}/${i.metadata.name}` === nn);
  expect(found, on).toBeDefined();
  return found!;
}

function conditionsAt(world: World, want: ConditionWant): Condition[] {
  const it = item(world, want.on);
  if (it.kind === "Gateway" || it.kind === "ListenerSet") {
    if (want.at === undefined) return it.status.conditions as Condition[];
    const listener = (it.status.listeners as { name: string; conditions: Condition[] }[]).find((l) => l.name === want.at);
    expect(listener, `${want.on} listener ${want.at}`).toBeDefined();
    return listener!.conditions;
  }
  const [name, section] = (want.at ?? "").split("/");
  const parent = (it.status.parents as { parentRef: { name: string; sectionName?: string }; conditions: Condition[] }[]).find(
    (p) => p.parentRef.name === name && (section === undefined || p.parentRef.sectionName === section),
  );
  expect(parent, `${want.on} parent ${want.at}`).toBeDefined();
  return parent!.conditions;
}

describe.each(CASES)("$title", (c) => {
  const world = worldOf(c);

  it.each(c.conditions ?? [])(`status: $on $at $type=$status ($reason) [${c.source}]`, (want) => {
    const cond = conditionsAt(world, want).find((x) => x.type === want.type);
    expect(cond, want.type).toBeDefined();
    expect({ status: cond!.status, reason: cond!.reason }).toEqual({ status: want.status, reason: want.reason });
    if (want.message) expect(cond!.message).toMatch(want.message);
  });

  it.each((c.requests ?? []).map((r, i) => ({ ...r, i })))(`request $i → $outcome [${c.source}]`, (want) => {
    const d = decide(world, want.request, { seed: 1, index: 0, explain: true });
    expect(d.outcome).toBe(want.outcome);
    if (want.status !== undefined) expect(d.status).toBe(want.status);
    if (want.backend !== undefined) expect(`${d.backend?.namespace}/${d.backend?.name}`).toBe(want.backend);
    if (want.path !== undefined) expect(d.forwarded?.path).toBe(want.path);
    if (want.location !== undefined) expect(d.redirect?.location).toBe(want.location);
    const text = (d.explain ?? []).join("\n");
    for (const pattern of want.explain ?? []) expect(text).toMatch(pattern);
  });

  if (c.findings) {
    it(`lint reports ${c.findings.map((f) => f.rule).join(", ") || "nothing"} [${c.source}]`, () => {
      const findings = lint(world);
      expect(findings.map((f) => f.rule).sort()).toEqual(c.findings!.map((f) => f.rule).sort());
      for (const want of c.findings!) {
        if (!want.message) continue;
        expect(
          findings.filter((f) => f.rule === want.rule).map((f) => f.message),
          want.rule,
        ).toContainEqual(expect.stringMatching(want.message));
      }
    });
  }

  if (c.explainCli) {
    const { line, args, says } = c.explainCli;
    it(`gwsim explain ${line} names the cause [${c.source}]`, async () => {
      const { code, stdout } = await runCli(["explain", "-f", "-", ...(args ?? []), line], { stdin: c.yaml.join("---\n") });
      expect(code).toBe(0);
      const flat = stdout.replace(/\n\s+/g, " ");
      for (const pattern of says) expect(flat).toMatch(pattern);
    });
  }

  if (c.statusCli) {
    it(`gwsim status names the cause [${c.source}]`, async () => {
      const { stdout } = await runCli(["status", "-f", "-"], { stdin: c.yaml.join("---\n") });
      const flat = stdout.replace(/\n\s+/g, " ");
      for (const pattern of c.statusCli!) expect(flat).toMatch(pattern);
    });
  }

  if (c.more) it(`more [${c.source}]`, () => c.more!(world));
});
