import { createHash } from "node:crypto";
import dgram from "node:dgram";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayRequest, ResolvedListener } from "../packages/core/src/index.js";
import { startServe, type LiveGateway, type ServeOptions } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { backend, decision, fakeWorld, forwardTo, httpListener } from "./helpers/serve-world.js";
import { EXAMPLE_CERT, EXAMPLE_KEY } from "./helpers/example-cert.js";

const CERT = EXAMPLE_CERT;
const KEY = EXAMPLE_KEY;

const cleanups: (() => unknown)[] = [];
const gateways: LiveGateway[] = [];
const echoes: EchoServer[] = [];

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(echoes.splice(0).map((e) => e.close()));
  for (const c of cleanups.splice(0)) await c();
});

async function serve(listeners: ResolvedListener[], options: Partial<ServeOptions> & Pick<ServeOptions, "decide">): Promise<Map<number, number>> {
  const gw = await startServe({ world: fakeWorld(listeners), listen: new Map(listeners.map((l) => [String(l.port), { host: "127.0.0.1", port: 0 }])), ...options });
  gateways.push(gw);
  return new Map(gw.addresses().map((a) => [a.port, a.address.port]));
}

function listening<T extends net.Server | tls.Server>(server: T): Promise<number> {
  cleanups.push(() => server.close());
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r((server.address() as net.AddressInfo).port)));
}

/** A TCP (or TLS) echo server that prefixes replies with its name. */
async function tcpEcho(name: string, secure = false): Promise<string> {
  const handler = (s: net.Socket) => {
    s.on("data", (d) => s.write(`${name}:${d.toString()}`));
    s.on("error", () => undefined);
  };
  const sockets = new Set<net.Socket>();
  const server = secure ? tls.createServer({ cert: CERT, key: KEY }, handler) : net.createServer(handler);
  server.on(secure ? "secureConnection" : "connection", (s: net.Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  cleanups.push(() => sockets.forEach((s) => s.destroy()));
  return `127.0.0.1:${await listening(server)}`;
}

function tlsListener(port: number, name: string, hostname: string, mode: "Terminate" | "Passthrough", validation = false): ResolvedListener {
  return httpListener(port, {
    name,
    protocol: mode === "Passthrough" ? "TLS" : "HTTPS",
    hostname,
    tls: {
      mode,
      certificates: mode === "Terminate" ? [{ namespace: "infra", name: "cert", certPem: CERT, keyPem: KEY, dnsNames: ["store.example.com"], valid: true, reason: null }] : [],
      frontendValidation: validation ? { caCertificates: [{ namespace: "infra", name: "ca", kind: "ConfigMap", pem: CERT }], mode: "AllowValidOnly" } : null,
      options: {},
    },
  });
}

function exchangeOnce(socket: net.Socket | tls.TLSSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once("data", (d) => resolve(d.toString()));
    socket.once("error", reject);
    socket.write(text);
  });
}

