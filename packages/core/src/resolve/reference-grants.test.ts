import { describe, expect, it } from "vitest";
import type { InputObject } from "./input.js";
import { indexReferenceGrants } from "./reference-grants.js";

const GW = "gateway.networking.k8s.io";
const grant = (namespace: string, spec: unknown): InputObject => ({ kind: "ReferenceGrant", metadata: { name: `g-${namespace}`, namespace }, spec });
const fromRoute = { group: GW, kind: "HTTPRoute", namespace: "edge" };
const toSvc = (name: string, namespace = "shop") => ({ group: "", kind: "Service", namespace, name });

describe("ReferenceGrant (GEP-709)", () => {
  const grants = indexReferenceGrants([
    grant("shop", {
      from: [
        { group: GW, kind: "GRPCRoute", namespace: "edge" },
        { group: GW, kind: "HTTPRoute", namespace: "edge" },
      ],
      to: [{ group: "", kind: "Service", name: "cart" }, { group: "", kind: "Secret" }],
    }),
  ]);
  it.each([
    { name: "same namespace needs no grant", from: { ...fromRoute, namespace: "shop" }, to: toSvc("anything"), want: true },
    { name: "named target", from: fromRoute, to: toSvc("cart"), want: true },
    { name: "another name", from: fromRoute, to: toSvc("checkout"), want: false },
    { name: "to entry without name covers the kind", from: fromRoute, to: { group: "", kind: "Secret", namespace: "shop", name: "x" }, want: true },
    { name: "second from entry", from: { ...fromRoute, kind: "GRPCRoute" }, to: toSvc("cart"), want: true },
    { name: "other from kind", from: { ...fromRoute, kind: "TCPRoute" }, to: toSvc("cart"), want: false },
    { name: "other from namespace", from: { ...fromRoute, namespace: "web" }, to: toSvc("cart"), want: false },
    { name: "other from group", from: { ...fromRoute, group: "example.com" }, to: toSvc("cart"), want: false },
    { name: "grant lives in the target namespace only", from: fromRoute, to: toSvc("cart", "other"), want: false },
    { name: "other to group", from: fromRoute, to: { ...toSvc("cart"), group: "example.com" }, want: false },
  ])("$name → $want", ({ from, to, want }) => {
    expect(grants.permits(from, to)).toBe(want);
  });
});
