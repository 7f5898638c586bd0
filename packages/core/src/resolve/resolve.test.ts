/**
 * Graph-level behaviour of resolve: what compile reads (listeners, attachments, rules, backends,
 * filters, mesh attachments, policies). Status conditions are covered by test/scenarios/status.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifests } from "../manifest/parse.js";
import type { Resource } from "../schema/index.js";
import { validateObjects } from "../schema/index.js";
import type { GRPCRouteMatch, HTTPRouteMatch, StatusItem } from "./graph.js";
import { resolve, statusList } from "./index.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../../../test/fixtures/tls", name), "utf8");
const b64 = (text: string) => Buffer.from(text).toString("base64");

/** Manifests through parse and validation, as buildWorld does. */
function world(yaml: string, options: { controllerName?: string } = {}) {
  const parsed = parseManifests(yaml, { file: "t.yaml" });
  const { resources, diagnostics } = validateObjects(parsed.objects);
  expect([...parsed.diagnostics, ...diagnostics].filter((d) => d.severity === "error")).toEqual([]);
  return resolve(resources, options);
}

/** Objects straight to resolve, skipping validation: shapes validation would reject or leave undefaulted. */
const raw = (objects: object[]) => resolve(objects as unknown as Resource[]);

const CLASS = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gwsim}
spec: {controllerName: gwsim.dev/simulator}
`;
const SECRET = `
apiVersion: v1
kind: Secret
metadata: {name: site, namespace: edge}
type: kubernetes.io/tls
data:
  tls.crt: ${b64(fixture("rsa.crt"))}
  tls.key: ${b64(fixture("rsa.key"))}
`;
const SVC = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: edge}
spec:
  clusterIP: 10.96.0.10
  ports:
  - {name: http, port: 8080, targetPort: 3000, appProtocol: kubernetes.io/h2c}
  - {name: plain, port: 80}
`;

function parentConditions(item: StatusItem | undefined, i = 0) {
  return ((item?.status as { parents: { conditions: { type: string; status: string; reason: string; message: string }[] }[] }).parents[i] ?? { conditions: [] })
    .conditions;
}

describe("listeners", () => {
  const g = world(
    [
      CLASS,
      SECRET,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  gatewayClassName: gwsim
  allowedListeners: {namespaces: {from: Same}}
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: "*.example.com"}
  - name: https
    port: 443
    protocol: HTTPS
    tls: {certificateRefs: [{name: site}], options: {vendor.example.com/min-tls: "1.3"}}
  - {name: raw, port: 9000, protocol: TCP}
`,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: extra, namespace: edge}
spec:
  parentRef: {name: gw}
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: extra.example.org}
`,
    ].join("\n---\n"),
  );

  it("merges the Gateway's listeners with its ListenerSets' in precedence order, with stable ids", () => {
    expect(g.listeners.map((l) => l.id)).toEqual([
      "gateway/edge/gw/listener/http",
      "gateway/edge/gw/listener/https",
      "gateway/edge/gw/listener/raw",
      "listenerset/edge/extra/listener/http",
    ]);
    expect(g.listeners[3]).toMatchObject({ gateway: { namespace: "edge", name: "gw" }, listenerSet: { namespace: "edge", name: "extra" }, ready: true });
    expect(g.gateways?.[0]).toMatchObject({ name: "gw", accepted: true, programmed: true, listenerSets: [{ namespace: "edge", name: "extra" }] });
  });

  it("fills TLS with the certificate PEMs and names", () => {
    const [http, https, raw] = g.listeners;
    expect(http).toMatchObject({ hostname: "*.example.com", tls: null, supportedKinds: [{ kind: "HTTPRoute" }, { kind: "GRPCRoute" }] });
    expect(https?.tls).toMatchObject({ mode: "Terminate", frontendValidation: null, options: { "vendor.example.com/min-tls": "1.3" } });
    expect(https?.tls?.certificates).toEqual([
      {
        namespace: "edge",
        name: "site",
        certPem: fixture("rsa.crt"),
        keyPem: fixture("rsa.key"),
        dnsNames: ["www.example.com", "*.example.com"],
        valid: true,
        reason: null,
      },
    ]);
    expect(raw).toMatchObject({ protocol: "TCP", hostname: null, supportedKinds: [{ group: "gateway.networking.k8s.io", kind: "TCPRoute" }] });
  });

  it("is deeply frozen and does not freeze the caller's objects", () => {
    const input = parseManifests(`${CLASS}\n---\n${SVC}`, { file: "t.yaml" }).objects;
    const { resources } = validateObjects(input);
    const graph = resolve(resources);
    expect(Object.isFrozen(graph.services[0]?.ports)).toBe(true);
    expect(Object.isFrozen((resources[1] as { spec: object }).spec)).toBe(false);
  });
});

