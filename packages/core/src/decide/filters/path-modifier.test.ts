import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePath } from "../normalize.js";
import { hasPathPrefix, modifyPath, replacePrefixMatch } from "./path-modifier.js";

describe("replacePrefixMatch: the table in the ReplacePrefixMatch doc comment (GEP-726)", () => {
  it.each([
    { path: "/foo/bar", prefix: "/foo", replacement: "/xyz", want: "/xyz/bar" },
    { path: "/foo/bar", prefix: "/foo", replacement: "/xyz/", want: "/xyz/bar" },
    { path: "/foo/bar", prefix: "/foo/", replacement: "/xyz", want: "/xyz/bar" },
    { path: "/foo/bar", prefix: "/foo/", replacement: "/xyz/", want: "/xyz/bar" },
    { path: "/foo", prefix: "/foo", replacement: "/xyz", want: "/xyz" },
    { path: "/foo/", prefix: "/foo", replacement: "/xyz", want: "/xyz/" },
    { path: "/foo/bar", prefix: "/foo", replacement: "", want: "/bar" },
    { path: "/foo/", prefix: "/foo", replacement: "", want: "/" },
    { path: "/foo", prefix: "/foo", replacement: "", want: "/" },
    { path: "/foo/", prefix: "/foo", replacement: "/", want: "/" },
    { path: "/foo", prefix: "/foo", replacement: "/", want: "/" },
  ])("$path, prefix $prefix, replacement '$replacement' → $want", ({ path, prefix, replacement, want }) => {
    expect(replacePrefixMatch(path, prefix, replacement)).toBe(want);
  });
});

describe("replacePrefixMatch: gwsim's corners", () => {
  it.each([
    // prefix "/" consumes no path element; the request's own slash separates the rest
    { path: "/a/b", prefix: "/", replacement: "/xyz", want: "/xyz/a/b" },
    { path: "/", prefix: "/", replacement: "/xyz", want: "/xyz/" },
    { path: "/a", prefix: "/", replacement: "/", want: "/a" },
    { path: "/", prefix: "/", replacement: "/", want: "/" },
    { path: "/a", prefix: "/", replacement: "", want: "/a" },
    // HTTPRouteRewritePath
    { path: "/prefix/one/two", prefix: "/prefix/one", replacement: "/one", want: "/one/two" },
    { path: "/strip-prefix/three", prefix: "/strip-prefix", replacement: "/", want: "/three" },
    { path: "/strip-prefix", prefix: "/strip-prefix", replacement: "/", want: "/" },
    { path: "/prefix/rewrite-path-and-modify-headers/one", prefix: "/prefix/rewrite-path-and-modify-headers", replacement: "/prefix", want: "/prefix/one" },
    // a replacement without a leading slash still yields an absolute path
    { path: "/foo/bar", prefix: "/foo", replacement: "xyz", want: "/xyz/bar" },
    // a prefix written with an escape matches the normalized path
    { path: "/A/b", prefix: "/%41", replacement: "/z", want: "/z/b" },
    // not a prefix element-wise
    { path: "/foobar", prefix: "/foo", replacement: "/xyz", want: null },
    { path: "/other", prefix: "/foo", replacement: "/xyz", want: null },
  ])("$path, prefix $prefix, replacement '$replacement' → $want", ({ path, prefix, replacement, want }) => {
    expect(replacePrefixMatch(path, prefix, replacement)).toBe(want);
  });

  it("keeps everything after the prefix, and the result is an absolute path", () => {
    const seg = fc.stringMatching(/^[a-z]{1,3}$/);
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 3 }), fc.array(seg, { maxLength: 3 }), fc.array(seg, { maxLength: 3 }), fc.boolean(), fc.boolean(), (pre, rest, repl, slashPre, slashRepl) => {
        const prefix = "/" + pre.join("/") + (slashPre ? "/" : "");
        const path = "/" + [...pre, ...rest].join("/");
        const replacement = repl.length ? "/" + repl.join("/") + (slashRepl ? "/" : "") : slashRepl ? "/" : "";
        const out = replacePrefixMatch(path, prefix, replacement)!;
        expect(out.startsWith("/")).toBe(true);
        expect(out).not.toContain("//");
        const want = "/" + [...repl, ...rest].join("/");
        expect(out).toBe(want);
        expect(normalizePath(out).path).toBe(out);
      }),
    );
  });
});

describe("modifyPath", () => {
  it("ReplaceFullPath replaces the whole path, empty becomes /", () => {
    expect(modifyPath("/full/one/two", { type: "ReplaceFullPath", replaceFullPath: "/one" }, null)).toMatchObject({ ok: true, path: "/one" });
    expect(modifyPath("/a", { type: "ReplaceFullPath", replaceFullPath: "" }, null)).toMatchObject({ ok: true, path: "/" });
  });

  it.each([
    { match: null, why: /needs a PathPrefix/ },
    { match: { type: "Exact" as const, value: "/a" }, why: /needs a PathPrefix/ },
    { match: { type: "RegularExpression" as const, value: "/a.*" }, why: /needs a PathPrefix/ },
    { match: { type: "PathPrefix" as const, value: "/b" }, why: /does not start with/ },
  ])("ReplacePrefixMatch cannot apply with $match", ({ match, why }) => {
    const r = modifyPath("/a", { type: "ReplacePrefixMatch", replacePrefixMatch: "/x" }, match);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(why);
  });

  it("an unknown modifier type is reported, not thrown", () => {
    const r = modifyPath("/a", { type: "RegexReplace" as never }, null);
    expect(r.ok).toBe(false);
  });
});

describe("hasPathPrefix", () => {
  it.each([
    ["/foo", "/foo", true],
    ["/foo/", "/foo", true],
    ["/foo/bar", "/foo", true],
    ["/foobar", "/foo", false],
    ["/anything", "", true],
  ])("%s under %s: %s", (path, prefix, want) => expect(hasPathPrefix(path, prefix)).toBe(want));
});
