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
  it("is the same along runs of consecutive indices (the remembered prefix state)", () => {
    const start = fc.oneof(fc.nat(), fc.constantFrom(0, 5, 95, 99_990, Number.MAX_SAFE_INTEGER - 40));
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER)), start, fc.nat({ max: 40 }), (seed, from, length) => {
        for (let index = from; index <= from + length; index++) expect(draw(seed, index), `${seed}:${index}`).toBe(tycheiFirst(`${seed}:${index}`));
        // Back to an earlier index, and a seed change in the middle of a run.
        expect(draw(seed, from)).toBe(tycheiFirst(`${seed}:${from}`));
        expect(draw(seed + 1, from + 1)).toBe(tycheiFirst(`${seed + 1}:${from + 1}`));
        expect(draw(seed, from + 2)).toBe(tycheiFirst(`${seed}:${from + 2}`));
      }),
      { numRuns: 500 },
    );
    expect(draw(-0, -0)).toBe(tycheiFirst("0:0"));
  });
  it("stays in [0, 1)", () => {
    fc.assert(fc.property(fc.integer(), fc.nat(), (seed, index) => {
      const u = draw(seed, index);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }));
  });
});
