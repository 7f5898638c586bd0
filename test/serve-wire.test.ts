/**
 * The HTTP/1.1 wire edge cases of the live adapter on real sockets (127.0.0.1): answers the
 * gateway writes itself after an upgrade or CONNECT, Upgrade headers it ignores, duplicate Host,
 * and responses to pipelined requests.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Decision, GatewayRequest } from "../packages/core/src/index.js";
import { startServe, type LiveGateway, type ServeOptions } from "../packages/sim/src/serve/index.js";
import { startEcho, type EchoServer } from "./helpers/echo.js";
import { backend, decision, fakeWorld, forwardTo, httpListener, service } from "./helpers/serve-world.js";

const open: { gateways: LiveGateway[]; echoes: EchoServer[]; sockets: net.Socket[] } = { gateways: [], echoes: [], sockets: [] };

afterEach(async () => {
  for (const s of open.sockets.splice(0)) s.destroy();
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(open.echoes.splice(0).map((e) => e.close()));
});

const web = backend("app", "web", 8080);

interface Served {
  gw: LiveGateway;
  port: number;
  seen: GatewayRequest[];
  log: Record<string, unknown>[];
  records: Record<string, unknown>[];
}

async function serve(decide: (r: GatewayRequest) => Decision, extra: Partial<ServeOptions> = {}): Promise<Served> {
  const seen: GatewayRequest[] = [];
  const log: Record<string, unknown>[] = [];
  const records: Record<string, unknown>[] = [];
  const gw = await startServe({
    world: fakeWorld([httpListener(80)], [service("app", "web", 8080)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    decide: (_w, r) => {
      seen.push(r);
      return decide(r);
    },
    accessLog: (line) => log.push(JSON.parse(line) as Record<string, unknown>),
    record: (line) => records.push(JSON.parse(line) as Record<string, unknown>),
    ...extra,
  });
  open.gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port, seen, log, records };
}

async function echo(): Promise<EchoServer> {
  const e = await startEcho({ service: "web" });
  open.echoes.push(e);
  return e;
}

/** A raw client: sends bytes and collects what comes back; it never closes on its own (a lazy client). */
function rawClient(port: number): Promise<{ socket: net.Socket; text: () => string; closed: () => boolean; send(s: string): void }> {
  return new Promise((resolve, reject) => {
    let text = "";
    let closed = false;
    // allowHalfOpen: the client does not answer the server's FIN with its own.
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => resolve({ socket, text: () => text, closed: () => closed, send: (s) => void socket.write(s) }));
    open.sockets.push(socket);
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (text += d));
    // The server's FIN (or a reset) ends the reading side: the server closed.
    socket.on("end", () => (closed = true));
    socket.on("close", () => (closed = true));
    socket.on("error", reject);
  });
}

