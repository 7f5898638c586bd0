import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  headerProblem,
  headerValue,
  headerValues,
  lowerCaseHeaders,
  normalizeMatchPath,
  normalizePath,
  parseQuery,
  percentDecode,
  queryValue,
  removeDotSegments,
  splitHostPort,
  splitHostPortChecked,
  type Headers,
  type PathNormalizationOptions,
} from "./normalize.js";

describe("normalizePath: accepted paths", () => {
  it.each([
    { input: "/", path: "/", query: "" },
    { input: "", path: "/", query: "" },
    { input: "?x=1", path: "/", query: "x=1" },
    { input: "/a/b?x=1&y=2", path: "/a/b", query: "x=1&y=2" },
    // dot segments (RFC 3986 §5.2.4), plain and percent-encoded
    { input: "/public/../admin", path: "/admin", query: "" },
    { input: "/public/%2e%2e/admin", path: "/admin", query: "" },
    { input: "/public/%2E%2E/admin", path: "/admin", query: "" },
    { input: "/public/.%2e/admin", path: "/admin", query: "" },
    { input: "/public/%2e/admin", path: "/public/admin", query: "" },
    { input: "/a/./b", path: "/a/b", query: "" },
    { input: "/a/b/..", path: "/a/", query: "" },
    { input: "/a/..", path: "/", query: "" },
    { input: "/a/b/.", path: "/a/b/", query: "" },
    { input: "/..", path: "/", query: "" },
    { input: "/../../x", path: "/x", query: "" },
    { input: "/a/..b/c", path: "/a/..b/c", query: "" }, // not a dot segment
    { input: "/a/...", path: "/a/...", query: "" },
    // repeated slashes are merged before dot segments are removed
    { input: "/a//b", path: "/a/b", query: "" },
    { input: "//a///b//", path: "/a/b/", query: "" },
    { input: "/a//../b", path: "/b", query: "" },
    // unreserved escapes decode; other escapes keep upper-case hex
    { input: "/%41%62c", path: "/Abc", query: "" },
    { input: "/%7euser", path: "/~user", query: "" },
    { input: "/a%3ab", path: "/a%3Ab", query: "" },
    { input: "/a%20b", path: "/a%20b", query: "" },
    { input: "/caf%c3%a9", path: "/caf%C3%A9", query: "" },
    { input: "/%252e%252e/admin", path: "/%252e%252e/admin", query: "" }, // decoded once only
    // characters not allowed raw are encoded
    { input: "/a b", path: "/a%20b", query: "" },
    { input: "/café", path: "/caf%C3%A9", query: "" },
    { input: "/a\"<>`{}|^[]", path: "/a%22%3C%3E%60%7B%7D%7C%5E%5B%5D", query: "" },
    { input: "/\u{1F600}", path: "/%F0%9F%98%80", query: "" },
    { input: "/\ud800", path: "/%EF%BF%BD", query: "" }, // lone surrogate
    { input: "/a!$&'()*+,;=:@b", path: "/a!$&'()*+,;=:@b", query: "" },
    // encoded and back slashes are separators by default
    { input: "/a%2fb", path: "/a/b", query: "" },
    { input: "/public%2F..%2Fadmin", path: "/admin", query: "" },
    { input: "/a\\b", path: "/a/b", query: "" },
    { input: "/a%5cb", path: "/a/b", query: "" },
    // fragments are dropped; the query is kept as sent except illegal characters
    { input: "/a#frag", path: "/a", query: "" },
    { input: "/a?x=1#f", path: "/a", query: "x=1" },
    { input: "/a?b=%zz&c=d e", path: "/a", query: "b=%zz&c=d%20e" },
    { input: "/a?x=1?y/z", path: "/a", query: "x=1?y/z" },
    { input: "/a?q=a+b%2Fc", path: "/a", query: "q=a+b%2Fc" },
    { input: "/a/../b?x=/../", path: "/b", query: "x=/../" },
  ])("$input → $path ? $query", ({ input, path, query }) => {
    expect(normalizePath(input)).toEqual({ path, query, ok: true });
  });
});

