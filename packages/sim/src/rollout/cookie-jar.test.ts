import { describe, expect, it } from "vitest";
import type { Decision, GatewayRequest } from "@gwsim/core";
import { cookieJar, defaultPath, domainMatch, keepCookies, parseCookieDate, pathMatch, withCookies } from "./cookie-jar.js";

const answer = (add: string[], set: string[] = []): Decision =>
  ({ responseHeaders: { set: {}, add: {}, remove: [], addAll: { "set-cookie": add }, setAll: set.length ? { "set-cookie": set } : undefined } }) as unknown as Decision;

const at = (url: string, extra: Partial<GatewayRequest> = {}): GatewayRequest => {
  const u = new URL(url);
  return { gateway: "g/w", scheme: u.protocol.slice(0, -1) as "http" | "https", host: u.host, path: `${u.pathname}${u.search}`, ...extra };
};

describe("cookie jar", () => {
  it.each([
    { title: "keeps a named cookie and sends it", lines: ["c=abc; Max-Age=60"], at: 10_000, sent: "c=abc" },
    { title: "ignores cookies it is not told to follow", lines: ["other=1"], at: 10_000, sent: undefined },
    { title: "Max-Age expires it", lines: ["c=abc; Max-Age=60"], at: 61_000, sent: undefined },
    { title: "Max-Age=-1 deletes it", lines: ["c=abc; Max-Age=60", "c=abc; Max-Age=-1"], at: 10_000, sent: undefined },
    { title: "Max-Age=0 deletes it too", lines: ["c=abc", "c=x; Max-Age=0"], at: 10_000, sent: undefined },
    { title: "no Max-Age: a session cookie", lines: ["p=z; Path=/"], at: 9e12, sent: "p=z" },
    { title: "both, in the order created (same path length)", lines: ["c=abc; max-age=600", "p=z"], at: 1_000, sent: "c=abc; p=z" },
    { title: "a later value replaces the earlier, keeping its place", lines: ["c=1", "p=2", "c=3"], at: 1_000, sent: "c=3; p=2" },
    { title: "Max-Age wins over Expires, whatever the order", lines: ["c=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:01 GMT"], at: 30_000, sent: "c=1" },
    { title: "Expires in the past deletes", lines: ["c=1", "c=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], at: 5_000, sent: undefined },
    { title: "Expires in the future keeps it until then", lines: ["c=1; Expires=Thu, 01 Jan 1970 00:01:00 GMT"], at: 59_000, sent: "c=1" },
    { title: "Expires passed", lines: ["c=1; Expires=Thu, 01 Jan 1970 00:01:00 GMT"], at: 60_000, sent: undefined },
    { title: "an Expires that is not a date is ignored (a session cookie)", lines: ["c=1; Expires=tomorrow"], at: 9e12, sent: "c=1" },
    { title: "a bad Max-Age is ignored, so Expires counts", lines: ["c=1; Max-Age=1e3; Expires=Thu, 01 Jan 1970 00:00:10 GMT"], at: 11_000, sent: undefined },
    { title: "no '=' in the pair: ignored entirely", lines: ["c"], at: 1, sent: undefined },
    { title: "an empty name: ignored entirely", lines: ["=c"], at: 1, sent: undefined },
    { title: "spaces around name and value are trimmed", lines: ["  c =  v w  ; Path=/"], at: 1, sent: "c=v w" },
  ])("$title", ({ lines, at: now, sent }) => {
    const jar = cookieJar(["c", "p"]);
    const req = at("http://shop.example/");
    for (const l of lines) keepCookies(jar, "u1", req, answer([l]), 0);
    expect(withCookies(jar, "u1", req, now).headers?.cookie).toBe(sent);
    // Another user has none.
    expect(withCookies(jar, "u2", req, now)).toEqual(req);
  });

  // Each row: where the Set-Cookie came from, what it said, where the next request goes.
  it.each([
    // §5.3 step 6: no Domain → host-only, sent to that host alone.
    { title: "host-only: same host", from: "http://shop.example/", line: "c=1", to: "http://shop.example/", sent: true },
    { title: "host-only: not to a subdomain", from: "http://shop.example/", line: "c=1", to: "http://a.shop.example/", sent: false },
    { title: "host-only: host compared without case or port", from: "http://Shop.Example:8080/", line: "c=1", to: "http://shop.example/", sent: true },
    { title: "Domain: sent to the domain", from: "http://a.shop.example/", line: "c=1; Domain=shop.example", to: "http://shop.example/", sent: true },
    { title: "Domain: sent to other subdomains", from: "http://a.shop.example/", line: "c=1; Domain=shop.example", to: "http://b.c.shop.example/", sent: true },
    { title: "Domain: a leading dot is dropped, case folded", from: "http://a.shop.example/", line: "c=1; Domain=.SHOP.example", to: "http://b.shop.example/", sent: true },
    { title: "Domain: not to a host that only ends with the same letters", from: "http://shop.example/", line: "c=1; Domain=shop.example", to: "http://myshop.example/", sent: false },
    { title: "Domain the host does not domain-match: cookie ignored", from: "http://shop.example/", line: "c=1; Domain=other.example", to: "http://other.example/", sent: false },
    { title: "Domain of a subdomain set by its parent: ignored", from: "http://shop.example/", line: "c=1; Domain=a.shop.example", to: "http://a.shop.example/", sent: false },
    { title: "Domain= empty is ignored: host-only", from: "http://shop.example/", line: "c=1; Domain=", to: "http://a.shop.example/", sent: false },
    { title: "Domain equal to the host: not host-only", from: "http://shop.example/", line: "c=1; Domain=shop.example", to: "http://a.shop.example/", sent: true },
    { title: "IP host: Domain must be identical", from: "http://10.0.0.1/", line: "c=1; Domain=0.0.1", to: "http://10.0.0.1/", sent: false },
    { title: "IP host: identical Domain works", from: "http://10.0.0.1/", line: "c=1; Domain=10.0.0.1", to: "http://10.0.0.1/", sent: true },
    // §5.1.4 default-path: the request path up to its last "/".
    { title: "default path: the directory", from: "http://s.x/api/items/1", line: "c=1", to: "http://s.x/api/items/2", sent: true },
    { title: "default path: not above it", from: "http://s.x/api/items/1", line: "c=1", to: "http://s.x/api/other", sent: false },
    { title: "default path: not the directory's prefix without '/'", from: "http://s.x/api/items/1", line: "c=1", to: "http://s.x/api/itemsx", sent: false },
    { title: "default path: the directory itself", from: "http://s.x/api/items/1", line: "c=1", to: "http://s.x/api/items", sent: true },
    { title: "default path: one segment gives /", from: "http://s.x/checkout?x=/a/b", line: "c=1", to: "http://s.x/else", sent: true },
    { title: "Path=/api matches /api/x", from: "http://s.x/", line: "c=1; Path=/api", to: "http://s.x/api/x", sent: true },
    { title: "Path=/api does not match /apix", from: "http://s.x/", line: "c=1; Path=/api", to: "http://s.x/apix", sent: false },
    { title: "Path=/api/ matches /api/", from: "http://s.x/", line: "c=1; Path=/api/", to: "http://s.x/api/", sent: true },
    { title: "Path=/api/ does not match /api", from: "http://s.x/", line: "c=1; Path=/api/", to: "http://s.x/api", sent: false },
    { title: "Path compares case-sensitively", from: "http://s.x/", line: "c=1; Path=/API", to: "http://s.x/api", sent: false },
    { title: "Path not starting with '/': the default path", from: "http://s.x/a/b", line: "c=1; Path=x", to: "http://s.x/a/z", sent: true },
    { title: "the query is not part of the path", from: "http://s.x/", line: "c=1; Path=/a", to: "http://s.x/a?b=/c", sent: true },
    // Secure: only over https (storing it over http is allowed by RFC 6265).
    { title: "Secure over https", from: "https://s.x/", line: "c=1; Secure", to: "https://s.x/", sent: true },
    { title: "Secure not over http", from: "https://s.x/", line: "c=1; Secure", to: "http://s.x/", sent: false },
    { title: "Secure set over http, sent over https", from: "http://s.x/", line: "c=1; secure", to: "https://s.x/", sent: true },
    { title: "not Secure: sent over both", from: "https://s.x/", line: "c=1", to: "http://s.x/", sent: true },
  ])("$title", ({ from, line, to, sent }) => {
    const jar = cookieJar(["c"]);
    keepCookies(jar, "u", at(from), answer([line]), 0);
    expect(withCookies(jar, "u", at(to), 1).headers?.cookie).toBe(sent ? "c=1" : undefined);
  });

  it("the host comes from a Host header when the request has no host field; gRPC calls use /service/method", () => {
    const jar = cookieJar(["c"]);
    keepCookies(jar, "u", { gateway: "g/w", headers: { Host: "a.shop.example" }, path: "/x/y" }, answer(["c=1; Domain=shop.example; Path=/x"]), 0);
    expect(withCookies(jar, "u", { gateway: "g/w", host: "b.shop.example", path: "/x" }, 1).headers?.cookie).toBe("c=1");
    keepCookies(jar, "u", { gateway: "g/w", host: "g.example", grpc: { service: "pkg.Svc", method: "Get" } }, answer(["c=2"]), 0);
    // default path of /pkg.Svc/Get is /pkg.Svc
    expect(withCookies(jar, "u", { gateway: "g/w", host: "g.example", grpc: { service: "pkg.Svc", method: "List" } }, 1).headers?.cookie).toBe("c=2");
    expect(withCookies(jar, "u", { gateway: "g/w", host: "g.example", grpc: { service: "pkg.Other", method: "Get" } }, 1).headers?.cookie).toBeUndefined();
  });

  it("the same name on two paths: two cookies, the longer path first; Max-Age=-1 deletes only its own path", () => {
    const jar = cookieJar(["c"]);
    keepCookies(jar, "u", at("http://s.x/"), answer(["c=root; Path=/", "c=api; Path=/api"]), 0);
    expect(withCookies(jar, "u", at("http://s.x/api/1"), 1).headers?.cookie).toBe("c=api; c=root");
    expect(withCookies(jar, "u", at("http://s.x/web"), 1).headers?.cookie).toBe("c=root");
    keepCookies(jar, "u", at("http://s.x/"), answer(["c=gone; Path=/api; Max-Age=-1"]), 2);
    expect(withCookies(jar, "u", at("http://s.x/api/1"), 3).headers?.cookie).toBe("c=root");
    // A deletion for another domain deletes nothing here.
    keepCookies(jar, "u", at("http://a.s.x/"), answer(["c=gone; Path=/; Max-Age=-1"]), 4);
    expect(withCookies(jar, "u", at("http://s.x/"), 5).headers?.cookie).toBe("c=root");
  });

  it("adds to the request's own Cookie header, whatever its case, without changing the record", () => {
    const jar = cookieJar(["c"]);
    keepCookies(jar, "u", { gateway: "g/w" }, answer([], ["c=1"]), 0);
    const record = { gateway: "g/w", headers: { Cookie: "sid=9" } };
    expect(withCookies(jar, "u", record, 1).headers).toEqual({ Cookie: "sid=9; c=1" });
    expect(withCookies(jar, "u", { gateway: "g/w", headers: { cookie: ["a=1", "b=2"] } }, 1).headers).toEqual({ cookie: ["a=1", "b=2", "c=1"] });
    expect(record.headers).toEqual({ Cookie: "sid=9" });
  });
});

describe("RFC 6265 §5.1 algorithms", () => {
  it.each([
    ["Sun, 06 Nov 1994 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 37)], // RFC 1123
    ["Sunday, 06-Nov-94 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 37)], // RFC 850: two-digit year 70-99 → 19xx
    ["Sun Nov  6 08:49:37 1994", Date.UTC(1994, 10, 6, 8, 49, 37)], // asctime
    ["Wed, 09 Jun 21 10:18:14 GMT", Date.UTC(2021, 5, 9, 10, 18, 14)], // 00-69 → 20xx
    ["9 june 2021 1:2:3", Date.UTC(2021, 5, 9, 1, 2, 3)], // any case, one-digit fields
    ["12th Jan 2030 23:59:59xyz", Date.UTC(2030, 0, 12, 23, 59, 59)], // trailing non-digits ignored
    ["Thu, 30 Feb 2026 00:00:00 GMT", null], // no such date
    ["Thu, 01 Jan 1600 00:00:00 GMT", null], // year < 1601
    ["Thu, 01 Jan 2026 24:00:00 GMT", null],
    ["Thu, 32 Jan 2026 00:00:00 GMT", null],
    ["Thu, 01 Jan 2026", null], // no time
    ["tomorrow", null],
  ])("cookie-date %j", (text, want) => {
    expect(parseCookieDate(text)).toBe(want);
  });

  it.each([
    ["example.com", "example.com", true],
    ["www.example.com", "example.com", true],
    ["wwwexample.com", "example.com", false],
    ["example.com", "www.example.com", false],
    ["a.b.example.com", "b.example.com", true],
    ["1.2.3.4", "2.3.4", false],
    ["[::1]", "[::1]", true],
  ])("domain-match(%s, %s) = %s", (host, domain, want) => {
    expect(domainMatch(host, domain)).toBe(want);
  });

  it.each([
    ["", "/"],
    ["x", "/"],
    ["/", "/"],
    ["/a", "/"],
    ["/a/", "/a"],
    ["/a/b", "/a"],
    ["/a/b/c", "/a/b"],
  ])("default-path(%j) = %j", (path, want) => {
    expect(defaultPath(path)).toBe(want);
  });

  it.each([
    ["/a", "/a", true],
    ["/a/b", "/a", true],
    ["/ab", "/a", false],
    ["/a/b", "/a/", true],
    ["/a", "/a/", false],
    ["/", "/", true],
    ["/anything", "/", true],
  ])("path-match(%s, %s) = %s", (path, cookiePath, want) => {
    expect(pathMatch(path, cookiePath)).toBe(want);
  });
});
