import { describe, expect, it } from "vitest";
import { compileRegex } from "../model/regex.js";
import { regexValues, simplestMatch } from "./witness.js";

describe("simplestMatch / regexValues", () => {
  it.each([
    { pattern: "/(api|web)/.*", want: "/api/" },
    { pattern: "/api/v[0-9]+", want: "/api/v0" },
    { pattern: "^/x/(?:a|b)\\.png$", want: "/x/a.png" },
    { pattern: "/v\\d{2}/\\w+", want: "/v11/a" },
    { pattern: "[^a]x", want: null },
  ])("$pattern → $want", ({ pattern, want }) => {
    expect(simplestMatch(pattern)).toBe(want);
  });

  it("every value regexValues returns is matched by the regex", () => {
    for (const p of ["/(api|web)/.*", "/api/v[0-9]+", ".*", "1.*", "[0-9]+", "(foo|bar)-\\d{2}", "/.*\\.png", "pkg\\..*", "G.*", "a|b"]) {
      const values = regexValues(p, "/");
      const r = compileRegex(p);
      expect(r.ok).toBe(true);
      for (const v of values) expect(r.ok && r.regex.test(v), `${p} ${v}`).toBe(true);
      expect(values.length, p).toBeGreaterThan(0);
    }
  });
});
