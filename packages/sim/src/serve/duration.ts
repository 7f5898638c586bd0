/**
 * Gateway API Duration strings (GEP-2257): one to four `<number><unit>` parts, units h, m, s, ms,
 * e.g. `1h`, `1m30s`, `500ms`. The core passes rule timeouts and retry backoff through as
 * written; the live adapter turns them into milliseconds here.
 */
const PART = /(\d{1,5})(ms|h|m|s)/g;
const WHOLE = /^(?:\d{1,5}(?:ms|h|m|s)){1,4}$/;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Milliseconds, or null when the text is not a GEP-2257 duration. */
export function parseDuration(text: string | null | undefined): number | null {
  if (typeof text !== "string" || !WHOLE.test(text)) return null;
  let total = 0;
  for (const [, n, unit] of text.matchAll(PART)) total += Number(n) * UNIT_MS[unit!]!;
  return total;
}

/**
 * A rule timeout in milliseconds; null when unset, invalid, or zero: the spec says a zero
 * duration "SHOULD disable the timeout completely".
 */
export function timeoutMs(text: string | null | undefined): number | null {
  const ms = parseDuration(text);
  return ms === null || ms === 0 ? null : ms;
}
