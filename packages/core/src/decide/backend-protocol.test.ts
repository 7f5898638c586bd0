import { describe, expect, it } from "vitest";
import { parseManifests } from "../manifest/parse.js";
import { buildWorld } from "../world.js";
import { decide } from "./index.js";
import type { GatewayRequest } from "../model/request.js";

const service = (name: string, port: number, appProtocol?: string) =>
  `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: app}
spec:
  ports: [{name: p, port: ${port}${appProtocol ? `, appProtocol: ${appProtocol}` : ""}}]`;

const policy = (name: string) =>
  `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: ${name}-tls, namespace: app}
spec:
  targetRefs: [{group: "", kind: Service, name: ${name}}]
  validation: {hostname: ${name}.internal, wellKnownCACertificates: System}`;

const xbackend = (name: string, spec: string) =>
  `apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackend
metadata: {name: ${name}, namespace: app}
spec: {type: ExternalHostname, port: {port: 443}, externalHostname: {hostname: ${name}.example.com}${spec}}`;

/** One HTTPRoute rule per backend, at /<name>; a GRPCRoute to `rpc`; a redirect at /moved. */
const BACKENDS: [string, string][] = [
  ["plain", service("plain", 8080)],
  ["h2", service("h2", 8080, "kubernetes.io/h2c")],
  ["h2-upper", service("h2-upper", 8080, "kubernetes.io/H2C")],
  ["http2", service("http2", 8080, "http2")],
  ["ws", service("ws", 8080, "kubernetes.io/ws")],
  ["secure", `${service("secure", 443)}\n---\n${policy("secure")}`],
  ["secure-h2", `${service("secure-h2", 443, "http2")}\n---\n${policy("secure-h2")}`],
  ["wss-no-policy", service("wss-no-policy", 443, "kubernetes.io/wss")],
  ["x-h2c", xbackend("x-h2c", ", protocol: H2C")],
  ["x-http2-tls", xbackend("x-http2-tls", ", protocol: HTTP2, tls: {mode: ServerOnly}")],
  ["x-http11", xbackend("x-http11", ", protocol: HTTP11")],
  ["x-unset-tls", xbackend("x-unset-tls", ", tls: {mode: ServerOnly}")],
];

const WORLD = [
  `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gwsim}
spec: {controllerName: gwsim.dev/simulator}`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: app}
spec:
  gatewayClassName: gwsim
  listeners: [{name: http, protocol: HTTP, port: 80}]`,
  service("rpc", 9000),
  ...BACKENDS.map(([, yaml]) => yaml),
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: app}
spec:
  parentRefs: [{name: gw}]
  hostnames: [web.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /moved}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: elsewhere.example.com}}]
${BACKENDS.map(([name]) => `  - matches: [{path: {type: PathPrefix, value: /${name}}}]
    backendRefs: [{${name.startsWith("x-") ? "group: gateway.networking.x-k8s.io, kind: XBackend, " : ""}name: ${name}, port: ${name.startsWith("x-") ? 443 : /secure|wss/.test(name) ? 443 : 8080}}]`).join("\n")}
  - matches: [{path: {type: PathPrefix, value: /pkg.Svc}}]
    backendRefs: [{name: plain, port: 8080}]`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc, namespace: app}
