/**
 * TLS passthrough, TCP and UDP through `gwsim serve` with the real core deciding (TLSRoute,
 * TCPRoute, UDPRoute): the SNI of the ClientHello picks the TLSRoute and the backend terminates
 * TLS itself; TCP connections split by weight exactly as the core draws each one; UDP flows reach
 * the UDPRoute's backend; connections the core rejects are closed. Real sockets on 127.0.0.1.
 */
import dgram from "node:dgram";
import net from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type Decision } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { EXAMPLE_CERT, EXAMPLE_KEY } from "./helpers/example-cert.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";

const CERT = EXAMPLE_CERT;
const KEY = EXAMPLE_KEY;

const service = (name: string, port: number, protocol = "TCP") => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: infra}
spec: {ports: [{name: p, port: ${port}, protocol: ${protocol}}]}
`;

const WORLD = `${edgeGateway(`
  - {name: pass, port: 443, protocol: TLS, hostname: "*.pass.example.com", tls: {mode: Passthrough}, allowedRoutes: {kinds: [{kind: TLSRoute}]}}
  - {name: db, port: 9000, protocol: TCP, allowedRoutes: {kinds: [{kind: TCPRoute}]}}
  - {name: dns, port: 9053, protocol: UDP, allowedRoutes: {kinds: [{kind: UDPRoute}]}}`, "infra")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: a, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: pass}]
  hostnames: [a.pass.example.com]
  rules: [{backendRefs: [{name: tls-a, port: 8443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: b, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: pass}]
  hostnames: ["*.pass.example.com"]
  rules: [{backendRefs: [{name: tls-b, port: 8443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: db, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: db}]
  rules:
  - backendRefs: [{name: db-1, port: 5432, weight: 70}, {name: db-2, port: 5432, weight: 30}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: dns, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: dns}]
  rules: [{backendRefs: [{name: dns, port: 53}]}]
${service("tls-a", 8443)}${service("tls-b", 8443)}${service("db-1", 5432)}${service("db-2", 5432)}${service("dns", 53, "UDP")}`;

describe("serve: TLS passthrough, TCP and UDP with the real core", () => {
  let gw: LiveGateway;
  const ports = new Map<number, number>();
  const servers: (net.Server | dgram.Socket)[] = [];
  const sockets = new Set<net.Socket>();
  const records: { decision: Decision; observed: { backend?: string } }[] = [];
  const seenSni: Record<string, string[]> = { "tls-a": [], "tls-b": [] };

  /** A stream echo that names itself; TLS-terminating when `secure` (what a passthrough backend does). */
  async function streamEcho(name: string, secure: boolean): Promise<string> {
    const onSocket = (s: net.Socket) => {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      s.on("error", () => undefined);
      if (secure) seenSni[name]!.push((s as tls.TLSSocket).servername || "");
      s.on("data", (d: Buffer) => s.write(`${name}:${d.toString()}`));
    };
    const server = secure ? tls.createServer({ cert: CERT, key: KEY }, onSocket) : net.createServer(onSocket);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  beforeAll(async () => {
    const { objects, diagnostics } = parseManifests(WORLD, { file: "l4.yaml" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const world = buildWorld(objects);
    const udp = dgram.createSocket("udp4");
    udp.on("message", (m, r) => udp.send(`dns:${m.toString()}`, r.port, r.address));
    await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
    servers.push(udp);
    const endpoints = new Map<string, string[]>([
      ["infra/tls-a:8443", [await streamEcho("tls-a", true)]],
      ["infra/tls-b:8443", [await streamEcho("tls-b", true)]],
      ["infra/db-1:5432", [await streamEcho("db-1", false)]],
      ["infra/db-2:5432", [await streamEcho("db-2", false)]],
      ["infra/dns:53", [`127.0.0.1:${udp.address().port}`]],
    ]);
    gw = await startServe({
      world,
      objects,
      endpoints,
      decide,
      listen: new Map(["443", "9000", "9053"].map((p) => [p, { host: "127.0.0.1", port: 0 }])),
      record: (line) => void records.push(JSON.parse(line)),
    });
    for (const a of gw.addresses()) ports.set(a.port, a.address.port);
  });

  afterAll(async () => {
    await gw?.close({ drainMs: 0 });
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
  });

  /** Opens a TLS connection with `servername`, sends one line, returns the answer or the failure. */
  function tlsExchange(servername: string): Promise<string> {
    return new Promise((resolve) => {
      const s = tls.connect({ port: ports.get(443)!, host: "127.0.0.1", servername, rejectUnauthorized: false });
      const timer = setTimeout(() => (s.destroy(), resolve("timeout")), 3000);
      s.once("secureConnect", () => s.write("hello"));
      s.once("data", (d: Buffer) => {
        clearTimeout(timer);
        s.destroy();
        resolve(d.toString());
      });
      s.once("error", () => {
        clearTimeout(timer);
        resolve("refused");
      });
      s.once("close", () => {
        clearTimeout(timer);
        resolve("refused");
      });
    });
  }

  it("TLS passthrough: the ClientHello's SNI picks the TLSRoute; the backend terminates TLS and sees the SNI", async () => {
    expect(await tlsExchange("a.pass.example.com")).toBe("tls-a:hello");
    expect(await tlsExchange("x.pass.example.com")).toBe("tls-b:hello");
    expect(seenSni).toEqual({ "tls-a": ["a.pass.example.com"], "tls-b": ["x.pass.example.com"] });
  });

  it("TLS passthrough: an SNI no listener takes is refused, as the core rejects it", async () => {
    const d = decide(gw.snapshot().world, { gateway: "infra/edge", port: 443, scheme: "tls", sni: "other.example.org" }, {});
    expect(d.outcome).toBe("reject");
    expect(await tlsExchange("other.example.org")).toBe("refused");
  });

  it("TCP: each connection goes to the backend the core drew for it, near 70/30", async () => {
    const before = records.length;
    const answers: string[] = [];
    for (let i = 0; i < 150; i++) {
      answers.push(
        await new Promise<string>((resolve, reject) => {
          const s = net.connect(ports.get(9000)!, "127.0.0.1");
          const timer = setTimeout(() => (s.destroy(), reject(new Error("no answer"))), 3000);
          s.once("data", (d: Buffer) => {
            clearTimeout(timer);
            s.destroy();
            resolve(d.toString().split(":")[0]!);
          });
          s.on("error", reject);
          s.write("q");
        }),
      );
    }
    const deadline = Date.now() + 3000;
    while (records.length - before < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const drawn = records.slice(before).map((x) => x.decision.backend?.name);
    expect(drawn.slice().sort()).toEqual(answers.slice().sort());
    for (const x of records.slice(before)) expect(x.decision.route?.kind).toBe("TCPRoute");
    const first = answers.filter((a) => a === "db-1").length;
    // 70% of 150 with a 99.9% binomial margin (σ ≈ 5.6).
    expect(first).toBeGreaterThan(105 - 19);
    expect(first).toBeLessThan(105 + 19);
  });

  it("UDP: datagrams of a flow reach the UDPRoute's backend and the answers come back", async () => {
    const client = dgram.createSocket("udp4");
    try {
      const ask = (text: string) =>
        new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("no reply")), 2000);
          client.once("message", (m) => {
            clearTimeout(timer);
            resolve(m.toString());
          });
          client.send(text, ports.get(9053)!, "127.0.0.1");
        });
      expect(await ask("q1")).toBe("dns:q1");
      expect(await ask("q2")).toBe("dns:q2");
    } finally {
      client.close();
    }
  });
});
