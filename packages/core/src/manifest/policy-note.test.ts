import { describe, expect, it } from "vitest";
import { parseManifests } from "./parse.js";

// A skipped object that attaches to others (spec.targetRefs / spec.targetRef): the note says
// whose traffic it changes, and that gwsim does not simulate it.
const policy = (spec: string) => `apiVersion: policy.example.net/v1\nkind: RateGuard\nmetadata: {name: guard, namespace: shop}\nspec: ${spec}\n`;
const HEAD = "skipped RateGuard shop/guard (policy.example.net/v1): gwsim does not read this kind";

describe("the note on a skipped policy", () => {
  it.each([
    { case: "targetRefs", spec: "{targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: orders}]}", note: "; it is a policy attached to HTTPRoute orders, and what it does to their traffic is not simulated" },
    { case: "a sectionName", spec: "{targetRefs: [{kind: Gateway, name: door, sectionName: https}, {kind: HTTPRoute, name: orders}]}", note: "; it is a policy attached to Gateway door/https, HTTPRoute orders, and what it does to their traffic is not simulated" },
    { case: "the older targetRef", spec: "{targetRef: {kind: Gateway, name: door}}", note: "; it is a policy attached to Gateway door, and what it does to their traffic is not simulated" },
    { case: "more than three targets", spec: "{targetRefs: [{kind: A, name: a}, {kind: B, name: b}, {kind: C, name: c}, {kind: D, name: d}, {kind: E, name: e}]}", note: "; it is a policy attached to A a, B b, C c and 2 more, and what it does to their traffic is not simulated" },
    { case: "no targets", spec: "{rate: 5}", note: "" },
    { case: "targetRefs not a list of objects", spec: "{targetRefs: [3, null]}", note: "" },
    { case: "no spec", spec: "null", note: "" },
  ])("$case", ({ spec, note }) => {
    const r = parseManifests(policy(spec), { file: "p.yaml" });
    expect(r.diagnostics).toMatchObject([{ code: "manifest.unknown-kind", severity: "info" }]);
    expect(r.diagnostics[0]!.message).toBe(`${HEAD}${note}`);
  });
});