describe("normalizePath: 400 Bad Request", () => {
  it.each([
    { input: "*", reason: /start with \// },
    { input: "http://example.com/a", reason: /start with \// },
    { input: "a/b", reason: /start with \// },
    { input: "/a%zz", reason: /malformed percent/ },
    { input: "/a%4", reason: /malformed percent/ },
    { input: "/a%", reason: /malformed percent/ },
    { input: "/a%00b", reason: /NUL/ },
    { input: "/a\u0000b", reason: /control/ },
    { input: "/a\nb", reason: /control/ },
    { input: "/a\rb", reason: /control/ },
    { input: "/a\u007fb", reason: /control/ },
    { input: "/a?x=\r\nInjected: 1", reason: /control/ },
  ])("$input", ({ input, reason }) => {
    const r = normalizePath(input);
    expect(r.ok).toBe(false);
    expect(r.path).toBe(""); // matches no rule if a caller forgets to check ok
    expect(r.reason).toMatch(reason);
  });
});

describe("normalizePath options", () => {
  it.each<{ input: string; options: PathNormalizationOptions; path: string | null }>([
    { input: "/a//b", options: { mergeSlashes: false }, path: "/a//b" },
    { input: "/a//../b", options: { mergeSlashes: false }, path: "/a/b" }, // RFC: '..' removes the empty segment
    { input: "/a%2fb", options: { escapedSlashes: "keep" }, path: "/a%2Fb" },
    { input: "/public%2F..%2Fadmin", options: { escapedSlashes: "keep" }, path: "/public%2F..%2Fadmin" },
    { input: "/a\\b", options: { escapedSlashes: "keep" }, path: "/a%5Cb" },
    { input: "/a%5cb", options: { escapedSlashes: "keep" }, path: "/a%5Cb" },
    { input: "/a%2Fb", options: { escapedSlashes: "reject" }, path: null },
    { input: "/a\\b", options: { escapedSlashes: "reject" }, path: null },
    { input: "/a%2F%2Fb", options: { escapedSlashes: "decode" }, path: "/a/b" },
  ])("$input with $options → $path", ({ input, options, path }) => {
    const r = normalizePath(input, options);
    if (path === null) expect(r.ok).toBe(false);
    else expect(r).toEqual({ path, query: "", ok: true });
  });
});

const OPTIONS: PathNormalizationOptions[] = [
  {},
  { mergeSlashes: false },
  { escapedSlashes: "keep" },
  { escapedSlashes: "reject" },
  { mergeSlashes: false, escapedSlashes: "keep" },
];

/** Strings rich in the pieces that matter: dots, slashes, escapes, controls, surrogates. */
const trickyTarget = fc
  .array(
    fc.oneof(
      fc.constantFrom("/", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "\\", "%", "%4", "%41", "%00", "?", "#", "&", "=", "+", " ", "é", "\ud800", "\u0000", "\n", "a", "b", "%25", "%zz"),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(""));
const anyTarget = fc.oneof(trickyTarget, fc.string({ unit: "binary" }), trickyTarget.map((s) => "/" + s));

describe("normalizePath properties", () => {
  it("never throws, and a rejected path is empty with a reason", () => {
    fc.assert(
      fc.property(anyTarget, fc.constantFrom(...OPTIONS), (s, options) => {
        const r = normalizePath(s, options);
        if (!r.ok) expect(r.path === "" && typeof r.reason === "string").toBe(true);
      }),
    );
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(anyTarget, fc.constantFrom(...OPTIONS), (s, options) => {
        const once = normalizePath(s, options);
        fc.pre(once.ok);
        const twice = normalizePath(once.path + (once.query ? `?${once.query}` : ""), options);
        expect(twice).toEqual(once);
      }),
    );
  });

  it("leaves no dot segment, starts with /, uses only canonical escapes", () => {
    fc.assert(
      fc.property(anyTarget, fc.constantFrom(...OPTIONS), (s, options) => {
        const { path, ok } = normalizePath(s, options);
        fc.pre(ok);
        expect(path.startsWith("/")).toBe(true);
        const segments = path.split("/").slice(1);
        expect(segments).not.toContain(".");
        expect(segments).not.toContain("..");
        expect(path).not.toMatch(/\/\.\.?\//);
        expect(path).toMatch(/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$/);
        // no escape of an unreserved character survives (it would be a second spelling)
        expect(path).not.toMatch(/%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/);
        if (options.mergeSlashes !== false) expect(path).not.toContain("//");
        if (options.escapedSlashes !== "keep") expect(path).not.toMatch(/%2F|%5C/);
      }),
    );
  });

  it("removes dot segments as the WHATWG URL parser does (differential, no merging)", () => {
    const segment = fc.constantFrom("a", "b", "c", ".", "..", "%2e", "%2E", ".%2e", "%2e.", "%2E%2E", "");
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const input = "/" + segments.join("/");
        const ours = normalizePath(input, { mergeSlashes: false });
        expect(ours.path).toBe(new URL("http://gw.example" + input).pathname);
      }),
    );
  });

  it("a request can only reach /admin through a path that normalizes to /admin", () => {
    // Whatever precedes it, a traversal after /public/ is resolved before matching: the
    // normalized path either stays under /public or does not mention it at all.
    const segment = fc.constantFrom("..", "%2e%2e", ".%2E", "%2F..", "..%2F", "admin", "x", ".", "\\..", "%5C..");
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        const { path, ok } = normalizePath("/public/" + segments.join("/"));
        fc.pre(ok);
        const [, first] = path.split("/");
        expect(path.split("/").slice(1)).not.toContain("..");
        if (first === "public") expect(path === "/public" || path.startsWith("/public/")).toBe(true);
      }),
    );
  });
});

