/**
 * Replay compares what `gwsim serve --record` observed for gRPC calls the gateway answered itself
 * (HTTP 200, Trailers-Only, observed.grpcStatus) with the simulated grpc-status: an answered call
 * was counted as a disagreement (observed status 200 against a simulated 404).
 */
import { describe, expect, it } from "vitest";
import { buildWorld, parseManifests } from "../packages/core/src/index.js";
import { replay, type TraceRecord } from "../packages/sim/src/index.js";

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
`;
const world = buildWorld(parseManifests(WORLD, { file: "w.yaml" }).objects);
const call = (service: string, observed: TraceRecord["observed"]): TraceRecord => ({
  gateway: "ns/gw",
  host: "rpc.example.com",
  method: "POST",
  protocol: "HTTP/2",
  path: `/${service}/Get`,
  grpc: { service, method: "Get" },
  observed,
});

describe("observed grpc-status", () => {
  it("an unknown service answered UNIMPLEMENTED agrees; another code or a forward does not, and says both sides", async () => {
    const r = await replay(world, [
      call("shop.Other", { status: 200, grpcStatus: 12 }),
      call("shop.Other", { status: 200, grpcStatus: 14 }),
      call("shop.Store", { status: 200, grpcStatus: 12 }),
      call("shop.Store", { backend: "ns/store:9000", status: 200 }),
    ]);
    expect(r.observed).toMatchObject({ records: 4, compared: 4, agree: 2, disagree: 2 });
    expect(r.observed!.differences.map((d) => [d.observed, d.simulated, d.count])).toEqual([
      ["grpc-status 14", "grpc-status 12", 1],
      ["grpc-status 12", "ns/store:9000", 1],
    ]);
  });
});
