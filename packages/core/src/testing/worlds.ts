/**
 * Random valid worlds as manifest objects: a GatewayClass, one Gateway with HTTP listeners,
 * HTTPRoutes in a few namespaces with overlapping hostnames, paths, methods, headers, query
 * params, weights and timestamps, the Services they send to, and sometimes a ReferenceGrant.
 * Every world passes `validateObjects` (CRD schema and CEL rules); values are drawn from small
 * vocabularies so that routes compete for the same requests.
 */
import fc from "fast-check";
import type { ManifestObject } from "../manifest/object.js";

export interface WorldArbitraryOptions {
  /** Route namespaces (default ["team-a", "team-b"]): at least one, each a DNS label; the Gateway lives in "infra". */
  namespaces?: string[];
  /** Most HTTPRoutes per world, an integer from 1 (default 4). */
  maxRoutes?: number;
  /** Most rules per HTTPRoute, an integer from 1 to 16, the CRD's limit (default 3). */
  maxRules?: number;
  /** Add ReferenceGrants for some cross-namespace backendRefs (default true). */
  grants?: boolean;
}

const API = "gateway.networking.k8s.io/v1";
const LISTENER_HOSTNAMES = [null, "*.example.com", "a.example.com", "example.com"] as const;
const ROUTE_HOSTNAMES = ["a.example.com", "b.example.com", "*.example.com", "example.com"];
const PREFIXES = ["/", "/api", "/api/", "/api/v1", "/apix", "/static"];
const EXACTS = ["/", "/api", "/api/v1", "/health"];
const REGEXES = ["/api/v[0-9]+/.*", "/.*\\.png", "/static/.*"];
const SERVICES = ["v1", "v2", "v3"];
const TIMESTAMPS = [undefined, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"];

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const compact = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const valueMatch = (names: string[], values: string[]) =>
  fc.uniqueArray(
    fc.record({ type: fc.constantFrom("Exact", "Exact", "RegularExpression"), name: fc.constantFrom(...names), value: fc.constantFrom(...values) }).map((m) => (m.type === "RegularExpression" ? { ...m, value: `${m.value}.*` } : m)),
    { selector: (m) => m.name.toLowerCase(), minLength: 1, maxLength: 2 },
  );

const matchArb = fc
  .record({
    path: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...PREFIXES).map((value) => ({ type: "PathPrefix", value })) },
      { weight: 2, arbitrary: fc.constantFrom(...EXACTS).map((value) => ({ type: "Exact", value })) },
      { weight: 1, arbitrary: fc.constantFrom(...REGEXES).map((value) => ({ type: "RegularExpression", value })) },
    ),
    method: maybe(fc.constantFrom("GET", "POST")),
    headers: maybe(valueMatch(["x-version", "x-canary"], ["1", "2", "always"])),
    queryParams: maybe(valueMatch(["debug", "v"], ["1", "true"])),
  })
  .map(compact);

interface BackendDraw {
  name: string;
  otherNamespace: boolean;
  weight: number | undefined;
}

const backendArb: fc.Arbitrary<BackendDraw> = fc.record({
  name: fc.constantFrom(...SERVICES),
  otherNamespace: fc.boolean(),
  weight: maybe(fc.constantFrom(0, 1, 10, 90, 100)),
});

/** HTTPRoute spec.rules maxItems in the CRD. */
const MAX_RULES = 16;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Options outside what yields valid worlds are the caller's bug: a TypeError naming the option. */
function checkOptions(o: WorldArbitraryOptions): void {
  const int = (name: "maxRoutes" | "maxRules", max: number) => {
    const v = o[name];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= max)) {
      throw new TypeError(`worlds(): ${name} must be an integer from 1${max === Infinity ? " up" : ` to ${max}`}, got ${JSON.stringify(v)}`);
    }
  };
  int("maxRoutes", Infinity);
  int("maxRules", MAX_RULES);
  const ns = o.namespaces;
  if (ns !== undefined) {
    if (!Array.isArray(ns) || ns.length === 0) throw new TypeError(`worlds(): namespaces must be a non-empty array of namespace names, got ${JSON.stringify(ns)}`);
    const bad = ns.find((n) => typeof n !== "string" || !DNS_LABEL.test(n));
    if (bad !== undefined) throw new TypeError(`worlds(): namespaces must be DNS labels (lower-case letters, digits and '-', 1 to 63 characters), got ${JSON.stringify(bad)}`);
  }
  if (o.grants !== undefined && typeof o.grants !== "boolean") throw new TypeError(`worlds(): grants must be true or false, got ${JSON.stringify(o.grants)}`);
}

