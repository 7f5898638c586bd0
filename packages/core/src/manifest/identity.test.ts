import { describe, expect, it } from "vitest";
import { buildWorld, decide, statusOf } from "../world.js";
import { parseManifestFiles, parseManifests } from "./parse.js";

// An Istio Gateway and a Gateway API Gateway with one namespace/name: two objects to Kubernetes.
const ISTIO = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
`;
const GWAPI = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: app}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{port: 80}]}
`;

describe("object identity includes the API group", () => {
  it.each([
    { order: "Istio first", files: [{ file: "00-istio.yaml", text: ISTIO }, { file: "10-gwapi.yaml", text: GWAPI }] },
    { order: "Istio last", files: [{ file: "10-gwapi.yaml", text: GWAPI }, { file: "20-istio.yaml", text: ISTIO }] },
  ])("an Istio Gateway beside a Gateway API Gateway of the same name ($order): skipped with a note, the real one routes", ({ files }) => {
    const { objects, diagnostics } = parseManifestFiles(files);
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`)).toEqual(["gateway.networking.k8s.io/v1 Gateway", "gateway.networking.k8s.io/v1 HTTPRoute", "v1 Service"]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "manifest.unknown-kind", severity: "info", line: 1 });
    expect(diagnostics[0]!.message).toContain("networking.istio.io");
    const world = buildWorld(objects);
    expect(world.diagnostics).toEqual([]);
    expect(decide(world, { gateway: "infra/edge", host: "x", path: "/" })).toMatchObject({ outcome: "forward", backend: { name: "web" } });
  });

  it("a lone Istio Gateway is a note, not an error", () => {
    const r = parseManifests(ISTIO, { file: "istio.yaml" });
    expect(r.objects).toEqual([]);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([["manifest.unknown-kind", "info"]]);
    expect(r.diagnostics[0]!.message).toBe("skipped Gateway infra/edge (networking.istio.io/v1): gwsim reads Gateway from gateway.networking.k8s.io or gateway.networking.x-k8s.io, not networking.istio.io");
    expect(statusOf(buildWorld(r.objects)).items).toEqual([]);
  });

  it.each([
    ["Knative Service", "serving.knative.dev/v1", "Service"],
    ["networking.k8s.io Gateway", "networking.k8s.io/v1", "Gateway"],
    ["a Secret of another group", "example.com/v1", "Secret"],
    ["an EndpointSlice outside discovery.k8s.io", "v1", "EndpointSlice"],
  ])("%s is skipped with a note", (_, apiVersion, kind) => {
    const r = parseManifests(`apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x}\n`);
    expect(r.objects).toEqual([]);
    expect(r.diagnostics).toMatchObject([{ code: "manifest.unknown-kind", severity: "info" }]);
  });

  it.each([
    ["gateway.networking.k8s.io/v9", "Gateway"],
    ["gateway.networking.x-k8s.io/v1alpha1", "HTTPRoute"],
    ["v2", "Service"],
  ])("%s %s (a group gwsim reads, a version it does not) stays an error", (apiVersion, kind) => {
    const r = parseManifests(`apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x}\nspec: {}\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.objects).toHaveLength(1);
    expect(buildWorld(r.objects).diagnostics).toMatchObject([{ code: "schema.unsupported-api-version", severity: "error" }]);
  });

  it("the same group, kind, namespace and name is a duplicate across versions (the version is no part of identity)", () => {
    const route = (v: string) => `apiVersion: gateway.networking.k8s.io/${v}\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {}\n`;
    const r = parseManifests(`${route("v1")}---\n${route("v1beta1")}`, { file: "r.yaml" });
    expect(r.objects.map((o) => o.apiVersion)).toEqual(["gateway.networking.k8s.io/v1beta1"]);
    expect(r.diagnostics).toMatchObject([{ code: "manifest.duplicate", severity: "warning", line: 6, object: "HTTPRoute/default/r" }]);
  });

  it("one kind and name in two groups gwsim reads are two objects", () => {
    const route = (g: string) => `apiVersion: ${g}/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {}\n`;
    const r = parseManifests(`${route("gateway.networking.k8s.io")}---\n${route("gateway.networking.x-k8s.io")}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.objects).toHaveLength(2);
  });
});