describe("normalizeMatchPath", () => {
  it.each([
    ["/foo", "/foo"],
    ["/foo/", "/foo/"],
    ["/%41", "/A"],
    ["/caf%c3%a9", "/caf%C3%A9"],
    ["/a%3ab", "/a%3Ab"],
    ["/", "/"],
    // values the CRD rejects are left alone rather than silently changed
    ["/a?b", "/a?b"],
    ["/a#b", "/a#b"],
    ["/a%zz", "/a%zz"],
  ])("%s → %s", (value, want) => expect(normalizeMatchPath(value)).toBe(want));

  it("a request for the value as written is matched by the normalized value", () => {
    for (const v of ["/%41bc", "/caf%c3%a9", "/x/%7euser/"]) expect(normalizePath(v).path).toBe(normalizeMatchPath(v));
  });
});

describe("removeDotSegments (RFC 3986 §5.2.4 examples)", () => {
  it.each([
    ["/a/b/c/./../../g", "/a/g"],
    ["/mid/content=5/../6", "/mid/6"],
    ["/./", "/"],
    ["/a/b/../../..", "/"],
  ])("%s → %s", (input, want) => expect(removeDotSegments(input)).toBe(want));
});

describe("parseQuery / queryValue", () => {
  it.each([
    { query: "", params: [] },
    { query: "animal=whale", params: [["animal", "whale"]] },
    { query: "a=1&&b=2&", params: [["a", "1"], ["b", "2"]] },
    { query: "flag&x=", params: [["flag", ""], ["x", ""]] },
    { query: "q=a%20b&q2=a+b", params: [["q", "a b"], ["q2", "a+b"]] }, // `+` is not a space
    { query: "n%61me=v%C3%A9", params: [["name", "vé"]] },
    { query: "bad=%zz&half=%E9&x=%", params: [["bad", "%zz"], ["half", "%E9"], ["x", "%"]] },
    { query: "eq=a=b", params: [["eq", "a=b"]] },
  ])("$query", ({ query, params }) => {
    expect(parseQuery(query)).toEqual(params);
  });

  it.each([
    // HTTPRouteQueryParamMatching: names are exact (case-sensitive)
    { query: "animal=whale", name: "animal", want: "whale" },
    { query: "ANIMAL=Whale", name: "animal", want: undefined },
    { query: "color=blue", name: "animal", want: undefined },
    // a param sent more than once: the first value counts (HTTPQueryParamMatch recommendation)
    { query: "animal=whale&animal=dolphin", name: "animal", want: "whale" },
    { query: "animal=&animal=dolphin", name: "animal", want: "" },
  ])("$query: $name → $want", ({ query, name, want }) => {
    expect(queryValue(parseQuery(query), name)).toBe(want);
  });

  it("never throws", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => void parseQuery(s)));
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => void percentDecode(s)));
  });
});

