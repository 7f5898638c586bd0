/** QA of `gwsim synth` as a user writing profiles meets it: errors, encoding, determinism, output validity. */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonlParser } from "../trace/jsonl.js";
import { encodePathValue, encodeQueryValue } from "./encode.js";
import { parseSynthProfile, type SynthProfile } from "./profile.js";
import { synthesize, synthesizeJsonl, SynthRangeError } from "./synthesize.js";
import { parseTemplate } from "./template.js";

const storeYaml = readFileSync(new URL("../../../examples/profiles/store.yaml", import.meta.url), "utf8");

function profile(text: string): SynthProfile {
  const r = parseSynthProfile(text, "p.yaml");
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.profile;
}

const base = "defaults: {gateway: ns/gw}\nclasses:\n  - path: /a\n";

describe("profile errors name the file, line, column and field", () => {
  it.each([
    // Typos are never ignored: each unknown key is reported where it is, with the field it resembles.
    { name: "typo in a class", yaml: `${base}    shrae: 3`, at: [4, 5], path: "classes[0].shrae", msg: 'unknown field "shrae" (did you mean "share"?)' },
    { name: "typo at the top", yaml: `rtae: 5\n${base}`, at: [1, 1], path: "rtae", msg: '(did you mean "rate"?)' },
    { name: "typo in users", yaml: `${base}users: {count: 5, anonymus: 0.1}`, at: [4, 19], path: "users.anonymus", msg: '"anonymous"' },
    { name: "typo in a value spec", yaml: `${base}    headers: {x-a: {probabilty: 0.5, value: b}}`, at: [4, 21], path: "classes[0].headers.x-a.probabilty", msg: "unknown field" },
    { name: "a field out of place", yaml: `${base}users: {count: 5, distribution: {type: zipf, alpha: 1}}`, at: [4, 46], path: "users.distribution.alpha", msg: 'field "alpha" does not belong here' },
    { name: "wrong type", yaml: `${base}    share: "3"`, at: [4, 12], path: "classes[0].share", msg: "expected number" },
    { name: "negative share", yaml: `${base}    share: -1`, at: [4, 12], path: "classes[0].share", msg: ">=0" },
    { name: "all-zero shares", yaml: `${base}    share: 0`, at: [3, 3], path: "classes", msg: "every class has share 0" },
    { name: "no classes", yaml: "defaults: {gateway: ns/gw}\nclasses: []", at: [2, 10], path: "classes", msg: ">=1 items" },
    { name: "missing classes", yaml: "defaults: {gateway: ns/gw}", at: [1, 1], path: "classes", msg: "required" },
    { name: "{int:5-1}", yaml: `${base.replace("/a", "/a/{int:5-1}")}`, at: [3, 11], path: "classes[0].path", msg: "MIN is above MAX" },
    { name: "{choice:}", yaml: `${base.replace("/a", "/a/{choice:}")}`, at: [3, 11], path: "classes[0].path", msg: "at least one option" },
    { name: "unknown placeholder", yaml: `${base.replace("/a", "/a/{nope}")}`, at: [3, 11], path: "classes[0].path", msg: "unknown placeholder" },
    { name: "unclosed brace", yaml: `${base.replace("/a", "/a/{int:1-5")}`, at: [3, 11], path: "classes[0].path", msg: 'unclosed "{"' },
    { name: "stray closing brace", yaml: `${base.replace("/a", "/a}")}`, at: [3, 11], path: "classes[0].path", msg: 'unmatched "}"' },
    { name: "argument to {uuid}", yaml: `${base.replace("/a", "/a/{uuid:4}")}`, at: [3, 11], path: "classes[0].path", msg: "takes no argument" },
    { name: "{user} without users", yaml: `${base.replace("/a", "/a/{user}")}`, at: [3, 11], path: "classes[0].path", msg: "needs a users section" },
    { name: "relative path", yaml: `${base.replace("/a", "a/b")}`, at: [3, 11], path: "classes[0].path", msg: 'must start with "/"' },
    { name: "choice not rooted", yaml: `${base.replace("/a", '"{choice:/a|b}"')}`, at: [3, 11], path: "classes[0].path", msg: 'must start with "/"' },
    { name: "space in a literal path", yaml: `${base.replace("/a", '"/a b"')}`, at: [3, 11], path: "classes[0].path", msg: "percent-encode" },
    { name: "fragment", yaml: `${base.replace("/a", '"/a#top"')}`, at: [3, 11], path: "classes[0].path", msg: "fragment" },
    { name: "bad escape", yaml: `${base.replace("/a", '"/a%zz"')}`, at: [3, 11], path: "classes[0].path", msg: "%XX" },
    { name: "header name", yaml: `${base}    headers: {"x a": b}`, at: [4, 15], path: "classes[0].headers.x a", msg: "not a valid header name" },
    { name: "header value CR LF", yaml: `${base}    headers: {x-a: "b\\r\\nx-evil: 1"}`, at: [4, 20], path: "classes[0].headers.x-a", msg: "control characters" },
    { name: "header value in values", yaml: `${base}    headers: {x-a: {values: {"ok": 1, "bad\\u0000": 1}}}`, at: [4, 39], path: "classes[0].headers.x-a.values.bad\u0000", msg: "control characters" },
    { name: "header value leading space", yaml: `${base}    headers: {x-a: " b"}`, at: [4, 20], path: "classes[0].headers.x-a", msg: "start or end" },
    { name: "header value space after an empty option", yaml: `${base}    headers: {x-a: "{choice:a|} b"}`, at: [4, 20], path: "classes[0].headers.x-a", msg: "start or end" },
    { name: "header value space before an empty option", yaml: `${base}    headers: {x-a: "b {choice:|*2}"}`, at: [4, 20], path: "classes[0].headers.x-a", msg: "start or end" },
    { name: "a number as a header", yaml: `${base}    headers: {x-retry: 3}`, at: [4, 24], path: "classes[0].headers.x-retry", msg: 'quote numbers: "3"' },
    { name: "a number as a method", yaml: `${base}    method: 3`, at: [4, 13], path: "classes[0].method", msg: "expected a method (GET) or methods with weights" },
    { name: "Host header", yaml: `${base}    headers: {Host: b}`, at: [4, 15], path: "classes[0].headers.Host", msg: "set the class's host" },
    { name: "header twice", yaml: `${base}    headers: {x-a: b, X-A: c}`, at: [4, 23], path: "classes[0].headers.X-A", msg: "case-insensitive" },
    { name: "method", yaml: `${base}    method: "GE T"`, at: [4, 13], path: "classes[0].method", msg: "not a valid method" },
    { name: "method in weights", yaml: `${base}    method: {GET: 1, "P(ST": 1}`, at: [4, 22], path: "classes[0].method.P(ST", msg: "not a valid method" },
    { name: "host", yaml: `${base}    host: "shop example/x"`, at: [4, 11], path: "classes[0].host", msg: "expected a host" },
    { name: "host port", yaml: `${base}    host: "shop.example:99999"`, at: [4, 11], path: "classes[0].host", msg: "port above 65535" },
    { name: "gateway", yaml: `${base}    gateway: "Infra/Edge Gw"`, at: [4, 14], path: "classes[0].gateway", msg: "namespace/name" },
    { name: "address", yaml: `${base}    address: 10.0.0.300`, at: [4, 14], path: "classes[0].address", msg: "IP address" },
    { name: "rate 0", yaml: `rate: 0\n${base}`, at: [1, 7], path: "rate", msg: ">0" },
    { name: "negative rate", yaml: `rate: -2\n${base}`, at: [1, 7], path: "rate", msg: ">0" },
    { name: "daily length", yaml: `daily: [1, 2]\n${base}`, at: [1, 8], path: "daily", msg: "exactly 24" },
    { name: "daily all zero", yaml: `daily: [${new Array(24).fill(0)}]\n${base}`, at: [1, 8], path: "daily", msg: "every hour has rate 0" },
    { name: "start without a zone", yaml: `start: "2026-01-01T00:00:00"\n${base}`, at: [1, 8], path: "start", msg: "with Z or an offset" },
    { name: "start on Feb 30", yaml: `start: "2026-02-30T00:00:00Z"\n${base}`, at: [1, 8], path: "start", msg: "RFC 3339" },
    { name: "start at 24:00", yaml: `start: "2026-01-01T24:00:00Z"\n${base}`, at: [1, 8], path: "start", msg: "RFC 3339" },
    { name: "start before year 0 in UTC", yaml: `start: "0000-01-01T00:00:00+01:00"\n${base}`, at: [1, 8], path: "start", msg: "years 0000 to 9999" },
    { name: "start as a date", yaml: `start: 2026-01-01\n${base}`, at: [1, 8], path: "start", msg: "RFC 3339" },
    { name: "probability above 1", yaml: `${base}    query: {q: {probability: 2, value: x}}`, at: [4, 30], path: "classes[0].query.q.probability", msg: "<=1" },
    { name: "value and values", yaml: `${base}    query: {q: {value: x, values: {y: 1}}}`, at: [4, 16], path: "classes[0].query.q", msg: "exactly one of" },
    { name: "user prefix", yaml: `${base}users: {count: 3, prefix: "a b"}`, at: [4, 27], path: "users.prefix", msg: "visible ASCII" },
    { name: "zipf exponent", yaml: `${base}users: {count: 3, distribution: {type: zipf, exponent: 0}}`, at: [4, 56], path: "users.distribution.exponent", msg: ">0" },
  ])("$name", ({ yaml, at, path, msg }) => {
    const r = parseSynthProfile(yaml, "p.yaml");
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.path === path);
    expect(d, JSON.stringify(r.diagnostics)).toBeDefined();
    expect([d!.file, d!.line, d!.column]).toEqual(["p.yaml", ...at]);
    expect(d!.message).toContain(msg);
  });

  it("valid corner cases stay valid", () => {
    const ok = profile(
      [
        'start: "2026-03-29 02:30:00.5+02:00"',
        "defaults: {service: ns/api, host: \"[::1]:8443\"}",
        "users: {count: 3, prefix: \"\"}",
        "classes:",
        '  - path: "{choice:/a|/b}/{user}?x=1"',
        "    address: 10.0.0.1",
        '    headers: {x-json: "{{\\"a\\": {int:1-2}}}", X-Tab: "a\\tb", accept: {values: {"text/html; q=0.9": 1}}}',
        "    method: {GET: 1, M-SEARCH: 1}",
      ].join("\n"),
    );
    const [r] = [...synthesize(ok, { count: 1, seed: 1 })];
    expect(r!.path).toMatch(/^\/[ab]\/\d\?x=1$/);
    expect(parseSynthProfile(`${base.replace("/a", '"/a?x={{1}}"')}`).diagnostics[0]?.message).toContain('"{" is not allowed');
    expect(r!.headers!["x-json"]).toMatch(/^\{"a": [12]\}$/);
    expect(r!.time).toMatch(/^2026-03-29T00:30:0/);
  });
});