describe("routes and attachments", () => {
  const g = world(
    [
      CLASS,
      SVC,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  gatewayClassName: gwsim
  listeners:
  - {name: wild, port: 80, protocol: HTTP, hostname: "*.example.com"}
  - {name: any, port: 8080, protocol: HTTP}
`,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: edge, creationTimestamp: "2026-01-01T00:00:00Z", generation: 3}
spec:
  hostnames: [shop.example.com, shop.example.org]
  parentRefs: [{name: gw}]
  rules:
  - name: main
    matches: [{headers: [{name: x-a, value: "1"}]}, {path: {value: /api}}]
    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: missing, port: 80}, percent: 10}
    backendRefs:
    - name: web
      port: 8080
      filters:
      - type: RequestHeaderModifier
        requestHeaderModifier: {set: [{name: x-b, value: "2"}]}
    - {name: web, port: 80, weight: 3}
    - {name: gone, port: 80}
  - filters:
    - type: ExtensionRef
      extensionRef: {group: example.com, kind: Magic, name: m}
`,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc, namespace: edge}
spec:
  hostnames: [rpc.example.com]
  parentRefs: [{name: gw, sectionName: wild}]
  rules:
  - backendRefs: [{name: web, port: 8080}]
`,
    ].join("\n---\n"),
  );

  it("lists routes by kind, then namespace/name, with hostnames and age", () => {
    expect(g.routes.map((r) => `${r.kind}/${r.name}`)).toEqual(["HTTPRoute/shop", "GRPCRoute/rpc"]);
    expect(g.routes[0]).toMatchObject({ hostnames: ["shop.example.com", "shop.example.org"], creationTimestamp: "2026-01-01T00:00:00Z", generation: 3 });
    expect(g.routes[1]?.creationTimestamp).toBeNull();
  });

  it("fills Attachment.hostnames with the intersection per listener", () => {
    const shop = g.attachments.filter((a) => a.route === 0);
    expect(shop).toEqual([
      { route: 0, listener: "gateway/edge/gw/listener/wild", parentRefIndex: 0, hostnames: ["shop.example.com"] },
      { route: 0, listener: "gateway/edge/gw/listener/any", parentRefIndex: 0, hostnames: ["shop.example.com", "shop.example.org"] },
    ]);
    expect(g.attachments.filter((a) => a.route === 1)).toEqual([{ route: 1, listener: "gateway/edge/gw/listener/wild", parentRefIndex: 0, hostnames: ["rpc.example.com"] }]);
  });

  it("defaults matches: a match without path gets PathPrefix /; a GRPCRoute without matches matches everything", () => {
    const rule = g.routes[0]?.rules[0];
    expect(rule?.name).toBe("main");
    expect(rule?.matches as HTTPRouteMatch[]).toEqual([
      { path: { type: "PathPrefix", value: "/" }, headers: [{ type: "Exact", name: "x-a", value: "1" }], queryParams: [], method: null },
      { path: { type: "PathPrefix", value: "/api" }, headers: [], queryParams: [], method: null },
    ]);
    expect(g.routes[0]?.rules[1]?.matches).toEqual([{ path: { type: "PathPrefix", value: "/" }, headers: [], queryParams: [], method: null }]);
    expect(g.routes[1]?.rules[0]?.matches as GRPCRouteMatch[]).toEqual([{ method: null, headers: [] }]);
  });

  it("resolves backends: weight, validity, reason, appProtocol and backendRef filters", () => {
    const [a, b, c] = g.routes[0]?.rules[0]?.backends ?? [];
    expect(a).toMatchObject({ group: "", kind: "Service", namespace: "edge", name: "web", port: 8080, weight: 1, valid: true, reason: null, appProtocol: "kubernetes.io/h2c" });
    expect(a?.filters).toEqual([{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-b", value: "2" }], add: [], remove: [] } }]);
    expect(b).toMatchObject({ port: 80, weight: 3, valid: true, appProtocol: null });
    expect(c).toMatchObject({ name: "gone", valid: false, reason: "BackendNotFound", message: expect.stringContaining("Service edge/gone not found") });
  });

  it("keeps a mirror with an invalid backend, and marks an extension filter invalid (500)", () => {
    const mirror = g.routes[0]?.rules[0]?.filters[0];
    expect(mirror?.requestMirror).toMatchObject({ percent: 10, backendRef: { name: "missing", valid: false, reason: "BackendNotFound" } });
    expect(mirror?.invalid ?? null).toBeNull();
    const ext = g.routes[0]?.rules[1]?.filters[0];
    expect(ext).toMatchObject({ type: "ExtensionRef", extensionRef: { group: "example.com", kind: "Magic", name: "m" }, invalid: { reason: "InvalidKind" } });
    expect(g.routes[0]?.rules[1]?.backends).toEqual([]);
  });

  it("reports every unresolved reference in one ResolvedRefs condition, first reason first", () => {
    const shop = statusList(g).items.find((i) => i.kind === "HTTPRoute");
    const rr = parentConditions(shop).find((c) => c.type === "ResolvedRefs");
    expect(rr).toMatchObject({ status: "False", reason: "BackendNotFound" });
    expect(rr?.message).toContain("rule 0 (main) filter 0 (RequestMirror) backendRef: Service edge/missing not found");
    expect(rr?.message).toContain("rule 0 (main) backendRef 2: Service edge/gone not found");
    expect(rr?.message).toContain("rule 1 filter 0 (ExtensionRef)");
    const observed = (shop?.status as { parents: { conditions: { observedGeneration: number }[] }[] }).parents[0]?.conditions[0]?.observedGeneration;
    expect(observed).toBe(3);
  });

  it("lists Services with ports, defaulting protocol and targetPort", () => {
    expect(g.services).toEqual([
      {
        namespace: "edge",
        name: "web",
        clusterIP: "10.96.0.10",
        type: "ClusterIP",
        externalName: null,
        ports: [
          { name: "http", port: 8080, targetPort: 3000, protocol: "TCP", appProtocol: "kubernetes.io/h2c" },
          { name: "plain", port: 80, targetPort: 80, protocol: "TCP", appProtocol: null },
        ],
      },
    ]);
  });
});

describe("dropped rules (objects validation would reject)", () => {
  const base = [
    { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "gwsim" }, spec: { controllerName: "gwsim.dev/simulator" } },
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "gw", namespace: "edge" },
      spec: { gatewayClassName: "gwsim", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
    },
  ];
  const route = (name: string, rules: object[]) => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: "edge" },
    spec: { parentRefs: [{ name: "gw" }], rules },
  });
  const g = raw([
    ...base,
    route("partly", [{ matches: [{ path: { type: "Glob", value: "/a*" } }] }, {}, { filters: [{ type: "RequestRedirect" }, { type: "URLRewrite" }] }]),
    route("wholly", [{ matches: [{ method: "FETCH" }] }, { filters: [{ type: "Teleport" }] }]),
  ]);
  const items = statusList(g).items;

  it("marks each dropped rule invalid, keeping rule indexes stable", () => {
    const rules = g.routes.find((r) => r.name === "partly")?.rules ?? [];
    expect(rules.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(rules[0]?.invalid).toMatchObject({ reason: "UnsupportedValue", message: expect.stringContaining('path type "Glob"') });
    expect(rules[1]?.invalid).toBeNull();
    expect(rules[2]?.invalid).toMatchObject({ reason: "IncompatibleFilters" });
  });

  it("PartiallyInvalid when some rules remain, with a message that starts with Dropped Rule", () => {
    const conds = parentConditions(items.find((i) => i.metadata.name === "partly"));
    expect(conds.map((c) => `${c.type}=${c.status}`)).toEqual(["Accepted=True", "ResolvedRefs=True", "PartiallyInvalid=True"]);
    expect(conds[2]).toMatchObject({ reason: "UnsupportedValue", message: expect.stringMatching(/^Dropped Rule\(s\) 0, 2: /) });
    expect(g.attachments.filter((a) => g.routes[a.route]?.name === "partly")).toHaveLength(1);
  });

  it("Accepted=False with the first rule's reason when no rule remains, and no attachment", () => {
    const conds = parentConditions(items.find((i) => i.metadata.name === "wholly"));
    expect(conds[0]).toMatchObject({ type: "Accepted", status: "False", reason: "UnsupportedValue", message: expect.stringContaining('method "FETCH"') });
    expect(conds[0]?.message).toContain('filter type "Teleport" is not supported on a HTTPRoute');
    expect(conds.some((c) => c.type === "PartiallyInvalid")).toBe(false);
    expect(g.attachments.filter((a) => g.routes[a.route]?.name === "wholly")).toEqual([]);
    const gw = items.find((i) => i.kind === "Gateway")?.status as { listeners: { attachedRoutes: number }[] };
    expect(gw.listeners[0]?.attachedRoutes).toBe(1);
  });

  it("applies API defaults itself: HTTPRoute without rules, backendRef without weight", () => {
    const g2 = raw([...base, { kind: "HTTPRoute", metadata: { name: "bare", namespace: "edge" }, spec: { parentRefs: [{ name: "gw" }] } }]);
    expect(g2.routes[0]?.rules).toHaveLength(1);
    expect(g2.routes[0]?.rules[0]?.matches).toEqual([{ path: { type: "PathPrefix", value: "/" }, headers: [], queryParams: [], method: null }]);
    expect(g2.attachments).toHaveLength(1);
  });
});

describe("mesh and policies", () => {
  const g = world(
    [
      SVC,
      `
apiVersion: v1
kind: ConfigMap
metadata: {name: ca, namespace: edge}
data:
  ca.crt: |
${fixture("rsa.crt").replace(/^/gm, "    ")}
`,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: producer, namespace: edge}
spec:
  parentRefs:
  - {group: "", kind: Service, name: web, sectionName: plain}
  - {group: "", kind: Service, name: web, sectionName: http}
  rules: [{backendRefs: [{name: web, port: 8080}]}]
`,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: consumer, namespace: client}
spec:
  parentRefs: [{group: "", kind: Service, name: web, namespace: edge}]
`,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: web-tls, namespace: edge}
spec:
  targetRefs: [{group: "", kind: Service, name: web}]
  validation:
    hostname: web.internal
    caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}]
    subjectAltNames: [{type: Hostname, hostname: web.internal}]
`,
    ].join("\n---\n"),
  );

  it("records mesh attachments with the parentRef's port", () => {
    expect(g.meshAttachments).toEqual([
      { route: 0, service: { namespace: "edge", name: "web" }, port: 80, parentRefIndex: 0 },
      { route: 0, service: { namespace: "edge", name: "web" }, port: 8080, parentRefIndex: 1 },
      { route: 1, service: { namespace: "edge", name: "web" }, port: null, parentRefIndex: 0 },
    ]);
    expect(g.attachments).toEqual([]);
  });

  it("resolves a BackendTLSPolicy with its CA bundle", () => {
    expect(g.backendTLSPolicies).toEqual([
      {
        namespace: "edge",
        name: "web-tls",
        targets: [{ group: "", kind: "Service", name: "web", sectionName: null }],
        hostname: "web.internal",
        caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "ca" }],
        wellKnownCACertificates: null,
        subjectAltNames: [{ type: "Hostname", hostname: "web.internal" }],
        clientCertificate: null,
        valid: true,
        reason: null,
        message: null,
        caCertificates: [{ kind: "ConfigMap", name: "ca", pem: expect.stringContaining("BEGIN CERTIFICATE") }],
      },
    ]);
  });
});

