import { describe, expect, it } from "vitest";
import { parseManifests } from "../manifest/parse.js";
import { sourceOf } from "../manifest/object.js";
import { check, yaml } from "./__tests__/helpers.js";
import { validateObject } from "./validate.js";

/** The single resource a case yields, asserting there was no error. */
function one(text: string, channel: "standard" | "experimental" = "experimental") {
  const { resources, diagnostics } = check(text, { channel });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(resources).toHaveLength(1);
  return resources[0] as unknown as Record<string, any>;
}

describe("API server defaults", () => {
  it("HTTPRoute: a route without rules gets one rule matching PathPrefix /", () => {
    const r = one(yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        parentRefs: [{name: gw}]
    `);
    expect(r.spec.rules).toEqual([{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }]);
    expect(r.spec.parentRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }]);
    expect(r.metadata).toMatchObject({ name: "r", namespace: "default", generation: 1 });
  });

  it("HTTPRoute: matches, path, header and query types, backendRef fields", () => {
    const r = one(yaml`
      apiVersion: gateway.networking.k8s.io/v1beta1
      kind: HTTPRoute
      metadata: {name: r, namespace: shop}
      spec:
        rules:
        - backendRefs: [{name: a, port: 80}]
        - matches:
          - headers: [{name: x, value: "1"}]
            queryParams: [{name: q, value: "2"}]
          - path: {type: Exact}
          - path: {value: /v2}
          backendRefs: [{name: b, port: 80, weight: 0}]
    `);
    expect(r.spec.rules[0]).toEqual({
      matches: [{ path: { type: "PathPrefix", value: "/" } }],
      backendRefs: [{ group: "", kind: "Service", name: "a", port: 80, weight: 1 }],
    });
    expect(r.spec.rules[1].matches).toEqual([
      { path: { type: "PathPrefix", value: "/" }, headers: [{ type: "Exact", name: "x", value: "1" }], queryParams: [{ type: "Exact", name: "q", value: "2" }] },
      { path: { type: "Exact", value: "/" } },
      { path: { type: "PathPrefix", value: "/v2" } },
    ]);
    expect(r.spec.rules[1].backendRefs[0].weight).toBe(0);
  });

  it("HTTPRoute filters: redirect 302, mirror denominator 100, CORS maxAge 5, session persistence", () => {
    const r = one(yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - filters:
          - type: RequestRedirect
            requestRedirect: {scheme: https}
          - type: CORS
            cors: {allowOrigins: ["*"]}
        - filters:
          - type: RequestMirror
            requestMirror:
              backendRef: {name: shadow, port: 8080}
              fraction: {numerator: 1}
          sessionPersistence:
            cookieConfig: {}
    `);
    expect(r.spec.rules[0].filters[0].requestRedirect).toEqual({ scheme: "https", statusCode: 302 });
    expect(r.spec.rules[0].filters[1].cors).toEqual({ allowOrigins: ["*"], maxAge: 5 });
    expect(r.spec.rules[1].filters[0].requestMirror).toEqual({
      backendRef: { group: "", kind: "Service", name: "shadow", port: 8080 },
      fraction: { numerator: 1, denominator: 100 },
    });
    expect(r.spec.rules[1].sessionPersistence).toEqual({ type: "Cookie", cookieConfig: { lifetimeType: "Session" } });
  });

  it("GRPCRoute: method and header match types default to Exact; no rule is invented", () => {
    const r = one(yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: GRPCRoute
      metadata: {name: g}
      spec:
        rules:
        - matches:
          - method: {service: pkg.Svc}
            headers: [{name: x, value: "1"}]
    `);
    expect(r.spec.rules[0].matches[0]).toEqual({
      method: { type: "Exact", service: "pkg.Svc" },
      headers: [{ type: "Exact", name: "x", value: "1" }],
    });
    const empty = one("apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: g}\nspec: {}\n");
    expect(empty.spec.rules).toBeUndefined();
  });

  it("Gateway: allowedRoutes from Same, tls mode Terminate, certificate refs to core Secrets, addresses, frontend validation", () => {
    const g = one(yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        addresses: [{value: 10.0.0.1}]
        allowedListeners: {}
        listeners:
        - name: https
          port: 443
          protocol: HTTPS
          tls:
            certificateRefs: [{name: cert}]
          allowedRoutes:
            kinds: [{kind: HTTPRoute}]
        - name: http
          port: 80
          protocol: HTTP
        tls:
          frontend:
            default:
              validation:
                caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}]
    `);
    expect(g.spec.listeners[0]).toEqual({
      name: "https",
      port: 443,
      protocol: "HTTPS",
      tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: "cert" }] },
      allowedRoutes: { namespaces: { from: "Same" }, kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }] },
    });
    expect(g.spec.listeners[1].allowedRoutes).toEqual({ namespaces: { from: "Same" } });
    expect(g.spec.addresses).toEqual([{ type: "IPAddress", value: "10.0.0.1" }]);
    expect(g.spec.allowedListeners).toEqual({ namespaces: { from: "None" } });
    expect(g.spec.tls.frontend.default.validation.mode).toBe("AllowValidOnly");
  });

  it("ListenerSet: the parent is a Gateway", () => {
    const ls = one(yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: ListenerSet
      metadata: {name: ls}
      spec:
        parentRef: {name: gw}
        listeners: [{name: extra, port: 8080, protocol: HTTP}]
    `);
    expect(ls.spec.parentRef).toEqual({ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" });
  });

  it("TCPRoute backendRefs: weight 1, core Service", () => {
    const t = one(yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: TCPRoute
      metadata: {name: t}
      spec:
        rules: [{backendRefs: [{name: db, port: 5432}]}]
    `);
    expect(t.spec.rules[0].backendRefs[0]).toEqual({ group: "", kind: "Service", name: "db", port: 5432, weight: 1 });
  });

  it("Service: type ClusterIP, protocol TCP, targetPort = port", () => {
    const s = one(yaml`
      apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec:
        ports: [{name: http, port: 80}, {name: grpc, port: 9090, targetPort: grpc-port, appProtocol: kubernetes.io/h2c}]
    `);
    expect(s.spec.type).toBe("ClusterIP");
    expect(s.spec.ports).toEqual([
      { name: "http", port: 80, protocol: "TCP", targetPort: 80 },
      { name: "grpc", port: 9090, protocol: "TCP", targetPort: "grpc-port", appProtocol: "kubernetes.io/h2c" },
    ]);
  });

  it("Secret: type Opaque; stringData merges into data as base64 and wins", () => {
    const s = one(yaml`
      apiVersion: v1
      kind: Secret
      metadata: {name: s}
      data: {a: b2xk, b: Yg==}
      stringData: {a: new, c: "é"}
    `);
    expect(s.type).toBe("Opaque");
    expect(s.data).toEqual({ a: "bmV3", b: "Yg==", c: "w6k=" });
    expect(s.stringData).toBeUndefined();
  });

  it("a null field counts as absent, as the API server prunes it", () => {
    const r = one(yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        hostnames:
        rules:
        - backendRefs: [{name: a, port: 80, weight: null}]
    `);
    expect(r.spec.hostnames).toBeUndefined();
    expect(r.spec.rules[0].backendRefs[0].weight).toBe(1);
  });
});

describe("what validation keeps and drops", () => {
  it("keeps the source of the input on the resource", () => {
    const text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
    const [obj] = parseManifests(text, { file: "ns.yaml" }).objects;
    const { resource } = validateObject(obj!);
    expect(sourceOf(resource!)).toBe(sourceOf(obj!));
    expect(sourceOf(resource!)).toMatchObject({ file: "ns.yaml", line: 1 });
  });

  it("prunes unknown fields with a warning and keeps the object", () => {
    const { resources, diagnostics } = check(yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matchs: [{path: {value: /a}}]
          backendRefs: [{name: a, port: 80}]
    `);
    expect(diagnostics).toMatchObject([
      { code: "schema.unknown-field", severity: "warning", path: "spec.rules[0].matchs", line: 6, message: 'unknown field "spec.rules[0].matchs"' },
    ]);
    expect((resources[0] as any).spec.rules[0]).toEqual({
      matches: [{ path: { type: "PathPrefix", value: "/" } }],
      backendRefs: [{ group: "", kind: "Service", name: "a", port: 80, weight: 1 }],
    });
  });

  it("standard channel: experimental-only fields are unknown there and pruned", () => {
    const text = yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - retry: {attempts: 2}
          backendRefs: [{name: a, port: 80}]
    `;
    const standard = check(text, { channel: "standard" });
    expect(standard.diagnostics.map((d) => [d.code, d.path])).toEqual([["schema.unknown-field", "spec.rules[0].retry"]]);
    expect((standard.resources[0] as any).spec.rules[0].retry).toBeUndefined();
    const experimental = check(text);
    expect(experimental.diagnostics).toEqual([]);
    expect((experimental.resources[0] as any).spec.rules[0].retry).toEqual({ attempts: 2 });
  });

  it("standard channel: ExternalAuth is not a filter type there", () => {
    const text = yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - filters:
          - type: ExternalAuth
            externalAuth: {protocol: HTTP, http: {}, backendRef: {name: auth, port: 80}}
    `;
    expect(check(text).diagnostics).toEqual([]);
    const codes = check(text, { channel: "standard" }).diagnostics.map((d) => [d.severity, d.code, d.path]);
    expect(codes).toContainEqual(["error", "schema.enum", "spec.rules[0].filters[0].type"]);
  });

  it("experimental channel: header values must be visible ASCII; standard accepts any non-empty value", () => {
    const text = yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matches:
          - headers: [{name: x, value: " padded"}]
    `;
    expect(check(text, { channel: "standard" }).diagnostics).toEqual([]);
    expect(check(text).diagnostics.map((d) => d.code)).toEqual(["schema.pattern"]);
  });

  it("serves older versions only where v1.6 does", () => {
    const tls = (v: string) => `apiVersion: gateway.networking.k8s.io/${v}\nkind: TLSRoute\nmetadata: {name: t}\nspec:\n  rules: [{backendRefs: [{name: a, port: 443}]}, {backendRefs: [{name: b, port: 443}]}]\n`;
    // v1alpha2 took several rules and no hostnames; v1 takes one rule and needs hostnames.
    // Served but deprecated: accepted with the CRD's deprecation warning only (deprecated.test.ts).
    expect(check(tls("v1alpha2")).diagnostics.map((d) => [d.code, d.severity])).toEqual([["schema.deprecated-version", "warning"]]);
    expect(check(tls("v1alpha2"), { channel: "standard" }).diagnostics.map((d) => d.code)).toEqual(["schema.unsupported-api-version"]);
    // Too many rules is a blocking error: the API server skips TLSRoute's CEL rules and says so.
    expect(check(tls("v1")).diagnostics.map((d) => d.code)).toEqual(["schema.max-items", "schema.cel-not-checked"]);
    const xls = "apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XListenerSet\nmetadata: {name: x}\nspec: {}\n";
    expect(check(xls).diagnostics).toMatchObject([{ code: "schema.unsupported-api-version", path: "apiVersion", severity: "error" }]);
  });
});
