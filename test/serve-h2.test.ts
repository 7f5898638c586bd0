import { createHash } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { startEcho, type EchoServer } from "./helpers/echo.js";
import { backend, fakeWorld, forwardTo, httpListener, service } from "./helpers/serve-world.js";
import { EXAMPLE_CERT, EXAMPLE_KEY } from "./helpers/example-cert.js";
import { backendTLS, edgeGateway } from "./helpers/gateway-yaml.js";

const open: { gateways: LiveGateway[]; echoes: EchoServer[]; h2: http2.Http2Server[] } = { gateways: [], echoes: [], h2: [] };

afterEach(async () => {
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(open.echoes.splice(0).map((e) => e.close()));
  for (const s of open.h2.splice(0)) s.close();
});

/** An h2c backend speaking gRPC's framing: echoes the call path and answers with trailers. */
async function grpcBackend(): Promise<{ address: string; seen: { path: string; te: string | undefined; contentType: string | undefined }[] }> {
  const seen: { path: string; te: string | undefined; contentType: string | undefined }[] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    seen.push({ path: String(headers[":path"]), te: headers.te as string | undefined, contentType: headers["content-type"] as string | undefined });
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "grpc-message": "ok" }));
      stream.end(Buffer.concat(chunks));
    });
  });
  const close = server.close.bind(server);
  server.close = ((cb?: () => void) => {
    for (const s of sessions) s.destroy();
    return close(cb);
  }) as typeof server.close;
  open.h2.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function h2call(port: number, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on("error", reject);
    const req = client.request(headers);
    let resHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => (resHeaders = h));
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      client.close();
      resolve({ headers: resHeaders, trailers, body: Buffer.concat(chunks) });
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("serve: HTTP/2", () => {
  it("h2c with prior knowledge on an HTTP listener, forwarded to an HTTP/1.1 backend", async () => {
    const e = await startEcho({ service: "web" });
    open.echoes.push(e);
    const seen: string[] = [];
    const gw = await startServe({
      world: fakeWorld([httpListener(80)], [service("app", "web", 8080)]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      endpoints: new Map([["app/web:8080", [e.address]]]),
      decide: (_w, r) => {
        seen.push(`${r.protocol} ${r.host} ${r.path}`);
        return forwardTo(r, backend("app", "web", 8080));
      },
    });
    open.gateways.push(gw);
    const res = await h2call(gw.addresses()[0]!.address.port, { ":path": "/h2/x?y=1", ":authority": "a.example.com" });
    expect(res.headers[":status"]).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ path: "/h2/x?y=1", host: "a.example.com", protocol: "HTTP/1.1" });
    expect(seen).toEqual(["HTTP/2 a.example.com /h2/x?y=1"]);
  });

  it("gRPC to an h2c backend (Service appProtocol kubernetes.io/h2c): the call, te: trailers and the grpc-status trailers pass", async () => {
    const upstream = await grpcBackend();
    const calls: unknown[] = [];
    const gw = await startServe({
      world: fakeWorld([httpListener(80)], [service("app", "grpc", 9000, "kubernetes.io/h2c")]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      endpoints: new Map([["app/grpc:9000", [upstream.address]]]),
      decide: (_w, r) => {
        calls.push(r.grpc);
        return forwardTo(r, backend("app", "grpc", 9000));
      },
    });
    open.gateways.push(gw);
    const message = Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]);
    const res = await h2call(gw.addresses()[0]!.address.port, { ":method": "POST", ":path": "/pkg.Echo/Say", ":authority": "grpc.example.com", "content-type": "application/grpc", te: "trailers" }, message);
    expect(calls).toEqual([{ service: "pkg.Echo", method: "Say" }]);
    expect(upstream.seen).toEqual([{ path: "/pkg.Echo/Say", te: "trailers", contentType: "application/grpc" }]);
    expect(res.headers[":status"]).toBe(200);
    expect(res.body.equals(message)).toBe(true);
    expect(res.trailers["grpc-status"]).toBe("0");
    expect(res.trailers["grpc-message"]).toBe("ok");
  });

  it("a gRPC call the gateway answers itself gets a grpc-status, not an HTTP error page", async () => {
    const gw = await startServe({
      world: fakeWorld([httpListener(80)]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      decide: (_w, r) => ({ ...forwardTo(r, backend("app", "grpc", 9000)), outcome: "notFound", status: 404, grpcStatus: 12, backend: null, forwarded: null }),
    });
    open.gateways.push(gw);
    const res = await h2call(gw.addresses()[0]!.address.port, { ":method": "POST", ":path": "/pkg.Nope/X", "content-type": "application/grpc" });
    expect(res.headers[":status"]).toBe(200);
    expect(res.headers["grpc-status"]).toBe("12");
  });
});

