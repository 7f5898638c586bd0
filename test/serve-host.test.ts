/**
 * Invalid Host fields on real sockets (127.0.0.1): RFC 9112 §3.2 (HTTP/1.1: a server MUST answer
 * 400 to an invalid Host) and RFC 9113 §8.3.1 (HTTP/2: an :authority the core cannot read, or a
 * `host` naming another origin, is malformed). serve refuses exactly the hosts the core answers
 * 400 BadRequest (checkRequest is decide's own reading), before deciding; each refusal is
 * counted in gwsim_refused_requests_total and access-logged, like the two-Host 400.
 */
import http2 from "node:http2";
import net from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { checkRequest, type Decision, type GatewayRequest } from "../packages/core/src/index.js";
import { hostRefusal } from "../packages/sim/src/serve/host.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { decision, fakeWorld, httpListener } from "./helpers/serve-world.js";

const open: { gateways: LiveGateway[]; sockets: net.Socket[]; sessions: http2.ClientHttp2Session[] } = { gateways: [], sockets: [], sessions: [] };

afterEach(async () => {
  for (const s of open.sockets.splice(0)) s.destroy();
  for (const s of open.sessions.splice(0)) s.destroy();
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
});

interface Served {
  gw: LiveGateway;
  port: number;
  seen: GatewayRequest[];
  log: Record<string, unknown>[];
}

/** A gateway whose (fake) core answers every request it is asked 204: anything decided shows as 204. */
async function serve(): Promise<Served> {
  const seen: GatewayRequest[] = [];
  const log: Record<string, unknown>[] = [];
  const gw = await startServe({
    world: fakeWorld([httpListener(80)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    decide: (_w, r): Decision => {
      seen.push(r);
      return decision({ outcome: "respond", status: 204 });
    },
    accessLog: (line) => log.push(JSON.parse(line) as Record<string, unknown>),
  });
  open.gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port, seen, log };
}

/** Sends `text` and collects the answer until the server closes (bounded). */
function exchange(port: number, text: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let got = "";
    const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write(text));
    open.sockets.push(socket);
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (got += d));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve({ text: got, closed: true }));
    setTimeout(() => resolve({ text: got, closed: false }), 3000);
  });
}

/** One HTTP/2 (h2c) request: its status and body, or the code of the reset that ended it. */
function h2(port: number, headers: http2.OutgoingHttpHeaders): Promise<{ status: number | null; body: string; rst: number }> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    open.sessions.push(session);
    session.on("error", () => undefined);
    const send = () => {
      const stream = session.request({ ":path": "/", ...headers });
      let status: number | null = null;
      let body = "";
      stream.setEncoding("utf8");
      stream.on("response", (h) => (status = Number(h[":status"])));
      stream.on("data", (d: string) => (body += d));
      stream.on("error", () => undefined);
      stream.on("close", () => resolve({ status, body, rst: stream.rstCode ?? 0 }));
      stream.setTimeout(3000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      stream.end();
    };
    // An extended CONNECT (RFC 8441) waits until the server's settings allow it.
    if (headers[":method"] === "CONNECT") session.once("remoteSettings", send);
    else send();
  });
}

async function refused(gw: LiveGateway): Promise<number> {
  return (await gw.metrics.refused.get()).values.filter((v) => v.labels.status === "400").reduce((sum, v) => sum + v.value, 0);
}

/** What the core says of a request with this Host: the message of its 400 BadRequest, or null. */
function coreProblem(host: string): string | null {
  const check = checkRequest({ gateway: "infra/edge", port: 80, host, path: "/" });
  return check.ok ? null : check.message;
}

const INVALID = ["a b", "exa mple.com:80", "[::1", "example.com:99999", "example.com:abc", "example.com:0", "user@example.com", "a.example.com/x",
  // not RFC 3986 host characters, or not an IP-literal
  'a"b', "<", "{x}.example.com", "a|b", "a\\b", "ex%zz.com", "[1.2.3.4]", "[1::2::3]:80"];
const VALID = ["a.example.com", "A.Example.COM:8080", "[::1]:80", "127.0.0.1", "example.com:",
  // RFC 3986 hosts that are not DNS names still route (and match no listener hostname unless one says so)
  "my_host.example.com", "example.com.", "ex%41mple.com", "a!$&'()*+,;=~.example", "[::ffff:192.0.2.1]:8080", "[v1.x]"];

