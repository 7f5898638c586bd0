import { describe, expect, it } from "vitest";
import { failIfRefs, parseFailIf, unknownFailIfRefs, type FailIfExpr } from "./fail-if.js";

function parse(text: string): FailIfExpr {
  const p = parseFailIf(text);
  if (!p.ok) throw new Error(p.message);
  return p.expr;
}

const known = [
  { namespace: "store", name: "checkout-v1", port: 8080 },
  { namespace: "store", name: "checkout-v2", port: 8080 },
  { namespace: "mesh", name: "echo", port: null },
];

describe("failIfRefs", () => {
  it.each([
    ["new404 > 0", []],
    ["status(500) > 0", []],
    ["share(store/a) > 0.1", ["store/a"]],
    ["!(share(a) > 1) || -delta(b:80) < 0 && share(a) > 0", ["a", "b:80"]],
    ["(count(x) + users(ns/y)) / requests > expectedShareBefore(z)", ["x", "ns/y", "z"]],
  ])("%s → %j", (text, refs) => expect(failIfRefs(parse(text))).toEqual(refs));
});

describe("unknownFailIfRefs", () => {
  it.each([
    ["share(store/checkout-v2) > 0.1", []],
    ["share(checkout-v2) > 0.1", []],
    ["share(store/checkout-v2:8080) > 0.1", []],
    ["share(mesh/echo) > 0", []],
    ["share(store/checkout-v3) > 0.01", ["store/checkout-v3"]],
    ["share(other/checkout-v2) > 0", ["other/checkout-v2"]],
    ["share(store/checkout-v2:9090) > 0", ["store/checkout-v2:9090"]],
    ["share(mesh/echo:80) > 0", ["mesh/echo:80"]],
    ["new404 > 0 || delta(nope) > 0 || share(checkout-v1) > 0", ["nope"]],
  ])("%s → %j", (text, unknown) => expect(unknownFailIfRefs(parse(text), known)).toEqual(unknown));
});
