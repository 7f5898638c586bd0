/**
 * fast-check generators of VALID manifests, one per kind gwsim reads, in the shape a user writes
 * them (defaults mostly left out). Every CEL rule of the v1.6 CRDs holds by construction:
 * unique names, ports and parents, one PathPrefix match with ReplacePrefixMatch, no redirect with
 * backends, timeouts in order, and so on. Shared: other tests may add generators here.
 */
import fc from "fast-check";

const GW = "gateway.networking.k8s.io/v1";

// ---------- vocabulary ----------

export const dnsLabelArb = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/);
export const namespaceArb = fc.constantFrom("default", "shop", "team-a", "infra");
export const preciseHostnameArb = fc.array(dnsLabelArb, { minLength: 1, maxLength: 3 }).map((labels) => [...labels, "example"].join("."));
export const hostnameArb = fc
  .tuple(fc.boolean(), preciseHostnameArb)
  .map(([wild, host]) => (wild ? `*.${host}` : host));
export const portArb = fc.integer({ min: 1, max: 65535 });
const segmentArb = fc.stringMatching(/^[a-zA-Z0-9_~-]{1,6}$/);
export const pathArb = fc.array(segmentArb, { maxLength: 3 }).map((segs) => `/${segs.join("/")}`);
export const headerNameArb = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,10}$/);
/** Visible ASCII without spaces: valid in both channels. */
export const headerValueArb = fc.stringMatching(/^[!-~]{1,8}$/);
export const regexArb = fc.constantFrom(".*", "/api/[0-9]+", "v[12]", "(foo|bar)-\\d{2}", "[a-z]+\\.example\\.com");
const durationArb = (maxSeconds: number) => fc.integer({ min: 0, max: maxSeconds }).map((s) => `${s}s`);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops undefined fields so the objects look hand-written (and YAML-stringify cleanly). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
const metaArb = (name: fc.Arbitrary<string> = dnsLabelArb) =>
  fc.record({ name, namespace: namespaceArb, labels: maybe(fc.dictionary(dnsLabelArb, dnsLabelArb, { maxKeys: 2 })) }).map(compact);

// ---------- references ----------

const parentRefsArb = fc
  .uniqueArray(
    fc.record({ name: dnsLabelArb, namespace: maybe(namespaceArb), sectionName: maybe(dnsLabelArb), port: maybe(portArb) }).map(compact),
    { selector: (p) => p.name, maxLength: 3 },
  )
  .map((refs) => (refs.length ? refs : undefined));

const serviceRefArb = fc.record({ name: dnsLabelArb, namespace: maybe(namespaceArb), port: portArb }).map(compact);
const backendRefArb = fc
  .record({ name: dnsLabelArb, namespace: maybe(namespaceArb), port: portArb, weight: maybe(fc.integer({ min: 0, max: 1_000_000 })) })
  .map(compact);

// ---------- filters ----------

const headerPairsArb = fc.uniqueArray(fc.record({ name: headerNameArb, value: headerValueArb }), { selector: (h) => h.name, maxLength: 3 });
const headerModifierArb = fc
  .record({ set: headerPairsArb, add: headerPairsArb, remove: fc.uniqueArray(headerNameArb, { maxLength: 2 }) })
  .map(({ set, add, remove }) => compact({ set: set.length ? set : undefined, add: add.length ? add : undefined, remove: remove.length ? remove : undefined }))
  .filter((m) => Object.keys(m).length > 0);

