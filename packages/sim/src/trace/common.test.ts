import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addHeader, applyTarget, clfTime, clientKey, httpProtocol, isoTime, requestLine, unescapeLog } from "./common.js";
import type { TraceRecord } from "./types.js";

describe("trace helpers", () => {
  it("epoch milliseconds format exactly as Date#toISOString (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_000_000_000_000, max: 300_000_000_000_000 }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
    );
    expect(isoTime(1.7)).toBe("1970-01-01T00:00:00.001Z");
    expect(isoTime(Number.NaN)).toBeUndefined();
    expect(isoTime(9e15)).toBeUndefined();
  });

  it.each([
    ["2026-11-26T10:00:00Z", "2026-11-26T10:00:00.000Z"],
    ["2026-11-26t10:00:00z", "2026-11-26T10:00:00.000Z"],
    ["2026-11-26T10:00:00.123456789Z", "2026-11-26T10:00:00.123Z"],
    ["2026-11-26T10:00:00+02:00", "2026-11-26T08:00:00.000Z"],
    ["2026-11-26T10:00:00-0130", "2026-11-26T11:30:00.000Z"],
    ["2026-11-26T10:00:00+02", "2026-11-26T08:00:00.000Z"],
    ["2026-11-26 10:00", "2026-11-26T10:00:00.000Z"], // no zone: UTC, the same on every machine
    ["2026-11-26", "2026-11-26T00:00:00.000Z"],
    ["1764151200000", "2025-11-26T10:00:00.000Z"],
    ["2026-13-40T10:00:00Z", undefined],
    ["yesterday", undefined],
    ["1", "1970-01-01T00:00:00.001Z"],
  ])("isoTime(%j) → %j", (input, want) => {
    expect(isoTime(input)).toBe(want);
  });

  it.each([
    ["17/May/2015:10:05:03 +0000", "2015-05-17T10:05:03.000Z"],
    ["1/Jan/2020:00:00:00 -0800", "2020-01-01T08:00:00.000Z"],
    ["22/Jun/2021:12:02:53.473", "2021-06-22T12:02:53.473Z"],
    ["17/Mai/2015:10:05:03 +0000", undefined],
  ])("clfTime(%j) → %j", (input, want) => {
    expect(clfTime(input)).toBe(want);
  });

  it.each([
    ["GET /a?b=1 HTTP/1.1", { method: "GET", target: "/a?b=1", version: "HTTP/1.1" }],
    ["GET / HTTP/2", { method: "GET", target: "/", version: "HTTP/2" }],
    ["GET /a b HTTP/1.0", { method: "GET", target: "/a b", version: "HTTP/1.0" }],
    ["GET /only", { method: "GET", target: "/only" }],
    ["\u0016\u0003\u0001", expect.stringMatching(/^request line is not/)],
    ["GET", expect.stringMatching(/^request line is not/)],
  ])("requestLine(%j)", (input, want) => {
    expect(requestLine(input)).toEqual(want);
  });

  it.each([
    ["/p?q", {}, { path: "/p?q" }, null],
    ["*", {}, { path: "*" }, null],
    ["https://user@h.example:8443/x#frag", {}, { scheme: "https", host: "h.example:8443", path: "/x" }, null],
    ["wss://h.example", {}, { scheme: "https", protocol: "websocket", host: "h.example", path: "/" }, null],
    ["ftp://h.example/", {}, {}, 'unsupported URL scheme "ftp"'],
    ["h.example:443", { method: "CONNECT" }, { host: "h.example:443" }, null],
    ["index.html", {}, {}, 'request target is neither a path nor a URL: "index.html"'],
  ])("applyTarget(%j)", (target, o, want, problem) => {
    const rec: TraceRecord = {};
    expect(applyTarget(rec, target, (o as { method?: string }).method)).toBe(problem);
    expect(rec).toEqual(want);
  });

  it.each([
    ["1.2.3.4:80", "1.2.3.4"],
    ["1.2.3.4", "1.2.3.4"],
    ["[::1]:80", "::1"],
    ["2001:db8::1", "2001:db8::1"],
    ["-:22222", undefined],
    ["-", undefined],
    [undefined, undefined],
  ])("clientKey(%j) → %j", (addr, want) => {
    expect(clientKey(addr)).toBe(want);
  });

  it.each([
    ["plain", "plain"],
    ["caf\\xC3\\xA9", "café"],
    ["\\x22q\\x22", '"q"'],
    ['a\\"b\\\\c', 'a"b\\c'],
    ["\\u00e9\\n", "é\n"],
    ["trailing\\", "trailing\\"],
    ["\\xZZ", "\\xZZ"],
  ])("unescapeLog(%j) → %j", (input, want) => {
    expect(unescapeLog(input)).toBe(want);
  });

  it.each([
    ["HTTP/1.1", "https", "HTTP/1.1"],
    ["http/2.0", "https", "HTTP/2"],
    ["HTTP/2", "http", "h2c"],
    ["h2", undefined, "HTTP/2"],
    ["HTTP/1.0", undefined, undefined],
    ["h3", "https", undefined],
    ["", undefined, undefined],
  ])("httpProtocol(%j, %j) → %j", (version, scheme, want) => {
    expect(httpProtocol(version, scheme)).toBe(want);
  });
});

describe("addHeader", () => {
  it("treats names Object.prototype has as ordinary headers", () => {
    const h = {};
    addHeader(h, "Constructor", "a");
    addHeader(h, "constructor", "b");
    addHeader(h, "__proto__", "c");
    addHeader(h, "ToString", "d");
    expect(h).toEqual(JSON.parse(`{"constructor": ["a", "b"], "__proto__": "c", "tostring": "d"}`));
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
    expect(Object.keys(h)).toEqual(["constructor", "__proto__", "tostring"]);
  });
});
