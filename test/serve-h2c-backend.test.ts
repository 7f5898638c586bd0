/**
 * `gwsim serve` to a backend whose Service port has appProtocol kubernetes.io/h2c (GEP-1911):
 * end to end on 127.0.0.1, real core, a client speaking HTTP/1.1 or HTTP/2 to serve and an
 * echo backend that speaks only HTTP/2 over cleartext with prior knowledge. Checked: the backend
 * gets an HTTP/2 stream with the request after filters (pseudo-headers included), no hop-by-hop
 * field (RFC 9113 §8.2.2 forbids them on HTTP/2), bodies intact, and a backend that is down gets
 * the client the same answer as an HTTP/1.1 backend that is down.
 */
import { createHash } from "node:crypto";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type Decision } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoReply, type EchoServer } from "./helpers/echo.js";

const WORLD = `
apiVersion: gateway.networking.k8s.io/v1
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
apiVersion: v1
kind: Service
metadata: {name: stream, namespace: app}
spec:
  ports: [{name: h2c, port: 9090, appProtocol: kubernetes.io/h2c}]
---
apiVersion: v1
kind: Service
metadata: {name: gone-h2c, namespace: app}
spec:
  ports: [{name: h2c, port: 9090, appProtocol: kubernetes.io/h2c}]
---
apiVersion: v1
kind: Service
metadata: {name: flaky, namespace: app}
spec:
  ports: [{name: h2c, port: 9090, appProtocol: kubernetes.io/h2c}]
---
apiVersion: v1
kind: Service
metadata: {name: upper, namespace: app}
spec:
  ports: [{name: h2c, port: 9090, appProtocol: kubernetes.io/H2C}]
---
apiVersion: v1
kind: Service
metadata: {name: gone-plain, namespace: app}
spec:
  ports: [{name: http, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: h2c, namespace: app}
spec:
  parentRefs: [{name: edge}]
  hostnames: [h2c.example.com]
  rules:
  - backendRefs: [{name: stream, port: 9090}]
  - matches: [{path: {type: PathPrefix, value: /edit}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: x-added, value: "yes"}]
        remove: [x-gone]
    - type: URLRewrite
      urlRewrite: {hostname: inner.example.com, path: {type: ReplacePrefixMatch, replacePrefixMatch: /api}}
    backendRefs: [{name: stream, port: 9090}]
  - matches: [{path: {type: PathPrefix, value: /down/h2c}}]
    backendRefs: [{name: gone-h2c, port: 9090}]
  - matches: [{path: {type: PathPrefix, value: /down/plain}}]
    backendRefs: [{name: gone-plain, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /flaky}}]
    backendRefs: [{name: flaky, port: 9090}]
  - matches: [{path: {type: PathPrefix, value: /upper}}]
    backendRefs: [{name: upper, port: 9090}]
`;

/** Fields that belong to one connection: none may reach an HTTP/2 backend (RFC 9113 §8.2.2). */
const HOP_BY_HOP = ["connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade", "http2-settings"];

let gw: LiveGateway;
let echo: EchoServer;
let flaky: EchoServer;
let port: number;
const decisions: Decision[] = [];

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

beforeAll(async () => {
  echo = await startEcho({ service: "app/stream", h2c: true });
  flaky = await startEcho({ service: "app/flaky", h2c: true });
  const down = await closedPort();
  const world = buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects);
  gw = await startServe({
    world,
    endpoints: new Map([
      ["app/stream:9090", [echo.address]],
      ["app/gone-h2c:9090", [`127.0.0.1:${down}`]],
      ["app/flaky:9090", [flaky.address]],
      ["app/gone-plain:8080", [`127.0.0.1:${down}`]],
      ["app/upper:9090", [echo.address]],
    ]),
    listen: new Map([["app/edge:80", { host: "127.0.0.1", port: 0 }]]),
    decide: (w, r, o) => {
      const d = decide(w, r, o);
      decisions.push(d);
      return d;
    },
    upstream: { connectTimeoutMs: 2000 },
  });
  port = gw.addresses()[0]!.address.port;
});

