import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HTTPPathMatch, ResolvedBackend, RouteFilter } from "../../resolve/graph.js";
import type { Headers } from "../normalize.js";
import { applyFilters, unsupportedFilter, type FilterContext } from "./index.js";

const prefix = (value: string): HTTPPathMatch => ({ type: "PathPrefix", value });

function ctx(over: Partial<FilterContext> = {}): FilterContext {
  return {
    method: "GET",
    scheme: "http",
    host: "gw.example",
    port: null,
    listenerPort: 80,
    listenerProtocol: "HTTP",
    path: "/",
    query: "",
    headers: {},
    pathMatch: prefix("/"),
    ...over,
  };
}

function backend(name: string, over: Partial<ResolvedBackend> = {}): ResolvedBackend {
  return { group: "", kind: "Service", namespace: "gateway-conformance-infra", name, port: 8080, weight: 1, valid: true, reason: null, message: null, filters: [], appProtocol: null, ...over };
}

const headerModifier = (m: Partial<NonNullable<RouteFilter["requestHeaderModifier"]>>): RouteFilter => ({
  type: "RequestHeaderModifier",
  requestHeaderModifier: { set: [], add: [], remove: [], ...m },
});
const responseModifier = (m: Partial<NonNullable<RouteFilter["responseHeaderModifier"]>>): RouteFilter => ({
  type: "ResponseHeaderModifier",
  responseHeaderModifier: { set: [], add: [], remove: [], ...m },
});
const redirect = (r: NonNullable<RouteFilter["requestRedirect"]>): RouteFilter => ({ type: "RequestRedirect", requestRedirect: r });
const rewrite = (r: NonNullable<RouteFilter["urlRewrite"]>): RouteFilter => ({ type: "URLRewrite", urlRewrite: r });
const mirror = (m: Omit<NonNullable<RouteFilter["requestMirror"]>, "backendRef"> & { to: string; valid?: boolean }): RouteFilter => ({
  type: "RequestMirror",
  requestMirror: { backendRef: backend(m.to, m.valid === false ? { valid: false, reason: "BackendNotFound" } : {}), percent: m.percent, fraction: m.fraction },
});
const cors = (c: NonNullable<RouteFilter["cors"]>): RouteFilter => ({ type: "CORS", cors: c });

/** The set/add/remove modifier the conformance rewrite, mirror and host tests share. */
const sharedModifier = headerModifier({
  set: [{ name: "X-Header-Set", value: "set-overwrites-values" }],
  add: [
    { name: "X-Header-Add", value: "header-val-1" },
    { name: "X-Header-Add-Append", value: "header-val-2" },
  ],
  remove: ["X-Header-Remove"],
});
const sharedRequestHeaders = { "x-header-remove": "remove-val", "x-header-add-append": "append-val-1", "x-header-set": "set-val" };
/** What the backend receives; the conformance harness compares values joined with ",". */
const sharedExpectedHeaders = { "x-header-add": "header-val-1", "x-header-add-append": ["append-val-1", "header-val-2"], "x-header-set": "set-overwrites-values" };

describe("no filters", () => {
  it("forwards the request as the gateway sees it, query kept, Host with the client's port", () => {
    const r = applyFilters([], ctx({ path: "/a/b", query: "x=1", port: 8080, headers: { version: "two", "x-multi": ["a", "b"] } }));
    expect(r).toEqual({
      forwarded: { method: "GET", scheme: "http", host: "gw.example:8080", path: "/a/b?x=1", headers: { version: "two", "x-multi": ["a", "b"] } },
      redirect: null,
      respond: null,
      responseHeaders: null,
      mirrors: [],
      error: null,
      notes: [],
    });
  });
});

