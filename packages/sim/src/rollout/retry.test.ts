import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { allowedShare, budgetAllows, retriesFor, retryOutcome } from "./retry.js";

describe("retriesFor: which failures a rule retries, and how often", () => {
  it.each([
    { retry: null, code: 503, want: 0 },
    { retry: { attempts: 2, codes: [503] }, code: 503, want: 2 },
    { retry: { attempts: 2, codes: [500, 502] }, code: 503, want: 0 },
    { retry: { codes: [503] }, code: 503, want: 1 }, // attempts unset: Envoy's one retry
    { retry: { attempts: 3 }, code: 503, want: 0 }, // no codes: status failures are not retried
    { retry: { attempts: 3 }, code: "reset" as const, want: 3 }, // connection errors: any retry stanza
    { retry: { attempts: 2, codes: [429] }, code: 429, want: 2 },
  ])("$retry, code $code → $want", ({ retry, code, want }) => {
    expect(retriesFor(retry, code)).toBe(want);
  });
});

describe("retryOutcome: one request on a failing backend", () => {
  it.each([
    { rate: 0.1, n: 2, allow: 1, fail: 0.001, retries: 0.1 + 0.01, refused: 0 },
    { rate: 0.1, n: 0, allow: 1, fail: 0.1, retries: 0, refused: 0 },
    { rate: 0.5, n: 2, allow: 0, fail: 0.5, retries: 0, refused: 0.5 }, // every retry refused: the first failure stands
    { rate: 0.5, n: 1, allow: 0.5, fail: 0.5 * 0.5 + 0.5 * 0.5 * 0.5, retries: 0.25, refused: 0.25 },
    { rate: 1, n: 3, allow: 1, fail: 1, retries: 3, refused: 0 },
    { rate: 0, n: 3, allow: 1, fail: 0, retries: 0, refused: 0 },
  ])("rate $rate, $n retries, allowed $allow → fail $fail, retries $retries, refused $refused", ({ rate, n, allow, fail, retries, refused }) => {
    const o = retryOutcome(rate, n, allow);
    expect(o.fail).toBeCloseTo(fail, 12);
    expect(o.retries).toBeCloseTo(retries, 12);
    expect(o.refused).toBeCloseTo(refused, 12);
  });

  it("properties: the sum form meets the closed form at allow 1; a tighter budget never lowers failures or raises retries", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (rate, n, a, b) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const nearlyFull = retryOutcome(rate, n, 1 - 1e-12);
        expect(nearlyFull.fail).toBeCloseTo(rate ** (n + 1), 9);
        const tight = retryOutcome(rate, n, lo);
        const loose = retryOutcome(rate, n, hi);
        expect(tight.fail).toBeGreaterThanOrEqual(loose.fail - 1e-12);
        expect(tight.retries).toBeLessThanOrEqual(loose.retries + 1e-12);
        // Between no retry and every retry: rate^(n+1) ≤ fail ≤ rate.
        expect(tight.fail).toBeLessThanOrEqual(rate + 1e-12);
        expect(tight.fail).toBeGreaterThanOrEqual(rate ** (n + 1) - 1e-12);
      }),
    );
  });
});

describe("retry budgets in expectation", () => {
  it.each([
    { percent: 20, first: 100, minCount: 0, want: 25 }, // 25 of 125 attempts
    { percent: 20, first: 100, minCount: 10, want: 100 }, // the floor: 10 per 1 s over 10 s
    { percent: 100, first: 0, minCount: 0, want: Infinity },
    { percent: 0, first: 100, minCount: 0, want: 0 },
  ])("$percent% after $first first attempts, floor $minCount/s: $want", ({ percent, first, minCount, want }) => {
    expect(budgetAllows({ percent, intervalMs: 10_000, minCount, minIntervalMs: 1000 }, first)).toBe(want);
  });

  it("allowedShare: 1 when the retries fit, else the share that brings them to the budget", () => {
    const groups = [{ weight: 100, rate: 0.5, n: 2 }];
    expect(allowedShare(groups, 75)).toBe(1);
    expect(allowedShare(groups, 25)).toBeCloseTo(Math.SQRT2 - 1, 9);
    expect(allowedShare(groups, 0)).toBe(0);
  });
});