describe("encoding", () => {
  it.each([
    ["/plain/seg", "/plain/seg", "%2Fplain%2Fseg"],
    ["a b", "a%20b", "a%20b"],
    ["café", "caf%C3%A9", "caf%C3%A9"],
    ["100%", "100%25", "100%25"],
    ["a?b#c", "a%3Fb%23c", "a%3Fb%23c"],
    ["k=v&x+y", "k=v&x+y", "k%3Dv%26x%2By"],
    ["\ud800", "%EF%BF%BD", "%EF%BF%BD"], // a lone surrogate does not throw
  ])("%j → path %s, query %s", (value, path, query) => {
    expect(encodePathValue(value)).toBe(path);
    expect(encodeQueryValue(value)).toBe(query);
    if (value !== "\ud800") expect(decodeURIComponent(encodeQueryValue(value))).toBe(value);
  });

  it("{choice} values in a path are encoded as path data before the ?, as query data after it", () => {
    const p = profile(`${base.replace("/a", '"/s/{choice:a b|é}?q={choice:x&y|1+1}&t=lit"')}`);
    const paths = new Set([...synthesize(p, { count: 200, seed: 1 })].map((r) => r.path));
    expect([...paths].sort()).toEqual(
      ["/s/%C3%A9?q=1%2B1&t=lit", "/s/%C3%A9?q=x%26y&t=lit", "/s/a%20b?q=1%2B1&t=lit", "/s/a%20b?q=x%26y&t=lit"],
    );
  });

  it("literal braces: {{ and }}", () => {
    const t = parseTemplate("{{x}}{int:1-1}");
    expect(t).toEqual({ ok: true, template: [{ kind: "text", text: "{x}" }, { kind: "int", min: 1, max: 1 }] });
  });
});