describe("RequestHeaderModifier (HTTPRouteRequestHeaderModifier)", () => {
  const rules: Record<string, RouteFilter> = {
    "/set": headerModifier({ set: [{ name: "X-Header-Set", value: "set-overwrites-values" }] }),
    "/add": headerModifier({ add: [{ name: "X-Header-Add", value: "add-appends-values" }] }),
    "/remove": headerModifier({ remove: ["X-Header-Remove"] }),
    "/multiple": headerModifier({
      set: [
        { name: "X-Header-Set-1", value: "header-set-1" },
        { name: "X-Header-Set-2", value: "header-set-2" },
      ],
      add: [
        { name: "X-Header-Add-1", value: "header-add-1" },
        { name: "X-Header-Add-2", value: "header-add-2" },
        { name: "X-Header-Add-3", value: "header-add-3" },
      ],
      remove: ["X-Header-Remove-1", "X-Header-Remove-2"],
    }),
    "/case-insensitivity": headerModifier({
      set: [{ name: "X-Header-Set", value: "header-set" }],
      add: [{ name: "X-Header-Add", value: "header-add" }],
      remove: ["X-Header-Remove"],
    }),
  };
  it.each<{ rule: string; sent: Headers; want: Headers }>([
    { rule: "/set", sent: { "some-other-header": "val" }, want: { "some-other-header": "val", "x-header-set": "set-overwrites-values" } },
    { rule: "/set", sent: { "some-other-header": "val", "x-header-set": "some-other-value" }, want: { "some-other-header": "val", "x-header-set": "set-overwrites-values" } },
    { rule: "/add", sent: { "some-other-header": "val" }, want: { "some-other-header": "val", "x-header-add": "add-appends-values" } },
    { rule: "/add", sent: { "some-other-header": "val", "x-header-add": "some-other-value" }, want: { "some-other-header": "val", "x-header-add": ["some-other-value", "add-appends-values"] } },
    { rule: "/remove", sent: { "x-header-remove": "val" }, want: {} },
    {
      rule: "/multiple",
      sent: { "x-header-set-2": "set-val-2", "x-header-add-2": "add-val-2", "x-header-remove-2": "remove-val-2", "another-header": "another-header-val" },
      want: { "x-header-set-2": "header-set-2", "x-header-add-2": ["add-val-2", "header-add-2"], "another-header": "another-header-val", "x-header-set-1": "header-set-1", "x-header-add-1": "header-add-1", "x-header-add-3": "header-add-3" },
    },
    {
      rule: "/case-insensitivity",
      sent: { "x-header-set": "original-val-set", "x-header-add": "original-val-add", "x-header-remove": "original-val-remove", "another-header": "another-header-val" },
      want: { "x-header-set": "header-set", "x-header-add": ["original-val-add", "header-add"], "another-header": "another-header-val" },
    },
    // a header sent twice: add appends after both values
    { rule: "/add", sent: { "x-header-add": ["a", "b"] }, want: { "x-header-add": ["a", "b", "add-appends-values"] } },
    // set replaces every value of a header sent twice
    { rule: "/set", sent: { "x-header-set": ["a", "b"] }, want: { "x-header-set": "set-overwrites-values" } },
  ])("$rule with $sent", ({ rule, sent, want }) => {
    const r = applyFilters([rules[rule]!], ctx({ path: rule, headers: sent }));
    expect(r.forwarded?.headers).toEqual(want);
    expect(r.notes[0]).toMatch(/^RequestHeaderModifier: /);
  });

  it("gRPC RequestHeaderModifier: add keeps the original and the added value as separate entries", () => {
    const r = applyFilters([headerModifier({ add: [{ name: "X-Header-Add", value: "add-appends-values" }] })], ctx({ method: "POST", path: "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo", pathMatch: null, headers: { "x-header-add": "this-value-should-be-appended" } }));
    expect(r.forwarded?.headers["x-header-add"]).toEqual(["this-value-should-be-appended", "add-appends-values"]);
  });

  it("only the first entry for a name counts (names differing in case are one name)", () => {
    const r = applyFilters([headerModifier({ set: [{ name: "X-A", value: "first" }, { name: "x-a", value: "second" }] })], ctx());
    expect(r.forwarded?.headers).toEqual({ "x-a": "first" });
  });

  it("setting host rewrites the forwarded Host; add/remove of host leave it", () => {
    expect(applyFilters([headerModifier({ set: [{ name: "Host", value: "other.example" }] })], ctx()).forwarded?.host).toBe("other.example");
    expect(applyFilters([headerModifier({ add: [{ name: "host", value: "x" }], remove: ["host"] })], ctx()).forwarded).toMatchObject({ host: "gw.example", headers: {} });
  });
});

describe("RequestHeaderModifier properties", () => {
  const name = fc.constantFrom("x-a", "X-A", "x-B", "Version");
  const value = fc.stringMatching(/^[a-z0-9]{1,4}$/);
  const sent = fc.dictionary(fc.constantFrom("x-a", "x-b", "version", "other"), value);

  it("set then remove leaves the header absent; remove then set leaves the set value", () => {
    fc.assert(
      fc.property(sent, name, value, (headers, n, v) => {
        const setThenRemove = applyFilters([headerModifier({ set: [{ name: n, value: v }] }), headerModifier({ remove: [n.toUpperCase()] })], ctx({ headers }));
        expect(setThenRemove.forwarded!.headers).not.toHaveProperty(n.toLowerCase());
        const removeThenSet = applyFilters([headerModifier({ remove: [n] }), headerModifier({ set: [{ name: n.toLowerCase(), value: v }] })], ctx({ headers }));
        expect(removeThenSet.forwarded!.headers[n.toLowerCase()]).toBe(v);
      }),
    );
  });

  it("set is idempotent, add to an absent header equals set, names are case-insensitive", () => {
    fc.assert(
      fc.property(sent, name, value, (headers, n, v) => {
        const set = headerModifier({ set: [{ name: n, value: v }] });
        const once = applyFilters([set], ctx({ headers })).forwarded!.headers;
        expect(applyFilters([set, set], ctx({ headers })).forwarded!.headers).toEqual(once);
        const lower = headerModifier({ set: [{ name: n.toLowerCase(), value: v }] });
        expect(applyFilters([lower], ctx({ headers })).forwarded!.headers).toEqual(once);
        const without = { ...headers };
        delete without[n.toLowerCase()];
        expect(applyFilters([headerModifier({ add: [{ name: n, value: v }] })], ctx({ headers: without })).forwarded!.headers).toEqual(
          applyFilters([set], ctx({ headers: without })).forwarded!.headers,
        );
      }),
    );
  });

  it("headers a modifier does not name pass through untouched", () => {
    fc.assert(
      fc.property(sent, value, (headers, v) => {
        const out = applyFilters([headerModifier({ set: [{ name: "x-touched", value: v }], add: [{ name: "x-added", value: v }], remove: ["x-removed"] })], ctx({ headers })).forwarded!.headers;
        for (const [k, val] of Object.entries(headers)) expect(out[k]).toEqual(val);
      }),
    );
  });
});

