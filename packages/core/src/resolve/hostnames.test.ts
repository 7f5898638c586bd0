import { describe, expect, it } from "vitest";
import { hostMatches, intersectHostname, routeHostnamesOnListener } from "./hostnames.js";

describe("hostMatches", () => {
  it.each([
    { pattern: "example.com", host: "example.com", want: true },
    { pattern: "Example.COM", host: "example.com", want: true },
    { pattern: "*.example.com", host: "a.example.com", want: true },
    { pattern: "*.example.com", host: "a.b.example.com", want: true }, // a wildcard covers any number of labels
    { pattern: "*.example.com", host: "example.com", want: false }, // but not the apex
    { pattern: "*.example.com", host: "aexample.com", want: false }, // label boundary
    { pattern: "a.example.com", host: "b.example.com", want: false },
  ])("$pattern covers $host: $want", ({ pattern, host, want }) => {
    expect(hostMatches(pattern, host)).toBe(want);
  });
});

describe("intersectHostname", () => {
  it.each([
    { a: "foo.example.com", b: "foo.example.com", want: "foo.example.com" },
    { a: "*.example.com", b: "foo.example.com", want: "foo.example.com" },
    { a: "foo.example.com", b: "*.example.com", want: "foo.example.com" },
    { a: "*.example.com", b: "*.foo.example.com", want: "*.foo.example.com" }, // the narrower wildcard
    { a: "*.foo.example.com", b: "*.example.com", want: "*.foo.example.com" },
    { a: "*.example.com", b: "*.example.org", want: null },
    { a: "*.example.com", b: "example.com", want: null },
    { a: "foo.example.com", b: "bar.example.com", want: null },
  ])("$a ∩ $b = $want", ({ a, b, want }) => {
    expect(intersectHostname(a, b)).toBe(want);
  });
});

describe("routeHostnamesOnListener (GEP-718)", () => {
  it.each([
    { listener: null, route: [], want: [] },
    { listener: null, route: ["a.example.com"], want: ["a.example.com"] },
    { listener: "a.example.com", route: [], want: [] }, // no route hostnames: whatever the listener takes
    // route hostnames outside the listener hostname are ignored
    { listener: "*.example.com", route: ["test.example.com", "test.example.net"], want: ["test.example.com"] },
    { listener: "test.example.com", route: ["*.example.com"], want: ["test.example.com"] },
    { listener: "*.example.com", route: ["*.example.com", "foo.example.com"], want: ["*.example.com", "foo.example.com"] },
    { listener: "*.example.com", route: ["example.com"], want: null },
    { listener: "a.example.com", route: ["b.example.com", "*.example.org"], want: null },
  ])("listener $listener, route $route → $want", ({ listener, route, want }) => {
    expect(routeHostnamesOnListener(listener, route)).toEqual(want);
  });
});
