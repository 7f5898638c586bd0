/**
 * A TLS listener in Terminate mode through `gwsim serve` with the real core deciding: the gateway
 * terminates TLS and relays the plaintext stream, to the TLSRoute whose hostname matches the SNI,
 * else to the TCPRoute attached to the listener (docs/decisions.md "TCPRoute on a TLS listener").
 * An HTTPS listener on the same port still reads HTTP inside. Real sockets on 127.0.0.1.
 */
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type Decision } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { EXAMPLE_CERT, EXAMPLE_KEY } from "./helpers/example-cert.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

const service = (name: string, port: number) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: infra}
spec: {ports: [{name: p, port: ${port}}]}
`;

const WORLD = `${edgeGateway(`
  - {name: web, port: 443, protocol: HTTPS, hostname: www.example.com, tls: {certificateRefs: [{name: cert}]}}
  - {name: streams, port: 443, protocol: TLS, hostname: "*.example.com", tls: {mode: Terminate, certificateRefs: [{name: cert}]}}`, "infra")}
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: infra}
type: kubernetes.io/tls
data: {tls.crt: ${b64(EXAMPLE_CERT)}, tls.key: ${b64(EXAMPLE_KEY)}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: web}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: cache, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: streams}]
  hostnames: [cache.example.com]
  rules: [{backendRefs: [{name: cache, port: 6379}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: db, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: streams}]
  rules: [{backendRefs: [{name: db, port: 5432}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: vault, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: streams}]
  hostnames: [vault.example.com]
  rules: [{backendRefs: [{name: vault, port: 8200}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: vault-ca, namespace: infra}
data:
  ca.crt: |
${EXAMPLE_CERT.trim().split("\n").map((l) => `    ${l}`).join("\n")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: vault-tls, namespace: infra}
spec:
  targetRefs: [{group: "", kind: Service, name: vault}]
  validation:
    caCertificateRefs: [{group: "", kind: ConfigMap, name: vault-ca}]
    hostname: vault.internal
${service("web", 80)}${service("cache", 6379)}${service("db", 5432)}${service("vault", 8200)}`;

describe("serve: TLS Terminate listener relays TLSRoute and TCPRoute streams (real core)", () => {
  let gw: LiveGateway;
  let port = 0;
  const servers: (net.Server | http.Server)[] = [];
  const sockets = new Set<net.Socket>();
  const records: { decision: Decision }[] = [];

  /** A plaintext stream echo that names itself: what a terminated stream's backend receives. */
  async function echo(name: string): Promise<string> {
    const server = net.createServer((s) => {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      s.on("error", () => undefined);
      s.on("data", (d: Buffer) => s.write(`${name}:${d.toString()}`));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  beforeAll(async () => {
    const { objects, diagnostics } = parseManifests(WORLD, { file: "tls-terminate.yaml" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const world = buildWorld(objects);
    const web = http.createServer((req, res) => res.end(`web ${req.url}`));
    servers.push(web);
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", () => r()));
    const endpoints = new Map<string, string[]>([
      ["infra/web:80", [`127.0.0.1:${(web.address() as net.AddressInfo).port}`]],
      ["infra/cache:6379", [await echo("cache")]],
      ["infra/db:5432", [await echo("db")]],
      ["infra/vault:8200", [await echo("vault")]],
    ]);
    gw = await startServe({ world, objects, endpoints, decide, listen: new Map([["443", { host: "127.0.0.1", port: 0 }]]), record: (line) => void records.push(JSON.parse(line)) });
    port = gw.addresses().find((a) => a.port === 443)!.address.port;
  });

  afterAll(async () => {
    await gw?.close({ drainMs: 0 });
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
  });

  /** A TLS connection with `servername` (and ALPN as a browser offers it): one line out, the answer back. */
  function exchange(servername: string): Promise<string> {
    return new Promise((resolve) => {
      const s = tls.connect({ port, host: "127.0.0.1", servername, rejectUnauthorized: false, ALPNProtocols: ["h2", "http/1.1"] });
      const timer = setTimeout(() => (s.destroy(), resolve("timeout")), 3000);
      s.once("secureConnect", () => s.write("hello"));
      s.once("data", (d: Buffer) => {
        clearTimeout(timer);
        s.destroy();
        resolve(d.toString());
      });
      s.once("error", () => (clearTimeout(timer), resolve("refused")));
      s.once("close", () => (clearTimeout(timer), resolve("refused")));
    });
  }

  it("the TLSRoute matching the SNI gets the decrypted stream; any other name goes to the TCPRoute", async () => {
    expect(await exchange("cache.example.com")).toBe("cache:hello");
    expect(await exchange("other.example.com")).toBe("db:hello");
    const kinds = records.map((r) => [r.decision.route?.kind, r.decision.route?.name, r.decision.forwarded, r.decision.tls]);
    expect(kinds).toEqual([
      ["TLSRoute", "cache", null, { mode: "Terminate", sni: "cache.example.com" }],
      ["TCPRoute", "db", null, { mode: "Terminate", sni: "other.example.com" }],
    ]);
  });

  it("the HTTPS listener on the same port still serves HTTP", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ port, host: "127.0.0.1", path: "/x", headers: { host: "www.example.com" }, createConnection: () => tls.connect({ port, host: "127.0.0.1", servername: "www.example.com", rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }) }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.end();
    });
    expect(body).toBe("web /x");
  });

  it("a stream a BackendTLSPolicy would re-encrypt is refused, not relayed in cleartext", async () => {
    const before = records.length;
    expect(await exchange("vault.example.com")).toBe("refused");
    expect(records.slice(before).map((r) => [r.decision.route?.name, r.decision.backendTLS?.policy])).toEqual([["vault", "infra/vault-tls"]]);
  });

  it("a name no listener takes fails the handshake", async () => {
    expect(await exchange("db.example.org")).toBe("refused");
  });
});
