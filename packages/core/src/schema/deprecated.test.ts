import { describe, expect, it } from "vitest";
import { buildWorld } from "../world.js";
import { parseManifests } from "../manifest/parse.js";
import { backendTLSPolicy, check, errorsOf, l4Route, toYaml } from "./__tests__/helpers.js";

const GW = "gateway.networking.k8s.io";

// config/crd/experimental/*.yaml at v1.6.1 mark these served versions `deprecated: true`.
const deprecated: { kind: string; version: string; doc: object }[] = [
  { kind: "TLSRoute", version: "v1alpha2", doc: l4Route("TLSRoute", {}, `${GW}/v1alpha2`) },
  { kind: "TLSRoute", version: "v1alpha3", doc: l4Route("TLSRoute", {}, `${GW}/v1alpha3`) },
  { kind: "TCPRoute", version: "v1alpha2", doc: l4Route("TCPRoute", {}, `${GW}/v1alpha2`) },
  { kind: "UDPRoute", version: "v1alpha2", doc: l4Route("UDPRoute", {}, `${GW}/v1alpha2`) },
  { kind: "BackendTLSPolicy", version: "v1alpha3", doc: { ...backendTLSPolicy({}), apiVersion: `${GW}/v1alpha3` } },
];

const warningOf = (kind: string, version: string) => ({
  code: "schema.deprecated-version",
  severity: "warning",
  path: "apiVersion",
  line: 1,
  message: `The ${version} version of ${kind} has been deprecated and will be removed in a future release of the API. Please upgrade to v1.`,
  object: `${kind}/ns/${kind === "BackendTLSPolicy" ? "btls" : "l4"}`,
});

describe("deprecated versions: accepted, with the CRD's warning", () => {
  it.each(deprecated)("$kind $version", ({ kind, version, doc }) => {
    const { resources, diagnostics } = check(toYaml([doc]));
    expect(resources).toHaveLength(1);
    expect(diagnostics).toEqual([expect.objectContaining(warningOf(kind, version))]);
  });

  it.each(deprecated)("$kind $version: the warning reaches buildWorld (every command that loads)", ({ kind, version, doc }) => {
    const { objects } = parseManifests(toYaml([doc]), { file: "w.yaml" });
    const world = buildWorld(objects);
    expect(world.diagnostics).toEqual([expect.objectContaining({ ...warningOf(kind, version), file: "w.yaml" })]);
  });

  it("an invalid object of a deprecated version is rejected as before, and still warned about", () => {
    const doc = l4Route("TCPRoute", { rules: [] }, `${GW}/v1alpha2`);
    const { resources, diagnostics } = check(toYaml([doc]));
    expect(resources).toEqual([]);
    expect(errorsOf(diagnostics)).not.toEqual([]);
    expect(diagnostics[0]).toMatchObject({ code: "schema.deprecated-version", severity: "warning" });
  });

  const current: { name: string; doc: object }[] = [
    { name: "TLSRoute v1", doc: l4Route("TLSRoute", {}) },
    { name: "TCPRoute v1", doc: l4Route("TCPRoute", {}) },
    { name: "UDPRoute v1", doc: l4Route("UDPRoute", {}) },
    { name: "BackendTLSPolicy v1", doc: backendTLSPolicy({}) },
    { name: "HTTPRoute v1beta1 (served, not deprecated)", doc: { apiVersion: `${GW}/v1beta1`, kind: "HTTPRoute", metadata: { name: "r", namespace: "ns" }, spec: {} } },
  ];

  it.each(current)("no warning for $name", ({ doc }) => {
    const { resources, diagnostics } = check(toYaml([doc]));
    expect(diagnostics).toEqual([]);
    expect(resources).toHaveLength(1);
  });

  it("the standard channel does not serve them: an error, not a deprecation warning", () => {
    const { diagnostics } = check(toYaml([l4Route("TCPRoute", {}, `${GW}/v1alpha2`)]), { channel: "standard" });
    expect(diagnostics.map((d) => d.code)).toEqual(["schema.unsupported-api-version"]);
  });
});
