import { describe, expect, it } from "vitest";
import { worldFrom } from "./world-from.js";
import { statusOf } from "../world.js";

const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80}]
`;
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {replicas: 1}
`;

describe("worldFrom problems", () => {
  it("a Deployment beside the Gateway objects is a note, not a problem", () => {
    const w = worldFrom(`${GATEWAY}---\n${DEPLOYMENT}`);
    expect(w.problems).toEqual([]);
    expect(w.notes.map((d) => d.code)).toEqual(["manifest.unknown-kind"]);
  });

  // worldFrom(readFileSync("gateway.yaml", "utf8")) reported problems and lint findings in "manifests.yaml".
  it("text names its file with options.file, for problems and lint findings", () => {
    const text = `${GATEWAY}---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec: {rules: [{matches: [{path: {type: Exact, value: nope}}]}]}\n`;
    expect(worldFrom(text, { file: "k8s/gateway.yaml" }).problems.map((d) => d.file)).toEqual(expect.arrayContaining(["k8s/gateway.yaml"]));
    expect(worldFrom(text, { file: "k8s/gateway.yaml" }).problems.every((d) => d.file === "k8s/gateway.yaml" || d.file == null)).toBe(true);
    expect(worldFrom(text).problems.some((d) => d.file === "manifests.yaml")).toBe(true);
  });

  it("keeps errors and warnings", () => {
    const w = worldFrom(`${GATEWAY}---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec: {rules: [{matches: [{path: {type: Exact, value: nope}}]}]}\n`);
    expect(w.problems.length).toBeGreaterThan(0);
    expect(w.problems.every((d) => d.severity === "error" || d.severity === "warning")).toBe(true);
    expect(w.notes.every((d) => d.severity === "info")).toBe(true);
  });

  it("objects given as data: duplicates are problems and the world's objects are the admitted ones", () => {
    const route = (backend: string) => ({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "r", namespace: "infra" },
      spec: { parentRefs: [{ name: "edge" }], rules: [{ backendRefs: [{ name: backend, port: 80 }] }] },
    });
    const gateway = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "edge", namespace: "infra" }, spec: { gatewayClassName: "any", listeners: [{ name: "http", protocol: "HTTP", port: 80 }] } };
    const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "infra" } };
    const w = worldFrom([gateway, route("a"), route("b"), deployment] as never);
    expect(w.problems.map((d) => d.code)).toContain("manifest.duplicate");
    expect(w.notes.map((d) => d.code)).toEqual(["manifest.unknown-kind"]);
    expect(w.objects.map((o) => o.kind)).toEqual(["Gateway", "HTTPRoute"]);
  });
});

describe("worldFrom and objects of kinds gwsim skips", () => {
  it("a GatewayClass parametersRef to an implementation's object in the same text is accepted, as the CLI accepts it", () => {
    const w = worldFrom(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lb}
spec:
  controllerName: lb.example.net/controller
  parametersRef: {group: proxy.example.net, kind: ProxyTuning, name: tuned, namespace: infra}
---
apiVersion: proxy.example.net/v1beta2
kind: ProxyTuning
metadata: {name: tuned, namespace: infra}
spec: {workers: 4}
`);
    const cls = statusOf(w).items.find((i) => i.kind === "GatewayClass")!;
    expect(cls.status.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True" }));
  });
});