describe("determinism", () => {
  const store = profile(storeYaml);

  it("--count N is a prefix of --count 2N (one stream, no look-ahead)", () => {
    const short = [...synthesizeJsonl(store, { count: 1000, seed: 9 })];
    const long = [...synthesizeJsonl(store, { count: 2000, seed: 9 })];
    expect(long.slice(0, 1000)).toEqual(short);
    const pareto = profile(`${base}users: {count: 100, distribution: {type: pareto}}`);
    expect([...synthesizeJsonl(pareto, { count: 4000, seed: 2 })].slice(0, 500)).toEqual([...synthesizeJsonl(pareto, { count: 500, seed: 2 })]);
  });

  it("seeds give different traces; nothing reads the clock or Math.random", () => {
    const random = vi.spyOn(Math, "random").mockImplementation(() => {
      throw new Error("Math.random");
    });
    const now = vi.spyOn(Date, "now").mockImplementation(() => {
      throw new Error("Date.now");
    });
    const a = [...synthesizeJsonl(store, { count: 300, seed: 1 })].join("");
    const b = [...synthesizeJsonl(store, { count: 300, seed: 2 })].join("");
    expect(a).not.toBe(b);
    expect(random).not.toHaveBeenCalled();
    expect(now).not.toHaveBeenCalled();
  });

  afterEach(() => vi.restoreAllMocks());

  it("arrivals past year 9999 are a coded error, not an endless loop", () => {
    const p = profile(`rate: 0.000001\nstart: "9999-12-01T00:00:00Z"\n${base}`);
    expect(() => [...synthesize(p, { count: 10, seed: 1 })]).toThrow(SynthRangeError);
  });
});

