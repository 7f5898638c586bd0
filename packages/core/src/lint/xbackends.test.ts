/**
 * Lint findings about XBackends and XBackendTrafficPolicies, each row a world, what decide (or
 * resolve's status) does with it, and what lint must say.
 */
import { describe, expect, it } from "vitest";
import { worldFrom } from "../testing/world-from.js";
import { decide } from "../world.js";
import { lint } from "./index.js";

const X = "gateway.networking.x-k8s.io";

const BASE = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns}
spec: {ports: [{port: 80}]}
`;

const xbackend = (name: string, ns: string, extra = "") => `
---
apiVersion: ${X}/v1alpha1
kind: XBackend
metadata: {name: ${name}, namespace: ${ns}}
spec:
  type: ExternalHostname
  externalHostname: {hostname: api.example.com}
  port: {port: 443}
${extra}`;

const TLS = "  tls: {mode: ServerOnly, validation: {hostname: api.example.com, wellKnownCACertificates: System}}";

const route = (rule: string, ns = "ns") => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ${ns}}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - ${rule}`;

const policy = (name: string, targets: string, created = "2026-01-01T00:00:00Z", ns = "ns") => `
---
apiVersion: ${X}/v1alpha1
kind: XBackendTrafficPolicy
metadata: {name: ${name}, namespace: ${ns}, creationTimestamp: "${created}"}
spec:
  targetRefs: ${targets}
  sessionPersistence: {sessionName: s}`;

const of = (text: string, rule: string) => {
  const w = worldFrom(text);
  expect(w.problems).toEqual([]);
  return { w, found: lint(w).filter((f) => f.rule === rule) };
};

describe("xbackend-without-tls", () => {
  it.each([
    { title: "no spec.tls", extra: "", want: ["warning spec"] },
    { title: "tls.mode None", extra: "  tls: {mode: None}", want: ["info spec.tls.mode"] },
    { title: "ServerOnly", extra: TLS, want: [] },
  ])("$title → $want", ({ extra, want }) => {
    const { w, found } = of(BASE + xbackend("x", "ns", extra) + route(`backendRefs: [{group: ${X}, kind: XBackend, name: x}]`), "xbackend-without-tls");
    expect(found.map((f) => `${f.severity} ${f.path}`)).toEqual(want);
    // The claim: the decision connects in cleartext exactly when lint says so.
    const d = decide(w, { gateway: "infra/gw", host: "h", path: "/" });
    expect(d.backend?.tls === null).toBe(want.length > 0);
  });

  it("the fix spells out a tls stanza for the hostname", () => {
    const { found } = of(BASE + xbackend("x", "ns"), "xbackend-without-tls");
    expect(found[0]!.fix).toContain("validation: {hostname: api.example.com");
    expect(found[0]!.message).toContain("api.example.com:443 in cleartext");
  });
});

