/**
 * The API server runs no CEL rule of a custom resource that has a Required, NotSupported (enum),
 * TooLong, TooMany or TypeInvalid error, and adds one note at no field instead; Invalid errors
 * (pattern, format, minimum, minItems, minLength) and Duplicate do not stop CEL.
 * (apiextensions-apiserver pkg/registry/customresource/strategy.go, hasBlockingErr.)
 */
import { describe, expect, it } from "vitest";
import type { Channel } from "./common.js";
import { check, errorsOf, gateway, httpRoute, l4Route, toYaml } from "./__tests__/helpers.js";

const NOTE = ["", "schema.cel-not-checked"];
const noPort = { backendRefs: [{ name: "svc" }] };
const PORT_RULE = ["spec.rules[1].backendRefs[0].port", "cel.backendref-port-required"];
const twoWebListeners = [
  { name: "web", port: 80, protocol: "HTTP" },
  { name: "web", port: 8080, protocol: "HTTP" },
];

interface Case {
  name: string;
  doc: object;
  channel?: Channel;
  /** [path, code] of every error, in order. */
  errors: string[][];
}

const cases: Case[] = [
  {
    name: "enum error in one rule: the CEL error of another rule is not checked",
    doc: httpRoute({ rules: [{ matches: [{ method: "FETCH" }] }, noPort] }),
    errors: [["spec.rules[0].matches[0].method", "schema.enum"], NOTE],
  },
  {
    name: "pattern error: CEL still runs",
    doc: httpRoute({ hostnames: ["Upper.example.com"], rules: [{}, noPort] }),
    errors: [["spec.hostnames[0]", "schema.pattern"], PORT_RULE],
  },
  {
    name: "too long a path: its own CEL rules are not checked",
    doc: httpRoute({ rules: [{ matches: [{ path: { type: "Exact", value: "a".repeat(1025) } }] }] }),
    errors: [["spec.rules[0].matches[0].path.value", "schema.max-length"], NOTE],
  },
  {
    name: "port as a string (type error): duplicate listener names are not checked",
    doc: gateway({ listeners: [{ ...twoWebListeners[0], port: "80" }, twoWebListeners[1]] }),
    errors: [["spec.listeners[0].port", "schema.type"], NOTE],
  },
  {
    name: "the same in the standard channel, whose Gateway CRD has CEL rules too",
    doc: gateway({ listeners: [{ ...twoWebListeners[0], port: "80" }, twoWebListeners[1]] }),
    channel: "standard",
    errors: [["spec.listeners[0].port", "schema.type"], NOTE],
  },
  {
    name: "port below the minimum: CEL still runs",
    doc: gateway({ listeners: [{ ...twoWebListeners[0], port: 0 }, twoWebListeners[1]] }),
    errors: [["spec.listeners[0].port", "schema.minimum"], ["spec.listeners[1].name", "cel.unique-listener-names"]],
  },
  {
    name: "too few hostnames (minItems): CEL still runs",
    doc: l4Route("TLSRoute", { hostnames: [], rules: [{ backendRefs: [{ name: "svc" }] }] }),
    errors: [["spec.rules[0].backendRefs[0].port", "cel.backendref-port-required"], ["spec.hostnames", "schema.min-items"]],
  },
  {
    name: "a parentRef without a name (Required): the CEL error of a rule is not checked",
    doc: httpRoute({ parentRefs: [{ kind: "Gateway" }], rules: [{}, noPort] }),
    errors: [["spec.parentRefs[0].name", "schema.required"], NOTE],
  },
  {
    name: "ReferenceGrant: a blocking error, but its CRD has no CEL rules, so no note",
    doc: {
      apiVersion: "gateway.networking.k8s.io/v1beta1",
      kind: "ReferenceGrant",
      metadata: { name: "g", namespace: "ns" },
      spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }], to: [{ group: "", kind: "Service" }] },
    },
    errors: [["spec.from[0].namespace", "schema.required"]],
  },
  {
    name: "core kind: a blocking error, but no CRD and no CEL, so no note",
    doc: { apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "ns" }, spec: { ports: [{ port: 80, protocol: "QUIC" }] } },
    errors: [["spec.ports[0].protocol", "schema.enum"]],
  },
];

describe("CEL rules are skipped after a blocking schema error, as the API server does", () => {
  it.each(cases)("$name", (c) => {
    const { resources, diagnostics } = check(toYaml([c.doc]), { channel: c.channel ?? "experimental" });
    expect(errorsOf(diagnostics).map((d) => [d.path, d.code])).toEqual(c.errors);
    expect(resources).toEqual([]);
  });

  it("words the note as the API server does", () => {
    const { diagnostics } = check(toYaml([cases[0]!.doc]));
    expect(diagnostics.find((d) => d.code === "schema.cel-not-checked")).toMatchObject({
      severity: "error",
      path: "",
      object: "HTTPRoute/ns/r",
      message:
        'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    });
  });

  it("keeps a deprecated version's warning before the errors", () => {
    const doc = l4Route("TCPRoute", { rules: [{ backendRefs: [{ name: "svc", port: "80" }] }] }, "gateway.networking.k8s.io/v1alpha2");
    expect(check(toYaml([doc])).diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ["schema.deprecated-version", "warning"],
      ["schema.type", "error"],
      ["schema.cel-not-checked", "error"],
    ]);
  });
});
