import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeTarget, readHeaders } from "./fast-path.js";
import { headerProblem, lowerCaseHeaders, normalizePath } from "./normalize.js";

describe("normalizeTarget is normalizePath with a shortcut", () => {
  it.each([
    "/",
    "/a/b",
    "/a/b/",
    "/a/b?x=1&y=%2F",
    "/a//b",
    "/a/./b",
    "/a/../b",
    "/a/..",
    "/a/.",
    "/a/.b/..c",
    "/%41",
    "/a b",
    "/a#frag",
    "a/b",
    "",
    "/é",
    "/a?b c",
    "/.well-known/x",
    "/a/..b",
    "/a/.?x",
    "/a/..?x",
    "/.",
    "/..",
    "//",
    "/?a",
    "/a?b//c",
    "/a/?./..",
  ])("%j", (target) => {
    expect(normalizeTarget(target)).toEqual(normalizePath(target));
  });

  it("agrees on generated targets", () => {
    const pieces = fc.constantFrom("/", "//", ".", "..", "a", "Z9", "%2F", "%41", "%", "?", "&", "=", "#", " ", "\\", "é", "~", "-", "_", ":", "@", "+", "\u0000");
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), fc.boolean(), (parts, lead) => {
        const target = (lead ? "/" : "") + parts.join("");
        expect(normalizeTarget(target)).toEqual(normalizePath(target));
      }),
      { numRuns: 5000 },
    );
  });
});

describe("readHeaders is headerProblem + lowerCaseHeaders with a shortcut", () => {
  const reference = (h: Record<string, string | string[]>) => {
    const problem = headerProblem(h);
    return problem ? { problem } : { headers: lowerCaseHeaders(h) };
  };
  it.each([
    {},
    { a: "1" },
    { A: "1", a: "2" },
    { a: " padded " },
    { a: ["1", "2"] },
    { a: "" },
    { "bad name": "x" },
    { a: "x\r\ny: z" },
    { a: "in\u0000side" },
    { a: "tab\tinside" },
  ])("%j", (h) => {
    expect(readHeaders(h as Record<string, string | string[]>)).toEqual(reference(h as Record<string, string | string[]>));
  });
  it("agrees on generated header maps", () => {
    const name = fc.constantFrom("a", "A", "x-b", "X-B", "bad name", "c:d", "");
    const value = fc.oneof(
      fc.constantFrom("1", " 1", "1 ", "", "a\tb", "\t", "x\ny", "\u0000", "é"),
      fc.array(fc.constantFrom("1", " 2", ""), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 4 }), (h) => {
        expect(readHeaders(h)).toEqual(reference(h));
      }),
      { numRuns: 3000 },
    );
  });
});
