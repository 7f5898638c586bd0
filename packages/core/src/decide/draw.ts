/**
 * The only source of randomness in a decision: a number in [0, 1) that depends on
 * (seed, index, purpose) and nothing else, so a replay is reproducible and splits across
 * workers. seedrandom's Tyche-i generator: of seedrandom's generators the cheapest to seed
 * (one is seeded per decision that needs a draw), and it passes BigCrush.
 *
 * `tycheiFirst` is seedrandom's `tychei(seedString)()` written out with local state (no
 * generator object, no closures): the same numbers (draw.test.ts checks it against seedrandom),
 * several times faster, which matters because most decisions of a weighted rule draw once.
 * `draw` with integer seed and index mixes in the characters of `${seed}:${index}` without
 * building that string (draw.test.ts checks it against the string).
 */

export function draw(seed: number, index: number, purpose = ""): number {
  // The seed string `${seed}:${index}` written as character codes, without building it.
  if (purpose === "" && Number.isSafeInteger(seed) && Number.isSafeInteger(index)) {
    let n = writeInteger(CODES, 0, seed);
    CODES[n++] = 58; // ":"
    n = writeInteger(CODES, n, index);
    return tycheiCodes(CODES, n);
  }
  return tycheiFirst(purpose === "" ? `${seed}:${index}` : `${seed}:${index}:${purpose}`);
}

/** Scratch for seed strings (two safe integers and a colon need at most 35 codes). */
const CODES = new Int32Array(64);

/** The codes of String(x) for a safe integer x at `at` (`-` and decimal digits; -0 is "0"); the end. */
function writeInteger(out: Int32Array, at: number, x: number): number {
  if (x < 0) {
    out[at++] = 45; // "-"
    x = -x;
  }
  const start = at;
  do {
    const digit = x % 10;
    out[at++] = 48 + digit;
    x = (x - digit) / 10; // exact for safe integers
  } while (x > 0);
  for (let i = start, j = at - 1; i < j; i++, j--) {
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return at;
}

/** The first number of seedrandom's Tyche-i generator seeded with the string `seed`. */
export function tycheiFirst(seed: string): number {
  const codes = seed.length <= CODES.length ? CODES : new Int32Array(seed.length);
  for (let k = 0; k < seed.length; k++) codes[k] = seed.charCodeAt(k);
  return tycheiCodes(codes, seed.length);
}

/** tycheiFirst of the string whose UTF-16 codes are `codes[0..length)`. */
function tycheiCodes(codes: Int32Array, length: number): number {
  let a = 0;
  let b = 0;
  let c = 2654435769 | 0;
  let d = 1367130551;
  // Mix in the string, then discard 20 values (seedrandom's XorGen constructor).
  const rounds = length + 20;
  for (let k = 0; k < rounds; k++) {
    b ^= k < length ? codes[k]! : 0;
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
export function pickWeighted(entries: readonly { readonly weight: number }[], u: number): number {
  return pickWeight(entries.map((e) => e.weight), u);
}

/** pickWeighted of the entries' weights, given as numbers (a rule's runtime keeps them so). */
export function pickWeight(weights: readonly number[], u: number): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    total += w > 0 ? w : 0;
  }
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
