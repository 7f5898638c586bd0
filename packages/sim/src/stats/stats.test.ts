import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { wilson } from "./wilson.js";
import { chiSquareSurvival, chiSquareTest } from "./chi-square.js";
import { logGamma, regularizedGammaP, regularizedGammaQ } from "./gamma.js";
import { addShare, expectedCounts, expectedCountsExact, mergeShareGroups, newShareGroups, rationalToNumber } from "./exact-share.js";

describe("wilson", () => {
  // Hand-computed: centre = (p + z²/2n)/(1 + z²/n), half = z/(1 + z²/n)·sqrt(p(1−p)/n + z²/4n²).
  it.each([
    { k: 0, n: 10, lo: 0, hi: 0.277532 },
    { k: 5, n: 10, lo: 0.236593, hi: 0.763407 },
    { k: 10, n: 10, lo: 0.722468, hi: 1 },
    { k: 1, n: 100, lo: 0.001767, hi: 0.054486 },
    { k: 500, n: 1000, lo: 0.469070, hi: 0.530930 },
  ])("$k/$n → [$lo, $hi]", ({ k, n, lo, hi }) => {
    const [a, b] = wilson(k, n);
    expect(a).toBeCloseTo(lo, 5);
    expect(b).toBeCloseTo(hi, 5);
  });

  it("n = 0 says nothing", () => expect(wilson(0, 0)).toEqual([0, 1]));

  it("contains the sample share and stays in [0, 1]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.floor(f * n);
        const [lo, hi] = wilson(k, n);
        return lo >= 0 && hi <= 1 && lo <= k / n + 1e-12 && k / n <= hi + 1e-12;
      }),
    );
  });
});

describe("gamma and chi-square", () => {
  it("logGamma matches factorials", () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
  });

  it("P + Q = 1 and P(1, x) = 1 − e^−x", () => {
    for (const x of [0.1, 1, 2.5, 10, 40]) {
      expect(regularizedGammaP(1, x)).toBeCloseTo(1 - Math.exp(-x), 13);
      expect(regularizedGammaQ(1, x)).toBeCloseTo(Math.exp(-x), 13);
      for (const a of [0.5, 3, 17.5]) expect(regularizedGammaP(a, x) + regularizedGammaQ(a, x)).toBeCloseTo(1, 12);
    }
  });

  // Table values of the chi-square distribution's critical points.
  it.each([
    { x: 3.841459, df: 1, p: 0.05 },
    { x: 6.634897, df: 1, p: 0.01 },
    { x: 5.991465, df: 2, p: 0.05 },
    { x: 11.070498, df: 5, p: 0.05 },
    { x: 1, df: 1, p: 0.317311 },
    { x: 124.342113, df: 100, p: 0.05 },
  ])("survival($x, $df) = $p", ({ x, df, p }) => {
    expect(chiSquareSurvival(x, df)).toBeCloseTo(p, 6);
  });

  it("df = 2 survival is exactly e^(−x/2)", () => {
    for (const x of [0.5, 3, 10, 30, 80]) expect(chiSquareSurvival(x, 2) / Math.exp(-x / 2)).toBeCloseTo(1, 10);
  });

  it("tests [10, 20, 30] against a flat 20 each: X² = 10, df 2, p = e^−5", () => {
    const r = chiSquareTest([10, 20, 30], [20, 20, 20])!;
    expect(r.statistic).toBe(10);
    expect(r.df).toBe(2);
    expect(r.pValue).toBeCloseTo(Math.exp(-5), 12);
  });

  it("zero-expected categories drop from df, and a hit on one is impossible", () => {
    expect(chiSquareTest([50, 50, 0], [50, 50, 0])).toEqual({ statistic: 0, df: 1, pValue: 1 });
    expect(chiSquareTest([50, 49, 1], [50, 50, 0])).toEqual({ statistic: Infinity, df: 1, pValue: 0 });
    expect(chiSquareTest([100], [100])).toBeNull();
  });
});

describe("exact expected shares", () => {
  it("sums count × weight / total exactly", () => {
    const g = newShareGroups();
    addShare(g, ["a", "b"], [1, 2], 1);
    addShare(g, ["a", "b"], [1, 2], 2);
    addShare(g, ["a", "c"], [1, 1], 3);
    const exact = expectedCountsExact(g);
    expect(exact.get("a")).toEqual({ num: 5n, den: 2n }); // 3·1/3 + 3·1/2
    expect(exact.get("b")).toEqual({ num: 2n, den: 1n });
    expect(expectedCounts(g).get("c")).toBe(1.5);
  });

  it("zero-total splits expect nothing", () => {
    const g = newShareGroups();
    addShare(g, ["a"], [0], 7);
    expect(expectedCounts(g).size).toBe(0);
  });

  it("a thousand thirds sum to an exact integer (no float drift)", () => {
    const g = newShareGroups();
    for (let i = 0; i < 999; i++) addShare(g, ["x", "y", "z"], [1, 1, 1]);
    expect(expectedCounts(g).get("x")).toBe(333);
  });

  it("merging is order-independent", () => {
    const a = newShareGroups();
    const b = newShareGroups();
    addShare(a, ["p", "q"], [3, 7], 5);
    addShare(b, ["p", "q"], [3, 7], 6);
    addShare(b, ["p"], [1], 2);
    const ab = expectedCounts(mergeShareGroups(mergeShareGroups(newShareGroups(), a), b));
    const ba = expectedCounts(mergeShareGroups(mergeShareGroups(newShareGroups(), b), a));
    expect([...ab]).toEqual([...ba].sort((x, y) => [...ab.keys()].indexOf(x[0]) - [...ab.keys()].indexOf(y[0])));
    expect(ab.get("p")).toBeCloseTo(3.3 + 2, 12);
  });

  it("rationalToNumber is accurate beyond 2^53", () => {
    expect(rationalToNumber({ num: (1n << 70n) + 1n, den: 3n })).toBeCloseTo(Number(1n << 70n) / 3, -10);
    expect(rationalToNumber({ num: 1n, den: 3n })).toBe(1 / 3);
  });
});
