import { regularizedGammaQ } from "./gamma.js";

export interface ChiSquareResult {
  statistic: number;
  /** Degrees of freedom: categories with a non-zero expectation, minus one. */
  df: number;
  /** P(X² ≥ statistic) under the null hypothesis that the counts follow the expectation. */
  pValue: number;
}

/** Upper tail of the chi-square distribution with `df` degrees of freedom. */
export function chiSquareSurvival(statistic: number, df: number): number {
  if (df <= 0) return 1;
  if (statistic <= 0) return 1;
  return regularizedGammaQ(df / 2, statistic / 2);
}

/**
 * Pearson goodness-of-fit test of observed counts against expected counts (same order).
 * A category expected at 0 but observed is impossible under the null: statistic ∞, p = 0.
 * Returns null when there is nothing to test (fewer than two categories with an expectation).
 */
export function chiSquareTest(observed: readonly number[], expected: readonly number[]): ChiSquareResult | null {
  if (observed.length !== expected.length) throw new Error("chiSquareTest: observed and expected differ in length");
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!;
    const e = expected[i]!;
    if (e > 0) {
      categories++;
      statistic += ((o - e) * (o - e)) / e;
    } else if (o > 0) {
      statistic = Infinity;
    }
  }
  if (categories < 2) return null;
  const df = categories - 1;
  return { statistic, df, pValue: statistic === Infinity ? 0 : chiSquareSurvival(statistic, df) };
}