describe("backend-port-not-found and backend-ref-not-permitted for XBackends", () => {
  const ref = (extra: string) => `backendRefs: [{group: ${X}, kind: XBackend, name: x${extra}}]`;
  it.each([
    { title: "port unset takes spec.port", rule: ref(""), status: null, want: [] },
    { title: "port equal to spec.port", rule: ref(", port: 443"), status: null, want: [] },
    { title: "another port", rule: ref(", port: 80"), status: 500, want: ["backend-port-not-found error spec.rules[0].backendRefs[0].port"] },
    { title: "another namespace", rule: ref(", namespace: other"), status: 500, want: ["backend-ref-not-permitted error spec.rules[0].backendRefs[0].namespace"] },
    { title: "another namespace, XBackend not in the manifests", rule: `backendRefs: [{group: ${X}, kind: XBackend, name: nowhere, namespace: other}]`, status: 500, want: ["backend-ref-not-permitted error spec.rules[0].backendRefs[0].namespace"] },
    { title: "same namespace, XBackend not in the manifests (kept elsewhere)", rule: `backendRefs: [{group: ${X}, kind: XBackend, name: nowhere, port: 80}]`, status: 500, want: [] },
    {
      title: "a mirror to another port: nothing mirrored",
      rule: `backendRefs: [{name: a, port: 80}]\n    filters: [{type: RequestMirror, requestMirror: {backendRef: {group: ${X}, kind: XBackend, name: x, port: 80}}}]`,
      status: null,
      want: ["backend-port-not-found warning spec.rules[0].filters[0].requestMirror.backendRef.port"],
    },
  ])("$title → $want", ({ rule, status, want }) => {
    const text = BASE + xbackend("x", "ns", TLS) + xbackend("x", "other", TLS) + route(rule);
    const w = worldFrom(text);
    expect(w.problems).toEqual([]);
    expect(decide(w, { gateway: "infra/gw", host: "h", path: "/" }).status).toBe(status);
    const got = lint(w).filter((f) => f.rule === "backend-port-not-found" || f.rule === "backend-ref-not-permitted");
    expect(got.map((f) => `${f.rule} ${f.severity} ${f.path}`)).toEqual(want);
  });

  it("the port fix names spec.port; the namespace fix says a grant does not help, even when one is written", () => {
    const grant = `
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ns}]
  to: [{group: ${X}, kind: XBackend}]`;
    const port = of(BASE + xbackend("x", "ns", TLS) + route(ref(", port: 80")), "backend-port-not-found").found[0]!;
    expect(port.fix).toBe("set port: 443, or leave the backendRef's port out (it then takes the XBackend's spec.port)");
    expect(port.related.map((r) => r.path)).toEqual(["spec.port"]);
    const w = worldFrom(BASE + xbackend("x", "other", TLS) + route(ref(", namespace: other")) + grant);
    expect(w.problems).toEqual([]);
    const ns = lint(w).find((f) => f.rule === "backend-ref-not-permitted")!;
    expect(ns.message).toContain("ReferenceGrant other/g does not change that");
    expect(ns.fix).toContain("create the XBackend in namespace ns");
    // The grant permits nothing: grant-unused says so, and why.
    const unused = lint(w).filter((f) => f.rule === "grant-unused");
    expect(unused).toHaveLength(1);
    expect(unused[0]!.message).toContain("GEP-4894");
  });
});

describe("grant-unused with XBackends", () => {
  it("a grant for an XBackend's client certificate Secret in another namespace is used", () => {
    const text =
      BASE +
      xbackend("x", "ns", "  tls: {mode: ClientAndServer, clientCertificateRef: {name: client, namespace: certs}, validation: {hostname: api.example.com, wellKnownCACertificates: System}}") +
      `
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: certs, namespace: certs}
spec:
  from: [{group: ${X}, kind: XBackend, namespace: ns}]
  to: [{group: "", kind: Secret}]`;
    expect(of(text, "grant-unused").found).toEqual([]);
  });
});

