/**
 * A shortcut for request targets that are already in normal form, which is nearly all of
 * them: `normalizePath` (normalize.ts, the one definition) would return them unchanged, so
 * the work is skipped. Anything else goes through `normalizePath`. fast-path.test.ts checks
 * that both give the same answer on generated targets.
 */
import { headerProblem, lowerCaseHeaders, normalizePath, type Headers, type NormalizedPath } from "./normalize.js";

/**
 * Segments of characters allowed raw in a path (RFC 3986 pchar, no `%`, `\`, `#`, controls),
 * each after a `/` that starts no repeated slash and no `.` or `..` segment (those
 * normalizePath would change), then optionally `?` and characters allowed raw in a query
 * (plus `%`, kept as sent).
 */
const ALREADY_NORMAL = /^(?:\/(?!\/|\.\.?(?:[/?]|$))[A-Za-z0-9\-._~!$&'()*+,;=:@]*)+(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?$/;

/** Whether normalizePath leaves `target` as it is (then its path and query are split at the first `?`). */
export function isNormalTarget(target: string): boolean {
  return ALREADY_NORMAL.test(target);
}

export function normalizeTarget(target: string): NormalizedPath {
  if (isNormalTarget(target)) {
    const q = target.indexOf("?");
    return q < 0 ? { path: target, query: "", ok: true } : { path: target.slice(0, q), query: target.slice(q + 1), ok: true };
  }
  return normalizePath(target);
}

/** A lower-case RFC 9110 token. */
const PLAIN_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** No NUL, CR or LF anywhere, no space or tab at either end. */
const PLAIN_VALUE = /^(?:[^\0\r\n \t](?:[^\0\r\n]*[^\0\r\n \t])?)?$/;

/**
 * `headerProblem` then `lowerCaseHeaders` (normalize.ts), in one pass when every name is
 * already lower-case and every value a single plain string; otherwise the two functions.
 */
export function readHeaders(raw: Record<string, string | string[]>): { headers: Headers } | { problem: string } {
  const plain = readPlainHeaders(raw);
  if (plain) return plain;
  const problem = headerProblem(raw);
  return problem ? { problem } : { headers: lowerCaseHeaders(raw) };
}

/** Names seen to pass PLAIN_NAME: header names are a small vocabulary; the set is bounded. */
const plainNames = new Set<string>();
const PLAIN_NAMES_MAX = 1024;

/** `__proto__` is left to the slow path, whose copy keeps it as an own property (normalize.ts setHeader). */
function isPlainName(name: string): boolean {
  if (plainNames.has(name)) return true;
  if (!PLAIN_NAME.test(name) || name === "__proto__") return false;
  if (plainNames.size < PLAIN_NAMES_MAX) plainNames.add(name);
  return true;
}

/** The one-pass case of readHeaders (every name lower-case, every value one plain string), else null. */
export function readPlainHeaders(raw: Record<string, unknown>): { headers: Headers } | null {
  const out: Headers = {};
  for (const name in raw) {
    const v = raw[name];
    if (typeof v !== "string" || !isPlainName(name) || !PLAIN_VALUE.test(v)) return null;
    out[name] = v;
  }
  return { headers: out };
}
