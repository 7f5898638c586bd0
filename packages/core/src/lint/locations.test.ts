/**
 * Findings point at the field in the user's file, whatever the file's shape: several YAML
 * documents, a kubectl List in YAML, or JSON (one object or a List).
 */
import { describe, expect, it } from "vitest";
import { parseManifestFiles } from "../manifest/parse.js";
import { buildWorld } from "../world.js";
import { lint } from "./index.js";

const gateway = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "gw", namespace: "ns" }, spec: { gatewayClassName: "c", listeners: [{ name: "http", protocol: "HTTP", port: 80 }] } };
const service = { apiVersion: "v1", kind: "Service", metadata: { name: "a", namespace: "ns" }, spec: { ports: [{ port: 80 }] } };
const route = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "HTTPRoute",
  metadata: { name: "r", namespace: "ns" },
  spec: {
    parentRefs: [{ name: "gw" }],
    rules: [
      { matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "a", port: 80 }] },
      { matches: [{ path: { type: "PathPrefix", value: "/" } }, { path: { type: "Exact", value: "/x" } }], backendRefs: [{ name: "a", port: 81 }] },
    ],
  },
};

const YAML_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r
  namespace: ns
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: a, port: 80}]
  - matches:
    - path: {type: PathPrefix, value: /}
    - path: {type: Exact, value: /x}
    backendRefs:
    - name: a
      port: 81
`;

const indent = (text: string, by: string) => text.trimEnd().split("\n").map((l, i) => (i === 0 ? `- ${l}` : `${by}${l}`)).join("\n");

/** Each finding as rule, field path, and the text written from its position (a field's value). */
function at(file: string, text: string) {
  const { objects, diagnostics } = parseManifestFiles([{ file, text }]);
  expect(diagnostics).toEqual([]);
  const lines = text.split("\n");
  return lint(buildWorld(objects), { objects }).map((f) => `${f.rule} ${f.path} ${f.file}:${f.line}: ${lines[f.line! - 1]!.slice(f.column! - 1).trim()}`);
}

describe("finding locations", () => {
  it("YAML, several documents: the route's fields in the third", () => {
    const text = `${JSON.stringify(gateway)}\n---\n${JSON.stringify(service)}\n---\n${YAML_ROUTE}`;
    expect(at("all.yaml", text)).toEqual([
      "unreachable-match spec.rules[1].matches[0] all.yaml:16: path: {type: PathPrefix, value: /}",
      "backend-port-not-found spec.rules[1].backendRefs[0].port all.yaml:20: 81",
    ]);
  });

  it("YAML List (kubectl get -o yaml)", () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n${indent(JSON.stringify(gateway), "  ")}\n${indent(JSON.stringify(service), "  ")}\n${indent(YAML_ROUTE, "  ")}\n`;
    expect(at("list.yaml", text)).toEqual([
      "unreachable-match spec.rules[1].matches[0] list.yaml:17: path: {type: PathPrefix, value: /}",
      "backend-port-not-found spec.rules[1].backendRefs[0].port list.yaml:21: 81",
    ]);
  });

  it("JSON List, pretty-printed", () => {
    const text = JSON.stringify({ apiVersion: "v1", kind: "List", items: [gateway, service, route] }, null, 2);
    const got = at("list.json", text);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatch(/^unreachable-match spec\.rules\[1\]\.matches\[0\] list\.json:\d+: \{$/);
    expect(got[1]).toMatch(/^backend-port-not-found spec\.rules\[1\]\.backendRefs\[0\]\.port list\.json:\d+: 81$/);
    // The match found is the second rule's first one: the line after it names PathPrefix.
    const lines = text.split("\n");
    const line = Number(/:(\d+):/.exec(got[0]!)![1]);
    expect(lines.slice(line, line + 3).join(" ")).toMatch(/"path": \{\s+"type": "PathPrefix"/);
    expect(lines.slice(0, line).filter((l) => l.includes('"matches"')).length).toBe(2);
  });
});
