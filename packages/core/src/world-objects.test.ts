import { describe, expect, it } from "vitest";
import { parseManifests } from "./manifest/parse.js";
import type { ManifestObject } from "./manifest/object.js";
import { buildWorld, decide, statusOf } from "./world.js";

// buildWorld given objects (JSON.parse'd kubectl output, objects built in code) must check what
// parseManifests checks, with the same codes and severities.
const gw = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "gw" }, spec: { gatewayClassName: "c", listeners: [{ name: "h", protocol: "HTTP", port: 80 }] } };
const route = (backend: string) => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r" }, spec: { parentRefs: [{ name: "gw" }], rules: [{ backendRefs: [{ name: backend, port: 80 }] }] } });
const svc = (name: string) => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { ports: [{ port: 80 }] } });
const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: {} };
const asObjects = (xs: unknown[]) => xs as ManifestObject[];
const codes = (ds: readonly { code: string; severity: string }[]) => ds.map((d) => `${d.severity} ${d.code}`);

const TEXT = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec: {gatewayClassName: c, listeners: [{name: h, protocol: HTTP, port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec: {}
`;

describe("buildWorld from objects checks what parseManifests checks", () => {
  it("an unread kind is manifest.unknown-kind info on both paths (was schema.unknown-kind error for objects)", () => {
    const byText = parseManifests(TEXT);
    const byObjects = buildWorld(asObjects([gw, deployment]));
    expect(codes(byText.diagnostics)).toEqual(["info manifest.unknown-kind"]);
    expect(codes(byObjects.diagnostics)).toEqual(codes(byText.diagnostics));
    expect(byObjects.diagnostics[0]!.message).toBe(byText.diagnostics[0]!.message);
    expect(byObjects.diagnostics[0]).toMatchObject({ file: "<objects>", doc: 1 });
  });

  it("an Istio Gateway given as an object is a note, like by text", () => {
    const w = buildWorld(asObjects([{ apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name: "edge", namespace: "infra" } }]));
    expect(codes(w.diagnostics)).toEqual(["info manifest.unknown-kind"]);
    expect(statusOf(w).items).toEqual([]);
  });

  it("a duplicate is reported and the later one used (as kubectl apply leaves it); status lists it once and decide agrees with status", () => {
    const world = buildWorld(asObjects([gw, route("a"), route("b"), svc("a"), svc("b")]));
    expect(codes(world.diagnostics)).toEqual(["warning manifest.duplicate"]);
    expect(world.diagnostics[0]!.message).toContain("objects[1]");
    expect(world.diagnostics[0]!.message).toContain("objects[2]");
    expect(world.diagnostics[0]).toMatchObject({ object: "HTTPRoute/default/r", doc: 2 });
    expect(statusOf(world).items.filter((i) => i.kind === "HTTPRoute")).toHaveLength(1);
    expect(decide(world, { gateway: "default/gw", path: "/" }).backend?.name).toBe("b");
  });

  it("the same objects as JSON text and as plain objects give the same codes, severities, paths and objects", () => {
    const input = [gw, route("a"), route("b"), deployment, { apiVersion: "v1", kind: "List", items: [svc("a"), { kind: "Service" }] }];
    const parsed = parseManifests(input.map((o) => JSON.stringify(o)).join("\n---\n"));
    const world = buildWorld(asObjects(input));
    const shape = (ds: readonly { code: string; severity: string; path: string }[]) => ds.map((d) => `${d.severity} ${d.code} ${d.path}`);
    expect(shape(parsed.diagnostics)).toEqual([
      "info manifest.unknown-kind kind",
      "error manifest.missing-apiversion apiVersion",
      "warning manifest.duplicate metadata.name",
    ]);
    expect(shape(world.diagnostics)).toEqual(shape(parsed.diagnostics));
    const ids = (os: readonly ManifestObject[]) => os.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
    expect(ids(world.objects)).toEqual(ids(parsed.objects));
  });

  it("objects from parseManifests pass again unchanged: no new diagnostics, same objects with their sources", () => {
    const { objects } = parseManifests(`${TEXT}---\n${JSON.stringify(route("a"))}\n`, { file: "w.yaml" });
    const world = buildWorld(objects);
    expect(world.diagnostics).toEqual([]);
    expect(world.objects).toEqual(objects);
    world.objects.forEach((o, i) => expect(o).toBe(objects[i]));
  });

  it("does not mutate its input and accepts frozen objects (the namespace default goes on a copy)", () => {
    const input = [gw, route("a"), svc("a")].map((o) => structuredClone(o));
    const before = JSON.stringify(input);
    const frozen = input.map((o) => deepFreeze(structuredClone(o)));
    const world = buildWorld(asObjects(frozen));
    buildWorld(asObjects(input));
    expect(JSON.stringify(input)).toBe(before);
    expect(world.diagnostics).toEqual([]);
    expect(world.objects.map((o) => o.metadata.namespace)).toEqual(["default", "default", "default"]);
    expect(decide(world, { gateway: "default/gw", path: "/" }).backend?.name).toBe("a");
  });

  it("a non-object or nameless entry is a manifest error, not a crash", () => {
    const world = buildWorld(asObjects([null, 5, { apiVersion: "v1", kind: "Service", metadata: {} }, gw]));
    expect(codes(world.diagnostics)).toEqual(["error manifest.not-object", "error manifest.not-object", "error manifest.missing-name"]);
    expect(world.objects).toHaveLength(1);
  });
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