describe("serve: WebSocket, TLS passthrough, TCP, UDP, client certificates (fake decide)", () => {
  it("upgrades a WebSocket and relays frames both ways", async () => {
    const seen: string[] = [];
    const backendServer = http.createServer();
    backendServer.on("upgrade", (req, socket: net.Socket) => {
      seen.push(`${req.url} ${req.headers.upgrade} ${req.headers["x-added"]}`);
      const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
      socket.on("data", (d) => socket.write(d));
      cleanups.push(() => socket.destroy());
    });
    const up = await listening(backendServer);
    const requests: GatewayRequest[] = [];
    const ports = await serve([httpListener(80)], {
      endpoints: new Map([["app/ws:8080", [`127.0.0.1:${up}`]]]),
      decide: (_w, r) => {
        requests.push(r);
        const d = forwardTo(r, backend("app", "ws", 8080));
        d.forwarded!.headers["x-added"] = "yes";
        d.forwarded!.path = "/chat-rewritten";
        return d;
      },
    });
    const client = net.connect(ports.get(80)!, "127.0.0.1");
    cleanups.push(() => client.destroy());
    const handshake = await exchangeOnce(client, "GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    expect(handshake).toMatch(/^HTTP\/1\.1 101 /);
    expect(handshake).toContain("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(await exchangeOnce(client, "frame-1")).toBe("frame-1");
    expect(await exchangeOnce(client, "frame-2")).toBe("frame-2");
    expect(requests[0]!.protocol).toBe("websocket");
    expect(seen).toEqual(["/chat-rewritten websocket yes"]);
  });

  it("answers a WebSocket upgrade the core does not forward with its status", async () => {
    const ports = await serve([httpListener(80)], { decide: () => decision({ outcome: "notFound", status: 404 }) });
    const client = net.connect(ports.get(80)!, "127.0.0.1");
    cleanups.push(() => client.destroy());
    expect(await exchangeOnce(client, "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")).toMatch(/^HTTP\/1\.1 404 /);
  });

  it("passes TLS through by SNI without terminating it, beside a terminating listener on the same port", async () => {
    const passAddress = await tcpEcho("pass", true);
    const web = await startEcho({ service: "web" });
    echoes.push(web);
    const requests: GatewayRequest[] = [];
    const ports = await serve([tlsListener(443, "https", "store.example.com", "Terminate"), tlsListener(443, "pass", "pass.example.com", "Passthrough")], {
      endpoints: new Map([
        ["app/pass:443", [passAddress]],
        ["app/web:8080", [web.address]],
      ]),
      decide: (_w, r) => {
        requests.push(r);
        if (r.scheme === "tls") return { ...decision({ outcome: "forward" }), backend: backend("app", "pass", 443), route: { kind: "TLSRoute", namespace: "app", name: "pass", rule: 0, ruleName: null, match: null } };
        return forwardTo(r, backend("app", "web", 8080));
      },
    });
    const port = ports.get(443)!;
    const client = tls.connect({ port, host: "127.0.0.1", servername: "pass.example.com", rejectUnauthorized: false });
    cleanups.push(() => client.destroy());
    await new Promise((r) => client.once("secureConnect", r));
    expect(await exchangeOnce(client, "hello")).toBe("pass:hello");
    expect(requests[0]).toMatchObject({ gateway: "infra/edge", port: 443, scheme: "tls", sni: "pass.example.com" });

    const terminated = await new Promise<string>((resolve, reject) => {
      const req = tls.connect({ port, host: "127.0.0.1", servername: "store.example.com", rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }, () => {
        req.write("GET /t HTTP/1.1\r\nHost: store.example.com\r\nConnection: close\r\n\r\n");
      });
      let out = "";
      req.on("data", (d) => (out += d));
      req.on("end", () => resolve(out));
      req.on("error", reject);
    });
    expect(terminated).toMatch(/^HTTP\/1\.1 200 /);
    expect(requests[1]).toMatchObject({ scheme: "https", sni: "store.example.com", path: "/t" });
  });

  it("relays TCP to the picked backend, and refuses a connection the core rejects", async () => {
    const address = await tcpEcho("tcp");
    let allow = true;
    const tcp = httpListener(9000, { name: "tcp", protocol: "TCP" });
    const ports = await serve([tcp], {
      endpoints: new Map([["app/tcp:9000", [address]]]),
      decide: (_w, r) => (allow && r.scheme === "tcp" ? { ...decision({ outcome: "forward" }), backend: backend("app", "tcp", 9000) } : decision({ outcome: "reject" })),
    });
    const client = net.connect(ports.get(9000)!, "127.0.0.1");
    cleanups.push(() => client.destroy());
    expect(await exchangeOnce(client, "ping")).toBe("tcp:ping");
    allow = false;
    const refused = net.connect(ports.get(9000)!, "127.0.0.1");
    const closed = await new Promise<boolean>((r) => {
      refused.on("error", () => undefined);
      refused.once("close", () => r(true));
      setTimeout(() => r(false), 2000);
    });
    expect(closed).toBe(true);
  });

  it("relays UDP datagrams per client flow", async () => {
    const upstream = dgram.createSocket("udp4");
    upstream.on("message", (m, r) => upstream.send(`udp:${m.toString()}`, r.port, r.address));
    await new Promise<void>((r) => upstream.bind(0, "127.0.0.1", () => r()));
    cleanups.push(() => upstream.close());
    const udp = httpListener(5353, { name: "dns", protocol: "UDP" });
    let decisions = 0;
    const ports = await serve([udp], {
      endpoints: new Map([["app/dns:53", [`127.0.0.1:${upstream.address().port}`]]]),
      decide: () => {
        decisions++;
        return { ...decision({ outcome: "forward" }), backend: backend("app", "dns", 53) };
      },
    });
    const client = dgram.createSocket("udp4");
    cleanups.push(() => client.close());
    const ask = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no reply")), 2000);
        client.once("message", (m) => {
          clearTimeout(timer);
          resolve(m.toString());
        });
        client.send(text, ports.get(5353)!, "127.0.0.1");
      });
    expect(await ask("q1")).toBe("udp:q1");
    expect(await ask("q2")).toBe("udp:q2");
    expect(decisions).toBe(1);
  });

  it("asks for a client certificate where a listener validates them and hands it to the core", async () => {
    const web = await startEcho({ service: "web" });
    echoes.push(web);
    const certs: (string | undefined)[] = [];
    const ports = await serve([tlsListener(443, "mtls", "store.example.com", "Terminate", true)], {
      endpoints: new Map([["app/web:8080", [web.address]]]),
      decide: (_w, r) => {
        certs.push(r.clientCertificate);
        return r.clientCertificate ? forwardTo(r, backend("app", "web", 8080)) : decision({ outcome: "reject" });
      },
    });
    const get = (withCert: boolean) =>
      new Promise<string>((resolve) => {
        const s = tls.connect({ port: ports.get(443)!, host: "127.0.0.1", servername: "store.example.com", rejectUnauthorized: false, ALPNProtocols: ["http/1.1"], ...(withCert ? { cert: CERT, key: KEY } : {}) }, () =>
          s.write("GET / HTTP/1.1\r\nHost: store.example.com\r\nConnection: close\r\n\r\n"),
        );
        let out = "";
        s.on("data", (d) => (out += d));
        s.on("close", () => resolve(out));
        s.on("error", () => undefined);
      });
    expect(await get(true)).toMatch(/^HTTP\/1\.1 200 /);
    expect(await get(false)).toBe("");
    expect(certs[0]).toContain("-----BEGIN CERTIFICATE-----");
    expect(certs[0]!.replace(/\s/g, "")).toBe(CERT.replace(/\s/g, ""));
    expect(certs[1]).toBeUndefined();
  });

  it("ignores an h2c Upgrade over HTTP/1.1 and answers the request plainly", async () => {
    const web = await startEcho({ service: "web" });
    echoes.push(web);
    const ports = await serve([httpListener(80)], { endpoints: new Map([["app/web:8080", [web.address]]]), decide: (_w, r) => forwardTo(r, backend("app", "web", 8080)) });
    const res = await request(ports.get(80)!, { path: "/u", headers: { connection: "Upgrade, HTTP2-Settings", upgrade: "h2c", "http2-settings": "AAMAAABkAARAAAAAAAIAAAAA" } });
    expect(res.status).toBe(200);
    expect(res.json().path).toBe("/u");
  });
});

