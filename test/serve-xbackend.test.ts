/**
 * XBackend, live: serve connects to the external hostname and port (here `localhost`, which DNS
 * resolves to 127.0.0.1) in cleartext, over h2c when spec.protocol is H2C, and over TLS as
 * spec.tls says: SNI and identity from validation.hostname, the CA from caCertificateRefs, the
 * client certificate for ClientAndServer, and no connection to a server it cannot verify.
 * A split mixes a Service (reached through its endpoints) with an XBackend.
 */
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { request } from "./helpers/echo.js";
import { EXAMPLE_CERT, EXAMPLE_KEY } from "./helpers/example-cert.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const indent = (pem: string) => pem.trim().split("\n").map((l) => `    ${l}`).join("\n");
const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;

interface Ports {
  plain: number;
  h2c: number;
  tls: number;
  mtls: number;
  h2: number;
}

function xbackend(name: string, p: number, extra = ""): string {
  return `apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackend
metadata: {name: ${name}, namespace: app}
spec:
  type: ExternalHostname
  port: {port: ${p}}
  externalHostname: {hostname: localhost}
${extra}`;
}

const validation = "    validation: {hostname: store.example.com, caCertificateRefs: [{group: \"\", kind: ConfigMap, name: store-ca}]}\n";

function world(p: Ports): string {
  const rule = (path: string, name: string) => `  - matches: [{path: {type: PathPrefix, value: /${path}}}]\n    backendRefs: [{group: gateway.networking.x-k8s.io, kind: XBackend, name: ${name}}]\n`;
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
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: egress, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
${rule("plain", "plain")}${rule("h2c", "h2c")}${rule("h2-tls", "secure-h2")}${rule("tls", "secure")}${rule("mtls", "mutual")}${rule("no-client-cert", "no-client-cert")}${rule("untrusted", "untrusted")}  - matches: [{path: {type: PathPrefix, value: /split}}]
    backendRefs:
    - {name: web, port: 80, weight: 1}
    - {group: gateway.networking.x-k8s.io, kind: XBackend, name: plain, weight: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{port: 80}]}
---
${xbackend("plain", p.plain)}---
${xbackend("h2c", p.h2c, "  protocol: H2C\n")}---
${xbackend("secure", p.tls, `  tls:\n    mode: ServerOnly\n${validation}`)}---
${xbackend("secure-h2", p.h2, `  protocol: HTTP2\n  tls:\n    mode: ServerOnly\n${validation}`)}---
${xbackend("mutual", p.mtls, `  tls:\n    mode: ClientAndServer\n    clientCertificateRef: {name: client}\n${validation}`)}---
${xbackend("no-client-cert", p.mtls, `  tls:\n    mode: ServerOnly\n${validation}`)}---
${xbackend("untrusted", p.tls, "  tls: {mode: ServerOnly}\n")}---
apiVersion: v1
kind: ConfigMap
metadata: {name: store-ca, namespace: app}
data:
  ca.crt: |