afterAll(async () => {
  await gw?.close({ drainMs: 0 });
  await echo?.close();
  await flaky?.close();
});

/** The last request the echo saw, checked to have come over HTTP/2. */
function lastSeen(): EchoReply {
  const seen = echo.seen.at(-1)!;
  expect(seen.protocol).toBe("HTTP/2.0");
  return seen;
}

/** One HTTP/1.1 request written byte for byte on its own socket; the answer read to the close. */
function rawHttp1(text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error("client timeout")));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const all = Buffer.concat(chunks).toString("utf8");
      const [head = "", ...rest] = all.split("\r\n\r\n");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: rest.join("\r\n\r\n") });
    });
  });
}

/** One HTTP/2 request with prior knowledge on its own session. */
function h2Request(headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    const fail = (e: Error) => {
      client.destroy();
      reject(e);
    };
    client.on("error", fail);
    client.setTimeout(5000, () => fail(new Error("client timeout")));
    const req = client.request({ ":authority": "h2c.example.com", ...headers });
    let status = 0;
    let text = "";
    req.on("response", (h) => (status = Number(h[":status"])));
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => {
      client.close();
      resolve({ status, body: text });
    });
    req.on("error", fail);
    req.end(body);
  });
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("serve to an h2c backend (Service appProtocol kubernetes.io/h2c)", () => {
  it("an HTTP/1.1 request reaches the backend as an HTTP/2 stream, path, host and headers as the filters made them", { timeout: 10_000 }, async () => {
    const res = await request(port, { host: "h2c.example.com", path: "/edit/items?page=2", headers: { "x-gone": "1", "x-kept": "kept" }, timeoutMs: 5000 });
    expect(res.status, res.body).toBe(200);
    expect(decisions.at(-1)?.backendProtocol, "what the decision says serve speaks").toBe("h2c");
    const seen = lastSeen();
    expect(res.json<EchoReply>()).toEqual(seen);
    expect(seen.pseudo).toEqual({ ":method": "GET", ":path": "/api/items?page=2", ":scheme": "http", ":authority": "inner.example.com" });
    expect(seen.host).toBe("inner.example.com");
    expect(seen.headers["x-added"]).toBe("yes");
    expect(seen.headers["x-kept"]).toBe("kept");
    expect(seen.headers).not.toHaveProperty("x-gone");
    // HTTP/2 carries the host as :authority; a Host field beside it would have to agree (RFC 9113 §8.3.1).
    if (seen.headers.host !== undefined) expect(seen.headers.host).toBe("inner.example.com");
  });

  it("an appProtocol written in another case (kubernetes.io/H2C) is h2c too, as decide reads it", { timeout: 10_000 }, async () => {
    const res = await request(port, { host: "h2c.example.com", path: "/upper", timeoutMs: 5000 });
    expect(res.status, res.body).toBe(200);
    expect(decisions.at(-1)?.backendProtocol).toBe("h2c");
    expect(lastSeen().pseudo?.[":path"]).toBe("/upper");
  });

  it("an HTTP/2 request (prior knowledge) reaches the backend on a stream of its own, as the filters made it", { timeout: 10_000 }, async () => {
    const res = await h2Request({ ":method": "PUT", ":path": "/edit/one", "x-gone": "1", "x-kept": "kept" }, Buffer.from("{}"));
    expect(res.status, res.body).toBe(200);
    const seen = lastSeen();
    expect(JSON.parse(res.body)).toEqual(seen);
    expect(seen.pseudo).toEqual({ ":method": "PUT", ":path": "/api/one", ":scheme": "http", ":authority": "inner.example.com" });
    expect(seen.headers).toMatchObject({ "x-added": "yes", "x-kept": "kept" });
    expect(seen.headers).not.toHaveProperty("x-gone");
    expect(seen.bodyBytes).toBe(2);
  });

  it("hop-by-hop fields of an HTTP/1.1 request (and those its Connection names) are not forwarded; a chunked body arrives whole", { timeout: 10_000 }, async () => {
    const body = "hello over h2c";
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const res = await rawHttp1(
      [
        "POST /upload HTTP/1.1",
        "Host: h2c.example.com",
        "Connection: close, x-per-hop",
        "Keep-Alive: timeout=5",
        "Proxy-Connection: keep-alive",
        "TE: gzip, trailers",
        "X-Per-Hop: only-to-the-gateway",
        "X-End-To-End: kept",
        "Transfer-Encoding: chunked",
        "",
        chunked,
      ].join("\r\n"),
    );
    expect(res.status, res.body).toBe(200);
    const seen = lastSeen();
    expect(seen.method).toBe("POST");
    expect(seen.path).toBe("/upload");
    for (const name of [...HOP_BY_HOP, "x-per-hop"]) expect(seen.headers, `backend got ${name}`).not.toHaveProperty(name);
    // HTTP/2 allows te only as "trailers" (RFC 9113 §8.2.2); gzip must never pass.
    if (seen.headers.te !== undefined) expect(seen.headers.te).toBe("trailers");
    expect(seen.headers["x-end-to-end"]).toBe("kept");
    expect(seen.bodyBytes).toBe(body.length);
    expect(seen.bodySha256).toBe(sha256(Buffer.from(body)));
  });

  it("an HTTP/1.1 Upgrade the gateway does not relay is dropped, and the request still reaches the h2c backend", { timeout: 10_000 }, async () => {
    const res = await rawHttp1(["GET /ask HTTP/1.1", "Host: h2c.example.com", "Connection: Upgrade, close", "Upgrade: not-a-protocol/1", "", ""].join("\r\n"));
    expect(res.status, res.body).toBe(200);
    const seen = lastSeen();
    expect(seen.path).toBe("/ask");
    for (const name of HOP_BY_HOP) expect(seen.headers, `backend got ${name}`).not.toHaveProperty(name);
  });

  it("an HTTP/2 client's POST body (256 KiB, several DATA frames) arrives intact", { timeout: 10_000 }, async () => {
    const payload = Buffer.alloc(256 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) % 251;
    const res = await h2Request({ ":method": "POST", ":path": "/bulk", "content-type": "application/octet-stream", te: "trailers", "x-from": "h2-client" }, payload);
    expect(res.status, res.body).toBe(200);
    const seen = lastSeen();
    expect(seen.pseudo).toMatchObject({ ":method": "POST", ":path": "/bulk", ":authority": "h2c.example.com" });
    expect(seen.headers["x-from"]).toBe("h2-client");
    expect(seen.headers["content-type"]).toBe("application/octet-stream");
    expect(seen.bodyBytes).toBe(payload.length);
    expect(seen.bodySha256).toBe(sha256(payload));
    if (seen.headers.te !== undefined) expect(seen.headers.te).toBe("trailers");
  });

  it("an h2c backend that is down answers as an HTTP/1.1 backend that is down does (502/503), over either client protocol", { timeout: 15_000 }, async () => {
    const plain = await request(port, { host: "h2c.example.com", path: "/down/plain", timeoutMs: 5000 });
    const h2c = await request(port, { host: "h2c.example.com", path: "/down/h2c", timeoutMs: 5000 });
    const h2cFromH2 = await h2Request({ ":path": "/down/h2c" });
    expect([502, 503]).toContain(plain.status);
    expect(h2c.status, h2c.body).toBe(plain.status);
    expect(h2cFromH2.status, h2cFromH2.body).toBe(plain.status);
  });

  it("an h2c backend killed after serve opened its session: the next request is answered 502/503, not left hanging", { timeout: 15_000 }, async () => {
    const before = await request(port, { host: "h2c.example.com", path: "/flaky/1", timeoutMs: 5000 });
    expect(before.status, before.body).toBe(200);
    expect(flaky.seen.map((r) => r.protocol)).toEqual(["HTTP/2.0"]);
    await flaky.kill();
    const after = await request(port, { host: "h2c.example.com", path: "/flaky/2", timeoutMs: 5000 });
    expect([502, 503]).toContain(after.status);
    expect(flaky.seen).toHaveLength(1);
  });
});
