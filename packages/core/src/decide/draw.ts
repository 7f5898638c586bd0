/**
 * The only source of randomness in a decision: a number in [0, 1) that depends on
 * (seed, index, purpose) and nothing else, so a replay is reproducible and splits across
 * workers. seedrandom's Tyche-i generator: of seedrandom's generators the cheapest to seed
 * (one is seeded per decision that needs a draw), and it passes BigCrush.
 *
 * `tycheiFirst` is seedrandom's `tychei(seedString)()` written out with local state (no
 * generator object, no closures): the same numbers (draw.test.ts checks it against seedrandom),
 * several times faster, which matters because most decisions of a weighted rule draw once.
 */

export function draw(seed: number, index: number, purpose = ""): number {
  return tycheiFirst(purpose === "" ? `${seed}:${index}` : `${seed}:${index}:${purpose}`);
}

/** The first number of seedrandom's Tyche-i generator seeded with the string `seed`. */
export function tycheiFirst(seed: string): number {
  let a = 0;
  let b = 0;
  let c = 2654435769 | 0;
  let d = 1367130551;
  // Mix in the string, then discard 20 values (seedrandom's XorGen constructor).
  const rounds = seed.length + 20;
  for (let k = 0; k < rounds; k++) {
    b ^= k < seed.length ? seed.charCodeAt(k) : 0;
    b = (b << 25) ^ (b >>> 7) ^ c;
    c = (c - d) | 0;
    d = (d << 24) ^ (d >>> 8) ^ a;
    a = (a - b) | 0;
    b = (b << 20) ^ (b >>> 12) ^ c;
    c = (c - d) | 0;
    d = (d << 16) ^ (c >>> 16) ^ a;
    a = (a - b) | 0;
  }
  // next()
  b = (b << 25) ^ (b >>> 7) ^ c;
  c = (c - d) | 0;
  d = (d << 24) ^ (d >>> 8) ^ a;
  a = (a - b) | 0;
  b = (b << 20) ^ (b >>> 12) ^ c;
  c = (c - d) | 0;
  a = (a - b) | 0;
  return (a >>> 0) / 0x100000000;
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