export function worlds(options: WorldArbitraryOptions = {}): fc.Arbitrary<ManifestObject[]> {
  checkOptions(options);
  const namespaces = [...new Set(options.namespaces ?? ["team-a", "team-b"])];
  const ruleArb = fc.record({
    matches: fc.array(matchArb, { maxLength: 2 }),
    backends: fc.uniqueArray(backendArb, { minLength: 1, maxLength: 3, selector: (b) => `${b.name}/${b.otherNamespace}` }),
  });
  const routeArb = fc.record({
    namespace: fc.constantFrom(...namespaces),
    hostnames: fc.uniqueArray(fc.constantFrom(...ROUTE_HOSTNAMES), { maxLength: 2 }),
    created: fc.constantFrom(...TIMESTAMPS),
    rules: fc.array(ruleArb, { minLength: 1, maxLength: options.maxRules ?? 3 }),
  });
  return fc
    .record({
      listeners: fc.uniqueArray(fc.constantFrom(...LISTENER_HOSTNAMES), { minLength: 1, maxLength: 3 }),
      routes: fc.array(routeArb, { minLength: 1, maxLength: options.maxRoutes ?? 4 }),
      grants: options.grants === false ? fc.constant(false) : fc.boolean(),
    })
    .map(({ listeners, routes, grants }) => buildObjects(namespaces, listeners, routes, grants));
}

function buildObjects(
  namespaces: string[],
  listeners: readonly (string | null)[],
  routes: { namespace: string; hostnames: string[]; created: string | undefined; rules: { matches: Record<string, unknown>[]; backends: BackendDraw[] }[] }[],
  grants: boolean,
): ManifestObject[] {
  const out: ManifestObject[] = [
    { apiVersion: API, kind: "GatewayClass", metadata: { name: "gwsim-test" }, spec: { controllerName: "gwsim.dev/test" } },
    {
      apiVersion: API,
      kind: "Gateway",
      metadata: { name: "gw", namespace: "infra" },
      spec: {
        gatewayClassName: "gwsim-test",
        listeners: listeners.map((hostname, i) => ({
          name: `http-${i}`,
          protocol: "HTTP",
          port: 80,
          ...(hostname ? { hostname } : {}),
          allowedRoutes: { namespaces: { from: "All" } },
        })),
      },
    },
  ];
  const other = (ns: string) => namespaces.find((n) => n !== ns) ?? ns;
  const crossRefs = new Set<string>();
  routes.forEach((r, i) => {
    out.push({
      apiVersion: API,
      kind: "HTTPRoute",
      metadata: { name: `route-${i}`, namespace: r.namespace, ...(r.created ? { creationTimestamp: r.created } : {}) },
      spec: compact({
        parentRefs: [{ name: "gw", namespace: "infra" }],
        hostnames: r.hostnames.length ? r.hostnames : undefined,
        rules: r.rules.map((rule) => ({
          ...(rule.matches.length ? { matches: rule.matches } : {}),
          backendRefs: rule.backends.map((b) => {
            const ns = b.otherNamespace ? other(r.namespace) : r.namespace;
            if (ns !== r.namespace) crossRefs.add(`${r.namespace}>${ns}`);
            return { name: b.name, port: 8080, ...(ns !== r.namespace ? { namespace: ns } : {}), ...(b.weight !== undefined ? { weight: b.weight } : {}) };
          }),
        })),
      }),
    });
  });
  for (const ns of namespaces) {
    for (const name of SERVICES) out.push({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { ports: [{ name: "http", port: 8080 }] } });
  }
  if (grants) {
    for (const pair of [...crossRefs].sort()) {
      const [from, to] = pair.split(">") as [string, string];
      out.push({
        apiVersion: "gateway.networking.k8s.io/v1beta1",
        kind: "ReferenceGrant",
        metadata: { name: `from-${from}`, namespace: to },
        spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: from }], to: [{ group: "", kind: "Service" }] },
      });
    }
  }
  return out;
}
