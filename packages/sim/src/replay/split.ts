/**
 * The data-plane side of a weighted split: weight precision, and how a backend is picked
 * (seeded draw, smooth weighted round robin, a key hash, a sticky per-user pick).
 */
import seedrandom from "seedrandom";
import { effectiveWeights, type EffectiveWeights } from "@gwsim/core";
import type { Precision } from "./types.js";

// The precision profiles are core's, shared with lint's weight-rounds-to-zero: a weight lint
// flags is exactly one that gets no traffic here.
export { effectiveWeights, type EffectiveWeights };

/** Messages for weights the precision profile distorts: a non-zero weight that gets nothing, a zero weight that gets traffic. */
export function precisionWarnings(
  names: readonly string[],
  written: readonly number[],
  effective: EffectiveWeights,
  precision: Precision,
  where: string,
): string[] {
  const out: string[] = [];
  const total = written.reduce((a, b) => a + b, 0);
  const unitName = precision === "ngf" ? "0.01%" : "1%";
  for (let i = 0; i < written.length; i++) {
    const w = written[i]!;
    const e = effective.weights[i]!;
    if (w > 0 && e === 0) {
      out.push(
        `${where}: weight ${w} of ${names[i]} (${formatPercent(w / total)}) rounds to 0 at ${unitName} precision (${precision}): it gets no traffic`,
      );
    } else if (w === 0 && e > 0) {
      out.push(
        `${where}: ${names[i]} has weight 0 but, as the last backend, takes the ${formatPercent(e / effective.total)} left over by rounding (${precision})`,
      );
    }
  }
  return out;
}

function formatPercent(x: number): string {
  return `${(x * 100).toPrecision(3)}%`;
}

/** Index of the backend whose cumulative weight interval holds u ∈ [0, 1). -1 when nothing has weight. */
export function pickByUniform(weights: readonly number[], total: number, u: number): number {
  if (total <= 0) return -1;
  const target = u * total;
  let cum = 0;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w <= 0) continue;
    cum += w;
    last = i;
    if (target < cum) return i;
  }
  return last;
}

/** A uniform in [0, 1) that depends only on its inputs (seedrandom's Alea). */
export function seededUniform(...parts: (string | number)[]): number {
  return seedrandom.alea(parts.join("\u0000"))();
}

/**
 * Smooth weighted round robin (nginx upstream): each turn every backend gains its weight, the
 * highest current value wins and pays back the total. Ties go to the first backend.
 * `state` is the per-backend current value, updated in place.
 */
export function wrrNext(state: number[], weights: readonly number[]): number {
  let total = 0;
  let best = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w <= 0) continue;
    state[i] = (state[i] ?? 0) + w;
    total += w;
    if (best < 0 || state[i]! > state[best]!) best = i;
  }
  if (best >= 0) state[best]! -= total;
  return best;
}

const textEncoder = new TextEncoder();

/** MurmurHash2 (32-bit, seed 0) of the UTF-8 bytes, as nginx's ngx_murmur_hash2 computes it. */
export function murmurHash2(text: string): number {
  const data = textEncoder.encode(text);
  const m = 0x5bd1e995;
  let len = data.length;
  let h = len >>> 0;
  let i = 0;
  while (len >= 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
    i += 4;
    len -= 4;
  }
  switch (len) {
    case 3:
      h ^= data[i + 2]! << 16;
    // falls through
    case 2:
      h ^= data[i + 1]! << 8;
    // falls through
    case 1:
      h ^= data[i]!;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}

/**
 * nginx split_clients: the 32-bit hash falls in the part whose cumulative share bound
 * (share × 0xffffffff) it is below. Returns the backend index.
 */
export function pickByHash(weights: readonly number[], total: number, hash: number): number {
  if (total <= 0) return -1;
  const h = BigInt(hash);
  const T = BigInt(total);
  let cum = 0n;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w <= 0) continue;
    cum += BigInt(w);
    last = i;
    if (h < (cum * 0xffffffffn) / T) return i;
  }
  return last;
}

/** The request value a `hash:<key>` split hashes, or undefined when the request lacks it. */
export function hashKeyOf(
  key: string,
  record: { user?: string; headers?: Record<string, string | string[]>; path?: string },
): string | undefined {
  if (key === "user") return record.user ?? undefined;
  const lines = (name: string): string[] | undefined => {
    const lower = name.toLowerCase();
    for (const [k, v] of Object.entries(record.headers ?? {})) {
      if (k.toLowerCase() === lower) return Array.isArray(v) ? v : [v];
    }
    return undefined;
  };
  const header = (name: string): string | undefined => lines(name)?.join(",");
  if (key.startsWith("header:")) return header(key.slice(7));
  if (key.startsWith("cookie:")) {
    const want = key.slice(7);
    // Each Cookie line on its own: HTTP/2 crumbs are separate lines, and a "," join would glue
    // one cookie's value to the next cookie.
    for (const part of (lines("cookie") ?? []).flatMap((line) => line.split(";"))) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === want) return part.slice(eq + 1).trim();
    }
    return undefined;
  }
  if (key.startsWith("query:")) {
    const q = (record.path ?? "").split("?")[1];
    if (q === undefined) return undefined;
    const value = new URLSearchParams(q.split("#")[0]).get(key.slice(6));
    return value ?? undefined;
  }
  return header(key);
}
