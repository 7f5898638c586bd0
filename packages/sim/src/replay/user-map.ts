/**
 * Positive numbers per user (a request count, a bitmask of backends reached, or 1 for "seen"),
 * keyed by the engine's interned user ids. A Map while few users have an entry; an array
 * indexed by user id once many do: then the per-request update is an array write instead of a
 * hash-table lookup in a table of thousands of users (a cache miss or two each), and the array
 * takes less memory than the Map would. Plain data, so states still structured-clone to and
 * from workers; every reader goes through `forEachUser`, whose order no report depends on.
 */
export interface UserMap {
  /** user id → value, while sparse. */
  map: Map<number, number> | null;
  /** value by user id (0: no entry), once dense. */
  dense: Float64Array | null;
  /** Users with an entry. */
  size: number;
}

/**
 * A Map entry costs some 35 bytes, an array slot 8: dense once a map holds more than a third of
 * the known users (and a few), back to a Map when the array would have to grow past six slots
 * per entry (a structure only early users reached, in a trace whose users keep coming).
 */
const TO_DENSE = 3;
const TO_SPARSE = 6;
const DENSE_MIN = 64;

export function newUserMap(): UserMap {
  return { map: new Map(), dense: null, size: 0 };
}

export function userValue(m: UserMap, user: number): number {
  if (m.dense !== null) return user < m.dense.length ? m.dense[user]! : 0;
  return m.map!.get(user) ?? 0;
}

/** Sets a user's value (> 0); `users` is how many users the engine knows (ids below it). */
export function setUserValue(m: UserMap, user: number, value: number, users: number): void {
  let dense = m.dense;
  if (dense === null) {
    const map = m.map!;
    const before = map.size;
    map.set(user, value);
    if (map.size !== before) {
      m.size++;
      if (m.size > DENSE_MIN && m.size * TO_DENSE > users) toDense(m, users);
    }
    return;
  }
  if (user >= dense.length) {
    const length = Math.max(user + 1, dense.length * 2);
    if (m.size * TO_SPARSE < length) {
      toSparse(m);
      setUserValue(m, user, value, users);
      return;
    }
    dense = grow(m, length);
  }
  if (dense[user] === 0) m.size++;
  dense[user] = value;
}

export function addToUser(m: UserMap, user: number, n: number, users: number): void {
  setUserValue(m, user, userValue(m, user) + n, users);
}

export function orIntoUser(m: UserMap, user: number, bits: number, users: number): void {
  setUserValue(m, user, userValue(m, user) | bits, users);
}

export function forEachUser(m: UserMap, f: (user: number, value: number) => void): void {
  if (m.dense === null) {
    for (const [u, v] of m.map!) f(u, v);
    return;
  }
  const d = m.dense;
  for (let u = 0; u < d.length; u++) if (d[u] !== 0) f(u, d[u]!);
}

function toDense(m: UserMap, users: number): void {
  const dense = new Float64Array(Math.max(users, 16));
  for (const [u, v] of m.map!) {
    if (u >= dense.length) throw new Error("user id beyond the known users"); // a bug: ids are interned in order
    dense[u] = v;
  }
  m.dense = dense;
  m.map = null;
}

function toSparse(m: UserMap): void {
  const map = new Map<number, number>();
  const d = m.dense!;
  for (let u = 0; u < d.length; u++) if (d[u] !== 0) map.set(u, d[u]!);
  m.map = map;
  m.dense = null;
}

function grow(m: UserMap, length: number): Float64Array {
  const next = new Float64Array(length);
  next.set(m.dense!);
  m.dense = next;
  return next;
}