describe("backend-traffic-policy-not-applied", () => {
  const status = (w: ReturnType<typeof worldFrom>, name: string) => {
    const item = w.graph.status.find((s) => s.kind === "XBackendTrafficPolicy" && s.metadata.name === name)!;
    const anc = (item.status as { ancestors: { conditions: { type: string; reason: string }[] }[] }).ancestors;
    return anc[0]!.conditions.find((c) => c.type === "Accepted")!.reason;
  };

  it.each([
    { title: "a Service that exists", targets: "[{group: '', kind: Service, name: a}]", reason: "Accepted", want: [] },
    { title: "an XBackend that exists", targets: `[{group: ${X}, kind: XBackend, name: x}]`, reason: "Accepted", want: [] },
    { title: "a Service missing", targets: "[{group: '', kind: Service, name: gone}]", reason: "TargetNotFound", want: ["spec.targetRefs[0] TargetNotFound"] },
    { title: "an XBackend in the core group", targets: "[{group: '', kind: XBackend, name: x}]", reason: "TargetNotFound", want: ["spec.targetRefs[0] TargetNotFound"] },
    { title: "one of two missing", targets: "[{group: '', kind: Service, name: a}, {group: '', kind: Service, name: gone}]", reason: "Accepted", want: ["spec.targetRefs[1] other targets"] },
  ])("$title → $want", ({ targets, reason, want }) => {
    const { w, found } = of(BASE + xbackend("x", "ns", TLS) + policy("p", targets), "backend-traffic-policy-not-applied");
    expect(status(w, "p")).toBe(reason);
    expect(found.map((f) => `${f.path} ${f.message.includes("TargetNotFound") ? "TargetNotFound" : "other targets"}`)).toEqual(want);
    for (const f of found) expect(f.severity).toBe("warning");
  });

  it("the policy that loses a conflict is reported, naming the older one (creationTimestamp first, then namespace/name)", () => {
    const text =
      BASE +
      xbackend("x", "ns", TLS) +
      policy("zz-old", `[{group: ${X}, kind: XBackend, name: x}]`, "2026-01-01T00:00:00Z") +
      policy("aa-new", `[{group: '', kind: Service, name: a}, {group: ${X}, kind: XBackend, name: x}]`, "2026-02-01T00:00:00Z");
    const { w, found } = of(text, "backend-traffic-policy-not-applied");
    expect(status(w, "aa-new")).toBe("Conflicted");
    expect(status(w, "zz-old")).toBe("Accepted");
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f.object).toEqual({ kind: "XBackendTrafficPolicy", namespace: "ns", name: "aa-new" });
    expect(f.path).toBe("spec.targetRefs[1]");
    expect(f.message).toContain("older XBackendTrafficPolicy ns/zz-old");
    expect(f.related.map((r) => `${r.object.name} ${r.path}`)).toEqual(["zz-old spec.targetRefs[0]"]);
    // The loser applies nowhere: a rule to Service a gets no policy session (alone, it would).
    const req = { gateway: "infra/gw", host: "h", path: "/" };
    expect(decide(worldFrom(text + route("backendRefs: [{name: a, port: 80}]")), req).session ?? null).toBeNull();
    const alone = BASE + policy("aa-new", "[{group: '', kind: Service, name: a}]") + route("backendRefs: [{name: a, port: 80}]");
    expect(decide(worldFrom(alone), req).session).toMatchObject({ type: "Cookie" });
  });

  it("same creationTimestamp: namespace/name decides; the later name is reported", () => {
    const text = BASE + policy("b", "[{group: '', kind: Service, name: a}]") + policy("a", "[{group: '', kind: Service, name: a}]");
    const { w, found } = of(text, "backend-traffic-policy-not-applied");
    expect(status(w, "b")).toBe("Conflicted");
    expect(found.map((f) => `${f.object.name}: ${f.message.includes("ns/a ") ? "names a" : "?"}`)).toEqual(["b: names a"]);
  });

  it("a policy that fails validation is left out (validate reports it), as lint leaves out every such document", () => {
    const text = BASE + policy("ok", "[{group: '', kind: Service, name: a}]") + policy("bad", "[{group: '', kind: Service, name: a}, {group: '', kind: Service, name: gone}]", "2026-02-01T00:00:00Z").replace("sessionPersistence: {sessionName: s}", "retryConstraint: {budget: {interval: 2h}}");
    const w = worldFrom(text);
    expect(w.problems.map((d) => d.code)).toEqual(["cel.retry-budget-interval"]);
    expect(lint(w).filter((f) => f.rule === "backend-traffic-policy-not-applied")).toEqual([]);
  });

  it("without the objects nothing is reported (the graph keeps only accepted policies)", () => {
    const w = worldFrom(BASE + policy("p", "[{group: '', kind: Service, name: gone}]"));
    expect(lint({ ...w, objects: [] }).filter((f) => f.rule === "backend-traffic-policy-not-applied")).toEqual([]);
  });
});

describe("xbackend-not-accepted", () => {
  const use = route(`backendRefs: [{group: ${X}, kind: XBackend, name: x}]`);
  const ca = (kind: string, name: string) => `  tls: {mode: ServerOnly, validation: {hostname: api.example.com, caCertificateRefs: [{group: '', kind: ${kind}, name: ${name}}]}}`;
  const ipBackend = xbackend("x", "ns", TLS).replace("hostname: api.example.com}", "hostname: 192.0.2.10}");
  it.each([
    { title: "accepted", text: BASE + xbackend("x", "ns", TLS) + use, status: null, want: [] },
    { title: "an IP address as hostname, routed to", text: BASE + ipBackend + use, status: 500, want: ["error spec.externalHostname.hostname"] },
    { title: "an IP address as hostname, no route", text: BASE + ipBackend, status: 404, want: ["warning spec.externalHostname.hostname"] },
    { title: "a CA ref of another kind", text: BASE + xbackend("x", "ns", ca("Pod", "ca")) + use, status: 500, want: ["error spec.tls.validation"] },
    { title: "a CA ConfigMap missing from the manifests (kept elsewhere)", text: BASE + xbackend("x", "ns", ca("ConfigMap", "ca")) + use, status: 500, want: [] },
  ])("$title → $want", ({ text, status, want }) => {
    const w = worldFrom(text);
    expect(w.problems).toEqual([]);
    const d = decide(w, { gateway: "infra/gw", host: "h", path: "/" });
    expect(d.status).toBe(status);
    if (status === 500) expect(d.reason).toBe("InvalidXBackend");
    expect(lint(w).filter((f) => f.rule === "xbackend-not-accepted").map((f) => `${f.severity} ${f.path}`)).toEqual(want);
  });
});