const mirrorArb = fc.oneof(
  fc.record({ backendRef: serviceRefArb }),
  fc.record({ backendRef: serviceRefArb, percent: fc.integer({ min: 0, max: 100 }) }),
  fc
    .tuple(serviceRefArb, fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
    .map(([backendRef, denominator, n]) => ({ backendRef, fraction: { numerator: n % (denominator + 1), denominator } })),
);

const corsArb = fc
  .record({
    allowOrigins: maybe(fc.oneof(fc.constant(["*"]), fc.uniqueArray(preciseHostnameArb.map((h) => `https://${h}`), { minLength: 1, maxLength: 2 }))),
    allowMethods: maybe(fc.uniqueArray(fc.constantFrom("GET", "POST", "PUT"), { minLength: 1 })),
    allowHeaders: maybe(fc.uniqueArray(headerNameArb, { minLength: 1, maxLength: 2 })),
    allowCredentials: maybe(fc.boolean()),
    maxAge: maybe(fc.integer({ min: 1, max: 86400 })),
  })
  .map(compact);

type Filter = Record<string, unknown> & { type: string };

/** Filters without repeats; `prefix` allows ReplacePrefixMatch (the rule has one PathPrefix match). */
function httpFiltersArb(opts: { redirect: boolean; prefix: boolean }): fc.Arbitrary<Filter[]> {
  const pathModifier = opts.prefix
    ? fc.oneof(fc.record({ type: fc.constant("ReplaceFullPath"), replaceFullPath: pathArb }), fc.record({ type: fc.constant("ReplacePrefixMatch"), replacePrefixMatch: pathArb }))
    : fc.record({ type: fc.constant("ReplaceFullPath"), replaceFullPath: pathArb });
  const rewriteOrRedirect: fc.Arbitrary<Filter | undefined> = opts.redirect
    ? fc
        .record({
          scheme: maybe(fc.constantFrom("http", "https")),
          hostname: maybe(preciseHostnameArb),
          port: maybe(portArb),
          statusCode: maybe(fc.constantFrom(301, 302, 303, 307, 308)),
          path: maybe(pathModifier),
        })
        .map((r) => ({ type: "RequestRedirect", requestRedirect: compact(r) }))
    : maybe(fc.record({ hostname: maybe(preciseHostnameArb), path: maybe(pathModifier) }).map((u) => ({ type: "URLRewrite", urlRewrite: compact(u) })));
  return fc
    .record({
      request: maybe(headerModifierArb.map((m) => ({ type: "RequestHeaderModifier", requestHeaderModifier: m }))),
      response: maybe(headerModifierArb.map((m) => ({ type: "ResponseHeaderModifier", responseHeaderModifier: m }))),
      mirror: opts.redirect ? fc.constant(undefined) : maybe(mirrorArb.map((m) => ({ type: "RequestMirror", requestMirror: m }))),
      cors: maybe(corsArb.map((c) => ({ type: "CORS", cors: c }))),
      path: rewriteOrRedirect,
      ext: maybe(fc.constant({ type: "ExtensionRef", extensionRef: { group: "example.com", kind: "Plugin", name: "p" } })),
    })
    .map((f) => Object.values(f).filter((x): x is Filter => x !== undefined));
}

// ---------- HTTPRoute ----------

const valueMatchArb = (value: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.record({ name: headerNameArb, value }).map((m) => m),
    fc.record({ type: fc.constant("Exact" as const), name: headerNameArb, value }),
    fc.record({ type: fc.constant("RegularExpression" as const), name: headerNameArb, value: regexArb }),
  );

const httpPathArb = fc.oneof(
  fc.record({ type: fc.constant("PathPrefix"), value: pathArb }),
  fc.record({ value: pathArb }),
  fc.record({ type: fc.constant("Exact"), value: pathArb }),
  fc.record({ type: fc.constant("RegularExpression"), value: regexArb }),
);

const httpMatchArb = fc
  .record({
    path: maybe(httpPathArb),
    headers: maybe(fc.uniqueArray(valueMatchArb(headerValueArb), { selector: (h) => h.name, minLength: 1, maxLength: 3 })),
    queryParams: maybe(fc.uniqueArray(valueMatchArb(headerValueArb), { selector: (h) => h.name, minLength: 1, maxLength: 2 })),
    method: maybe(fc.constantFrom("GET", "POST", "DELETE", "PATCH")),
  })
  .map(compact);

const timeoutsArb = fc
  .tuple(durationArb(600), durationArb(600))
  .map(([a, b]) => {
    const [request, backendRequest] = parseInt(a) >= parseInt(b) ? [a, b] : [b, a];
    return { request, backendRequest };
  });

const httpRuleArb = (name: string | undefined) =>
  fc
    .record({
      redirect: fc.boolean(),
      matches: maybe(fc.array(httpMatchArb, { maxLength: 3 })),
      backendRefs: fc.array(
        fc.tuple(backendRefArb, fc.option(headerModifierArb, { nil: undefined })).map(([b, m]) =>
          m ? { ...b, filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: m }] } : b,
        ),
        { maxLength: 3 },
      ),
      timeouts: maybe(timeoutsArb),
      retry: maybe(
        fc
          .record({ attempts: maybe(fc.integer({ min: 1, max: 5 })), codes: maybe(fc.uniqueArray(fc.integer({ min: 400, max: 599 }), { minLength: 1, maxLength: 3 })), backoff: maybe(durationArb(5)) })
          .map(compact),
      ),
    })
    .chain((r) => {
      // ReplacePrefixMatch needs exactly one PathPrefix match (the default match is one).
      const prefix = r.matches === undefined || (r.matches.length === 1 && (r.matches[0]!.path === undefined || (r.matches[0]!.path as { type?: string }).type !== "Exact" && (r.matches[0]!.path as { type?: string }).type !== "RegularExpression"));
      return httpFiltersArb({ redirect: r.redirect, prefix }).map((filters) =>
        compact({
          name,
          matches: r.matches,
          filters: filters.length ? filters : undefined,
          backendRefs: r.redirect || r.backendRefs.length === 0 ? undefined : r.backendRefs,
          timeouts: r.timeouts,
          retry: r.retry,
        }),
      );
    });