describe("every emitted line is a request route and replay read", () => {
  it("store profile and an awkward one", () => {
    const awkward = profile(
      [
        "defaults: {gateway: ns/gw, host: \"shop.example:8080\"}",
        "users: {count: 50, anonymous: 0.3, prefix: \"u#\"}",
        "classes:",
        '  - path: "/p/{choice:sp ace|ünï|a/b|%|?|#}/{user}"',
        '    query: {"q w": "{choice:a&b|=|é}", "n": {values: {"x y": 1, "#": 1}}}',
        '    headers: {x-ua: "{choice:Mozilla/5.0 (X11)|curl/8}", x-user: "{user}"}',
      ].join("\n"),
    );
    const parser = jsonlParser();
    for (const p of [profile(storeYaml), awkward]) {
      for (const line of synthesizeJsonl(p, { count: 3000, seed: 4 })) {
        expect(line.endsWith("\n")).toBe(true);
        const rec = parser.parse(line.slice(0, -1));
        expect(typeof rec, String(rec)).toBe("object");
        const r = rec as Exclude<typeof rec, string | null>;
        // origin-form request target: path-abempty [ "?" query ], every % an escape, no fragment.
        expect(r.path).toMatch(/^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*$/);
        for (const [name, value] of Object.entries(r.headers ?? {})) {
          expect(name).toMatch(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
          for (const v of [value].flat()) expect(v).toMatch(/^(?:[^\s\x00-\x1f\x7f](?:[^\x00-\x08\x0a-\x1f\x7f]*[^\s\x00-\x1f\x7f])?)?$/);
        }
        expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    }
  });
});

describe("properties", () => {
  // Lazily imported so the file's other tests do not pay for fast-check's start-up.
  const fcImport = import("fast-check");
  const TARGET = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*$/;

  it("encoded values decode back to themselves and use only URI characters", async () => {
    const fc = (await fcImport).default;
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        const path = encodePathValue(s);
        const query = encodeQueryValue(s);
        expect(`/${path}`).toMatch(TARGET);
        expect(query).toMatch(/^(?:[A-Za-z0-9\-._~!'()*]|%[0-9A-F]{2})*$/);
        expect(decodeURIComponent(path)).toBe(s);
        expect(decodeURIComponent(query)).toBe(s);
      }),
    );
  });

  it("any accepted path template with any choice options renders valid request targets", async () => {
    const fc = (await fcImport).default;
    const option = fc.string({ unit: "grapheme", maxLength: 6 }).filter((s) => !/[|{}*]/.test(s));
    fc.assert(
      // `{choice:}` (one empty option) is refused on purpose; other empty options are allowed.
      fc.property(fc.array(option, { minLength: 1, maxLength: 4 }).filter((o) => o.join("|") !== ""), fc.constantFrom("/x/", "/x?y=", "/"), fc.integer(), (options, prefix, seed) => {
        const r = parseSynthProfile(`defaults: {gateway: ns/gw}\nclasses: [{path: ${JSON.stringify(`${prefix}{choice:${options.join("|")}}`)}}]`);
        expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
        if (!r.ok) return;
        for (const rec of synthesize(r.profile, { count: 5, seed })) expect(rec.path).toMatch(TARGET);
      }),
      { numRuns: 200 },
    );
  });

  it("a header template is refused or renders RFC 9110 field values (accepted ⇒ valid)", async () => {
    const fc = (await fcImport).default;
    const text = fc.string({ unit: "binary", maxLength: 6 }).filter((s) => !/[|{}*]/.test(s) && /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/.test(s));
    fc.assert(
      fc.property(text, fc.array(text, { minLength: 1, maxLength: 3 }), text, (before, options, after) => {
        const value = `${before}{choice:${options.join("|")}}${after}`;
        const r = parseSynthProfile(`defaults: {gateway: ns/gw}\nclasses: [{path: /, headers: {x-v: ${JSON.stringify(value)}}}]`);
        if (!r.ok) return;
        for (const rec of synthesize(r.profile, { count: 5, seed: 1 })) {
          const v = rec.headers?.["x-v"] as string;
          // field-value: no CTL but HTAB, no SP/HTAB at either end (obs-text is allowed).
          expect(v).toMatch(/^(?:[^ \t\x00-\x1f\x7f](?:[^\x00-\x08\x0a-\x1f\x7f]*[^ \t\x00-\x1f\x7f])?)?$/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
