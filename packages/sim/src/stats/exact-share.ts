/**
 * Exact expected counts: requests are grouped by the weight vector of the split they hit, and
 * the expectation Σ count × weight / total is summed as rationals (BigInt), so a million
 * requests do not accumulate floating-point drift and the sum does not depend on the order or
 * on how the trace was cut between workers.
 */
export interface ShareGroup {
  /** Keys of the backends in the split, in order. */
  keys: string[];
  /** Non-negative integer weights, same order as keys. */
  weights: number[];
  /** Requests that hit this split with these weights. */
  count: number;
}

export type ShareGroups = Map<string, ShareGroup>;

export function newShareGroups(): ShareGroups {
  return new Map();
}

function groupId(keys: readonly string[], weights: readonly number[]): string {
  let id = "";
  for (let i = 0; i < keys.length; i++) id += `${keys[i]}\u0000${weights[i]}\u0001`;
  return id;
}

/** Count `n` requests against a split; `id` may be passed when the caller caches it. */
export function addShare(groups: ShareGroups, keys: readonly string[], weights: readonly number[], n = 1, id?: string): void {
  const gid = id ?? groupId(keys, weights);
  const g = groups.get(gid);
  if (g) g.count += n;
  else groups.set(gid, { keys: [...keys], weights: [...weights], count: n });
}

export function shareGroupId(keys: readonly string[], weights: readonly number[]): string {
  return groupId(keys, weights);
}

export function mergeShareGroups(into: ShareGroups, from: ShareGroups): ShareGroups {
  for (const [id, g] of from) addShare(into, g.keys, g.weights, g.count, id);
  return into;
}

/** An exact non-negative rational. */
export interface Rational {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

export function addRational(a: Rational, b: Rational): Rational {
  const num = a.num * b.den + b.num * a.den;
  const den = a.den * b.den;
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g };
}

/** The double nearest num/den (within an ulp), even when both exceed 2^53. */
export function rationalToNumber(r: Rational): number {
  if (r.den === 0n) return Number.NaN;
  const LIMIT = 1n << 53n;
  if (r.num < LIMIT && r.den < LIMIT) return Number(r.num) / Number(r.den);
  // Keep ~64 significant bits in the quotient, then scale back by a power of two (exact).
  const shift = Math.max(0, 64 - (r.num.toString(2).length - r.den.toString(2).length));
  return Number((r.num << BigInt(shift)) / r.den) / 2 ** shift;
}

/** Expected request count per backend key, exact as rationals. */
export function expectedCountsExact(groups: ShareGroups): Map<string, Rational> {
  const out = new Map<string, Rational>();
  for (const g of groups.values()) {
    let total = 0n;
    for (const w of g.weights) total += BigInt(w);
    if (total === 0n) continue;
    for (let i = 0; i < g.keys.length; i++) {
      const w = BigInt(g.weights[i]!);
      const key = g.keys[i]!;
      const add: Rational = { num: BigInt(g.count) * w, den: total };
      const prev = out.get(key);
      out.set(key, prev ? addRational(prev, add) : addRational({ num: 0n, den: 1n }, add));
    }
  }
  return out;
}

/** Expected request count per backend key, as doubles rounded once from the exact sums. */
export function expectedCounts(groups: ShareGroups): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, r] of expectedCountsExact(groups)) out.set(k, rationalToNumber(r));
  return out;
}