describe("headers", () => {
  it("lower-cases names, merges case variants in order and trims values", () => {
    expect(lowerCaseHeaders({ "X-A": " 1 ", "x-a": ["2", "3"], Version: "two", skip: undefined })).toEqual({ "x-a": ["1", "2", "3"], version: "two" });
    expect(lowerCaseHeaders(undefined)).toEqual({});
  });

  it.each<{ headers: Headers; name: string; want: string | undefined }>([
    { headers: { version: "two" }, name: "Version", want: "two" },
    { headers: { version: "two" }, name: "other", want: undefined },
    // a header sent more than once is matched as its values joined with ","
    { headers: { "x-multi": ["a", "b"] }, name: "X-Multi", want: "a,b" },
    { headers: { "x-multi": "a, b" }, name: "x-multi", want: "a, b" },
    { headers: { empty: "" }, name: "empty", want: "" },
    // cookie crumbs join with "; " (RFC 9113 §8.2.3), as serve forwards them
    { headers: { cookie: ["a=1", "b=2"] }, name: "Cookie", want: "a=1; b=2" },
    { headers: { cookie: "a=1; b=2" }, name: "cookie", want: "a=1; b=2" },
  ])("headerValue $name of $headers → $want", ({ headers, name, want }) => {
    expect(headerValue(headers, name)).toBe(want);
  });

  it("headerValues lists every value", () => {
    expect(headerValues({ a: ["1", "2"] }, "A")).toEqual(["1", "2"]);
    expect(headerValues({}, "a")).toEqual([]);
  });

  it.each([
    { headers: { version: "two" }, want: null },
    { headers: { "bad name": "x" }, want: /invalid header name/ },
    { headers: { "": "x" }, want: /invalid header name/ },
    { headers: { x: "a\r\nInjected: 1" }, want: /invalid character/ },
    { headers: { x: ["ok", "nul\0"] }, want: /invalid character/ },
  ])("headerProblem($headers)", ({ headers, want }) => {
    const p = headerProblem(headers);
    if (want === null) expect(p).toBeNull();
    else expect(p).toMatch(want);
  });
});

