import { describe, expect, it } from "vitest";
import * as P from "./patterns.js";

describe("IP address forms (Gateway addresses, TLSRoute hostnames, EndpointSlices, clusterIP)", () => {
  it.each([
    ["10.0.0.1", true, false],
    ["255.255.255.255", true, false],
    ["10.0.0.256", false, false],
    ["10.0.0", false, false],
    ["010.0.0.1", false, false], // leading zeros are ambiguous (octal) and rejected, as Go's netip does
    ["::1", false, true],
    ["::", false, true],
    ["fe80::1", false, true],
    ["2001:db8::", false, true],
    ["1:2:3:4:5:6:7:8", false, true],
    ["1:2:3:4:5:6:7", false, false],
    ["1:2:3:4:5:6:7:8:9", false, false],
    ["1::2::3", false, false],
    [":::", false, false],
    ["::ffff:10.0.0.1", false, true],
    ["1:2:3:4:5:6:10.0.0.1", false, true],
    ["1:2:3:4:5:6:7:10.0.0.1", false, false],
    ["12345::", false, false],
    ["example.com", false, false],
  ])("%s: IPv4 %s, IPv6 %s", (s, v4, v6) => {
    expect(P.isIPv4(s)).toBe(v4);
    expect(P.isIPv6(s)).toBe(v6);
    expect(P.isIP(s)).toBe(v4 || v6);
  });
});

describe("CRD patterns", () => {
  it.each([
    [P.HOSTNAME, "*.example.com", true],
    [P.HOSTNAME, "a.*.example.com", false],
    [P.HOSTNAME, "Example.com", false],
    [P.PRECISE_HOSTNAME, "*.example.com", false],
    [P.HEADER_NAME, "x-request-id", true],
    [P.HEADER_NAME, ":authority", false],
    [P.HEADER_VALUE, "a b", true],
    [P.HEADER_VALUE, " a", false],
    [P.DURATION, "1h30m", true],
    [P.DURATION, "1.5s", false],
    [P.DURATION, "1h1m1s1ms1h", false],
    [P.PROTOCOL, "HTTPS", true],
    [P.PROTOCOL, "example.com/custom", true],
    [P.PROTOCOL, "-bad", false],
    [P.CONTROLLER_NAME, "example.com/gateway-controller", true],
    [P.CONTROLLER_NAME, "gateway-controller", false],
    [P.GRPC_SERVICE, "Foo.Bar_baz", true],
    [P.GRPC_SERVICE, "foo..bar", false],
    [P.CORS_ORIGIN, "https://*.example.com:8443", true],
    [P.CORS_ORIGIN, "ftp://example.com", false],
    [P.WELL_KNOWN_CA, "System", true],
    [P.WELL_KNOWN_CA, "vendor.example.com/roots", true],
    [P.WELL_KNOWN_CA, "system", false],
    [P.BASE64, "aGVsbG8=", true],
    [P.BASE64, "aGVsbG8", false],
  ])("%s matches %s: %s", (re, s, want) => {
    expect((re as RegExp).test(s as string)).toBe(want);
  });
});
