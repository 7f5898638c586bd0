import { describe, expect, it } from "vitest";
import { literalStart, literalTail } from "./regex-literals.js";

describe("regex literals", () => {
  it.each([
    ["/api/v[0-9]+/.*", "/api/v", ""],
    ["^/static/.*$", "/static/", ""],
    ["/.*\\.png", "/", ".png"],
    ["/img/[a-z]+\\.png$", "/img/", ".png"],
    ["/docs?/x", "/doc", "/x"],
    ["abc", "abc", "abc"],
    ["\\d+", "", ""],
  ])("%s → start %j, tail %j", (pattern, start, tail) => {
    expect(literalStart(pattern)).toBe(start);
    expect(literalTail(pattern)).toBe(tail);
  });
});