export const httpRouteArb = fc
  .record({
    metadata: metaArb(),
    parentRefs: parentRefsArb,
    hostnames: maybe(fc.uniqueArray(hostnameArb, { minLength: 1, maxLength: 3 })),
    names: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
  })
  .chain(({ metadata, parentRefs, hostnames, names }) =>
    fc.tuple(...names.map((named, i) => httpRuleArb(named ? `rule-${i}` : undefined))).map((rules) => ({
      apiVersion: GW,
      kind: "HTTPRoute",
      metadata,
      spec: compact({ parentRefs, hostnames, rules }),
    })),
  );

// ---------- GRPCRoute ----------

const grpcMatchArb = fc
  .record({
    method: maybe(
      fc.oneof(
        fc.record({ service: fc.constantFrom("pkg.Svc", "a.b.C", "helloworld.Greeter"), method: maybe(fc.constantFrom("Get", "List", "SayHello")) }).map(compact),
        fc.record({ method: fc.constantFrom("Get", "Watch") }),
        fc.record({ type: fc.constant("RegularExpression"), service: regexArb }),
      ),
    ),
    headers: maybe(fc.uniqueArray(valueMatchArb(headerValueArb), { selector: (h) => h.name, minLength: 1, maxLength: 2 })),
  })
  .map(compact);

export const grpcRouteArb = fc
  .record({
    metadata: metaArb(),
    parentRefs: parentRefsArb,
    hostnames: maybe(fc.uniqueArray(hostnameArb, { minLength: 1, maxLength: 2 })),
    rules: fc.array(
      fc
        .record({
          matches: maybe(fc.array(grpcMatchArb, { minLength: 1, maxLength: 3 })),
          filters: maybe(headerModifierArb.map((m) => [{ type: "RequestHeaderModifier", requestHeaderModifier: m }])),
          backendRefs: maybe(fc.array(backendRefArb, { minLength: 1, maxLength: 3 })),
        })
        .map(compact),
      { maxLength: 3 },
    ),
  })
  .map(({ metadata, parentRefs, hostnames, rules }) => ({ apiVersion: GW, kind: "GRPCRoute", metadata, spec: compact({ parentRefs, hostnames, rules }) }));

// ---------- Gateway, GatewayClass, ListenerSet ----------

const certRefsArb = fc.array(fc.record({ name: dnsLabelArb, namespace: maybe(namespaceArb) }).map(compact), { minLength: 1, maxLength: 2 });

const listenerArb = (name: string, port: number) =>
  fc.oneof(
    fc.record({ hostname: maybe(hostnameArb) }).map((l) => compact({ name, port, protocol: "HTTP", ...l })),
    fc.record({ hostname: maybe(hostnameArb), certs: certRefsArb }).map(({ hostname, certs }) => compact({ name, port, protocol: "HTTPS", hostname, tls: { certificateRefs: certs } })),
    fc.record({ hostname: maybe(hostnameArb) }).map(({ hostname }) => compact({ name, port, protocol: "TLS", hostname, tls: { mode: "Passthrough" } })),
    fc.constantFrom("TCP", "UDP").map((protocol) => ({ name, port, protocol })),
  );

