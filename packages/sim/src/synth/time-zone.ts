/**
 * IANA time zones for the daily shape, read through Intl (Node's ICU and its tz database): only
 * the zone's UTC offset at an instant is asked for, never the machine's zone, so the same
 * profile gives the same arrivals whatever TZ the process runs under.
 */

/** Whether Intl knows the zone (names are matched case-insensitively, as ICU does). */
export function isTimeZone(name: string): boolean {
  if (name === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

// "GMT", "GMT+01:00", "GMT-03:30", "GMT+00:53:28" (local mean time before standard time).
const LONG_OFFSET = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** The zone's UTC offset (local − UTC, in milliseconds) at an instant; `name` must be valid. */
export function zoneOffset(name: string): (t: number) => number {
  const format = new Intl.DateTimeFormat("en-US", { timeZone: name, timeZoneName: "longOffset" });
  return (t) => {
    const text = format.formatToParts(t).find((p) => p.type === "timeZoneName")?.value ?? "";
    const m = LONG_OFFSET.exec(text);
    if (!m) throw new Error(`zoneOffset: unexpected offset ${JSON.stringify(text)} for ${name}`);
    if (m[1] === undefined) return 0;
    const ms = ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1000;
    return m[1] === "-" ? -ms : ms;
  };
}

/**
 * The first instant in (after, at] whose offset differs from the offset at `after`, given that
 * the offset at `at` does: offsets change on whole seconds, so a binary search on milliseconds
 * finds the change exactly.
 */
export function offsetChange(offsetAt: (t: number) => number, after: number, at: number): number {
  const before = offsetAt(after);
  let lo = Math.floor(after);
  let hi = Math.ceil(at);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}