describe("splitHostPort", () => {
  it.each([
    { input: "Example.COM", host: "example.com", port: null, ok: true },
    { input: "example.com:8080", host: "example.com", port: 8080, ok: true },
    { input: "example.com:", host: "example.com", port: null, ok: true },
    { input: "[::1]:443", host: "[::1]", port: 443, ok: true },
    { input: "[::1]", host: "[::1]", port: null, ok: true },
    { input: "10.0.0.1:80", host: "10.0.0.1", port: 80, ok: true },
    { input: "example.com:99999", host: "example.com", port: null, ok: false },
    { input: "example.com:0", host: "example.com", port: null, ok: false },
    { input: "a:b:c", host: "", port: null, ok: false },
    { input: "ex ample.com", host: "", port: null, ok: false },
    { input: "user@example.com", host: "", port: null, ok: false },
    // RFC 3986 host: reg-name characters only, else 400
    { input: 'a"b', host: "", port: null, ok: false },
    { input: "<", host: "", port: null, ok: false },
    { input: "a{b}.example.com", host: "", port: null, ok: false },
    { input: "a|b", host: "", port: null, ok: false },
    { input: "a\\b", host: "", port: null, ok: false },
    { input: "a^b`c", host: "", port: null, ok: false },
    { input: "ex%zzample.com", host: "", port: null, ok: false },
    { input: "ex%4", host: "", port: null, ok: false },
    { input: "b\u00fccher.example", host: "", port: null, ok: false },
    { input: "\u212a.example", host: "", port: null, ok: false }, // KELVIN SIGN lower-cases to ASCII k
    { input: "\u00a0a.example", host: "", port: null, ok: false },
    { input: "a.example\n", host: "", port: null, ok: false },
    { input: "[1.2.3.4]", host: "", port: null, ok: false },
    { input: "[:::1]", host: "", port: null, ok: false },
    { input: "[1::2::3]", host: "", port: null, ok: false },
    { input: "[1:2:3:4:5:6:7]", host: "", port: null, ok: false },
    { input: "[1:2:3:4:5:6:7:8:9]", host: "", port: null, ok: false },
    { input: "[12345::1]", host: "", port: null, ok: false },
    { input: "[::1.2.3.256]", host: "", port: null, ok: false },
    { input: "[::01.2.3.4]", host: "", port: null, ok: false },
    { input: "[1.2.3.4::]", host: "", port: null, ok: false },
    { input: "[fe80::1%25eth0]", host: "", port: null, ok: false }, // RFC 6874 zone IDs are not RFC 3986
    { input: "[v1]", host: "", port: null, ok: false },
    { input: "[]", host: "", port: null, ok: false },
    { input: "[::1]x", host: "", port: null, ok: false },
    // every RFC-valid form routes: the name lower-case, escapes kept
    { input: "", host: "", port: null, ok: true },
    { input: " a.example.com\t", host: "a.example.com", port: null, ok: true },
    { input: "my_host.example.com", host: "my_host.example.com", port: null, ok: true },
    { input: "example.com.", host: "example.com.", port: null, ok: true },
    { input: "EX%4Ample.com:81", host: "ex%4ample.com", port: 81, ok: true },
    { input: "a~b!$&'()*+,;=.example", host: "a~b!$&'()*+,;=.example", port: null, ok: true },
    { input: "*.example.com", host: "*.example.com", port: null, ok: true },
    { input: "999.1.1.1", host: "999.1.1.1", port: null, ok: true }, // not an IPv4address, but a reg-name
    { input: "[::]", host: "[::]", port: null, ok: true },
    { input: "[1:2:3:4:5:6:7::]", host: "[1:2:3:4:5:6:7::]", port: null, ok: true },
    { input: "[::2:3:4:5:6:7:8]", host: "[::2:3:4:5:6:7:8]", port: null, ok: true },
    { input: "[FE80::A:b]:8443", host: "[fe80::a:b]", port: 8443, ok: true },
    { input: "[1:2:3:4:5:6:7:8]", host: "[1:2:3:4:5:6:7:8]", port: null, ok: true },
    { input: "[::ffff:192.0.2.1]", host: "[::ffff:192.0.2.1]", port: null, ok: true },
    { input: "[1:2:3:4:5:6:192.0.2.1]", host: "[1:2:3:4:5:6:192.0.2.1]", port: null, ok: true },
    { input: "[V1F.a:b~]:80", host: "[v1f.a:b~]", port: 80, ok: true },
  ])("$input", ({ input, host, port, ok }) => {
    const r = splitHostPort(input);
    expect({ host: r.host, port: r.port, ok: r.ok }).toEqual({ host, port, ok });
  });

  it("never throws", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => void splitHostPort(s)));
  });
  it("its fast path agrees with the checked definition", () => {
    const unit = fc.constantFrom(..."abcXYZ09.-:[]@ /\t_%\"|".split(""));
    fc.assert(fc.property(fc.string({ unit, maxLength: 12 }), (s) => {
      expect(splitHostPort(s)).toEqual(splitHostPortChecked(s));
    }), { numRuns: 5000 });
  });
});

/**
 * RFC 3986 §3.2 authority without userinfo (RFC 9110 §7.2 Host), written from the ABNF
 * rule by rule, independently of splitHostPortChecked's hand-written IPv6 reading.
 */
const RFC3986_HOST_PORT = (() => {
  const unreserved = "[A-Za-z0-9\\-._~]";
  const subDelims = "[!$&'()*+,;=]";
  const pctEncoded = "%[0-9A-Fa-f]{2}";
  const decOctet = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])";
  const ipv4 = `${decOctet}\\.${decOctet}\\.${decOctet}\\.${decOctet}`;
  const h16 = "[0-9A-Fa-f]{1,4}";
  const ls32 = `(?:${h16}:${h16}|${ipv4})`;
  const times = (n: number) => `(?:${h16}:){${n}}`;
  const upTo = (n: number) => `(?:(?:${h16}:){0,${n}}${h16})?`; // [ *n( h16 ":" ) h16 ]
  const ipv6 = [
    `${times(6)}${ls32}`,
    `::${times(5)}${ls32}`,
    `${upTo(0)}::${times(4)}${ls32}`,
    `${upTo(1)}::${times(3)}${ls32}`,
    `${upTo(2)}::${times(2)}${ls32}`,
    `${upTo(3)}::${h16}:${ls32}`,
    `${upTo(4)}::${ls32}`,
    `${upTo(5)}::${h16}`,
    `${upTo(6)}::`,
  ].join("|");
  const ipvFuture = `[vV][0-9A-Fa-f]+\\.(?:${unreserved}|${subDelims}|:)+`;
  const ipLiteral = `\\[(?:${ipv6}|${ipvFuture})\\]`;
  const regName = `(?:${unreserved}|${pctEncoded}|${subDelims})*`;
  return new RegExp(`^(${ipLiteral}|${ipv4}|${regName})(?::([0-9]*))?$`);
})();