describe("ResponseHeaderModifier (HTTPRouteResponseHeaderModifier)", () => {
  it.each([
    { filters: [responseModifier({ set: [{ name: "X-Header-Set", value: "set-overwrites-values" }] })], want: { set: { "x-header-set": "set-overwrites-values" }, add: {}, remove: [], setAll: { "x-header-set": ["set-overwrites-values"] }, addAll: {} } },
    { filters: [responseModifier({ add: [{ name: "X-Header-Add", value: "add-appends-values" }] })], want: { set: {}, add: { "x-header-add": "add-appends-values" }, remove: [], setAll: {}, addAll: { "x-header-add": ["add-appends-values"] } } },
    { filters: [responseModifier({ remove: ["X-Header-Remove"] })], want: { set: {}, add: {}, remove: ["x-header-remove"], setAll: {}, addAll: {} } },
    // composed across rule- and backend-level modifiers, in order
    { filters: [responseModifier({ remove: ["x-a"] }), responseModifier({ set: [{ name: "X-A", value: "1" }] })], want: { set: { "x-a": "1" }, add: {}, remove: [], setAll: { "x-a": ["1"] }, addAll: {} } },
    { filters: [responseModifier({ set: [{ name: "x-a", value: "1" }] }), responseModifier({ remove: ["X-A"] })], want: { set: {}, add: {}, remove: ["x-a"], setAll: {}, addAll: {} } },
    { filters: [responseModifier({ set: [{ name: "x-a", value: "1" }] }), responseModifier({ add: [{ name: "x-a", value: "2" }] })], want: { set: { "x-a": "1,2" }, add: {}, remove: [], setAll: { "x-a": ["1", "2"] }, addAll: {} } },
    { filters: [responseModifier({ add: [{ name: "x-a", value: "1" }] }), responseModifier({ add: [{ name: "x-a", value: "2" }] })], want: { set: {}, add: { "x-a": "1,2" }, remove: [], setAll: {}, addAll: { "x-a": ["1", "2"] } } },
    { filters: [responseModifier({ add: [{ name: "x-a", value: "1" }] }), responseModifier({ set: [{ name: "x-a", value: "2" }] })], want: { set: { "x-a": "2" }, add: {}, remove: [], setAll: { "x-a": ["2"] }, addAll: {} } },
  ])("$filters.length modifier(s) → $want", ({ filters, want }) => {
    const r = applyFilters(filters, ctx());
    expect(r.responseHeaders).toEqual(want);
    expect(r.forwarded?.headers).toEqual({}); // the request is untouched
  });
});

describe("RequestRedirect (HTTPRouteRedirectPortAndScheme)", () => {
  type Row = { listenerPort: number; https?: boolean; path: string; r: NonNullable<RouteFilter["requestRedirect"]>; want: string };
  const rows: Row[] = [
    { listenerPort: 80, path: "/scheme-nil-and-port-nil", r: { hostname: "example.org" }, want: "http://example.org/scheme-nil-and-port-nil" },
    { listenerPort: 80, path: "/scheme-nil-and-port-80", r: { hostname: "example.org", port: 80 }, want: "http://example.org/scheme-nil-and-port-80" },
    { listenerPort: 80, path: "/scheme-nil-and-port-8080", r: { hostname: "example.org", port: 8080 }, want: "http://example.org:8080/scheme-nil-and-port-8080" },
    { listenerPort: 80, path: "/scheme-https-and-port-nil", r: { hostname: "example.org", scheme: "https" }, want: "https://example.org/scheme-https-and-port-nil" },
    { listenerPort: 80, path: "/scheme-https-and-port-443", r: { hostname: "example.org", scheme: "https", port: 443 }, want: "https://example.org/scheme-https-and-port-443" },
    { listenerPort: 80, path: "/scheme-https-and-port-8443", r: { hostname: "example.org", scheme: "https", port: 8443 }, want: "https://example.org:8443/scheme-https-and-port-8443" },
    { listenerPort: 8080, path: "/scheme-nil-and-port-nil", r: { hostname: "example.org" }, want: "http://example.org:8080/scheme-nil-and-port-nil" },
    { listenerPort: 8080, path: "/scheme-nil-and-port-80", r: { hostname: "example.org", port: 80 }, want: "http://example.org/scheme-nil-and-port-80" },
    { listenerPort: 8080, path: "/scheme-https-and-port-nil", r: { hostname: "example.org", scheme: "https" }, want: "https://example.org/scheme-https-and-port-nil" },
    { listenerPort: 443, https: true, path: "/scheme-nil-and-port-nil", r: { hostname: "example.org" }, want: "https://example.org/scheme-nil-and-port-nil" },
    { listenerPort: 443, https: true, path: "/scheme-nil-and-port-443", r: { hostname: "example.org", port: 443 }, want: "https://example.org/scheme-nil-and-port-443" },
    { listenerPort: 443, https: true, path: "/scheme-nil-and-port-8443", r: { hostname: "example.org", port: 8443 }, want: "https://example.org:8443/scheme-nil-and-port-8443" },
    { listenerPort: 443, https: true, path: "/scheme-http-and-port-nil", r: { hostname: "example.org", scheme: "http" }, want: "http://example.org/scheme-http-and-port-nil" },
    { listenerPort: 443, https: true, path: "/scheme-http-and-port-80", r: { hostname: "example.org", scheme: "http", port: 80 }, want: "http://example.org/scheme-http-and-port-80" },
    { listenerPort: 443, https: true, path: "/scheme-http-and-port-8080", r: { hostname: "example.org", scheme: "http", port: 8080 }, want: "http://example.org:8080/scheme-http-and-port-8080" },
  ];
  it.each(rows)("listener $listenerPort $path → $want", ({ listenerPort, https, path, r, want }) => {
    const c = ctx({ listenerPort, path, pathMatch: prefix(path), ...(https ? { scheme: "https", listenerProtocol: "HTTPS" } : {}) });
    const out = applyFilters([redirect(r)], c);
    expect(out.redirect).toEqual({ status: 302, location: want });
    expect(out.forwarded).toBeNull();
  });
});

