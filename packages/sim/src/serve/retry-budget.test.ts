import { describe, expect, it } from "vitest";
import { RetryBudget, type RetryBudgetConfig } from "./retry-budget.js";

/** A budget on a hand-driven clock. */
function budget(config: Partial<RetryBudgetConfig> = {}) {
  const clock = { t: 0 };
  const b = new RetryBudget({ percent: 20, intervalMs: 10_000, minCount: 0, minIntervalMs: 1000, ...config }, () => clock.t);
  return { b, clock };
}

/** How many of `tries` retries in a row the budget lets go. */
function allowed(b: RetryBudget, tries: number): number {
  let n = 0;
  for (let i = 0; i < tries; i++) if (b.tryRetry()) n++;
  return n;
}

describe("retry budget arithmetic (GEP-3388)", () => {
  it.each([
    // percent, first attempts in the interval, retries allowed: (r + 1) × 100 ≤ p × (a + r + 1)
    { percent: 20, requests: 1000, want: 250 }, // 250 of 1250 attempts are retries: 20%
    { percent: 20, requests: 800, want: 200 }, // 200 of 1000: the GEP's example
    { percent: 20, requests: 3, want: 0 }, // (0 + 1) × 100 > 20 × 4
    { percent: 20, requests: 4, want: 1 }, // 1 of 5
    { percent: 50, requests: 10, want: 10 },
    { percent: 0, requests: 1000, want: 0 },
    { percent: 100, requests: 0, want: 1000 }, // every attempt may be a retry: no limit
  ])("$percent% of attempts after $requests first attempts: $want retries", ({ percent, requests, want }) => {
    const { b } = budget({ percent });
    for (let i = 0; i < requests; i++) b.request();
    expect(allowed(b, Math.min(want + 50, 1000))).toBe(want);
  });

  it("minRetryRate lets count retries go per interval even with no traffic", () => {
    const { b, clock } = budget({ percent: 0, minCount: 3, minIntervalMs: 1000 });
    expect(allowed(b, 10)).toBe(3);
    clock.t = 999; // the same second: none more
    expect(allowed(b, 10)).toBe(0);
    clock.t = 1000; // the first three are now a full interval old
    expect(allowed(b, 10)).toBe(3);
  });

  it("the floor and the percent: whichever allows more", () => {
    const { b } = budget({ percent: 20, minCount: 2, minIntervalMs: 1000 });
    for (let i = 0; i < 100; i++) b.request();
    // 20% of attempts: 25 retries (25 of 125); the floor adds none on top, it only lifts the minimum.
    expect(allowed(b, 100)).toBe(25);
  });

  it("requests older than the interval no longer count", () => {
    const { b, clock } = budget({ percent: 20, intervalMs: 10_000 });
    for (let i = 0; i < 100; i++) b.request();
    expect(allowed(b, 100)).toBe(25);
    clock.t = 10_000; // everything above is exactly one interval old: out
    expect(allowed(b, 5)).toBe(0);
    for (let i = 0; i < 8; i++) b.request();
    expect(allowed(b, 5)).toBe(2); // 2 of 10
  });

  it("retries within the interval keep counting against the budget as time passes", () => {
    const { b, clock } = budget({ percent: 50, intervalMs: 10_000 });
    for (let i = 0; i < 10; i++) b.request();
    expect(allowed(b, 20)).toBe(10); // 10 of 20
    clock.t = 5000;
    expect(allowed(b, 1)).toBe(0);
    clock.t = 9999;
    expect(allowed(b, 1)).toBe(0);
    clock.t = 10_000; // all of it one interval old: an empty window allows no retry (100 > 50 × 1) ...
    expect(allowed(b, 1)).toBe(0);
    b.request(); // ... until a first attempt makes room for one (100 ≤ 50 × 2)
    expect(allowed(b, 2)).toBe(1);
  });
});
