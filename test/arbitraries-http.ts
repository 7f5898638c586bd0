/**
 * fast-check generators for HTTP routing worlds built to overlap: few hostnames (exact,
 * nested wildcards, none), nested prefixes with and without trailing `/`, competing method,
 * header and query matches, equal and missing timestamps, look-alike namespaces (`team`,
 * `team-a`), and requests drawn from the same small vocabularies so that most hit something.
 */
import fc from "fast-check";
import type { BackendSpec, MatchSpec, RouteSpec, RuleSpec, WorldSpec, ListenerSpec } from "./http-graph.js";
import type { RefRequest } from "./reference-matcher.js";

export const HOSTS = ["example.com", "a.example.com", "b.a.example.com", "c.b.a.example.com", "other.org", "x.other.org"];
const ROUTE_HOSTNAMES = ["example.com", "a.example.com", "b.a.example.com", "*.example.com", "*.a.example.com", "*.org", "other.org"];
const LISTENER_HOSTNAMES: (string | null)[] = [null, "*.example.com", "a.example.com", "*.org", "example.com"];
export const PATHS = ["/", "/a", "/a/", "/a/b", "/a/b/", "/ab", "/a/b/c", "/a/bc", "/x", "/x/a"];
const PREFIXES = ["/", "/a", "/a/", "/a/b", "/a/b/", "/ab", "/a/b/c", "/x"];
const REGEXES = ["/a/.*", "/a/b", ".*", "/[ax]/?.*", "/a/b(/.*)?"];
const TIMESTAMPS = [null, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "2025-06-01T12:00:00Z"];
const NAMESPACES = ["team", "team-a", "a"];
const NAMES = ["r", "s", "r-1"];

const headerMatch = fc.record({
  name: fc.constantFrom("x", "X", "y"),
  value: fc.constantFrom("1", "2"),
  type: fc.constantFrom<"Exact" | "RegularExpression">("Exact", "Exact", "RegularExpression"),
});
const queryMatch = fc.record({
  name: fc.constantFrom("q", "Q", "r"),
  value: fc.constantFrom("1", "2"),
  type: fc.constantFrom<"Exact" | "RegularExpression">("Exact", "Exact", "RegularExpression"),
});

const pathMatch = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PREFIXES).map((value) => ({ type: "PathPrefix" as const, value })) },
  { weight: 2, arbitrary: fc.constantFrom(...PATHS).map((value) => ({ type: "Exact" as const, value })) },
  { weight: 1, arbitrary: fc.constantFrom(...REGEXES).map((value) => ({ type: "RegularExpression" as const, value })) },
);

const sometimes = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const matchSpec: fc.Arbitrary<MatchSpec> = fc
  .record({
    path: pathMatch,
    method: sometimes(fc.constantFrom("GET", "POST")),
    headers: sometimes(fc.array(headerMatch, { minLength: 1, maxLength: 2 })),
    queryParams: sometimes(fc.array(queryMatch, { minLength: 1, maxLength: 2 })),
  })
  .map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as MatchSpec);

const backendSpec: fc.Arbitrary<BackendSpec> = fc.record({
  name: fc.constantFrom("v1", "v2", "v3"),
  weight: fc.constantFrom(0, 1, 1, 3, 10),
  valid: fc.constantFrom(true, true, true, false),
});

const ruleSpec: fc.Arbitrary<RuleSpec> = fc.record({
  matches: fc.array(matchSpec, { maxLength: 3 }),
  backends: fc.array(backendSpec, { minLength: 1, maxLength: 3 }),
});

export const worldSpec: fc.Arbitrary<WorldSpec> = fc
  .record({
    // A catch-all listener most of the time, so most requests reach route selection.
    listeners: fc
      .tuple(fc.boolean(), fc.uniqueArray(fc.constantFrom(...LISTENER_HOSTNAMES.slice(1)), { maxLength: 2 }))
      .map(([catchAll, hs]) => (catchAll || hs.length === 0 ? [null, ...hs] : hs).map((h, i) => ({ i, h }))),
    https: fc.boolean(),
    routes: fc.uniqueArray(
      fc.record({
        ns: fc.constantFrom(...NAMESPACES),
        name: fc.constantFrom(...NAMES),
        created: fc.constantFrom(...TIMESTAMPS),
        hostnames: fc.uniqueArray(fc.constantFrom(...ROUTE_HOSTNAMES), { maxLength: 2 }),
        rules: fc.array(ruleSpec, { minLength: 1, maxLength: 3 }),
        section: fc.option(fc.nat(2), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 6, selector: (r) => `${r.ns}/${r.name}` },
    ),
  })
  .map(({ listeners, https, routes }) => {
    const ls: ListenerSpec[] = listeners.map(({ h }, i) => ({ name: `l${i}`, hostname: h }));
    if (https) ls.push({ name: "tls", protocol: "HTTPS", hostname: null }, { name: "tls-a", protocol: "HTTPS", hostname: "a.example.com" });
    const names = ls.map((l) => l.name);
    const rs: RouteSpec[] = routes.map((r) => ({
      route: `${r.ns}/${r.name}`,
      created: r.created,
      hostnames: r.hostnames,
      parents: [{ gateway: "infra/gw", ...(r.section !== undefined ? { sectionName: names[r.section % names.length]! } : {}) }],
      rules: r.rules,
    }));
    return { gateways: [{ gateway: "infra/gw", listeners: ls }], routes: rs };
  });

const headerValue: fc.Arbitrary<string | string[]> = fc.oneof(
  fc.constantFrom("1", "2"),
  fc.constantFrom(["1", "2"], ["2"], ["1", "1"]).map((v) => [...v]),
);

export const httpRequest: fc.Arbitrary<RefRequest> = fc.record(
  {
    gateway: fc.constant("infra/gw"),
    scheme: fc.constantFrom<"http" | "https">("http", "http", "http", "https"),
    host: fc.oneof(fc.constantFrom(...HOSTS), fc.constantFrom(...HOSTS).map((h) => `${h.toUpperCase()}:8080`)),
    sni: fc.constantFrom(...HOSTS),
    method: fc.constantFrom("GET", "POST", "get"),
    path: fc
      .tuple(fc.constantFrom(...PATHS), fc.constantFrom("", "?q=1", "?q=2&q=1", "?Q=1&r=2", "?r=1&q=1&Q=2"))
      .map(([p, q]) => p + q),
    headers: fc.dictionary(fc.constantFrom("x", "X", "y"), headerValue, { maxKeys: 2 }),
  },
  { requiredKeys: ["gateway", "scheme", "path", "method"] },
);
