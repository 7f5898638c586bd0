import { describe, expect, it } from "vitest";
import { editDistance, likelyMeant } from "./typo.js";

describe("likelyMeant", () => {
  it.each([
    ["canery", ["stable", "canary"], "canary"], // one substitution
    ["cnaary", ["canary"], "canary"], // neighbours swapped
    ["api", ["app"], "app"], // short names: one edit at most
    ["api", ["web"], null],
    ["payments-api", ["payment-api", "orders-api"], "payment-api"],
    ["checkout", ["checkout"], null], // itself is no suggestion
    ["svc-a", ["svc-b", "svc-c"], null], // two equally close: no guess
    ["frontend", ["backend"], null], // too far to be a typo
    ["x", [], null],
  ])("%s among %j → %s", (name, candidates, want) => {
    expect(likelyMeant(name, candidates)).toBe(want);
  });

  it("edit distance counts a swap of neighbours as one", () => {
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});