spec:
  parentRefs: [{name: gw}]
  hostnames: [rpc.example.com]
  rules:
  - backendRefs: [{name: rpc, port: 9000}]`,
].join("\n---\n");

const parsed = parseManifests(WORLD, { file: "world.yaml" });
const world = buildWorld(parsed.objects);
const web = (path: string, over: Partial<GatewayRequest> = {}): GatewayRequest => ({ gateway: "app/gw", host: "web.example.com", path, ...over });

describe("decision.backendProtocol: how the gateway speaks to the picked backend (GEP-1911)", () => {
  it("loads without problems", () => {
    expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(world.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it.each([
    // [request, protocol, the explain line (null: none)]
    [web("/plain"), "http", null],
    [web("/h2"), "h2c", "backend protocol h2c (HTTP/2 over cleartext, with prior knowledge): Service port app/h2:8080 has appProtocol kubernetes.io/h2c"],
    // resolve compares appProtocol lower-case, and so does decide.
    [web("/h2-upper"), "h2c", "backend protocol h2c (HTTP/2 over cleartext, with prior knowledge): Service port app/h2-upper:8080 has appProtocol kubernetes.io/H2C"],
    [web("/http2"), "h2c", "backend protocol h2c (HTTP/2 over cleartext, with prior knowledge): Service port app/http2:8080 has appProtocol http2"],
    // WebSocket is an HTTP/1.1 upgrade; the upgrade itself goes the same way.
    [web("/ws"), "http", "backend protocol http (HTTP/1.1 over cleartext): Service port app/ws:8080 has appProtocol kubernetes.io/ws"],
    [web("/ws", { protocol: "websocket", headers: { upgrade: "websocket", connection: "Upgrade" } }), "http", "backend protocol http (HTTP/1.1 over cleartext): Service port app/ws:8080 has appProtocol kubernetes.io/ws"],
    [web("/h2", { protocol: "websocket", headers: { upgrade: "websocket", connection: "Upgrade" } }), "http", "backend protocol http (HTTP/1.1 over cleartext): Service port app/h2:8080 has appProtocol kubernetes.io/h2c; a WebSocket upgrade goes over HTTP/1.1"],
    [web("/secure"), "https", "backend protocol https (HTTP/1.1 over TLS): Service port app/secure:443 sets no appProtocol, and a BackendTLSPolicy applies"],
    [web("/secure-h2"), "h2", "backend protocol h2 (HTTP/2 over TLS (ALPN h2)): Service port app/secure-h2:443 has appProtocol http2, and a BackendTLSPolicy applies"],
    // An appProtocol that names TLS does not make TLS without a policy to say what to verify.
    [web("/wss-no-policy"), "http", "backend protocol http (HTTP/1.1 over cleartext): Service port app/wss-no-policy:443 has appProtocol kubernetes.io/wss"],
    // gRPC cannot travel over HTTP/1.1: inferred when the port says nothing (GEP-1911 MAY).
    [{ gateway: "app/gw", host: "rpc.example.com", grpc: { service: "pkg.Svc", method: "Call" } }, "h2c", "backend protocol h2c (HTTP/2 over cleartext, with prior knowledge): Service port app/rpc:9000 sets no appProtocol, HTTP/2 for a gRPC call"],
    [web("/pkg.Svc/Call", { method: "POST", headers: { "content-type": "application/grpc" } }), "h2c", "backend protocol h2c (HTTP/2 over cleartext, with prior knowledge): Service port app/plain:8080 sets no appProtocol, HTTP/2 for a gRPC call"],
    [web("/x-h2c"), "h2c", "backend protocol h2c (HTTP/2 over cleartext, with prior knowledge): XBackend app/x-h2c has protocol H2C"],
    [web("/x-http2-tls"), "h2", "backend protocol h2 (HTTP/2 over TLS (ALPN h2)): XBackend app/x-http2-tls has protocol HTTP2, and its spec.tls applies"],
    [web("/x-http11"), "http", "backend protocol http (HTTP/1.1 over cleartext): XBackend app/x-http11 has protocol HTTP11"],
    [web("/x-unset-tls"), "https", "backend protocol https (HTTP/1.1 over TLS): XBackend app/x-unset-tls sets no protocol, and its spec.tls applies"],
  ] as const)("%j → %s", (request, protocol, note) => {
    const d = decide(world, request, { explain: true });
    expect(d.outcome, JSON.stringify(d.explain)).toBe("forward");
    expect(d.backendProtocol).toBe(protocol);
    const lines = (d.explain ?? []).filter((l) => l.startsWith("backend protocol "));
    expect(lines).toEqual(note === null ? [] : [note]);
    // TLS exactly when the decision says the connection is TLS.
    const tls = d.backend?.kind === "XBackend" ? d.backend.tls != null : d.backendTLS !== null;
    expect(protocol === "https" || protocol === "h2").toBe(tls);
    // Without explain: the same protocol; lean decisions (replay) leave it out.
    expect(decide(world, request).backendProtocol).toBe(protocol);
    expect(decide(world, request, { lean: true })).not.toHaveProperty("backendProtocol");
  });

  it("is absent when nothing is forwarded (no route, a redirect)", () => {
    for (const request of [web("/nothing", { host: "nowhere.example.com" }), web("/moved")]) {
      const d = decide(world, request, { explain: true });
      expect(d.outcome).not.toBe("forward");
      expect(d).not.toHaveProperty("backendProtocol");
      expect(d.explain!.some((l) => l.startsWith("backend protocol "))).toBe(false);
    }
  });
});
