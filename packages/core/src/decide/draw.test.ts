import fc from "fast-check";
import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { draw, tycheiFirst } from "./draw.js";

describe("the draw", () => {
  it("is seedrandom's Tyche-i, number for number", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (s) => {
        expect(tycheiFirst(s)).toBe(seedrandom.tychei(s)());
      }),
      { numRuns: 2000 },
    );
    for (const [seed, index] of [[0, 0], [1, 0], [1, 1], [-5, 123456], [2 ** 40, 7]] as const) {
      expect(draw(seed, index)).toBe(seedrandom.tychei(`${seed}:${index}`)());
      expect(draw(seed, index, "mirror")).toBe(seedrandom.tychei(`${seed}:${index}:mirror`)());
    }
  });
  it("mixes integer seeds and indices as their strings, without building them", () => {
    const number = fc.oneof(
      fc.integer(),
      fc.maxSafeInteger(),
      fc.constantFrom(0, -0, 9, 10, 99, 100, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, 1e21, 0.5, -1.25, 1e-7),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    fc.assert(
      fc.property(number, number, (seed, index) => {
        expect(draw(seed, index)).toBe(tycheiFirst(`${seed}:${index}`));
      }),
      { numRuns: 5000 },
    );
  });
  it("stays in [0, 1)", () => {
    fc.assert(fc.property(fc.integer(), fc.nat(), (seed, index) => {
      const u = draw(seed, index);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }));
  });
});
