/** The scenario matcher must catch every kind of difference, or the scenarios prove nothing. */
import { describe, expect, it } from "vitest";
import type { StatusItem } from "../packages/core/src/resolve/graph.js";
import { compareStatus, type ExpectedObject } from "./status-expect.js";

const cond = (type: string, status: string, reason: string, message = "") => ({ type, status, reason, message, observedGeneration: 1 });
const items: StatusItem[] = [
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { namespace: "edge", name: "gw", generation: 1 },
    status: {
      conditions: [cond("Accepted", "True", "Accepted", "accepted by x")],
      listeners: [{ name: "http", attachedRoutes: 2, supportedKinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }], conditions: [cond("Programmed", "True", "Programmed")] }],
      attachedListenerSets: 0,
    },
  },
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { namespace: "edge", name: "r" },
    status: { parents: [{ parentRef: { kind: "Gateway", name: "gw" }, controllerName: "c/x", conditions: [cond("Accepted", "False", "NoMatchingParent", "no listener")] }] },
  },
  { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "other" }, status: {} },
  // generation 3, but its parent's conditions still report 1
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { namespace: "edge", name: "stale", generation: 3 },
    status: { parents: [{ parentRef: { kind: "Gateway", name: "gw" }, controllerName: "c/x", conditions: [cond("Accepted", "True", "Accepted")] }] },
  },
];
const gw = { kind: "Gateway", namespace: "edge", name: "gw" };
const route = { kind: "HTTPRoute", namespace: "edge", name: "r" };

describe("compareStatus", () => {
  it("accepts an expectation that holds", () => {
    expect(
      compareStatus(items, [
        { ...gw, conditions: [{ type: "Accepted", status: "True", message: "accepted" }], listeners: [{ name: "http", attachedRoutes: 2, supportedKinds: ["HTTPRoute"] }] },
        { ...route, parents: [{ parentRef: { name: "gw" }, conditions: [{ type: "Accepted", reason: "NoMatchingParent" }] }] },
        { kind: "GatewayClass", name: "other", emptyStatus: true },
        { kind: "GatewayClass", name: "absent", absent: true },
        { ...gw, observedGeneration: 1 },
      ]),
    ).toEqual([]);
  });

  it.each<{ name: string; e: ExpectedObject }>([
    { name: "missing object", e: { kind: "Gateway", namespace: "edge", name: "nope" } },
    { name: "object that must be absent", e: { ...gw, absent: true } },
    { name: "condition status", e: { ...gw, conditions: [{ type: "Accepted", status: "False" }] } },
    { name: "condition reason", e: { ...gw, conditions: [{ type: "Accepted", reason: "ListenersNotValid" }] } },
    { name: "condition message", e: { ...gw, conditions: [{ type: "Accepted", message: "rejected" }] } },
    { name: "missing condition type", e: { ...gw, conditions: [{ type: "ResolvedRefs" }] } },
    { name: "condition that must be absent", e: { ...gw, absentConditions: ["Accepted"] } },
    { name: "listener set", e: { ...gw, listeners: [{ name: "http" }, { name: "https" }] } },
    { name: "attachedRoutes", e: { ...gw, listeners: [{ name: "http", attachedRoutes: 1 }] } },
    { name: "supportedKinds", e: { ...gw, listeners: [{ name: "http", supportedKinds: ["HTTPRoute", "GRPCRoute"] }] } },
    { name: "absent listener condition", e: { ...gw, listeners: [{ name: "http", absentConditions: ["Programmed"] }] } },
    { name: "absent parent condition", e: { ...route, parents: [{ parentRef: { name: "gw" }, absentConditions: ["Accepted"] }] } },
    { name: "listener condition", e: { ...gw, listeners: [{ name: "http", conditions: [{ type: "Programmed", status: "False" }] }] } },
    { name: "attachedListenerSets", e: { ...gw, attachedListenerSets: 1 } },
    { name: "parent count", e: { ...route, parents: [] } },
    { name: "parentRef", e: { ...route, parents: [{ parentRef: { name: "other" } }] } },
    { name: "controllerName", e: { ...route, parents: [{ parentRef: { name: "gw" }, controllerName: "c/y" }] } },
    { name: "parent condition", e: { ...route, parents: [{ parentRef: { name: "gw" }, conditions: [{ type: "Accepted", status: "True" }] }] } },
    { name: "empty status", e: { ...gw, emptyStatus: true } },
    { name: "generation", e: { ...gw, observedGeneration: 2 } },
    { name: "observedGeneration (metadata without generation)", e: { ...route, observedGeneration: 1 } },
    { name: "stale parent condition", e: { kind: "HTTPRoute", namespace: "edge", name: "stale", observedGeneration: 3 } },
    { name: "observedGeneration with no conditions", e: { kind: "GatewayClass", name: "other", observedGeneration: 1 } },
  ])("reports a wrong $name", ({ e }) => {
    expect(compareStatus(items, [e])).not.toEqual([]);
  });
});