describe("splitHostPort follows the RFC 3986 host grammar exactly", () => {
  /** What splitHostPort must answer: the ABNF match, a port 1-65535 when one is given, OWS dropped. */
  function expected(s: string): { ok: boolean; host?: string; port?: number | null } {
    const m = RFC3986_HOST_PORT.exec(s.replace(/^[ \t]+|[ \t]+$/g, ""));
    if (!m) return { ok: false };
    const port = m[2] === undefined || m[2] === "" ? null : Number(m[2]);
    if (port !== null && (port < 1 || port > 65535)) return { ok: false };
    return { ok: true, host: m[1]!.toLowerCase(), port };
  }
  function check(s: string): void {
    const want = expected(s);
    const got = splitHostPort(s);
    expect(got.ok, JSON.stringify(s)).toBe(want.ok);
    if (want.ok) expect({ host: got.host, port: got.port }).toEqual({ host: want.host, port: want.port });
    expect(splitHostPortChecked(s)).toEqual(got);
  }
  const port = fc.oneof(fc.constant(""), fc.constantFrom(":", ":80", ":0", ":65535", ":65536", ":0080", ":x", "::1"));

  it("on strings of host characters and near-misses", () => {
    const unit = fc.constantFrom(..."aZv09.-_~!$&'()*+,;=%:[]@/?# \t\"<>{}|\\^`\u00e9\u212a".split(""), "%4a", "%zz");
    fc.assert(fc.property(fc.string({ unit, maxLength: 16 }), check), { numRuns: 20000 });
  });
  it("on IP-literals built from pieces, valid and not", () => {
    const piece = fc.constantFrom("", "::", ":", "0", "1", "ab", "FFFF", "12345", "g1", "1.2.3.4", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3", "v1.", "vF.a:b", "v.x", "%25x");
    const literal = fc.tuple(fc.array(piece, { maxLength: 10 }), fc.constantFrom(":", "", "::"), port).map(([ps, sep, p]) => `[${ps.join(sep)}]${p}`);
    fc.assert(fc.property(literal, check), { numRuns: 20000 });
  });
  it("on IPv6 addresses written every way RFC 3986 allows (all accepted)", () => {
    const groups = fc.array(fc.stringMatching(/^[0-9a-fA-F]{1,4}$/), { minLength: 8, maxLength: 8 });
    const ipv4 = fc.ipV4();
    const address = fc.tuple(groups, fc.boolean(), fc.nat(8), fc.nat(8), ipv4).map(([g, withV4, from, len, v4]) => {
      const pieces: string[] = withV4 ? [...g.slice(0, 6), v4] : g;
      const n = withV4 ? 7 : 8; // slots, the IPv4 address counting as one here
      const start = Math.min(from, n - 1);
      const cut = Math.max(1, Math.min(len, n - start)); // "::" stands for at least one piece
      if (withV4 && start + cut > 6) return `[${pieces.join(":")}]`; // the IPv4 part cannot be elided
      return len === 0 ? `[${pieces.join(":")}]` : `[${pieces.slice(0, start).join(":")}::${pieces.slice(start + cut).join(":")}]`;
    });
    fc.assert(
      fc.property(address, port, (a, p) => {
        expect(RFC3986_HOST_PORT.test(a)).toBe(true);
        check(a + p);
      }),
      { numRuns: 5000 },
    );
  });
  it("on any string", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 20 }), check), { numRuns: 5000 });
  });
});