describe("serve HTTP/1.1: an invalid Host is 400 (RFC 9112 §3.2), the core's reading", () => {
  it.each(INVALID)("Host: %s — refused before deciding, counted, logged with the core's reason, connection closed", async (host) => {
    const problem = coreProblem(host);
    expect(problem).not.toBeNull();
    const { gw, port, seen, log } = await serve();
    const res = await exchange(port, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(res.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(res.text).toContain(problem!);
    expect(res.closed).toBe(true);
    expect(seen).toHaveLength(0);
    expect(await refused(gw)).toBe(1);
    expect(log).toEqual([expect.objectContaining({ status: 400, reason: `${problem} (RFC 9112 §3.2)` })]);
    expect(gw.requestsInFlight).toBe(0);
  });

  it.each(VALID)("Host: %s — the core reads it: decided as sent", async (host) => {
    expect(coreProblem(host)).toBeNull();
    const { gw, port, seen } = await serve();
    const res = await exchange(port, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(res.text).toMatch(/^HTTP\/1\.1 204 /);
    expect(seen.map((r) => r.host)).toEqual([host]);
    expect(await refused(gw)).toBe(0);
  });

  it("an empty Host (a target without authority) and no Host at all are the core's to judge", async () => {
    const { port, seen } = await serve();
    await exchange(port, "GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n");
    await exchange(port, "GET / HTTP/1.0\r\n\r\n");
    expect(seen.map((r) => r.host)).toEqual(["", undefined]);
  });

  it("a WebSocket upgrade with an invalid Host: 400 on the raw socket, never decided, counted", async () => {
    const { gw, port, seen } = await serve();
    const res = await exchange(port, "GET /chat HTTP/1.1\r\nHost: example.com:abc\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    expect(res.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(res.closed).toBe(true);
    expect(seen).toHaveLength(0);
    expect(await refused(gw)).toBe(1);
  });

  it("serve refuses a Host exactly when the core cannot read it (any string)", () => {
    // Values the HTTP/1.1 parser passes on: no CR, LF or NUL, no leading or trailing whitespace.
    const fieldValue = fc.string({ unit: fc.constantFrom(..."aZv09.-:[]@/?# \t\"%_~!$&'()*+,;=<>{}|\\^`\u00e9"), maxLength: 24 }).map((s) => s.trim());
    fc.assert(
      fc.property(fieldValue, (host) => {
        const serve = hostRefusal(["Host", host], false, "http");
        const core = coreProblem(host);
        expect(serve === null).toBe(core === null);
        if (core !== null) expect(serve).toBe(`${core} (RFC 9112 §3.2)`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("serve HTTP/2: :authority and host (RFC 9113 §8.3.1)", () => {
  it.each(["[::1", "example.com:99999", "example.com:abc", "example.com:0", "[1.2.3.4]"])(":authority %s — 400 on the stream, never decided, counted, logged", async (authority) => {
    const { gw, port, seen, log } = await serve();
    const res = await h2(port, { ":authority": authority });
    expect(res.status).toBe(400);
    expect(res.body).toContain(coreProblem(authority)!);
    expect(seen).toHaveLength(0);
    expect(await refused(gw)).toBe(1);
    expect(log).toEqual([expect.objectContaining({ status: 400, reason: `${coreProblem(authority)} (RFC 9113 §8.3.1)` })]);
  });

  it("an :authority with a space is reset by nghttp2 itself (PROTOCOL_ERROR): never decided, but counted and logged once the session ends", async () => {
    const { gw, port, seen, log } = await serve();
    const res = await h2(port, { ":authority": "a b" });
    expect(res.status).toBeNull();
    expect(res.rst).toBe(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    expect(seen).toHaveLength(0);
    for (const s of open.sessions.splice(0)) s.close();
    for (let i = 0; i < 100 && log.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual([expect.objectContaining({ status: 0, reason: expect.stringMatching(/^HTTP\/2 stream 1 reset before its request reached serve: .*malformed/) })]);
    expect((await gw.metrics.refused.get()).values.find((v) => v.labels.status === "0")?.value).toBe(1);
  });

  it("host and :authority naming different origins: 400, never decided, counted and logged", async () => {
    const { gw, port, seen, log } = await serve();
    for (const [authority, host] of [["a.example.com", "b.example.com"], ["a.example.com:8080", "a.example.com"], ["a.example.com", "a.example.com:81"]] as const) {
      const res = await h2(port, { ":authority": authority, host });
      expect(res.status).toBe(400);
      expect(res.body).toContain("differ (RFC 9113 §8.3.1)");
    }
    expect(seen).toHaveLength(0);
    expect(await refused(gw)).toBe(3);
    expect(log).toHaveLength(3);
  });

  it("host and :authority naming the same origin (case, the scheme's port) are decided with :authority", async () => {
    const { gw, port, seen } = await serve();
    for (const [authority, host] of [["a.example.com", "a.example.com"], ["a.example.com", "A.Example.com:80"], ["a.example.com:80", "a.example.com"]] as const) {
      expect((await h2(port, { ":authority": authority, host })).status).toBe(204);
    }
    expect(seen.map((r) => r.host)).toEqual(["a.example.com", "a.example.com", "a.example.com:80"]);
    expect(await refused(gw)).toBe(0);
  });

  it("an invalid host header beside a valid :authority is 400 too", async () => {
    const { port, seen } = await serve();
    expect((await h2(port, { ":authority": "a.example.com", host: "a.example.com:abc" })).status).toBe(400);
    expect(seen).toHaveLength(0);
  });

  it("a WebSocket over HTTP/2 (RFC 8441 extended CONNECT) with a bad :authority or a differing host: 400, never decided", async () => {
    const { gw, port, seen } = await serve();
    const ws = { ":method": "CONNECT", ":protocol": "websocket", ":scheme": "http", ":path": "/chat", "sec-websocket-version": "13" };
    expect((await h2(port, { ...ws, ":authority": "example.com:abc" })).status).toBe(400);
    expect((await h2(port, { ...ws, ":authority": "a.example.com", host: "b.example.com" })).status).toBe(400);
    expect(seen).toHaveLength(0);
    expect(await refused(gw)).toBe(2);
    // A good one is decided (the fake core answers it 204).
    expect((await h2(port, { ...ws, ":authority": "a.example.com" })).status).toBe(204);
    expect(seen.map((r) => r.protocol)).toEqual(["websocket"]);
  });
});