describe("RequestRedirect (HTTPRouteRedirectPath, HostAndStatus, Port, Scheme, 303/307/308, BackendRequestRedirect)", () => {
  it.each([
    // HTTPRouteRedirectPath
    { path: "/original-prefix/lemon", match: "/original-prefix", r: { path: { type: "ReplacePrefixMatch" as const, replacePrefixMatch: "/replacement-prefix" } }, status: 302, want: "http://gw.example/replacement-prefix/lemon" },
    { path: "/full/path/original", match: "/full", r: { path: { type: "ReplaceFullPath" as const, replaceFullPath: "/full-path-replacement" } }, status: 302, want: "http://gw.example/full-path-replacement" },
    { path: "/path-and-host", match: "/path-and-host", r: { hostname: "example.org", path: { type: "ReplacePrefixMatch" as const, replacePrefixMatch: "/replacement-prefix" } }, status: 302, want: "http://example.org/replacement-prefix" },
    { path: "/path-and-status", match: "/path-and-status", r: { statusCode: 301, path: { type: "ReplacePrefixMatch" as const, replacePrefixMatch: "/replacement-prefix" } }, status: 301, want: "http://gw.example/replacement-prefix" },
    { path: "/full-path-and-host", match: "/full-path-and-host", r: { hostname: "example.org", path: { type: "ReplaceFullPath" as const, replaceFullPath: "/replacement-full" } }, status: 302, want: "http://example.org/replacement-full" },
    { path: "/full-path-and-status", match: "/full-path-and-status", r: { statusCode: 301, path: { type: "ReplaceFullPath" as const, replaceFullPath: "/replacement-full" } }, status: 301, want: "http://gw.example/replacement-full" },
    // HTTPRouteRedirectHostAndStatus
    { path: "/hostname-redirect", match: "/hostname-redirect", r: { hostname: "example.org" }, status: 302, want: "http://example.org/hostname-redirect" },
    { path: "/host-and-status", match: "/host-and-status", r: { hostname: "example.org", statusCode: 301 }, status: 301, want: "http://example.org/host-and-status" },
    // HTTPRouteRedirectPort
    { path: "/port", match: "/port", r: { port: 8083 }, status: 302, want: "http://gw.example:8083/port" },
    { path: "/port-and-host", match: "/port-and-host", r: { hostname: "example.org", port: 8083 }, status: 302, want: "http://example.org:8083/port-and-host" },
    { path: "/port-and-status", match: "/port-and-status", r: { port: 8083, statusCode: 301 }, status: 301, want: "http://gw.example:8083/port-and-status" },
    // HTTPRouteRedirectScheme
    { path: "/scheme", match: "/scheme", r: { scheme: "https" }, status: 302, want: "https://gw.example/scheme" },
    { path: "/scheme-and-host", match: "/scheme-and-host", r: { scheme: "https", hostname: "example.org" }, status: 302, want: "https://example.org/scheme-and-host" },
    { path: "/scheme-and-status", match: "/scheme-and-status", r: { scheme: "https", statusCode: 301 }, status: 301, want: "https://gw.example/scheme-and-status" },
    // HTTPRoute303Redirect / 307 / 308
    { path: "/303", match: "/303", r: { statusCode: 303 }, status: 303, want: "http://gw.example/303" },
    { path: "/307", match: "/307", r: { statusCode: 307 }, status: 307, want: "http://gw.example/307" },
    { path: "/308", match: "/308", r: { statusCode: 308, scheme: "https" }, status: 308, want: "https://gw.example/308" },
    // a redirect in a backendRef's filters (implementation-specific at v1.6)
    { path: "/full/original", match: "/full", r: { path: { type: "ReplaceFullPath" as const, replaceFullPath: "/redirected-full" } }, status: 302, want: "http://gw.example/redirected-full" },
    { path: "/prefix/original", match: "/prefix", r: { path: { type: "ReplacePrefixMatch" as const, replacePrefixMatch: "/redirected-prefix" } }, status: 302, want: "http://gw.example/redirected-prefix/original" },
  ])("$path → $status $want", ({ path, match, r, status, want }) => {
    expect(applyFilters([redirect(r)], ctx({ path, pathMatch: prefix(match) })).redirect).toEqual({ status, location: want });
  });

  it.each([
    { name: "the query is kept", c: { path: "/a", query: "x=1&y=%2F" }, r: { hostname: "example.org" }, want: "http://example.org/a?x=1&y=%2F" },
    { name: "the query is kept through a path replacement", c: { path: "/a/b", query: "q=1", pathMatch: prefix("/a") }, r: { path: { type: "ReplacePrefixMatch" as const, replacePrefixMatch: "/z" } }, want: "http://gw.example/z/b?q=1" },
    { name: "the Host header's port is never reused (listener port rule)", c: { path: "/a", port: 8080 }, r: {}, want: "http://gw.example/a" },
    { name: "listener port kept without a scheme", c: { path: "/a", port: 9999, listenerPort: 9090 }, r: { hostname: "x.example" }, want: "http://x.example:9090/a" },
    { name: "redirect to the same scheme with an explicit well-known port omits it", c: { path: "/a", scheme: "https", listenerPort: 8443 }, r: { port: 443 }, want: "https://gw.example/a" },
    { name: "https on port 80 keeps the port", c: { path: "/a" }, r: { scheme: "https", port: 80 }, want: "https://gw.example:80/a" },
  ])("$name", ({ c, r, want }) => {
    expect(applyFilters([redirect(r)], ctx(c)).redirect).toEqual({ status: 302, location: want });
  });

  it("a ReplacePrefixMatch with a non-prefix match answers 500, not a wrong Location", () => {
    const r = applyFilters([redirect({ path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/x" } })], ctx({ path: "/a", pathMatch: { type: "Exact", value: "/a" } }));
    expect(r.redirect).toBeNull();
    expect(r.error).toMatchObject({ status: 500 });
  });
});

describe("URLRewrite (HTTPRouteRewritePath, HTTPRouteRewriteHost, and in a backendRef's filters)", () => {
  const full = (replaceFullPath: string) => ({ type: "ReplaceFullPath" as const, replaceFullPath });
  const pre = (replacePrefixMatch: string) => ({ type: "ReplacePrefixMatch" as const, replacePrefixMatch });
  it.each([
    { path: "/prefix/one/two", match: "/prefix/one", filters: [rewrite({ path: pre("/one") })], want: "/one/two" },
    { path: "/strip-prefix/three", match: "/strip-prefix", filters: [rewrite({ path: pre("/") })], want: "/three" },
    { path: "/strip-prefix", match: "/strip-prefix", filters: [rewrite({ path: pre("/") })], want: "/" },
    { path: "/full/one/two", match: "/full/one", filters: [rewrite({ path: full("/one") })], want: "/one" },
    { path: "/full/original", match: "/full", filters: [rewrite({ path: full("/rewritten-full") })], want: "/rewritten-full" },
    { path: "/prefix/original", match: "/prefix", filters: [rewrite({ path: pre("/rewritten-prefix") })], want: "/rewritten-prefix/original" },
  ])("$path → $want", ({ path, match, filters, want }) => {
    const r = applyFilters(filters, ctx({ path, pathMatch: prefix(match) }));
    expect(r.forwarded?.path).toBe(want);
    expect(r.forwarded?.host).toBe("gw.example");
  });

  it("rewrite path and modify headers (both orders of the shared modifier)", () => {
    const a = applyFilters([rewrite({ path: full("/test") }), sharedModifier], ctx({ path: "/full/rewrite-path-and-modify-headers/test", pathMatch: prefix("/full/rewrite-path-and-modify-headers"), headers: sharedRequestHeaders }));
    expect(a.forwarded).toMatchObject({ path: "/test", headers: sharedExpectedHeaders });
    const b = applyFilters([rewrite({ path: pre("/prefix") }), sharedModifier], ctx({ path: "/prefix/rewrite-path-and-modify-headers/one", pathMatch: prefix("/prefix/rewrite-path-and-modify-headers"), headers: sharedRequestHeaders }));
    expect(b.forwarded).toMatchObject({ path: "/prefix/one", headers: sharedExpectedHeaders });
  });

  it.each([
    { path: "/one", filters: [rewrite({ hostname: "one.example.org" })], host: "one.example.org" },
    { path: "/two", filters: [rewrite({ hostname: "example.org" })], host: "example.org" },
  ])("host $path → $host", ({ path, filters, host }) => {
    expect(applyFilters(filters, ctx({ path, host: "rewrite.example", port: 8080 })).forwarded).toMatchObject({ host, path });
  });

  it("rewrite host and modify headers", () => {
    const r = applyFilters([rewrite({ hostname: "test.example.org" }), sharedModifier], ctx({ path: "/rewrite-host-and-modify-headers", host: "rewrite.example", headers: sharedRequestHeaders }));
    expect(r.forwarded).toEqual({ method: "GET", scheme: "http", host: "test.example.org", path: "/rewrite-host-and-modify-headers", headers: sharedExpectedHeaders });
  });

  it("the query is kept through a path rewrite", () => {
    expect(applyFilters([rewrite({ path: full("/new") })], ctx({ path: "/old", query: "a=1&b" })).forwarded?.path).toBe("/new?a=1&b");
  });

  it("backend-level filters continue from the rule's result (prior)", () => {
    const c = ctx({ path: "/prefix/original", pathMatch: prefix("/prefix"), headers: { a: "1" } });
    const rule = applyFilters([headerModifier({ set: [{ name: "x-rule", value: "r" }] }), responseModifier({ set: [{ name: "x-resp", value: "1" }] })], c);
    const out = applyFilters([rewrite({ path: pre("/rewritten-prefix") }), headerModifier({ add: [{ name: "x-rule", value: "b" }] })], c, rule);
    expect(out.forwarded).toEqual({ method: "GET", scheme: "http", host: "gw.example", path: "/rewritten-prefix/original", headers: { a: "1", "x-rule": ["r", "b"] } });
    expect(out.responseHeaders).toEqual({ set: { "x-resp": "1" }, add: {}, remove: [], setAll: { "x-resp": ["1"] }, addAll: {} });
    expect(out.notes).toHaveLength(4);
  });

  it("a prior that already answered is returned unchanged", () => {
    const c = ctx({ path: "/a" });
    const answered = applyFilters([redirect({ hostname: "x.example" })], c);
    expect(applyFilters([rewrite({ hostname: "y" })], c, answered)).toBe(answered);
  });
});

describe("RequestMirror (HTTPRouteRequestMirror, MultipleMirrors, PercentageMirror)", () => {
  const id = (name: string) => ({ group: "", kind: "Service", namespace: "gateway-conformance-infra", name, port: 8080 });
  it.each([
    { name: "one mirror, all requests", filters: [mirror({ to: "infra-backend-v2" })], want: [{ backend: id("infra-backend-v2"), percent: 100, valid: true, reason: null }] },
    {
      name: "several mirrors, in order",
      filters: [mirror({ to: "infra-backend-v2" }), mirror({ to: "infra-backend-v3" })],
      want: [
        { backend: id("infra-backend-v2"), percent: 100, valid: true, reason: null },
        { backend: id("infra-backend-v3"), percent: 100, valid: true, reason: null },
      ],
    },
    { name: "percent", filters: [mirror({ to: "infra-backend-v2", percent: 20 })], want: [{ backend: id("infra-backend-v2"), percent: 20, valid: true, reason: null }] },
    { name: "fraction 25/50", filters: [mirror({ to: "infra-backend-v2", fraction: { numerator: 25, denominator: 50 } })], want: [{ backend: id("infra-backend-v2"), percent: 50, valid: true, reason: null }] },
    { name: "fraction with the default denominator 100", filters: [mirror({ to: "infra-backend-v2", fraction: { numerator: 7 } })], want: [{ backend: id("infra-backend-v2"), percent: 7, valid: true, reason: null }] },
    { name: "fraction 1/3 stays exact", filters: [mirror({ to: "infra-backend-v2", fraction: { numerator: 1, denominator: 3 } })], want: [{ backend: id("infra-backend-v2"), percent: 100 / 3, valid: true, reason: null }] },
    { name: "percent 0", filters: [mirror({ to: "infra-backend-v2", percent: 0 })], want: [{ backend: id("infra-backend-v2"), percent: 0, valid: true, reason: null }] },
    { name: "an invalid mirror backend is shown, marked invalid", filters: [mirror({ to: "missing", valid: false })], want: [{ backend: id("missing"), percent: 100, valid: false, reason: "BackendNotFound" }] },
  ])("$name", ({ filters, want }) => {
    const r = applyFilters(filters, ctx({ path: "/mirror" }));
    expect(r.mirrors).toEqual(want);
    expect(r.forwarded?.path).toBe("/mirror"); // the request still goes to its backend
  });

  it("mirror and modify headers (HTTPRouteRequestPercentageMirror /percent-mirror-and-modify-headers)", () => {
    const r = applyFilters([sharedModifier, mirror({ to: "infra-backend-v2", percent: 35 })], ctx({ path: "/percent-mirror-and-modify-headers", headers: sharedRequestHeaders }));
    expect(r.forwarded?.headers).toEqual(sharedExpectedHeaders);
    expect(r.mirrors.map((m) => m.percent)).toEqual([35]);
  });

  it("nothing is mirrored when the gateway answers itself", () => {
    const r = applyFilters([mirror({ to: "infra-backend-v2" }), redirect({ hostname: "example.org" })], ctx());
    expect(r.mirrors).toEqual([]);
    expect(r.notes.join("\n")).toMatch(/nothing is mirrored/);
  });
});

describe("CORS (HTTPRouteCORS)", () => {
  const cors1 = cors({
    allowOrigins: ["https://www.foo.com", "https://*.bar.com"],
    allowMethods: ["GET", "OPTIONS"],
    allowHeaders: ["x-header-1", "x-header-2"],
    exposeHeaders: ["x-header-3", "x-header-4"],
    allowCredentials: true,
    maxAge: 3600,
  });
  const cors2 = cors({ allowOrigins: ["https://www.foo.com"], allowMethods: ["*"] });
  const wildcardOrigin = cors({ allowOrigins: ["*"], allowMethods: ["PUT"], allowCredentials: false });
  const wildcardAll = cors({ allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], allowCredentials: true });
  const wildcardAllUnauth = cors({ allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], allowCredentials: false });
  const preflight = (origin: string, method: string, headers?: string) => ({
    origin,
    "access-control-request-method": method,
    ...(headers ? { "access-control-request-headers": headers } : {}),
  });
  const cors1Allowed = (origin: string) => ({
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, OPTIONS",
    "access-control-allow-headers": "x-header-1, x-header-2",
    "access-control-expose-headers": "x-header-3, x-header-4",
    "access-control-max-age": "3600",
    "access-control-allow-credentials": "true",
  });

  it.each([
    { name: "preflight from an exact matching origin is allowed", filter: cors1, headers: preflight("https://www.foo.com", "GET", "x-header-1, x-header-2"), want: cors1Allowed("https://www.foo.com") },
    { name: "preflight from a wildcard matching origin is allowed", filter: cors1, headers: preflight("https://www.bar.com", "GET", "x-header-1, x-header-2"), want: cors1Allowed("https://www.bar.com") },
    { name: "the wildcard matches any number of labels to its left", filter: cors1, headers: preflight("https://xpto.www.bar.com", "GET", "x-header-1, x-header-2"), want: cors1Allowed("https://xpto.www.bar.com") },
    { name: "preflight from a non-matching origin gets no CORS headers", filter: cors1, headers: preflight("https://foobar.com", "GET"), want: {} },
    { name: "allowMethods * answers the requested method, no credentials header", filter: cors2, headers: preflight("https://www.foo.com", "POST"), want: { "access-control-allow-origin": "https://www.foo.com", "access-control-allow-methods": "POST", "access-control-max-age": "5" } },
    { name: "origin * echoes the origin", filter: wildcardOrigin, headers: preflight("https://foobar.com", "PUT"), want: { "access-control-allow-origin": "https://foobar.com", "access-control-allow-methods": "PUT", "access-control-max-age": "5" } },
    { name: "origin * with a port echoes the origin", filter: wildcardOrigin, headers: preflight("https://foobar.com:12345", "PUT"), want: { "access-control-allow-origin": "https://foobar.com:12345", "access-control-allow-methods": "PUT", "access-control-max-age": "5" } },
    {
      name: "wildcards with credentials echo origin, method and headers",
      filter: wildcardAll,
      headers: preflight("https://other.foo.com", "PUT", "x-header-1, x-header-2"),
      want: { "access-control-allow-origin": "https://other.foo.com", "access-control-allow-methods": "PUT", "access-control-allow-headers": "x-header-1, x-header-2", "access-control-allow-credentials": "true", "access-control-max-age": "5" },
    },
    {
      name: "wildcards without credentials hide the credentials header",
      filter: wildcardAllUnauth,
      headers: preflight("https://other.foo.com", "PUT", "x-header-1,x-header-2"),
      want: { "access-control-allow-origin": "https://other.foo.com", "access-control-allow-methods": "PUT", "access-control-allow-headers": "x-header-1, x-header-2", "access-control-max-age": "5" },
    },
    { name: "allowHeaders * with no requested headers omits the header", filter: wildcardAllUnauth, headers: preflight("https://a.example", "DELETE"), want: { "access-control-allow-origin": "https://a.example", "access-control-allow-methods": "DELETE", "access-control-max-age": "5" } },
  ])("$name", ({ filter, headers, want }) => {
    const r = applyFilters([filter, rewrite({ hostname: "never.example" })], ctx({ method: "OPTIONS", path: "/cors-1", headers }));
    expect(r.respond).toEqual({ status: 200, headers: want });
    expect(r.forwarded).toBeNull(); // a preflight never reaches the backend (GEP-1767)
    expect(r.responseHeaders).toBeNull();
  });

  it.each([
    { name: "simple request from an exact matching origin", filter: cors1, origin: "https://www.foo.com", want: { "access-control-allow-origin": "https://www.foo.com", "access-control-allow-credentials": "true", "access-control-expose-headers": "x-header-3, x-header-4" } },
    { name: "simple request from a wildcard matching origin", filter: cors1, origin: "https://www.bar.com", want: { "access-control-allow-origin": "https://www.bar.com", "access-control-allow-credentials": "true", "access-control-expose-headers": "x-header-3, x-header-4" } },
    { name: "simple request from a non-matching origin", filter: cors1, origin: "https://foobar.com", want: null },
    { name: "request from a wildcard origin with a port", filter: wildcardOrigin, origin: "https://foobar.com:12345", want: { "access-control-allow-origin": "https://foobar.com:12345" } },
    { name: "credentialed wildcard route sends allow-credentials", filter: wildcardAll, origin: "https://other.foo.com", want: { "access-control-allow-origin": "https://other.foo.com", "access-control-allow-credentials": "true" } },
    { name: "uncredentialed wildcard route hides allow-credentials", filter: wildcardAllUnauth, origin: "https://other.foo.com", want: { "access-control-allow-origin": "https://other.foo.com" } },
  ])("$name", ({ filter, origin, want }) => {
    // the conformance test also sends access-control-request-* on a GET: not a preflight
    const r = applyFilters([filter], ctx({ method: "GET", path: "/cors-1", headers: { origin, "access-control-request-method": "GET" } }));
    expect(r.respond).toBeNull();
    expect(r.forwarded?.path).toBe("/cors-1");
    expect(r.responseHeaders).toEqual(want === null ? null : { set: want, add: {}, remove: [], setAll: Object.fromEntries(Object.entries(want).map(([k, v]) => [k, [v]])), addAll: {} });
  });

  it("a request without Origin is not a CORS request", () => {
    const r = applyFilters([cors1], ctx({ method: "OPTIONS", headers: { "access-control-request-method": "GET" } }));
    expect(r.respond).toBeNull();
    expect(r.forwarded?.method).toBe("OPTIONS");
    expect(r.responseHeaders).toBeNull();
  });

  it("exposeHeaders * is sent only without credentials", () => {
    const without = applyFilters([cors({ allowOrigins: ["*"], exposeHeaders: ["*"] })], ctx({ headers: { origin: "https://a.example" } }));
    expect(without.responseHeaders?.set["access-control-expose-headers"]).toBe("*");
    const withCreds = applyFilters([cors({ allowOrigins: ["*"], exposeHeaders: ["*"], allowCredentials: true })], ctx({ headers: { origin: "https://a.example" } }));
    expect(withCreds.responseHeaders?.set).not.toHaveProperty("access-control-expose-headers");
  });

  it("ResponseHeaderModifiers still shape the preflight answer's edits", () => {
    const r = applyFilters([cors1, responseModifier({ set: [{ name: "x-after", value: "1" }] })], ctx({ method: "OPTIONS", headers: preflight("https://www.foo.com", "GET") }));
    expect(r.respond?.status).toBe(200);
    expect(r.responseHeaders).toEqual({ set: { "x-after": "1" }, add: {}, remove: [], setAll: { "x-after": ["1"] }, addAll: {} });
  });
});

describe("filters gwsim cannot honour answer 500, wherever they are", () => {
  const ext: RouteFilter = { type: "ExtensionRef", extensionRef: { group: "example.net", kind: "MyFilter", name: "f" } };
  it.each([
    { name: "ExtensionRef", filters: [ext], reason: "UnsupportedValue", message: /example.net\/MyFilter f is not known/ },
    { name: "ExtensionRef after a redirect", filters: [redirect({ hostname: "a.example" }), ext], reason: "UnsupportedValue", message: /not known/ },
    { name: "ExtensionRef after a header modifier", filters: [headerModifier({ set: [{ name: "a", value: "b" }] }), ext], reason: "UnsupportedValue", message: /not known/ },
    { name: "a filter resolve marked invalid", filters: [{ ...mirror({ to: "x" }), invalid: { reason: "RefNotPermitted", message: "no ReferenceGrant" } }], reason: "RefNotPermitted", message: /invalid: no ReferenceGrant/ },
    { name: "ExternalAuth", filters: [{ type: "ExternalAuth" }], reason: "UnsupportedValue", message: /fails closed/ },
    { name: "an unknown type", filters: [{ type: "Compress" }], reason: "UnsupportedValue", message: /unknown filter type "Compress"/ },
    { name: "a type without its field", filters: [{ type: "URLRewrite" }], reason: "UnsupportedValue", message: /without its urlRewrite field/ },
  ])("$name", ({ filters, reason, message }) => {
    const r = applyFilters(filters, ctx());
    expect(r.error).toMatchObject({ status: 500, reason });
    expect(r.error?.message).toMatch(message);
    expect(r.forwarded).toBeNull();
    expect(r.redirect).toBeNull();
    expect(r.mirrors).toEqual([]);
    expect(r.notes.at(-1)).toMatch(/answered 500/);
  });

  it("unsupportedFilter is null for every filter gwsim honours", () => {
    for (const f of [sharedModifier, responseModifier({}), redirect({}), rewrite({}), mirror({ to: "a" }), cors({})]) expect(unsupportedFilter(f)).toBeNull();
  });
});

describe("applyFilters never throws", () => {
  const filter: fc.Arbitrary<RouteFilter> = fc.oneof(
    fc.record({ set: fc.array(fc.record({ name: fc.string(), value: fc.string() }), { maxLength: 3 }), add: fc.array(fc.record({ name: fc.string(), value: fc.string() }), { maxLength: 3 }), remove: fc.array(fc.string(), { maxLength: 3 }) }).map((m) => headerModifier(m)),
    fc.record({ set: fc.array(fc.record({ name: fc.string(), value: fc.string() }), { maxLength: 3 }), add: fc.constant<{ name: string; value: string }[]>([]), remove: fc.array(fc.string(), { maxLength: 3 }) }).map((m) => responseModifier(m)),
    fc.record({ scheme: fc.option(fc.constantFrom("http", "https", "ftp"), { nil: undefined }), hostname: fc.option(fc.string(), { nil: undefined }), port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), statusCode: fc.option(fc.constantFrom(301, 302, 303, 307, 308), { nil: undefined }) }).map((r) => redirect(r)),
    fc.record({ path: fc.oneof(fc.constant(undefined), fc.string().map((s) => ({ type: "ReplacePrefixMatch" as const, replacePrefixMatch: s })), fc.string().map((s) => ({ type: "ReplaceFullPath" as const, replaceFullPath: s }))) }).map((r) => rewrite(r)),
    fc.record({ percent: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }) }).map((m) => mirror({ to: "m", ...m })),
    fc.record({ allowOrigins: fc.array(fc.oneof(fc.string(), fc.constant("*"), fc.constant("https://*.a.com")), { maxLength: 3 }), allowMethods: fc.array(fc.string(), { maxLength: 2 }), allowCredentials: fc.boolean() }).map((c) => cors(c)),
    fc.string().map((type) => ({ type })),
  );
  it("on arbitrary filters and requests", () => {
    fc.assert(
      fc.property(fc.array(filter, { maxLength: 5 }), fc.string(), fc.constantFrom("GET", "OPTIONS"), fc.dictionary(fc.constantFrom("origin", "access-control-request-method", "x"), fc.string()), fc.string(), (filters, path, method, headers, matchValue) => {
        const r = applyFilters(filters, ctx({ method, path: "/" + path, headers, pathMatch: prefix(matchValue) }));
        const answers = [r.forwarded, r.redirect, r.respond, r.error].filter((x) => x !== null);
        expect(answers).toHaveLength(1); // exactly one outcome
      }),
    );
  });
});