const allowedRoutesArb = fc
  .record({
    namespaces: maybe(
      fc.oneof(
        fc.record({ from: fc.constantFrom("All", "Same") }),
        fc.record({ from: fc.constant("Selector"), selector: fc.record({ matchLabels: fc.dictionary(dnsLabelArb, dnsLabelArb, { minKeys: 1, maxKeys: 2 }) }) }),
      ),
    ),
    kinds: maybe(fc.uniqueArray(fc.constantFrom("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute").map((kind) => ({ kind })), { selector: (k) => k.kind, minLength: 1 })),
  })
  .map(compact);

/** Listeners with unique names and ports, so (port, protocol, hostname) is unique too. */
const listenersArb = fc
  .uniqueArray(fc.tuple(dnsLabelArb, portArb), { selector: ([, p]) => p, minLength: 1, maxLength: 4 })
  .chain((pairs) => {
    const named = pairs.map(([n, p], i) => [`${n}-${i}`, p] as const);
    return fc.tuple(...named.map(([n, p]) => fc.tuple(listenerArb(n, p), maybe(allowedRoutesArb)).map(([l, ar]) => compact({ ...l, allowedRoutes: ar }))));
  });

export const gatewayArb = fc
  .record({
    metadata: metaArb(),
    gatewayClassName: dnsLabelArb,
    listeners: listenersArb,
    addresses: maybe(fc.uniqueArray(fc.ipV4(), { minLength: 1, maxLength: 2 }).map((ips) => ips.map((value) => ({ type: "IPAddress", value })))),
  })
  .map(({ metadata, ...spec }) => ({ apiVersion: GW, kind: "Gateway", metadata, spec: compact(spec) }));

export const gatewayClassArb = fc
  .record({ name: dnsLabelArb, controller: dnsLabelArb, description: maybe(fc.constantFrom("gwsim", "test class")) })
  .map(({ name, controller, description }) => ({
    apiVersion: GW,
    kind: "GatewayClass",
    metadata: { name },
    spec: compact({ controllerName: `example.com/${controller}`, description }),
  }));

export const listenerSetArb = fc
  .record({ metadata: metaArb(), gateway: dnsLabelArb, listeners: listenersArb })
  .map(({ metadata, gateway, listeners }) => ({ apiVersion: GW, kind: "ListenerSet", metadata, spec: { parentRef: { name: gateway }, listeners } }));

// ---------- TLSRoute, TCPRoute, UDPRoute ----------

const l4Arb = (kind: "TLSRoute" | "TCPRoute" | "UDPRoute") =>
  fc
    .record({
      metadata: metaArb(),
      parentRefs: parentRefsArb,
      hostnames: fc.uniqueArray(hostnameArb, { minLength: 1, maxLength: 3 }),
      backendRefs: fc.array(backendRefArb, { minLength: 1, maxLength: 3 }),
    })
    .map(({ metadata, parentRefs, hostnames, backendRefs }) => ({
      apiVersion: GW,
      kind,
      metadata,
      spec: compact({ parentRefs, hostnames: kind === "TLSRoute" ? hostnames : undefined, rules: [{ backendRefs }] }),
    }));

export const tlsRouteArb = l4Arb("TLSRoute");
export const tcpRouteArb = l4Arb("TCPRoute");
export const udpRouteArb = l4Arb("UDPRoute");

// ---------- ReferenceGrant, BackendTLSPolicy ----------

export const referenceGrantArb = fc
  .record({
    metadata: metaArb(),
    from: fc.array(fc.record({ group: fc.constant("gateway.networking.k8s.io"), kind: fc.constantFrom("HTTPRoute", "Gateway", "GRPCRoute"), namespace: namespaceArb }), { minLength: 1, maxLength: 3 }),
    to: fc.array(fc.record({ group: fc.constant(""), kind: fc.constantFrom("Service", "Secret"), name: maybe(dnsLabelArb) }).map(compact), { minLength: 1, maxLength: 3 }),
  })
  .map(({ metadata, ...spec }) => ({ apiVersion: GW, kind: "ReferenceGrant", metadata, spec }));

