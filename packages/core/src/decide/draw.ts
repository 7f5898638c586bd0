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
  if (purpose === "" && Number.isSafeInteger(seed) && Number.isSafeInteger(index)) {
    if (index >= 0) return drawAfterPrefix(seed, index);
    // The seed string `${seed}:${index}` written as character codes, without building it.
    let n = writeInteger(CODES, 0, seed);
    CODES[n++] = 58; // ":"
    n = writeInteger(CODES, n, index);
    return tycheiCodes(CODES, n);
  }
  return tycheiFirst(purpose === "" ? `${seed}:${index}` : `${seed}:${index}:${purpose}`);
}

/**
 * The generator state after mixing in `${seed}:${tens}` (`${seed}:` when tens is 0): the seed
 * string of every index from tens * 10 to tens * 10 + 9 but its last digit. Consecutive
 * decisions share it, so only the last digit and the 20 discarded rounds are left to run.
 * The state is a function of those characters alone, so reusing it cannot change a draw.
 */
let prefixSeed = Number.NaN;
let prefixTens = -1;
const PREFIX = new Int32Array(4);

/** draw for safe integers seed and index >= 0 (String(index) is String(tens) then the last digit). */
function drawAfterPrefix(seed: number, index: number): number {
  const tens = Math.floor(index / 10);
  if (seed !== prefixSeed || tens !== prefixTens) {
    let n = writeInteger(CODES, 0, seed);
    CODES[n++] = 58; // ":"
    if (tens > 0) n = writeInteger(CODES, n, tens);
    mix(INITIAL, CODES, n, 0, PREFIX);
    prefixSeed = seed;
    prefixTens = tens;
  }
  // The last digit, then the 20 discarded rounds.
  LAST[0] = 48 + (index - tens * 10);
  return mix(PREFIX, LAST, 1, 20, null);
}

/** The generator's state before any character: seedrandom's XorGen constructor. */
const INITIAL = Int32Array.of(0, 0, 2654435769 | 0, 1367130551);
const LAST = new Int32Array(1);

/**
 * Tyche-i's rounds from `state` [a, b, c, d]: one per code of `codes[0..length)` mixed in, then
 * `discards` more with nothing mixed in (seedrandom's constructor discards 20). The state after
 * goes to `out` (and NaN is returned); without one, the generator's next() from it is returned.
 */
function mix(state: Int32Array, codes: Int32Array, length: number, discards: number, out: Int32Array | null): number {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  const rounds = length + discards;
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
  if (out === null) return nextOf(a, b, c, d);
  out[0] = a;
  out[1] = b;
  out[2] = c;
  out[3] = d;
  return Number.NaN;
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
  return mix(INITIAL, codes, length, 20, null);
}

/** The generator's next() from state [a, b, c, d], as a number in [0, 1). */
function nextOf(a: number, b: number, c: number, d: number): number {
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
