import { describe, expect, it } from "vitest";
import type { LabelSelectorIn } from "./input.js";
import { describeSelector, namespaceLabels, NAMESPACE_NAME_LABEL, selectorMatches } from "./selector.js";

const labels = { team: "shop", env: "prod" };

describe("selectorMatches (metav1.LabelSelector)", () => {
  it.each<{ name: string; sel: LabelSelectorIn | undefined; want: boolean }>([
    { name: "no selector", sel: undefined, want: true },
    { name: "empty selector", sel: {}, want: true },
    { name: "matchLabels hit", sel: { matchLabels: { team: "shop" } }, want: true },
    { name: "matchLabels miss", sel: { matchLabels: { team: "web" } }, want: false },
    { name: "matchLabels all must hold", sel: { matchLabels: { team: "shop", env: "dev" } }, want: false },
    { name: "In", sel: { matchExpressions: [{ key: "env", operator: "In", values: ["dev", "prod"] }] }, want: true },
    { name: "In, key absent", sel: { matchExpressions: [{ key: "tier", operator: "In", values: ["x"] }] }, want: false },
    { name: "NotIn", sel: { matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] }, want: false },
    { name: "NotIn, key absent", sel: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["x"] }] }, want: true },
    { name: "Exists", sel: { matchExpressions: [{ key: "team", operator: "Exists" }] }, want: true },
    { name: "DoesNotExist", sel: { matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, want: false },
    { name: "unknown operator matches nothing", sel: { matchExpressions: [{ key: "team", operator: "Near" }] }, want: false },
    {
      name: "labels and expressions together",
      sel: { matchLabels: { team: "shop" }, matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }] },
      want: true,
    },
  ])("$name → $want", ({ sel, want }) => {
    expect(selectorMatches(sel, labels)).toBe(want);
  });
});

describe("namespaceLabels", () => {
  it("adds the name label the API server sets, also for namespaces without an object", () => {
    const known = new Map([["shop", { team: "shop" }]]);
    expect(namespaceLabels(known, "shop")).toEqual({ team: "shop", [NAMESPACE_NAME_LABEL]: "shop" });
    expect(namespaceLabels(known, "ghost")).toEqual({ [NAMESPACE_NAME_LABEL]: "ghost" });
  });
  it("the name label cannot be spoofed by a Namespace's own labels", () => {
    const known = new Map([["a", { [NAMESPACE_NAME_LABEL]: "b" }]]);
    expect(namespaceLabels(known, "a")[NAMESPACE_NAME_LABEL]).toBe("a");
  });
});

describe("describeSelector", () => {
  it("reads like kubectl", () => {
    expect(
      describeSelector({
        matchLabels: { a: "1" },
        matchExpressions: [
          { key: "b", operator: "In", values: ["x", "y"] },
          { key: "c", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("a=1, b in (x,y), !c");
  });
});
