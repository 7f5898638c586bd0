/** Requests that present a session token: the core pins the backend, and no split mode draws again. */
import { describe, expect, it } from "vitest";
import { buildWorld, encodeSessionToken, parseManifests } from "@gwsim/core";
import { replay } from "./replay.js";
import type { SplitMode, TraceRecord } from "./types.js";

const world = buildWorld(
  parseManifests(
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /sticky}}]
    # 0.1 %: integer percent makes it 0, the last backend taking the remainder (the profile draws again then)
    backendRefs: [{name: canary, port: 80, weight: 1}, {name: stable, port: 80, weight: 999}]
    sessionPersistence: {sessionName: s}
  - matches: [{path: {type: PathPrefix, value: /plain}}]
    backendRefs: [{name: stable, port: 80, weight: 99}, {name: canary, port: 80, weight: 1}]
---
{apiVersion: v1, kind: Service, metadata: {name: stable, namespace: ns}, spec: {ports: [{port: 80}]}}
---
{apiVersion: v1, kind: Service, metadata: {name: canary, namespace: ns}, spec: {ports: [{port: 80}]}}
`,
    { file: "world.yaml" },
  ).objects,
);

const canaryToken = encodeSessionToken({
  backend: { group: "", kind: "Service", namespace: "ns", name: "canary", port: 80 },
  issuedAtMs: Date.parse("2026-11-26T00:00:00Z"),
  endpoint: null,
});
const trace = (path: string): TraceRecord[] =>
  Array.from({ length: 200 }, (_, i) => ({ gateway: "ns/gw", host: "shop.test", path, user: `u${i % 50}`, headers: { cookie: `s=${canaryToken}` } }));

const count = (r: Awaited<ReturnType<typeof replay>>, name: string) => r.backends.find((b) => b.name === name)?.count ?? 0;

describe("replay of requests that present a session token", () => {
  it.each<[SplitMode, "exact" | "percent"]>([
    ["random", "exact"],
    ["random", "percent"],
    ["wrr", "exact"],
    ["hash:user", "exact"],
    ["cookie", "exact"],
  ])("%s (%s): every request stays on the session's backend, whatever the weights say", async (split, precision) => {
    const r = await replay(world, trace("/sticky"), { seed: 3, split, precision });
    expect(count(r, "canary")).toBe(200);
    expect(count(r, "stable")).toBe(0);
    // The expectation is still the weights': what new sessions would get.
    expect(r.backends.find((b) => b.name === "canary")!.expectedShare).toBeCloseTo(precision === "exact" ? 0.001 : 0, 12);
  });

  it.each<SplitMode>(["random", "wrr", "hash:user", "cookie"])("%s: the token means nothing where the rule has no sessionPersistence", async (split) => {
    const r = await replay(world, trace("/plain"), { seed: 3, split });
    expect(count(r, "stable")).toBeGreaterThan(150);
  });
});
