import { describe, expect, it } from "vitest";
import { parseManifests } from "../manifest/parse.js";
import { buildWorld, decide, statusOf } from "../world.js";

// parametersRef to an implementation's own kind (like Envoy Gateway's EnvoyProxy or NGINX Gateway
// Fabric's NginxProxy): accepted when the manifests hold the object, InvalidParameters when not.

const CLASS = (params: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lb}
spec:
  controllerName: lb.example.net/controller
${params}
`;
const GATEWAY = (infra = "") => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: front, namespace: edge}
spec:
  gatewayClassName: lb
${infra}
  listeners: [{name: web, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: edge}
spec:
  parentRefs: [{name: front}]
  rules: [{backendRefs: [{name: shop-svc, port: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: shop-svc, namespace: edge}
spec: {ports: [{port: 8080}]}
`;
const TUNING = (meta: string, apiVersion = "proxy.example.net/v1beta2") => `apiVersion: ${apiVersion}
kind: ProxyTuning
metadata: ${meta}
spec: {workers: 4}
`;
const CLASS_REF = (namespace?: string, group = "proxy.example.net", kind = "ProxyTuning") =>
  `  parametersRef: {group: ${JSON.stringify(group)}, kind: ${kind}, name: tuned${namespace ? `, namespace: ${namespace}` : ""}}`;
const INFRA_REF = "  infrastructure: {parametersRef: {group: proxy.example.net, kind: ProxyTuning, name: tuned}}";

type Accepted = { status: string; reason: string; message: string };
function acceptedOf(docs: string[], kind: string, name: string): Accepted {
  const parsed = parseManifests(docs.join("---\n"), { file: "world.yaml" });
  const item = statusOf(buildWorld(parsed.objects, { foreignObjects: parsed.skipped })).items.find((i) => i.kind === kind && i.metadata.name === name);
  const conditions = (item?.status as { conditions?: (Accepted & { type: string })[] }).conditions ?? [];
  const accepted = conditions.find((c) => c.type === "Accepted");
  if (!accepted) throw new Error(`no Accepted condition on ${kind} ${name}`);
  return accepted;
}

describe("parametersRef to a kind gwsim does not read", () => {
  it.each([
    { case: "class ref with namespace, object there", docs: [CLASS(CLASS_REF("infra")), TUNING("{name: tuned, namespace: infra}")], status: "True", says: "not simulated" },
    { case: "class ref with namespace, object elsewhere", docs: [CLASS(CLASS_REF("infra")), TUNING("{name: tuned, namespace: other}")], status: "False", says: "ProxyTuning infra/tuned is not in the manifests" },
    { case: "class ref, object absent", docs: [CLASS(CLASS_REF("infra"))], status: "False", says: "is not in the manifests" },
    { case: "class ref without namespace (cluster-scoped), object without one", docs: [CLASS(CLASS_REF()), TUNING("{name: tuned}")], status: "True", says: "not simulated" },
    { case: "class ref to default, object without namespace (kubectl's default)", docs: [CLASS(CLASS_REF("default")), TUNING("{name: tuned}")], status: "True", says: "not simulated" },
    { case: "class ref without namespace, namespaced object", docs: [CLASS(CLASS_REF()), TUNING("{name: tuned, namespace: infra}")], status: "False", says: "ProxyTuning tuned is not in the manifests" },
    { case: "same kind and name, another group", docs: [CLASS(CLASS_REF("infra")), TUNING("{name: tuned, namespace: infra}", "other.example.org/v1")], status: "False", says: "not in the manifests" },
    { case: "a kind gwsim reads that holds no parameters", docs: [CLASS(CLASS_REF("infra", "", "Service"))], status: "False", says: "a Service cannot hold parameters" },
  ])("GatewayClass: $case → Accepted $status", ({ docs, status, says }) => {
    const accepted = acceptedOf(docs, "GatewayClass", "lb");
    expect(accepted.status).toBe(status);
    expect(accepted.reason).toBe(status === "True" ? "Accepted" : "InvalidParameters");
    expect(accepted.message).toContain(says);
  });

  it.each([
    { case: "object in the Gateway's namespace", tuning: "{name: tuned, namespace: edge}", status: "True", reason: "Accepted" },
    { case: "object in another namespace (the ref is local)", tuning: "{name: tuned, namespace: infra}", status: "False", reason: "InvalidParameters" },
  ])("Gateway infrastructure.parametersRef: $case → Accepted $status", ({ tuning, status, reason }) => {
    const accepted = acceptedOf([CLASS(""), GATEWAY(INFRA_REF), TUNING(tuning)], "Gateway", "front");
    expect(accepted).toMatchObject({ status, reason });
    if (status === "True") expect(accepted.message).toContain("spec.infrastructure.parametersRef proxy.example.net/ProxyTuning tuned");
  });

  it("routes through a Gateway whose class names present vendor parameters", () => {
    const parsed = parseManifests([CLASS(CLASS_REF("infra")), GATEWAY(), TUNING("{name: tuned, namespace: infra}")].join("---\n"));
    const world = buildWorld(parsed.objects, { foreignObjects: parsed.skipped });
    expect(decide(world, { gateway: "edge/front", host: "shop.test", path: "/" })).toMatchObject({ outcome: "forward", backend: { name: "shop-svc" } });
    // Without the skipped objects the reference is dangling, as before.
    expect(decide(buildWorld(parsed.objects), { gateway: "edge/front", host: "shop.test", path: "/" }).outcome).not.toBe("forward");
  });

  it("objects given to buildWorld as data count too (the vendor object among them)", () => {
    const objects = [
      { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "lb" }, spec: { controllerName: "lb.example.net/controller", parametersRef: { group: "proxy.example.net", kind: "ProxyTuning", name: "tuned", namespace: "infra" } } },
      { apiVersion: "proxy.example.net/v1beta2", kind: "ProxyTuning", metadata: { name: "tuned", namespace: "infra" }, spec: {} },
    ];
    const item = statusOf(buildWorld(objects)).items.find((i) => i.kind === "GatewayClass");
    expect((item?.status as { conditions: { type: string; status: string }[] }).conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True" }));
  });

  it("parse reports what it skipped, by identity, beside the note", () => {
    const r = parseManifests(`${TUNING("{name: tuned, namespace: infra}")}---\n${TUNING("{name: cluster-wide}")}`, { file: "t.yaml" });
    expect(r.skipped).toEqual([
      { apiVersion: "proxy.example.net/v1beta2", kind: "ProxyTuning", namespace: "infra", name: "tuned" },
      { apiVersion: "proxy.example.net/v1beta2", kind: "ProxyTuning", name: "cluster-wide" },
    ]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["manifest.unknown-kind", "manifest.unknown-kind"]);
  });
});
