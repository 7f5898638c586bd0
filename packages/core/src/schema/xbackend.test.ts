/**
 * XBackend against the v1.6.1 experimental CRD (config/crd/experimental/
 * gateway.networking.x-k8s.io_xbackends.yaml): every CEL rule it carries, the OpenAPI checks that
 * matter, where each error is reported, and the apiVersions it is served at.
 */
import { describe, expect, it } from "vitest";
import { check, errorsOf, toYaml } from "./__tests__/helpers.js";

const API = "gateway.networking.x-k8s.io/v1alpha1";

function xbackend(spec: Record<string, unknown>, apiVersion = API): object {
  return { apiVersion, kind: "XBackend", metadata: { name: "ext", namespace: "ns" }, spec: { type: "ExternalHostname", port: { port: 443 }, externalHostname: { hostname: "api.example.com" }, ...spec } };
}

const ca = { hostname: "api.example.com", caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "ca" }] };

describe("XBackend schema", () => {
  it.each([
    { what: "the minimal ExternalHostname backend", spec: {} },
    { what: "a named port and a protocol", spec: { port: { name: "https", port: 8443 }, protocol: "H2C" } },
    { what: "an empty port name (the rule allows size 0)", spec: { port: { name: "", port: 443 } } },
    { what: "tls ServerOnly without validation", spec: { tls: { mode: "ServerOnly" } } },
    { what: "tls ServerOnly with CA refs", spec: { tls: { mode: "ServerOnly", validation: ca } } },
    { what: "tls ClientAndServer with a client certificate", spec: { tls: { mode: "ClientAndServer", clientCertificateRef: { name: "client" }, validation: { hostname: "api.example.com", wellKnownCACertificates: "System" } } } },
    { what: "tls None", spec: { tls: { mode: "None" } } },
    { what: "a hostname that merely contains cluster.local", spec: { externalHostname: { hostname: "cluster.local.example.com" } } },
  ])("accepts $what", ({ spec }) => {
    const { resources, diagnostics } = check(toYaml([xbackend(spec)]));
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(resources.map((r) => r.kind)).toEqual(["XBackend"]);
  });

  it("defaults clientCertificateRef group and kind as the CRD does", () => {
    const { resources } = check(toYaml([xbackend({ tls: { mode: "ClientAndServer", clientCertificateRef: { name: "client" } } })]));
    const spec = (resources[0] as { spec: { tls: { clientCertificateRef: unknown } } }).spec;
    expect(spec.tls.clientCertificateRef).toEqual({ group: "", kind: "Secret", name: "client" });
  });

  // Each x-kubernetes-validations rule of the CRD, broken once.
  it.each([
    {
      rule: "spec: externalHostname set iff type is ExternalHostname",
      spec: { externalHostname: undefined },
      path: "spec",
      message: "externalHostname must be set when type is ExternalHostname and must be unset otherwise",
    },
    { rule: "spec.port.name: a DNS label", spec: { port: { name: "Bad_Name", port: 443 } }, path: "spec.port.name", message: "Name must be a valid DNS label" },
    { rule: "spec.port.name: no dots", spec: { port: { name: "a.b", port: 443 } }, path: "spec.port.name", message: "Name must be a valid DNS label" },
    {
      rule: "spec.externalHostname.hostname: not .cluster.local",
      spec: { externalHostname: { hostname: "api.default.svc.cluster.local" } },
      path: "spec.externalHostname.hostname",
      message: "hostname must not be an IP address or end with .cluster.local",
    },
    {
      rule: "spec.tls: ClientAndServer needs clientCertificateRef",
      spec: { tls: { mode: "ClientAndServer" } },
      path: "spec.tls",
      message: "clientCertificateRef must be set if and only if mode is ClientAndServer",
    },
    {
      rule: "spec.tls: clientCertificateRef only with ClientAndServer",
      spec: { tls: { mode: "ServerOnly", clientCertificateRef: { name: "client" } } },
      path: "spec.tls",
      message: "clientCertificateRef must be set if and only if mode is ClientAndServer",
    },
    {
      rule: "spec.tls.validation: not both CA refs and well-known",
      spec: { tls: { mode: "ServerOnly", validation: { ...ca, wellKnownCACertificates: "System" } } },
      path: "spec.tls.validation.wellKnownCACertificates",
      message: "must not contain both CACertificateRefs and WellKnownCACertificates",
    },
    {
      rule: "spec.tls.validation: CA refs or well-known",
      spec: { tls: { mode: "ServerOnly", validation: { hostname: "api.example.com" } } },
      path: "spec.tls.validation",
      message: "must specify either CACertificateRefs or WellKnownCACertificates",
    },
    {
      rule: "spec.tls.validation.subjectAltNames: Hostname type needs hostname",
      spec: { tls: { mode: "ServerOnly", validation: { ...ca, subjectAltNames: [{ type: "Hostname" }] } } },
      path: "spec.tls.validation.subjectAltNames[0].hostname",
      message: "SubjectAltName element must contain Hostname, if Type is set to Hostname",
    },
    {
      rule: "spec.tls.validation.subjectAltNames: URI type needs uri",
      spec: { tls: { mode: "ServerOnly", validation: { ...ca, subjectAltNames: [{ type: "URI" }] } } },
      path: "spec.tls.validation.subjectAltNames[0].uri",
      message: "SubjectAltName element must contain URI, if Type is set to URI",
    },
    {
      rule: "spec.tls.validation.subjectAltNames: no hostname for URI type",
      spec: { tls: { mode: "ServerOnly", validation: { ...ca, subjectAltNames: [{ type: "URI", uri: "spiffe://a/b", hostname: "a.example.com" }] } } },
      path: "spec.tls.validation.subjectAltNames[0].hostname",
      message: "SubjectAltName element must not contain Hostname, if Type is not set to Hostname",
    },
    {
      rule: "spec.tls.validation.subjectAltNames: no uri for Hostname type",
      spec: { tls: { mode: "ServerOnly", validation: { ...ca, subjectAltNames: [{ type: "Hostname", hostname: "a.example.com", uri: "spiffe://a/b" }] } } },
      path: "spec.tls.validation.subjectAltNames[0].uri",
      message: "SubjectAltName element must not contain URI, if Type is not set to URI",
    },
  ])("CEL $rule", ({ spec, path, message }) => {
    const doc = xbackend(spec) as { spec: Record<string, unknown> };
    for (const [k, v] of Object.entries(doc.spec)) if (v === undefined) delete doc.spec[k];
    const errors = errorsOf(check(toYaml([doc])).diagnostics);
    expect(errors.map((d) => [d.path, d.message])).toEqual([[path, message]]);
    expect(errors[0]!.code).toMatch(/^cel\.xbackend-|^cel\.(btls|san)-/);
  });

  it.each([
    { what: "type outside the enum", spec: { type: "EndpointSelector" }, path: "spec.type", code: "schema.enum" },
    { what: "port 0", spec: { port: { port: 0 } }, path: "spec.port.port", code: "schema.minimum" },
    { what: "port missing", spec: { port: {} }, path: "spec.port.port", code: "schema.required" },
    { what: "an IP-shaped hostname with a port", spec: { externalHostname: { hostname: "10.0.0.1:443" } }, path: "spec.externalHostname.hostname", code: "schema.pattern" },
    { what: "a wildcard hostname", spec: { externalHostname: { hostname: "*.example.com" } }, path: "spec.externalHostname.hostname", code: "schema.pattern" },
    { what: "GRPC protocol (in the Go type, not in the CRD enum)", spec: { protocol: "GRPC" }, path: "spec.protocol", code: "schema.enum" },
    { what: "tls mode outside the enum", spec: { tls: { mode: "Mutual" } }, path: "spec.tls.mode", code: "schema.enum" },
  ])("rejects $what", ({ spec, path, code }) => {
    const errors = errorsOf(check(toYaml([xbackend(spec)])).diagnostics);
    expect(errors.map((d) => [d.path, d.code])).toContainEqual([path, code]);
  });

  it("reports file:line:col at the offending field", () => {
    const text = [
      `apiVersion: ${API}`,
      "kind: XBackend",
      "metadata: {name: ext, namespace: ns}",
      "spec:",
      "  type: ExternalHostname",
      "  port: {port: 443}",
      "  externalHostname:",
      "    hostname: db.prod.svc.cluster.local",
    ].join("\n");
    const [d] = errorsOf(check(text).diagnostics);
    expect(d).toMatchObject({ file: "case.yaml", line: 8, column: 15, path: "spec.externalHostname.hostname", code: "cel.xbackend-hostname" });
  });

  it("is served only by the experimental channel, only in the x-k8s.io group", () => {
    const standard = errorsOf(check(toYaml([xbackend({})]), { channel: "standard" }).diagnostics);
    expect(standard.map((d) => [d.path, d.code])).toEqual([["apiVersion", "schema.unsupported-api-version"]]);
    expect(standard[0]!.message).toContain("experimental channel only");
    const wrongGroup = errorsOf(check(toYaml([xbackend({}, "gateway.networking.k8s.io/v1alpha1")])).diagnostics);
    expect(wrongGroup.map((d) => d.message)).toEqual([
      "XBackend gateway.networking.k8s.io/v1alpha1 is not served; experimental channel v1.6 serves XBackend as gateway.networking.x-k8s.io/v1alpha1",
    ]);
  });
});