describe("serve: WebSocket over HTTP/2 (RFC 8441 extended CONNECT), real core", () => {
  const CERT = EXAMPLE_CERT;
  const KEY = EXAMPLE_KEY;

  const WORLD = `${edgeGateway(`[{name: http, protocol: HTTP, port: 80}]`)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: chat, namespace: app}
spec:
  parentRefs: [{name: edge}]
  hostnames: [chat.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /ws}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-via, value: gwsim}]}
    backendRefs: [{name: ws, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /secure}}]
    backendRefs: [{name: wss, port: 8443}]
  - matches: [{path: {type: PathPrefix, value: /refuse}}]
    backendRefs: [{name: ws, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: ws, namespace: app}
spec: {ports: [{name: ws, port: 8080, appProtocol: kubernetes.io/ws}]}
---
apiVersion: v1
kind: Service
metadata: {name: wss, namespace: app}
spec: {ports: [{name: wss, port: 8443, appProtocol: kubernetes.io/wss}]}
---
${backendTLS("wss", "store.example.com", CERT)}`;

  /** An HTTP/1.1 WebSocket backend (plain or TLS): checks the handshake, echoes frames prefixed with its name. */
  async function wsBackend(name: string, secure: boolean): Promise<{ address: string; seen: { url: string; host: string; via: string | undefined; servername: string | null }[] }> {
    const seen: { url: string; host: string; via: string | undefined; servername: string | null }[] = [];
    const server = secure ? https.createServer({ cert: CERT, key: KEY }) : http.createServer();
    const sockets = new Set<Duplex>();
    server.on("upgrade", (req: http.IncomingMessage, socket: Duplex) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      seen.push({ url: req.url ?? "", host: req.headers.host ?? "", via: req.headers["x-via"] as string | undefined, servername: (req.socket as TLSSocket).servername || null });
      if (req.url?.startsWith("/refuse")) {
        socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 7\r\ncontent-type: text/plain\r\n\r\nno chat");
        return;
      }
      const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\nsec-websocket-protocol: chat.v1\r\n\r\n`);
      socket.on("data", (d: Buffer) => socket.write(`${name}:${d.toString()}`));
    });
    const close = server.close.bind(server);
    open.h2.push({ close: () => (sockets.forEach((s) => s.destroy()), close()) } as unknown as http2.Http2Server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  /** Opens an RFC 8441 WebSocket stream once the server allows extended CONNECT. */
  function connectWs(port: number, path: string, extra: http2.OutgoingHttpHeaders = {}): Promise<{ stream: http2.ClientHttp2Stream; headers: http2.IncomingHttpHeaders; client: http2.ClientHttp2Session }> {
    return new Promise((resolve, reject) => {
      const client = http2.connect(`http://127.0.0.1:${port}`);
      client.on("error", reject);
      client.once("remoteSettings", (settings) => {
        if (!settings.enableConnectProtocol) return reject(new Error("server does not allow extended CONNECT"));
        const stream = client.request({ ":method": "CONNECT", ":protocol": "websocket", ":scheme": "http", ":path": path, ":authority": "chat.example.com", "sec-websocket-version": "13", "sec-websocket-protocol": "chat.v1", ...extra });
        stream.on("error", reject);
        stream.once("response", (headers) => resolve({ stream, headers, client }));
      });
    });
  }

  /** The record line is written when the tunnel closes: wait for it (bounded). */
  async function until(check: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  function exchange(stream: http2.ClientHttp2Stream, text: string): Promise<string> {
    return new Promise((resolve) => {
      stream.once("data", (d: Buffer) => resolve(d.toString()));
      stream.write(text);
    });
  }

  async function gateway(endpoints: Map<string, string[]>, records: { method?: string; protocol?: string; decision: { backendTLS: unknown } }[] = []): Promise<number> {
    const { objects, diagnostics } = parseManifests(WORLD, { file: "ws.yaml" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const gw = await startServe({ world: buildWorld(objects), objects, endpoints, decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]), record: (l) => void records.push(JSON.parse(l)) });
    open.gateways.push(gw);
    return gw.addresses()[0]!.address.port;
  }

  it("relays frames both ways to an HTTP/1.1 WebSocket backend; the core sees GET protocol websocket", async () => {
    const up = await wsBackend("ws", false);
    const records: { method?: string; protocol?: string; decision: { backendTLS: unknown } }[] = [];
    const port = await gateway(new Map([["app/ws:8080", [up.address]]]), records);
    const { stream, headers, client } = await connectWs(port, "/ws/room?x=1");
    expect(headers[":status"]).toBe(200);
    expect(headers["sec-websocket-protocol"]).toBe("chat.v1");
    expect(await exchange(stream, "frame-1")).toBe("ws:frame-1");
    expect(await exchange(stream, "frame-2")).toBe("ws:frame-2");
    stream.close();
    client.close();
    expect(up.seen).toEqual([{ url: "/ws/room?x=1", host: "chat.example.com", via: "gwsim", servername: null }]);
    await until(() => records.length > 0);
    expect(records[0]).toMatchObject({ method: "GET", protocol: "websocket" });
  });

  it("re-encrypts to a wss backend where a BackendTLSPolicy applies (SNI and CA from the policy)", async () => {
    const up = await wsBackend("wss", true);
    const records: { decision: { backendTLS: unknown } }[] = [];
    const port = await gateway(new Map([["app/wss:8443", [up.address]]]), records);
    const { stream, headers, client } = await connectWs(port, "/secure");
    expect(headers[":status"]).toBe(200);
    expect(await exchange(stream, "over tls")).toBe("wss:over tls");
    stream.close();
    client.close();
    expect(up.seen[0]!.servername).toBe("store.example.com");
    await until(() => records.length > 0);
    expect(records[0]!.decision.backendTLS).toMatchObject({ policy: "app/wss-tls", sni: "store.example.com" });
  });

  it("an HTTP/1.1 upgrade to the same wss backend is re-encrypted too", async () => {
    const up = await wsBackend("wss", true);
    const port = await gateway(new Map([["app/wss:8443", [up.address]]]));
    const socket = net.connect(port, "127.0.0.1");
    const read = () => new Promise<string>((resolve) => socket.once("data", (d: Buffer) => resolve(d.toString())));
    socket.write("GET /secure HTTP/1.1\r\nHost: chat.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    expect(await read()).toMatch(/^HTTP\/1\.1 101 [^]*sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
    socket.write("h1 frame");
    expect(await read()).toBe("wss:h1 frame");
    socket.destroy();
    expect(up.seen[0]!.servername).toBe("store.example.com");
  });

  it("a backend that refuses the upgrade: its status and body reach the client", async () => {
    const up = await wsBackend("ws", false);
    const port = await gateway(new Map([["app/ws:8080", [up.address]]]));
    const { stream, headers, client } = await connectWs(port, "/refuse");
    expect(headers[":status"]).toBe(403);
    const body = await new Promise<string>((resolve) => {
      let text = "";
      stream.on("data", (d: Buffer) => (text += d));
      stream.on("end", () => resolve(text));
    });
    client.close();
    expect(body).toBe("no chat");
  });

  it("no route: the core's 404; a plain CONNECT (a tunnel request): 405", async () => {
    const port = await gateway(new Map());
    const missing = await connectWs(port, "/nowhere");
    expect(missing.headers[":status"]).toBe(404);
    missing.client.close();
    const plain = await new Promise<number>((resolve, reject) => {
      const client = http2.connect(`http://127.0.0.1:${port}`);
      client.on("error", reject);
      const s = client.request({ ":method": "CONNECT", ":authority": "example.com:443" });
      s.on("error", reject);
      s.once("response", (h) => {
        client.close();
        resolve(Number(h[":status"]));
      });
    });
    expect(plain).toBe(405);
  });
});