describe("serve: BackendTLSPolicy re-encryption (fake decide)", () => {
  async function httpsBackend(): Promise<{ address: string; servernames: (string | false)[] }> {
    const servernames: (string | false)[] = [];
    const server = https.createServer({ cert: CERT, key: KEY }, (req, res) => {
      servernames.push((req.socket as tls.TLSSocket).servername ?? false);
      res.end(`tls ${req.url}`);
    });
    const port = await listening(server as unknown as tls.Server);
    cleanups.push(() => server.closeAllConnections());
    return { address: `127.0.0.1:${port}`, servernames };
  }

  const caMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ca", namespace: "app" }, data: { "ca.crt": CERT } };

  it.each([
    { sni: "store.example.com", refs: ["app/ca"], sans: [], want: 200 },
    { sni: "other.example.com", refs: ["app/ca"], sans: [], want: 502 },
    { sni: "other.example.com", refs: ["app/ca"], sans: [{ type: "Hostname", hostname: "store.example.com" }], want: 200 },
    { sni: "store.example.com", refs: ["app/missing"], sans: [], want: 503 },
  ])("SNI $sni, CA $refs, SANs $sans → $want", async ({ sni, refs, sans, want }) => {
    const up = await httpsBackend();
    const ports = await serve([httpListener(80)], {
      objects: [caMap],
      endpoints: new Map([["app/secure:443", [up.address]]]),
      decide: (_w, r) =>
        forwardTo(r, backend("app", "secure", 443), {
          backendTLS: { policy: "app/p", sni, caCertificateRefs: refs, wellKnownCACertificates: null, subjectAltNames: sans, clientCertificate: null },
        }),
    });
    const res = await request(ports.get(80)!, { path: "/s" });
    expect(res.status).toBe(want);
    if (want === 200) {
      expect(res.body).toBe("tls /s");
      expect(up.servernames).toEqual([sni]);
    }
  });
});
