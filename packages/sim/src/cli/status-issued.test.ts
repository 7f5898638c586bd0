import { describe, expect, it } from "vitest";
import { buildWorld, parseManifests, statusOf } from "@gwsim/core";
import { issuedHints, renderStatus } from "./status.js";

// A listener's certificate Secret cert-manager would create: status says why it is missing from
// the manifests and what to add, instead of only "not found".
const gateway = (annotations: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: edge
${annotations}
spec:
  gatewayClassName: lb
  listeners:
  - name: https
    protocol: HTTPS
    port: 443
    tls: {certificateRefs: [{name: web-tls}]}
`;
const CERTIFICATE = (namespace: string) => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web-cert, namespace: ${namespace}}
spec: {secretName: web-tls, issuerRef: {name: letsencrypt, kind: ClusterIssuer}}
`;

function render(docs: string[]): string {
  const parsed = parseManifests(docs.join("---\n"), { file: "edge.yaml" });
  const world = buildWorld(parsed.objects, { foreignObjects: parsed.skipped });
  return renderStatus(statusOf(world).items, world.objects, world.options.foreignObjects ?? []).replace(/\n\s+/g, " ");
}

describe("status: a certificate Secret cert-manager creates", () => {
  it.each([
    {
      case: "the Gateway has the cluster-issuer annotation",
      docs: [gateway("  annotations: {cert-manager.io/cluster-issuer: letsencrypt}")],
      hint: "hint: Gateway web has the cert-manager.io/cluster-issuer annotation: cert-manager creates this Secret in the cluster, which gwsim does not simulate; add a kubernetes.io/tls Secret edge/web-tls to the manifests to simulate the listeners that use it",
    },
    {
      case: "the Gateway has the issuer annotation",
      docs: [gateway("  annotations: {cert-manager.io/issuer: internal-ca}")],
      hint: "hint: Gateway web has the cert-manager.io/issuer annotation:",
    },
    {
      case: "a Certificate in the Secret's namespace",
      docs: [gateway(""), CERTIFICATE("edge")],
      hint: "hint: the manifests hold cert-manager Certificate(s) web-cert in edge: the one whose secretName is web-tls creates it in the cluster, which gwsim does not simulate; add a kubernetes.io/tls Secret edge/web-tls",
    },
  ])("$case: a hint under the condition", ({ docs, hint }) => {
    const text = render(docs);
    expect(text).toContain("ResolvedRefs=False (InvalidCertificateRef) certificateRefs[0]: Secret edge/web-tls not found");
    expect(text).toContain(hint);
  });

  it.each([
    { case: "no annotation and no Certificate", docs: [gateway("")] },
    { case: "a Certificate in another namespace", docs: [gateway(""), CERTIFICATE("other")] },
    { case: "another annotation", docs: [gateway("  annotations: {example.net/owner: team-a}")] },
  ])("$case: no hint", ({ docs }) => {
    expect(render(docs)).not.toContain("cert-manager");
  });

  it("only for missing Secrets, not Services or ConfigMaps", () => {
    const source = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "web", namespace: "edge", annotations: { "cert-manager.io/issuer": "ca" } } };
    expect(issuedHints("rule 0 backendRef 0: Service edge/web not found", source, [])).toEqual([]);
    expect(issuedHints("caCertificateRefs[0]: ConfigMap edge/ca not found", source, [])).toEqual([]);
    expect(issuedHints("certificateRefs[0]: Secret edge/web-tls not found", source, [])).toHaveLength(1);
  });
});
