/**
 * The Gateway's spec.tls.backend.clientCertificateRef, live: serve presents it to a backend that
 * requires a client certificate (BackendTLSPolicy connection), as conformance
 * GatewayTLSBackendClientCertificate expects; without it the backend refuses the handshake.
 */
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { request } from "./helpers/echo.js";
import { EXAMPLE_CERT, EXAMPLE_KEY } from "./helpers/example-cert.js";
import { backendTLS } from "./helpers/gateway-yaml.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function world(withClientCert: boolean): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gwsim}
spec: {controllerName: gwsim.dev/simulator}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: app}
spec:
  gatewayClassName: gwsim
${withClientCert ? "  tls: {backend: {clientCertificateRef: {name: gateway-client}}}\n" : ""}  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Secret
metadata: {name: gateway-client, namespace: app}
type: kubernetes.io/tls
data: {tls.crt: ${b64(EXAMPLE_CERT)}, tls.key: ${b64(EXAMPLE_KEY)}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: secure, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: mtls, port: 8443}]}]
---
apiVersion: v1
kind: Service
metadata: {name: mtls, namespace: app}
spec: {ports: [{name: https, port: 8443}]}
---
${backendTLS("mtls", "store.example.com", EXAMPLE_CERT)}`;
}

describe("serve: the Gateway's backend client certificate (spec.tls.backend.clientCertificateRef)", () => {
  let backend: https.Server;
  let address = "";
  const presented: string[] = [];
  const sni: (string | false | null)[] = [];
  const gateways: LiveGateway[] = [];

  beforeAll(async () => {
    // Requires a client certificate signed by the example CA (the example certificate is self-signed).
    backend = https.createServer({ cert: EXAMPLE_CERT, key: EXAMPLE_KEY, ca: EXAMPLE_CERT, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const socket = req.socket as TLSSocket;
      presented.push(String(socket.getPeerCertificate().subject?.CN ?? ""));
      sni.push(socket.servername);
      res.end("mtls ok");
    });
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    address = `127.0.0.1:${(backend.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close({ drainMs: 0 })));
    await new Promise((resolve) => backend.close(resolve));
  });

  async function serve(withClientCert: boolean): Promise<number> {
    const { objects, diagnostics } = parseManifests(world(withClientCert), { file: "mtls.yaml" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const built = buildWorld(objects);
    expect(built.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const gw = await startServe({ world: built, objects, endpoints: new Map([["app/mtls:8443", [address]]]), decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]) });
    gateways.push(gw);
    return gw.addresses()[0]!.address.port;
  }

  it("presents the Gateway's certificate: the backend that requires one answers", async () => {
    const before = presented.length;
    // A Host other than the policy's hostname: the policy's hostname is the SNI and the name checked.
    const res = await request(await serve(true), { path: "/", host: "shop.test" });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toBe("mtls ok");
    expect(presented.slice(before)).toEqual(["store.example.com"]);
    expect(sni.slice(before)).toEqual(["store.example.com"]);
  });

  it("a Gateway without one presents none: the backend refuses the handshake and the client gets a 5xx", async () => {
    const before = presented.length;
    const res = await request(await serve(false), { path: "/", host: "shop.test" });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(presented.length).toBe(before);
  });
});
