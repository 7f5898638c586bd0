/**
 * Which XBackendTrafficPolicy session a rule takes, worked out at compile time
 * (compile/backend-traffic.ts), with what decide then does with it: XBackend targets, equal
 * configs shared, different configs not applied, inline configs overriding, streams untouched.
 */
import { describe, expect, it } from "vitest";
import { parseManifests } from "../manifest/parse.js";
import { buildWorld } from "../world.js";
import { decide } from "../decide/index.js";
import { encodeSessionToken } from "../decide/session.js";

const X = "gateway.networking.x-k8s.io";

const BASE = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gwsim}
spec: {controllerName: gwsim.dev/simulator}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gwsim
  listeners: [{name: http, port: 80, protocol: HTTP}, {name: tcp, port: 9000, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: ns}
spec: {ports: [{port: 8080}]}
---
apiVersion: ${X}/v1alpha1
kind: XBackend
metadata: {name: ext, namespace: ns}
spec: {type: ExternalHostname, port: {port: 8080}, externalHostname: {hostname: ext.example.com}, tls: {mode: None}}
`;

const policy = (name: string, targets: string, session: string) => `---
apiVersion: ${X}/v1alpha1
kind: XBackendTrafficPolicy
metadata: {name: ${name}, namespace: ns}
spec:
  targetRefs: ${targets}
  sessionPersistence: ${session}
`;

const route = (backends: string, extra = "") => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules:
  - backendRefs: ${backends}
${extra}`;

function world(text: string) {
  const { objects, diagnostics } = parseManifests(BASE + text, { file: "w.yaml" });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const w = buildWorld(objects);
  expect(w.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return w;
}

const svcA = `{group: "", kind: Service, name: a}`;
const svcB = `{group: "", kind: Service, name: b}`;
const ext = `{group: ${X}, kind: XBackend, name: ext}`;

describe("policy sessions per rule", () => {
  it.each([
    {
      what: "an XBackend target and a Service with equal configs (keys in another order) share one session",
      text: policy("pa", `[${svcA}]`, "{sessionName: s, absoluteTimeout: 1h}") + policy("px", `[${ext}]`, "{absoluteTimeout: 1h, sessionName: s}") + route(`[{name: a, port: 8080}, {group: ${X}, kind: XBackend, name: ext}]`),
      want: { policy: "ns/pa", backends: [true, true], ignored: [], overridden: false },
    },
    {
      what: "different configs: the first backendRef's policy is the rule's, the other is not applied",
      text: policy("pa", `[${svcA}]`, "{sessionName: s}") + policy("pb", `[${svcB}]`, "{sessionName: t}") + route(`[{name: b, port: 8080}, {name: a, port: 8080}]`),
      want: { policy: "ns/pb", backends: [true, false], ignored: ["ns/pa"], overridden: false },
    },
    {
      what: "the rule's own sessionPersistence: kept, marked overridden",
      text: policy("pa", `[${svcA}]`, "{sessionName: s}") + route(`[{name: a, port: 8080}]`, "    sessionPersistence: {sessionName: mine}\n"),
      want: { policy: "ns/pa", backends: [true], ignored: [], overridden: true },
    },
    {
      what: "a policy without sessionPersistence gives none",
      text: `---\napiVersion: ${X}/v1alpha1\nkind: XBackendTrafficPolicy\nmetadata: {name: pr, namespace: ns}\nspec: {targetRefs: [${svcA}], retryConstraint: {}}\n` + route(`[{name: a, port: 8080}]`),
      want: null,
    },
  ])("$what", ({ text, want }) => {
    const w = world(text);
    const rule = w.table.rules[0]!;
    if (want === null) expect(rule.policySession).toBeUndefined();
    else expect(rule.policySession).toMatchObject(want);
  });

  it("decide: a token for the XBackend pins it under the rule's session; the other config's backend never pins", () => {
    const w = world(policy("pa", `[${svcA}]`, "{sessionName: s}") + policy("px", `[${ext}]`, "{sessionName: s}") + policy("pb", `[${svcB}]`, "{sessionName: t}") +
      route(`[{name: a, port: 8080, weight: 1}, {group: ${X}, kind: XBackend, name: ext, weight: 0}, {name: b, port: 8080, weight: 0}]`));
    const fresh = decide(w, { gateway: "ns/gw", host: "h", path: "/" }, { seed: 1, index: 0, explain: true });
    expect(fresh.sessionSource).toEqual({ from: "policy", policy: "ns/pa", overrides: [] });
    const name = fresh.session!.name;
    expect(name).toMatch(/^s-[0-9a-f]{12}$/);
    const token = (backend: { group: string; kind: string; name: string }) => encodeSessionToken({ backend: { ...backend, namespace: "ns", port: 8080 }, issuedAtMs: 0 });
    const toExt = decide(w, { gateway: "ns/gw", host: "h", path: "/", headers: { cookie: `${name}=${token({ group: X, kind: "XBackend", name: "ext" })}` } }, { seed: 1, index: 0 });
    expect(toExt.backend).toMatchObject({ kind: "XBackend", name: "ext" });
    expect(toExt.session).toMatchObject({ presented: "valid", pinned: true });
    const toB = decide(w, { gateway: "ns/gw", host: "h", path: "/", headers: { cookie: `${name}=${token({ group: "", kind: "Service", name: "b" })}` } }, { seed: 1, index: 0, explain: true });
    expect(toB.backend?.name).toBe("a");
    expect(toB.session).toMatchObject({ presented: "unknown", pinned: false });
    expect(toB.explain).toEqual(expect.arrayContaining([expect.stringMatching(/token names ns\/b:8080, which has no session persistence in this rule: ignored/)]));
  });

  it("stream routes take no session from policies", () => {
    const w = world(policy("pa", `[${svcA}]`, "{sessionName: s}") + `---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: t, namespace: ns}
spec:
  parentRefs: [{name: gw, sectionName: tcp}]
  rules: [{backendRefs: [{name: a, port: 8080}]}]
`);
    const d = decide(w, { gateway: "ns/gw", scheme: "tcp", port: 9000 }, { seed: 1, index: 0 });
    expect(d.outcome).toBe("forward");
    expect(d.sessionPersistence).toBeNull();
    expect(d.session).toBeUndefined();
    expect(d.sessionSource).toBeUndefined();
  });
});