describe("status list", () => {
  it("is the CONTRACT List, sorted by kind then namespace/name, with generation and no lastTransitionTime", () => {
    const g = world(
      [
        CLASS,
        `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: b, namespace: a}
spec: {parentRefs: [{name: gw, namespace: z}]}
`,
        `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: z, generation: 7}
spec:
  gatewayClassName: gwsim
  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
`,
      ].join("\n---\n"),
    );
    const list = statusList(g);
    expect(list.apiVersion).toBe("v1");
    expect(list.kind).toBe("List");
    expect(list.items.map((i) => `${i.kind} ${i.metadata.namespace ?? ""}/${i.metadata.name}`)).toEqual(["GatewayClass /gwsim", "Gateway z/gw", "HTTPRoute a/b"]);
    expect(list.items[0]?.metadata).toEqual({ name: "gwsim", generation: 1 });
    const gw = list.items[1]?.status as { conditions: Record<string, unknown>[]; listeners: Record<string, unknown>[] };
    expect(gw.conditions[0]).toEqual({ type: "Accepted", status: "True", reason: "Accepted", message: expect.any(String), observedGeneration: 7 });
    expect(Object.keys(gw.listeners[0] ?? {})).toEqual(["name", "supportedKinds", "attachedRoutes", "conditions"]);
    const parent = (list.items[2]?.status as { parents: Record<string, unknown>[] }).parents[0];
    expect(parent).toMatchObject({ parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "z", name: "gw" }, controllerName: "gwsim.dev/simulator" });
  });
});