${indent(EXAMPLE_CERT)}
---
apiVersion: v1
kind: Secret
metadata: {name: client, namespace: app}
type: kubernetes.io/tls
data: {tls.crt: ${b64(EXAMPLE_CERT)}, tls.key: ${b64(EXAMPLE_KEY)}}
`;
}

describe("serve: XBackend (external hostname) backends", () => {
  const servers: { close(cb: () => void): unknown }[] = [];
  const seen: { server: string; host?: string; sni?: string | false | null; client?: string; version?: string }[] = [];
  let gw: LiveGateway;
  let front = 0;
  let ports: Ports & { svc: number };

  beforeAll(async () => {
    const listen = async <S extends http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer>(s: S): Promise<S> => {
      await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
      servers.push(s);
      return s;
    };
    const plain = await listen(http.createServer((req, res) => (seen.push({ server: "plain", host: req.headers.host }), res.end("plain"))));
    const svc = await listen(http.createServer((_req, res) => (seen.push({ server: "service" }), res.end("service"))));
    const h2c = await listen(
      http2.createServer((req, res) => {
        seen.push({ server: "h2c", version: req.httpVersion });
        res.end("h2c");
      }),
    );
    const h2 = await listen(
      http2.createSecureServer({ cert: EXAMPLE_CERT, key: EXAMPLE_KEY }, (req, res) => {
        seen.push({ server: "h2", version: req.httpVersion, sni: (req.socket as unknown as TLSSocket).servername });
        res.end("h2");
      }),
    );
    const tls = await listen(
      https.createServer({ cert: EXAMPLE_CERT, key: EXAMPLE_KEY }, (req, res) => {
        seen.push({ server: "tls", sni: (req.socket as TLSSocket).servername });
        res.end("tls");
      }),
    );
    const mtls = await listen(
      https.createServer({ cert: EXAMPLE_CERT, key: EXAMPLE_KEY, ca: EXAMPLE_CERT, requestCert: true, rejectUnauthorized: true }, (req, res) => {
        const socket = req.socket as TLSSocket;
        seen.push({ server: "mtls", sni: socket.servername, client: String(socket.getPeerCertificate().subject?.CN ?? "") });
        res.end("mtls");
      }),
    );
    ports = { plain: port(plain), h2c: port(h2c), tls: port(tls), mtls: port(mtls), h2: port(h2), svc: port(svc) };
    const { objects, diagnostics } = parseManifests(world(ports), { file: "xbackend.yaml" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const built = buildWorld(objects);
    expect(built.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // Only the Service has endpoints: XBackends never read this table.
    gw = await startServe({ world: built, objects, endpoints: new Map([["app/web:80", [`127.0.0.1:${port(svc)}`]]]), decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]) });
    front = gw.addresses()[0]!.address.port;
  });

  afterAll(async () => {
    await gw?.close({ drainMs: 0 });
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve(undefined)))));
  });

  const last = (server: string) => seen.filter((s) => s.server === server).at(-1);

  it("forwards in cleartext to localhost:port, with the client's Host", async () => {
    const res = await request(front, { path: "/plain", host: "egress.test" });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toBe("plain");
    expect(last("plain")?.host).toBe("egress.test");
  });

  it("speaks HTTP/2 with prior knowledge when spec.protocol is H2C", async () => {
    const res = await request(front, { path: "/h2c", host: "egress.test" });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toBe("h2c");
    expect(last("h2c")?.version).toBe("2.0");
  });

  it("HTTP2 over TLS: ALPN h2 to a server that speaks only HTTP/2", async () => {
    const res = await request(front, { path: "/h2-tls", host: "egress.test" });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toBe("h2");
    expect(last("h2")).toMatchObject({ version: "2.0", sni: "store.example.com" });
  });

  it("ServerOnly: TLS with validation.hostname as SNI, verified against the CA ConfigMap", async () => {
    const res = await request(front, { path: "/tls", host: "egress.test" });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toBe("tls");
    expect(last("tls")?.sni).toBe("store.example.com");
  });

  it("ClientAndServer: presents the clientCertificateRef Secret to a server that requires one", async () => {
    const res = await request(front, { path: "/mtls", host: "egress.test" });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toBe("mtls");
    expect(last("mtls")).toMatchObject({ sni: "store.example.com", client: "store.example.com" });
  });

  it("ServerOnly to a server that requires a client certificate: the handshake fails, the client gets a 5xx", async () => {
    const before = seen.length;
    const res = await request(front, { path: "/no-client-cert", host: "egress.test" });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(seen.length).toBe(before);
  });

  it("no validation: SNI localhost, system CAs; a self-signed server is not trusted (5xx, nothing reaches it)", async () => {
    const before = seen.length;
    const res = await request(front, { path: "/untrusted", host: "egress.test" });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(seen.length).toBe(before);
  });

  it("a split sends to both the Service's endpoint and the XBackend", async () => {
    const before = seen.length;
    for (let i = 0; i < 24; i++) expect((await request(front, { path: "/split", host: "egress.test" })).status).toBe(200);
    const hits = seen.slice(before).map((s) => s.server);
    expect(hits.filter((h) => h === "service").length).toBeGreaterThan(0);
    expect(hits.filter((h) => h === "plain").length).toBeGreaterThan(0);
    expect(hits.filter((h) => h !== "service" && h !== "plain")).toEqual([]);
  });

  // Last: it changes the world in force.
  it("a reload that moves the XBackend to another port sends its traffic there", async () => {
    const { objects } = parseManifests(world({ ...ports, plain: ports.svc }), { file: "xbackend.yaml" });
    const result = await gw.reload(buildWorld(objects), objects, new Map([["app/web:80", [`127.0.0.1:${ports.svc}`]]]));
    expect(result.problems).toEqual([]);
    const res = await request(front, { path: "/plain", host: "egress.test" });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toBe("service");
  });
});
