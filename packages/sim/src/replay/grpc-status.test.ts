/**
 * Replay's simulated grpc-status (compared with what `serve --record` observed for a gRPC call
 * the gateway answered itself) is core's grpcStatusOf, for every kind of gateway answer, and
 * also when the split mode draws another backend than decide did.
 */
import { describe, expect, it } from "vitest";
import { buildWorld, decide, grpcStatusOf, GRPC_STATUS, parseManifests, type GatewayRequest } from "@gwsim/core";
import { replay } from "./replay.js";
import type { TraceRecord } from "./types.js";

const WORLD = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gc
  listeners: [{name: h2, port: 80, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: store, namespace: ns}
spec: {ports: [{port: 9000}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  hostnames: [rpc.example.com]
  rules:
  - matches: [{method: {service: shop.Store}}]
    backendRefs: [{name: store, port: 9000}]
  - matches: [{method: {service: shop.Missing}}]
    backendRefs: [{name: gone, port: 9000}]
  - matches: [{method: {service: shop.WrongPort}}]
    backendRefs: [{name: store, port: 1}]
  - matches: [{method: {service: shop.Drained}}]
    backendRefs: [{name: store, port: 9000, weight: 0}]
  - matches: [{method: {service: shop.Nowhere}}]
  - matches: [{method: {service: shop.Extension}}]
    filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Plugin, name: p}}]
    backendRefs: [{name: store, port: 9000}]
  - matches: [{method: {service: shop.Half}}]
    backendRefs: [{name: store, port: 9000}, {name: gone, port: 9000}]
`;
const parsed = parseManifests(WORLD, { file: "w.yaml" });
const world = buildWorld(parsed.objects);

const call = (service: string, observed?: TraceRecord["observed"]): TraceRecord => ({
  gateway: "ns/gw",
  host: "rpc.example.com",
  method: "POST",
  protocol: "HTTP/2",
  path: `/${service}/Get`,
  grpc: { service, method: "Get" },
  ...(observed ? { observed } : {}),
});

const request = (service: string): GatewayRequest => ({
  gateway: "ns/gw",
  host: "rpc.example.com",
  method: "POST",
  path: `/${service}/Get`,
  headers: { "content-type": "application/grpc" },
  grpc: { service, method: "Get" },
} as GatewayRequest);

/** A grpc-status no gateway answer has (OK): every comparison disagrees and shows the simulated side. */
const NEVER = 0;

describe("replay's simulated grpc-status is core's", () => {
  it("the world is valid", () => {
    expect([...parsed.diagnostics, ...world.diagnostics].filter((d) => d.severity === "error")).toEqual([]);
  });

  it.each([
    { service: "shop.Unknown", http: 404, grpc: GRPC_STATUS.UNIMPLEMENTED },
    { service: "shop.Missing", http: 500, grpc: GRPC_STATUS.UNAVAILABLE },
    { service: "shop.WrongPort", http: 500, grpc: GRPC_STATUS.UNAVAILABLE },
    { service: "shop.Drained", http: 500, grpc: GRPC_STATUS.UNAVAILABLE },
    { service: "shop.Nowhere", http: 500, grpc: GRPC_STATUS.UNAVAILABLE },
    { service: "shop.Extension", http: 500, grpc: GRPC_STATUS.UNKNOWN },
  ])("$service: HTTP $http → grpc-status $grpc", async ({ service, http, grpc }) => {
    const d = decide(world, request(service), { seed: 0, index: 0 });
    expect(d.status).toBe(http);
    expect(grpcStatusOf(d)).toBe(grpc);
    expect(d.grpcStatus).toBe(grpc);
    const r = await replay(world, [call(service, { status: 200, grpcStatus: grpc }), call(service, { status: 200, grpcStatus: NEVER })]);
    expect(r.observed).toMatchObject({ compared: 2, agree: 1, disagree: 1 });
    expect(r.observed!.differences.map((x) => [x.observed, x.simulated])).toEqual([[`grpc-status ${NEVER}`, `grpc-status ${grpc}`]]);
  });

  it("a forwarded call has no grpc-status of the gateway's", async () => {
    expect(grpcStatusOf(decide(world, request("shop.Store"), { seed: 0, index: 0 }))).toBeNull();
    const r = await replay(world, [call("shop.Store", { status: 200, grpcStatus: GRPC_STATUS.UNAVAILABLE })]);
    expect(r.observed!.differences.map((x) => x.simulated)).toEqual(["ns/store:9000"]);
  });

  it("when the split mode draws the invalid backend where decide drew the valid one (and back), the status is core's for that pick", async () => {
    const n = 40;
    const records = Array.from({ length: n }, () => call("shop.Half", { status: 200, grpcStatus: NEVER }));
    const r = await replay(world, records, { split: "wrr", seed: 7 });
    // Core's answer for a decision that picked the invalid backend.
    const decisions = records.map((_, index) => decide(world, request("shop.Half"), { seed: 7, index }));
    const invalidPick = decisions.find((d) => d.status === 500)!;
    expect(invalidPick.backend).toMatchObject({ name: "gone" });
    expect(grpcStatusOf(invalidPick)).toBe(GRPC_STATUS.UNAVAILABLE);
    // wrr alternates: half the calls go to each backend, whatever decide's own draw was.
    const byLabel = Object.fromEntries(r.observed!.differences.map((x) => [x.simulated, x.count]));
    expect(byLabel).toEqual({ [`grpc-status ${grpcStatusOf(invalidPick)}`]: n / 2, "ns/store:9000": n / 2 });
    // The redraw path ran: some calls decide forwarded were answered by the gateway in replay.
    const forwarded = decisions.filter((d) => d.outcome === "forward").length;
    expect(forwarded).toBeGreaterThan(0);
    expect(forwarded).toBeLessThan(n);
  });
});