/** Waits (bounded) until `ok()` holds. */
async function until(ok: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

async function gauge(gw: LiveGateway, name: "openConnections" | "inflight"): Promise<number> {
  const values = (await gw.metrics[name].get()).values;
  return values.reduce((sum, v) => sum + v.value, 0);
}

const wsUpgrade = (path: string) => `GET ${path} HTTP/1.1\r\nHost: a.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

describe("serve: WebSocket upgrades the gateway answers itself", () => {
  const answers: [string, (r: GatewayRequest) => Decision, RegExp][] = [
    ["no route: 404", () => decision({ outcome: "notFound", status: 404 }), /^HTTP\/1\.1 404 Not Found\r\n/],
    ["invalid backend: 500", () => decision({ outcome: "error", status: 500 }), /^HTTP\/1\.1 500 Internal Server Error\r\n/],
    ["redirect 301, with the standard reason phrase", () => decision({ outcome: "redirect", status: 301, redirect: { status: 301, location: "https://new.example.com/" } }), /^HTTP\/1\.1 301 Moved Permanently\r\n[^]*location: https:\/\/new\.example\.com\/\r\n/],
    ["redirect 308", () => decision({ outcome: "redirect", status: 308, redirect: { status: 308, location: "https://new.example.com/" } }), /^HTTP\/1\.1 308 Permanent Redirect\r\n/],
    ["no endpoints: 503", (r) => forwardTo(r, web), /^HTTP\/1\.1 503 Service Unavailable\r\n/],
  ];
  for (const [name, decide, status] of answers) {
    it(`${name}: answered, closed, no request or connection left in flight, drain does not wait`, async () => {
      const { gw, port, log } = await serve(decide);
      const c = await rawClient(port);
      c.send(wsUpgrade("/chat"));
      await until(() => c.closed());
      expect(c.text()).toMatch(status);
      expect(c.closed()).toBe(true);
      await until(() => gw.requestsInFlight === 0 && log.length === 1);
      expect(gw.requestsInFlight).toBe(0);
      expect(await gauge(gw, "inflight")).toBe(0);
      expect(await gauge(gw, "openConnections")).toBe(0);
      expect(log).toHaveLength(1);
      const t0 = Date.now();
      await gw.close({ drainMs: 5000 });
      expect(Date.now() - t0).toBeLessThan(1000);
    });
  }
});

/** Parses the HTTP/1.1 responses in `text`: status and body of each (content-length framed). */
function responses(text: string): { status: number; head: string; body: string }[] {
  const out: { status: number; head: string; body: string }[] = [];
  let rest = text;
  while (rest.startsWith("HTTP/1.1 ")) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const head = rest.slice(0, end);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
    out.push({ status: Number(head.slice(9, 12)), head, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

async function requestsTotal(gw: LiveGateway): Promise<number> {
  return (await gw.metrics.requests.get()).values.reduce((sum, v) => sum + v.value, 0);
}

describe("serve: an Upgrade that is not WebSocket is ignored (RFC 9110 §7.8), the request served as HTTP/1.1", () => {
  it("h2c (curl --http2 on http://): forwarded without Upgrade/HTTP2-Settings, answered 200, counted, logged, recorded, nothing left in flight", async () => {
    const e = await echo();
    const { gw, port, seen, log, records } = await serve((r) => forwardTo(r, web), { endpoints: new Map([["app/web:8080", [e.address]]]) });
    const c = await rawClient(port);
    c.send("GET /split HTTP/1.1\r\nHost: a.example.com\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nx-keep: 1\r\n\r\n");
    await until(() => responses(c.text()).length === 1);
    const [res] = responses(c.text());
    expect(res!.status).toBe(200);
    expect(e.seen).toHaveLength(1);
    expect(e.seen[0]!.headers).not.toHaveProperty("upgrade");
    expect(e.seen[0]!.headers).not.toHaveProperty("http2-settings");
    expect(e.seen[0]!.headers["x-keep"]).toBe("1");
    expect(seen[0]).toMatchObject({ method: "GET", path: "/split", host: "a.example.com", protocol: "HTTP/1.1" });
    await until(() => gw.requestsInFlight === 0 && log.length === 1 && records.length === 1);
    expect(gw.requestsInFlight).toBe(0);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status: 200, path: "/split" });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ path: "/split", observed: { status: 200, backend: "app/web:8080" } });
    expect(await requestsTotal(gw)).toBe(1);
    // The connection stays usable (keep-alive): the next request on it is served too.
    c.send("GET /next HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
    await until(() => responses(c.text()).length === 2);
    expect(responses(c.text()).map((r) => r.status)).toEqual([200, 200]);
    expect(e.seen.map((s) => s.path)).toEqual(["/split", "/next"]);
  });

  it("any other protocol (Upgrade: foo/1) with a body and a pipelined request after it: both served in order, the body forwarded", async () => {
    const e = await echo();
    const { gw, port, log } = await serve((r) => forwardTo(r, web), { endpoints: new Map([["app/web:8080", [e.address]]]) });
    const c = await rawClient(port);
    c.send("POST /up HTTP/1.1\r\nHost: a.example.com\r\nConnection: Upgrade\r\nUpgrade: foo/1\r\nContent-Length: 5\r\n\r\nhelloGET /after HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
    await until(() => responses(c.text()).length === 2);
    const got = responses(c.text());
    expect(got.map((r) => r.status)).toEqual([200, 200]);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ method: "POST", path: "/up", bodyBytes: 5 });
    expect(JSON.parse(got[1]!.body)).toMatchObject({ method: "GET", path: "/after" });
    await until(() => gw.requestsInFlight === 0 && log.length === 2);
    expect(gw.requestsInFlight).toBe(0);
    expect(await requestsTotal(gw)).toBe(2);
  });

  it("a gateway answer (404) to an ignored upgrade is counted and leaves nothing in flight", async () => {
    const { gw, port, log } = await serve(() => decision({ outcome: "notFound", status: 404 }));
    const c = await rawClient(port);
    c.send("GET / HTTP/1.1\r\nHost: a.example.com\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
    await until(() => responses(c.text()).length === 1 && log.length === 1);
    expect(responses(c.text())[0]!.status).toBe(404);
    expect(gw.requestsInFlight).toBe(0);
    expect(await requestsTotal(gw)).toBe(1);
    const t0 = Date.now();
    await gw.close({ drainMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

async function refusedCount(gw: LiveGateway, status: number): Promise<number> {
  return (await gw.metrics.refused.get()).values.filter((v) => v.labels.status === String(status)).reduce((sum, v) => sum + v.value, 0);
}

describe("serve: requests refused before routing", () => {
  it("two Host header lines: 400 (RFC 9112 §3.2), never decided nor forwarded, counted and logged, connection closed", async () => {
    const e = await echo();
    const { gw, port, seen, log } = await serve((r) => forwardTo(r, web), { endpoints: new Map([["app/web:8080", [e.address]]]) });
    const c = await rawClient(port);
    c.send("GET /split HTTP/1.1\r\nHost: a.example.com\r\nHost: evil.example.com\r\n\r\n");
    await until(() => c.closed());
    expect(responses(c.text()).map((r) => r.status)).toEqual([400]);
    expect(c.closed()).toBe(true);
    expect(seen).toHaveLength(0);
    expect(e.seen).toHaveLength(0);
    expect(await refusedCount(gw, 400)).toBe(1);
    expect(log).toEqual([expect.objectContaining({ status: 400, reason: expect.stringMatching(/more than one Host/) })]);
    // One Host (any case of the name) is fine.
    const ok = await rawClient(port);
    ok.send("GET /split HTTP/1.1\r\nhOsT: a.example.com\r\nConnection: close\r\n\r\n");
    await until(() => ok.closed());
    expect(responses(ok.text()).map((r) => r.status)).toEqual([200]);
  });

  it("two Host header lines on a WebSocket upgrade: 400 as well", async () => {
    const { gw, port, seen } = await serve(() => decision({ outcome: "notFound", status: 404 }));
    const c = await rawClient(port);
    c.send(wsUpgrade("/chat").replace("\r\n\r\n", "\r\nHost: evil.example.com\r\n\r\n"));
    await until(() => c.closed());
    expect(c.text()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(seen).toHaveLength(0);
    expect(await refusedCount(gw, 400)).toBe(1);
    expect(gw.requestsInFlight).toBe(0);
  });

  it("HTTP/1.1 CONNECT: 405 with Allow (a gateway is no forward proxy, as over HTTP/2), counted and logged", async () => {
    const { gw, port, seen, log } = await serve(() => decision({ outcome: "notFound", status: 404 }));
    const c = await rawClient(port);
    c.send("CONNECT a.example.com:443 HTTP/1.1\r\nHost: a.example.com:443\r\n\r\n");
    await until(() => c.closed());
    const [res] = responses(c.text());
    expect(res!.status).toBe(405);
    expect(res!.head).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(res!.head).toMatch(/\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS/);
    expect(seen).toHaveLength(0);
    expect(await refusedCount(gw, 405)).toBe(1);
    expect(log).toEqual([expect.objectContaining({ status: 405, reason: expect.stringMatching(/CONNECT/) })]);
    await until(() => gw.requestsInFlight === 0);
    expect(await gauge(gw, "openConnections")).toBe(0);
  });
});

describe("serve: pipelined requests (RFC 9112 §9.3.2: responses in request order)", () => {
  it("a valid request then a malformed one: the valid one is answered first, then 400, then the connection closes", async () => {
    const e = await echo();
    const { gw, port, log } = await serve((r) => forwardTo(r, web), { endpoints: new Map([["app/web:8080", [e.address]]]) });
    const c = await rawClient(port);
    c.send("GET /first HTTP/1.1\r\nHost: a.example.com\r\n\r\nGET /second HTTP/1.1\r\nHost: a.example.com\r\n\r\nGARBAGE\r\n\r\n");
    await until(() => c.closed());
    const got = responses(c.text());
    expect(got.map((r) => r.status)).toEqual([200, 200, 400]);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ path: "/first" });
    expect(JSON.parse(got[1]!.body)).toMatchObject({ path: "/second" });
    expect(c.closed()).toBe(true);
    expect(await refusedCount(gw, 400)).toBe(1);
    await until(() => log.length === 3);
    expect(log.map((l) => l.status).sort()).toEqual([200, 200, 400]);
  });

  it("a malformed request alone is still answered 400 at once", async () => {
    const { port } = await serve(() => decision({ outcome: "notFound", status: 404 }));
    const c = await rawClient(port);
    c.send("GARBAGE\r\n\r\n");
    await until(() => c.closed());
    expect(c.text()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });
});
