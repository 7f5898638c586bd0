import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import type { Io } from "./io.js";
import { ruleField, statusCommand } from "./status.js";
import { nodeSource } from "../load/manifests.js";

describe("ruleField: the route field a resolve message names", () => {
  it.each([
    ["rule 0 backendRef 1: Service a/b not found", "spec.rules[0].backendRefs[1]"],
    ["rule 2 (checkout) backendRef 0: Service a/b not found", "spec.rules[2].backendRefs[0]"],
    ["rule 1 filter 0 (ExtensionRef): vendor.example/Auth x is an extension filter", "spec.rules[1].filters[0]"],
    ["rule 0 (api) filter 3 (RequestMirror) backendRef: Service a/m not found", "spec.rules[0].filters[3].requestMirror.backendRef"],
    ["rule 0 backendRef 1 filter 0 (RequestMirror) backendRef: Service a/m not found", "spec.rules[0].backendRefs[1].filters[0].requestMirror.backendRef"],
    ["rule 4 filter 1 (ExternalAuth) backendRef: Service a/auth not found", "spec.rules[4].filters[1].externalAuth.backendRef"],
    ["rule 3: match 1: path type \"Glob\" is not supported", "spec.rules[3].matches[1]"],
    ["rule 3: RequestRedirect and URLRewrite cannot be combined in one rule", null],
    ["Dropped Rule(s) 0: rule 0: ...", null],
    ["all references resolved", null],
  ])("%s → %s", (message, field) => {
    expect(ruleField(message)).toBe(field);
  });
});

const dir = mkdtempSync(join(tmpdir(), "gwsim-status-loc-"));
// Line numbers matter below: the filter is on line 13, the named rule's backendRef on line 18.
writeFileSync(join(dir, "route.yaml"), `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: web
spec:
  parentRefs:
  - name: door
  rules:
  - backendRefs:
    - {name: shop, port: 80}
    filters:
    - type: ExtensionRef
      extensionRef: {group: auth.example.net, kind: Guard, name: strict}
  - name: checkout
    backendRefs:
    - {name: shop, port: 80}
    - {name: till, port: 80}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: door, namespace: web}
spec:
  gatewayClassName: lb
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: shop, namespace: web}
spec: {ports: [{port: 80}]}
`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("gwsim status text: a route condition points at the field its first problem names", () => {
  it("an extension filter at the filter; a missing backend of a named rule at the backendRef", async () => {
    let stdout = "";
    const io: Io = { ...nodeSource(dir), readStdin: async () => "", stdout: (t) => void (stdout += t), stderr: () => {}, stdin: Readable.from([""]), stderrIsTTY: false, env: {} };
    await statusCommand(["-f", "route.yaml"], io);
    const text = stdout.replace(/\n\s+/g, " ");
    expect(text).toContain("at route.yaml:13:7 (spec.rules[0].filters[0])");
    expect(text).not.toContain("(spec.parentRefs[0])");
  });

  it("a named rule's missing backend alone", async () => {
    writeFileSync(join(dir, "named.yaml"), `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: pay, namespace: web}
spec:
  parentRefs: [{name: door}]
  rules:
  - name: checkout
    backendRefs:
    - {name: till, port: 80}
`);
    let stdout = "";
    const io: Io = { ...nodeSource(dir), readStdin: async () => "", stdout: (t) => void (stdout += t), stderr: () => {}, stdin: Readable.from([""]), stderrIsTTY: false, env: {} };
    await statusCommand(["-f", "named.yaml", "-f", "route.yaml"], io);
    expect(stdout.replace(/\n\s+/g, " ")).toContain("at named.yaml:9:7 (spec.rules[0].backendRefs[0])");
  });
});
