/**
 * XBackend through the CLI: `validate` reports the CRD's CEL rules at file:line:col, `status`
 * lists XBackends with their parents (and apart, those no route references), `route --json`
 * names the XBackend's hostname, port, protocol and TLS.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const WORLD = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gwsim}
spec: {controllerName: gwsim.dev/simulator}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: app}
spec:
  gatewayClassName: gwsim
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackend
metadata: {name: payments, namespace: app}
spec:
  type: ExternalHostname
  port: {port: 443}
  externalHostname: {hostname: pay.example.com}
  protocol: HTTP2
  tls: {mode: ServerOnly}
---
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackend
metadata: {name: idle, namespace: app}
spec: {type: ExternalHostname, port: {port: 443}, externalHostname: {hostname: idle.example.com}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: pay, namespace: app}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{group: gateway.networking.x-k8s.io, kind: XBackend, name: payments}]
`;

const BROKEN = `apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackend
metadata: {name: internal, namespace: app}
spec:
  type: ExternalHostname
  port: {port: 443}
  externalHostname:
    hostname: api.app.svc.cluster.local
  tls:
    mode: ClientAndServer
`;

describe("gwsim with XBackends", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "gwsim-xbackend-"));
    writeFileSync(join(dir, "world.yaml"), WORLD);
    writeFileSync(join(dir, "broken.yaml"), BROKEN);
    writeFileSync(join(dir, "requests.jsonl"), `${JSON.stringify({ id: 1, gateway: "app/gw", host: "shop.test", path: "/charge" })}\n`);
  });

  it("validate: each CEL rule at its file:line:col, exit 1; a valid XBackend passes", async () => {
    const bad = await runCli(["validate", "-f", "broken.yaml"], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toEqual([
      "gwsim: broken.yaml:8:15: spec.externalHostname.hostname: hostname must not be an IP address or end with .cluster.local",
      "gwsim: broken.yaml:9:3: spec.tls: clientCertificateRef must be set if and only if mode is ClientAndServer",
    ]);
    const good = await runCli(["validate", "-f", "world.yaml"], { cwd: dir });
    expect(good.stderr).toBe("");
    expect(good.code).toBe(0);
  });

  it("status: parents per Gateway with Accepted; unreferenced XBackends listed apart", async () => {
    const json = await runCli(["status", "-f", "world.yaml", "--json"], { cwd: dir });
    const items = (JSON.parse(json.stdout) as { items: { kind: string; metadata: { name: string }; status: Record<string, unknown> }[] }).items;
    const payments = items.find((i) => i.kind === "XBackend" && i.metadata.name === "payments");
    expect(payments?.status).toEqual({
      parents: [
        {
          controllerName: "gwsim.dev/simulator",
          parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "app", name: "gw" },
          conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "connects to pay.example.com:443 over TLS (ServerOnly, SNI pay.example.com)", observedGeneration: 1 }],
        },
      ],
    });
    expect(items.find((i) => i.metadata.name === "idle")?.status).toEqual({});
    const text = await runCli(["status", "-f", "world.yaml"], { cwd: dir });
    expect(text.stdout).toContain("  ok  XBackend app/payments");
    expect(text.stdout).toMatch(/XBackends no accepted route references \(no parents\):\n {2}- {3}XBackend app\/idle\n/);
  });

  it("route --json: the decision's backend is the XBackend with its hostname, protocol and TLS", async () => {
    const r = await runCli(["route", "-f", "world.yaml", "--requests", "requests.jsonl", "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    expect(d).toMatchObject({
      id: 1,
      outcome: "forward",
      backend: {
        group: "gateway.networking.x-k8s.io",
        kind: "XBackend",
        namespace: "app",
        name: "payments",
        port: 443,
        hostname: "pay.example.com",
        protocol: "HTTP2",
        tls: { mode: "ServerOnly", sni: "pay.example.com", caCertificateRefs: [], wellKnownCACertificates: "System", subjectAltNames: [], clientCertificate: null },
      },
      backendTLS: null,
    });
    const text = await runCli(["route", "-f", "world.yaml", "--requests", "requests.jsonl"], { cwd: dir });
    expect(text.stdout).toContain("→ XBackend.gateway.networking.x-k8s.io app/payments:443 [pay.example.com, TLS]");
  });
});