export const backendTLSPolicyArb = fc
  .record({
    metadata: metaArb(),
    targets: fc.uniqueArray(dnsLabelArb, { minLength: 1, maxLength: 3 }),
    hostname: preciseHostnameArb,
    ca: fc.oneof(fc.constant({ wellKnownCACertificates: "System" }), fc.record({ caCertificateRefs: fc.array(fc.record({ group: fc.constant(""), kind: fc.constant("ConfigMap"), name: dnsLabelArb }), { minLength: 1, maxLength: 2 }) })),
    sans: maybe(
      fc.array(
        fc.oneof(fc.record({ type: fc.constant("Hostname"), hostname: hostnameArb }), fc.record({ type: fc.constant("URI"), uri: dnsLabelArb.map((s) => `spiffe://example.com/${s}`) })),
        { minLength: 1, maxLength: 3 },
      ),
    ),
  })
  .map(({ metadata, targets, hostname, ca, sans }) => ({
    apiVersion: GW,
    kind: "BackendTLSPolicy",
    metadata,
    spec: {
      targetRefs: targets.map((name) => ({ group: "", kind: "Service", name })),
      validation: compact({ hostname, ...ca, subjectAltNames: sans }),
    },
  }));

// ---------- core kinds ----------

export const namespaceObjectArb = dnsLabelArb.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));

export const serviceArb = fc
  .record({
    metadata: metaArb(dnsLabelArb),
    ports: fc.uniqueArray(fc.tuple(dnsLabelArb, portArb, maybe(fc.oneof(portArb, fc.constantFrom("http", "grpc-web")))), {
      selector: ([n]) => n,
      minLength: 1,
      maxLength: 3,
    }),
    appProtocol: maybe(fc.constantFrom("http", "kubernetes.io/h2c", "kubernetes.io/ws")),
  })
  .filter(({ ports }) => new Set(ports.map(([, p]) => p)).size === ports.length)
  .map(({ metadata, ports, appProtocol }) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: { ports: ports.map(([name, port, targetPort]) => compact({ name, port, targetPort, appProtocol })) },
  }));

/** IPv4 addresses an endpoint may have: not unspecified, loopback, link-local or link-local multicast. */
const endpointIPv4Arb = fc.ipV4().filter((ip) => ip !== "0.0.0.0" && !/^(127\.|169\.254\.|224\.0\.0\.)/.test(ip));

export const endpointSliceArb = fc
  .record({
    metadata: metaArb(),
    service: dnsLabelArb,
    endpoints: fc.array(fc.record({ addresses: fc.array(endpointIPv4Arb, { minLength: 1, maxLength: 2 }), conditions: maybe(fc.record({ ready: fc.boolean() })) }).map(compact), { maxLength: 3 }),
    port: portArb,
  })
  .map(({ metadata, service, endpoints, port }) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { ...metadata, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints,
    ports: [{ name: "http", port }],
  }));

const configKeyArb = fc.stringMatching(/^[a-zA-Z][-._a-zA-Z0-9]{0,10}$/);
const base64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

export const secretArb = fc
  .record({
    metadata: metaArb(),
    data: fc.dictionary(configKeyArb, fc.string({ maxLength: 20 }), { maxKeys: 3 }),
    stringData: maybe(fc.dictionary(configKeyArb, fc.string({ maxLength: 20 }), { maxKeys: 2 })),
  })
  .map(({ metadata, data, stringData }) => compact({
    apiVersion: "v1",
    kind: "Secret",
    metadata,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, base64(v)])),
    stringData,
  }));

export const configMapArb = fc
  .record({ metadata: metaArb(), data: fc.dictionary(configKeyArb, fc.string({ maxLength: 30 }), { maxKeys: 3 }) })
  .map(({ metadata, data }) => ({ apiVersion: "v1", kind: "ConfigMap", metadata, data }));

/** One valid manifest of any kind gwsim reads. */
export const manifestArb: fc.Arbitrary<Record<string, unknown> & { kind: string; metadata: { name: string } }> = fc.oneof(
  gatewayClassArb,
  gatewayArb,
  listenerSetArb,
  httpRouteArb,
  grpcRouteArb,
  tlsRouteArb,
  tcpRouteArb,
  udpRouteArb,
  referenceGrantArb,
  backendTLSPolicyArb,
  namespaceObjectArb,
  serviceArb,
  endpointSliceArb,
  secretArb,
  configMapArb,
);
