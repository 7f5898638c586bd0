/**
 * The only source of randomness in a decision: a number in [0, 1) that depends on
 * (seed, index, purpose) and nothing else, so a replay is reproducible and splits across
 * workers. seedrandom's Tyche-i generator: of seedrandom's generators the cheapest to seed
 * (one is seeded per decision that needs a draw), and it passes BigCrush.
 */
import seedrandom from "seedrandom";

export function draw(seed: number, index: number, purpose = ""): number {
  return seedrandom.tychei(purpose === "" ? `${seed}:${index}` : `${seed}:${index}:${purpose}`)();
}

/**
 * Picks an entry by weight with `u` in [0, 1); entries of weight 0 never win. Returns -1 when
 * the total weight is 0.
 */
export function pickWeighted(weights: readonly number[], u: number): number {
  let total = 0;
  for (const w of weights) total += w > 0 ? w : 0;
  if (total <= 0) return -1;
  const target = u * total;
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w > 0)) continue;
    cumulative += w;
    last = i;
    if (target < cumulative) return i;
  }
  return last;
}
