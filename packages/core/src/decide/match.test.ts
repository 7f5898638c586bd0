import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { entryConditionsMatch, type MatchInput } from "./match.js";
import { NO_HEADERS, readRequest } from "./request.js";
import { splitHostPort } from "./normalize.js";
import type { MatchRuntime } from "./runtime.js";

describe("a request without headers (NO_HEADERS) matches as one with an empty headers object", () => {
  // A match whose only condition is one Exact header, as runtime.ts builds it.
  const soleHeader = (name: string, value: string) =>
    ({
      pathOnly: false,
      method: null,
      soleHeaderKey: name.toLowerCase(),
      soleHeaderValue: value,
      soleHeaderIsHost: name === "host",
      soleHeaderName: name,
      headers: [],
      queryParams: [],
    }) as unknown as MatchRuntime;
  const input = (headers: MatchInput["headers"], host: string | undefined): MatchInput => ({ path: "/", query: "", method: "GET", headers, host, params: null });

  it("on generated names, values and hosts", () => {
    const name = fc.constantFrom("x-canary", "host", "constructor", "__proto__", "tostring", "Constructor");
    const value = fc.constantFrom("", "true", "a.example.com", "function Object() { [native code] }", "[object Object]");
    fc.assert(
      fc.property(name, value, fc.option(fc.constantFrom("a.example.com", ""), { nil: undefined }), (n, v, host) => {
        const e = soleHeader(n, v);
        expect(entryConditionsMatch(e, input(NO_HEADERS, host))).toBe(entryConditionsMatch(e, input({}, host)));
      }),
    );
  });
});

describe("readRequest's host is splitHostPort's, for hosts seen before or not", () => {
  it("on generated hosts, each read twice", () => {
    const host = fc.oneof(
      fc.constantFrom("a.example.com", "A.Example.com", "a.example.com:8080", "a.example.com:0", "[::1]:80", " a.example.com", "a b", "", "xn--bcher-kva.example", "a..b", "-a"),
      fc.string({ unit: fc.constantFrom(..."abcAB0.-:[] "), maxLength: 12 }),
    );
    fc.assert(
      fc.property(host, (h) => {
        for (let i = 0; i < 2; i++) {
          const read = readRequest({ gateway: "g", host: h });
          const split = splitHostPort(h);
          expect(read.ok).toBe(split.ok);
          if (read.ok) expect([read.request.host, read.request.hostPort]).toEqual([split.host, split.port]);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
