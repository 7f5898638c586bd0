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
  it("stays in [0, 1)", () => {
    fc.assert(fc.property(fc.integer(), fc.nat(), (seed, index) => {
      const u = draw(seed, index);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }));
  });
});
