import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTime } from "./request.js";

describe("parseTime is Date.parse", () => {
  const digits = (n: number) => fc.array(fc.constantFrom(..."0123456789"), { minLength: n, maxLength: n }).map((d) => d.join(""));
  const twoDigit = fc.oneof(digits(2), fc.constantFrom("00", "01", "12", "13", "23", "24", "28", "29", "30", "31", "59", "60", "99"));
  const canonical = fc
    .record({
      year: fc.oneof(digits(4), fc.constantFrom("2026", "2024", "1970", "0000", "9999")),
      month: twoDigit,
      day: twoDigit,
      hour: twoDigit,
      minute: twoDigit,
      second: twoDigit,
      fraction: fc.constantFrom("", ".", ".5", ".05", ".123", ".1234", ".x"),
      zone: fc.constantFrom("Z", "z", "+00:00", ""),
    })
    .map((p) => `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${p.fraction}${p.zone}`);
  // Near-misses of the canonical layout: one character replaced, removed or added.
  const mutated = fc.tuple(canonical, fc.nat(), fc.constantFrom("", "0", "9", "-", ":", "T", " ", ".", "Z")).map(([s, at, c]) => {
    const i = at % (s.length + 1);
    return at % 2 ? s.slice(0, i) + c + s.slice(i + 1) : s.slice(0, i) + c + s.slice(i);
  });

  it("on canonical times, near-misses and anything else, in any order", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(canonical, mutated, fc.string()), { minLength: 1, maxLength: 8 }), (times) => {
        for (const t of times) expect(Object.is(parseTime(t), Date.parse(t)), t).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  // Runs of times in one minute, as traces have them: the remembered minute is reused.
  it("on runs of times sharing a minute, and their near-misses", () => {
    const rest = fc.tuple(twoDigit, fc.constantFrom("", ".", ".5", ".05", ".123", ".1234", ".x", "x"), fc.constantFrom("Z", "z", ""));
    fc.assert(
      fc.property(canonical, fc.array(fc.oneof(rest.map((r) => ({ rest: r })), mutated.map((t) => ({ t }))), { minLength: 1, maxLength: 8 }), (first, next) => {
        const minute = first.slice(0, 17);
        for (const x of [{ t: first }, ...next]) {
          const t = "t" in x ? x.t : `${minute}${x.rest.join("")}`;
          expect(Object.is(parseTime(t), Date.parse(t)), t).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it.each(["2026-11-26T00:00:00.005Z", "2026-11-26T00:00:59.999Z", "2026-11-26T24:00:00Z", "2026-11-26T24:00:01Z", "2026-02-30T10:00:00Z", "2026-11-26T10:00:60Z", "2026-11-26T10:00:00.Z"])(
    "%s",
    (t) => {
      expect(Object.is(parseTime(t), Date.parse(t))).toBe(true);
    },
  );
});
