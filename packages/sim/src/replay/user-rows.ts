/**
 * Per (split, user): the requests that hit the split and the bitmask of the split's backends the
 * user reached. One open-addressing hash table in a Float64Array, four numbers per slot
 * (split + 1, user, requests, mask), probed linearly: a request's update touches one cache line,
 * where a Map per split touched several (the replay of a 1,000-route trace spent most of its
 * aggregation time there). Plain data, so states structured-clone to and from workers.
 */
export interface UserRows {
  /** Rows in use. */
  size: number;
  /** Slots − 1 (a power of two, minus one). */
  mask: number;
  slots: Float64Array;
}

const STRIDE = 4;

export function newUserRows(capacity = 256): UserRows {
  let slots = 16;
  while (slots < capacity) slots *= 2;
  return { size: 0, mask: slots - 1, slots: new Float64Array(slots * STRIDE) };
}

function slotOf(split: number, user: number, mask: number): number {
  let h = Math.imul(split + 1, 0x9e3779b1) ^ Math.imul(user, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & mask;
}

/** Adds `requests` to the row of (split, user) and ORs `bits` into its mask; adds the row when new. */
export function addToRow(rows: UserRows, split: number, user: number, requests: number, bits: number): void {
  const t = rows.slots;
  const mask = rows.mask;
  const tag = split + 1;
  let i = slotOf(split, user, mask) * STRIDE;
  for (;;) {
    const at = t[i]!;
    if (at === tag && t[i + 1] === user) {
      t[i + 2]! += requests;
      t[i + 3] = (t[i + 3]! | bits) >>> 0;
      return;
    }
    if (at === 0) break;
    i = (i + STRIDE) & (mask * STRIDE + STRIDE - 1);
  }
  t[i] = tag;
  t[i + 1] = user;
  t[i + 2] = requests;
  t[i + 3] = bits >>> 0;
  // Kept at most 5/8 full: linear probing stays short.
  if (++rows.size * 8 > (mask + 1) * 5) grow(rows);
}

function grow(rows: UserRows): void {
  const old = rows.slots;
  const next = newUserRows((rows.mask + 1) * 2);
  for (let i = 0; i < old.length; i += STRIDE) {
    if (old[i] === 0) continue;
    let j = slotOf(old[i]! - 1, old[i + 1]!, next.mask) * STRIDE;
    while (next.slots[j] !== 0) j = (j + STRIDE) & (next.mask * STRIDE + STRIDE - 1);
    next.slots[j] = old[i]!;
    next.slots[j + 1] = old[i + 1]!;
    next.slots[j + 2] = old[i + 2]!;
    next.slots[j + 3] = old[i + 3]!;
  }
  rows.slots = next.slots;
  rows.mask = next.mask;
}

/** Every row, in slot order (no report depends on the order). */
export function forEachRow(rows: UserRows, f: (split: number, user: number, requests: number, mask: number) => void): void {
  const t = rows.slots;
  for (let i = 0; i < t.length; i += STRIDE) if (t[i] !== 0) f(t[i]! - 1, t[i + 1]!, t[i + 2]!, t[i + 3]!);
}
