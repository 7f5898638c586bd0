import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { effectiveWeights, minimumSurvivingWeight } from "./weight-precision.js";

describe("effectiveWeights: percent (whole percents, largest remainder, Istio ≤ 1.14)", () => {
  it.each([
    // 0.7% → int 0, remainder .7; 99.3% → 99, remainder .3: the missing point goes to the .7.
    { written: [7, 993], want: [1, 99] },
    { written: [993, 7], want: [99, 1] },
    // 0.4% against 99.6%: the .6 takes the point.
    { written: [4, 996], want: [0, 100] },
    // Exactly 0.5% against 99.5%: a tie of remainders goes to the earlier backendRef.
    { written: [5, 995], want: [1, 99] },
    { written: [995, 5], want: [100, 0] },
    { written: [1, 199], want: [1, 99] },
    { written: [199, 1], want: [100, 0] },
    // Istio's own TestStandardizeWeight rows.
    { written: [1, 1, 1], want: [34, 33, 33] },
    { written: [9, 1], want: [90, 10] },
    { written: [1, 1, 1, 1, 1, 1], want: [17, 17, 17, 17, 16, 16] },
    { written: [1, 1, 1, 3], want: [17, 17, 16, 50] },
    { written: [1, 1, 1, 1, 2], want: [17, 17, 17, 16, 33] },
    // Weight 0 is dropped before rounding: never a point.
    { written: [0, 7, 993], want: [0, 1, 99] },
    { written: [5, 0], want: [100, 0] },
    // Six 0.5% backends and 97%: three points left, ties in list order...
    { written: [1, 1, 1, 1, 1, 1, 194], want: [1, 1, 1, 0, 0, 0, 97] },
    // ...except that Go's gap-6 pass first swaps the 7th with the 1st (its .5 beats 97%'s 0).
    { written: [194, 1, 1, 1, 1, 1, 1], want: [97, 1, 1, 0, 0, 0, 1] },
  ])("$written → $want", ({ written, want }) => {
    const e = effectiveWeights(written, "percent");
    expect(e.weights).toEqual(want);
    expect(e.total).toBe(100);
  });

  it("keeps the weights when they already are whole percents, or when there is nothing to split", () => {
    expect(effectiveWeights([9, 1], "percent").sameAsWritten).toBe(true);
    expect(effectiveWeights([3, 1], "percent")).toEqual({ weights: [75, 25], total: 100, sameAsWritten: true });
    expect(effectiveWeights([1, 2], "percent").sameAsWritten).toBe(false);
    expect(effectiveWeights([7], "percent")).toEqual({ weights: [7], total: 7, sameAsWritten: true });
    expect(effectiveWeights([0, 0], "percent")).toEqual({ weights: [0, 0], total: 0, sameAsWritten: true });
  });
});

describe("effectiveWeights: ngf (NGINX Gateway Fabric, 0.01% floor, the last takes the rest)", () => {
  it.each([
    { written: [7, 993], want: [70, 9930] },
    { written: [5, 995], want: [50, 9950] },
    { written: [1, 199], want: [50, 9950] },
    // 0.000999...% floors to 0; the last backend takes everything.
    { written: [1, 100_000], want: [0, 10_000] },
    // The last backend keeps its 0.001%: it is never floored.
    { written: [100_000, 1], want: [9999, 1] },
    // float64 as NGF computes it: 5700 / 10000 = 0.57, × 100 = 56.99999999999999, floored to 56.
    { written: [57, 9943], want: [56, 9944] },
    // A weight-0 last backend takes the rounding dust.
    { written: [2, 1, 0], want: [6666, 3333, 1] },
    { written: [1, 1, 1], want: [3333, 3333, 3334] },
  ])("$written → $want", ({ written, want }) => {
    const e = effectiveWeights(written, "ngf");
    expect(e.weights).toEqual(want);
    expect(e.total).toBe(10_000);
  });
});

describe("minimumSurvivingWeight", () => {
  it.each([
    // ngf: w / (w + 100000) ≥ 0.01% ⇔ w ≥ 10.001.
    { written: [1, 100_000], index: 0, precision: "ngf" as const, want: 11 },
    // percent, two backends: 503 / 100503 = 0.5005% (remainder .5005 beats .4995); 502 gives .4995 < .5005.
    { written: [1, 100_000], index: 0, precision: "percent" as const, want: 503 },
    { written: [100_000, 1], index: 1, precision: "percent" as const, want: 503 },
    // At exactly 0.5% the earlier backendRef wins the tie: 1 of 200 survives first, not last.
    { written: [1, 199], index: 0, precision: "percent" as const, want: 1 },
    { written: [199, 1], index: 1, precision: "percent" as const, want: 2 },
    // 5 / 998 = 0.501% (remainder .501 beats .499); 4 / 997 = 0.401% loses to .599.
    { written: [7, 993], index: 0, precision: "percent" as const, want: 5 },
    // 5 / 1001 = 0.4995% loses to .5005; 6 / 1002 = 0.599% wins.
    { written: [4, 996], index: 0, precision: "percent" as const, want: 6 },
    { written: [1, 5], index: 0, precision: "exact" as const, want: 1 },
  ])("$precision $written [$index] → $want", ({ written, index, precision, want }) => {
    expect(minimumSurvivingWeight(written, index, precision)).toBe(want);
  });

  it("every weight from the minimum on survives, the one below does not (percent, several backends)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 2, maxLength: 8 }), fc.nat(), (written, pick) => {
        const index = pick % written.length;
        for (const precision of ["ngf", "percent"] as const) {
          const min = minimumSurvivingWeight(written, index, precision);
          const at = (w: number) => {
            const ws = [...written];
            ws[index] = w;
            return effectiveWeights(ws, precision).weights[index]!;
          };
          if (min > 1 && at(min - 1) !== 0) return false;
          const rest = written.reduce((a, b) => a + b, 0) - written[index]!;
          // Up to the weight whose own share is 1% (past it, the floor alone keeps it above 0).
          const top = Math.min(min + Math.ceil(rest / 99) + 2, min + 5000);
          for (let w = min; w <= top; w++) if (at(w) === 0) return false;
        }
        return true;
      }),
    );
  });
});
