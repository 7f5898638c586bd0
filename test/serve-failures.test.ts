import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startServe, type LiveGateway, type ServeOptions } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { backend, decision, fakeWorld, forwardTo, httpListener, service } from "./helpers/serve-world.js";

const open: { gateways: LiveGateway[]; echoes: EchoServer[]; servers: http.Server[] } = { gateways: [], echoes: [], servers: [] };

afterEach(async () => {
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(open.echoes.splice(0).map((e) => e.close()));
  for (const s of open.servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function echo(name: string, extra: Partial<Parameters<typeof startEcho>[0]> = {}): Promise<EchoServer> {
  const e = await startEcho({ service: name, ...extra });
  open.echoes.push(e);
  return e;
}

const web = backend("app", "web", 8080);
const logs: string[] = [];

async function serve(options: Partial<ServeOptions> & Pick<ServeOptions, "decide">): Promise<{ gw: LiveGateway; port: number }> {
  const gw = await startServe({
    world: fakeWorld([httpListener(80)], [service("app", "web", 8080)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    log: (t) => void logs.push(t),
    ...options,
  });
  open.gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port };
}

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Sends raw bytes and returns what came back before the server closed (bounded in time). */
function raw(port: number, text: string | string[], waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let out = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, waitMs);
    socket.on("data", (c) => (out += c.toString("latin1")));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on("error", () => undefined);
    for (const t of Array.isArray(text) ? text : [text]) socket.write(t);
  });
}

describe("serve: failures are answered, never fatal", () => {
  it.each([
    { outcome: "notFound" as const, status: null, want: 404 },
    { outcome: "error" as const, status: 500, want: 500 },
    { outcome: "error" as const, status: 400, want: 400 },
  ])("$outcome/$status → $want", async ({ outcome, status, want }) => {
    const { port } = await serve({ decide: () => decision({ outcome, status }) });
    const res = await request(port);
    expect(res.status).toBe(want);
    expect(res.body).toMatch(/^gwsim: /);
  });

  // The client is told why in words, never the Service, namespace or rule behind the route; the
  // access log keeps the whole reason for the operator.
  it("answers 500 saying no valid backend, the invalid backend named only in the access log", async () => {
    const bad = backend("app", "gone", 8080);
    const access: string[] = [];
    const { port } = await serve({
      decide: (_w, r) =>
        forwardTo(r, bad, { outcome: "error", status: 500, message: "backend app/gone:8080 is invalid (BackendNotFound)", backends: [{ ...bad, weight: 1, probability: 1, valid: false, reason: "BackendNotFound" }] }),
      accessLog: (line) => void access.push(line),
    });
    const res = await request(port);
    expect(res.status).toBe(500);
    expect(res.body).toBe("gwsim: no valid backend for this request\n");
    for (let i = 0; i < 50 && access.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(JSON.parse(access[0]!).reason).toContain("app/gone:8080");
  });

  it("503 when the picked backend has no endpoints, without naming it", async () => {
    const { port } = await serve({ decide: (_w, r) => forwardTo(r, web) });
    const res = await request(port);
    expect(res.status).toBe(503);
    expect(res.body).toBe("gwsim: no endpoints for the backend\n");
  });

  it("503 on a connect error, 502 when the backend resets the connection", async () => {
    const dead = await deadPort();
    const resetter = net.createServer((s) => s.once("data", () => s.resetAndDestroy()));
    await new Promise<void>((r) => resetter.listen(0, "127.0.0.1", () => r()));
    const resetPort = (resetter.address() as net.AddressInfo).port;
    try {
      const { port } = await serve({
        decide: (_w, r) => forwardTo(r, r.path === "/dead" ? web : backend("app", "reset", 8080)),
        endpoints: new Map([
          ["app/web:8080", [`127.0.0.1:${dead}`]],
          ["app/reset:8080", [`127.0.0.1:${resetPort}`]],
        ]),
      });
      const dead503 = await request(port, { path: "/dead" });
      const reset502 = await request(port, { path: "/reset" });
      expect([dead503.status, dead503.body]).toEqual([503, "gwsim: cannot connect to the backend: connection refused\n"]);
      expect([reset502.status, reset502.body]).toEqual([502, "gwsim: the backend closed the connection before a complete response\n"]);
    } finally {
      resetter.close();
    }
  });

  it("504 when a stalled backend passes the rule's backendRequest timeout, and when the request timeout passes", async () => {
    const stalled = await echo("web", { stall: true });
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, web, { timeouts: r.path === "/b" ? { backendRequest: "150ms" } : { request: "200ms" } }),
      endpoints: new Map([["app/web:8080", [stalled.address]]]),
    });
    const t0 = Date.now();
    const b = await request(port, { path: "/b" });
    const t1 = Date.now();
    const r = await request(port, { path: "/r" });
    const t2 = Date.now();
    expect([b.status, r.status]).toEqual([504, 504]);
    expect(b.body).toContain("backend timeout");
    expect(r.body).toContain("request timeout");
    expect(t1 - t0).toBeGreaterThanOrEqual(140);
    expect(t1 - t0).toBeLessThan(2000);
    expect(t2 - t1).toBeGreaterThanOrEqual(190);
    expect(t2 - t1).toBeLessThan(2000);
  });

  it("a zero timeout disables it (GEP-2257 0s)", async () => {
    const slow = http.createServer((_req, res) => setTimeout(() => res.end("late"), 150));
    open.servers.push(slow);
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", () => r()));
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, web, { timeouts: { request: "0s", backendRequest: "0s" } }),
      endpoints: new Map([["app/web:8080", [`127.0.0.1:${(slow.address() as net.AddressInfo).port}`]]]),
    });
    const res = await request(port);
    expect(res.status).toBe(200);
    expect(res.body).toBe("late");
  });

  it("400 for a malformed request, 431 for oversized headers, and keeps serving", async () => {
    const { port, gw } = await serve({ decide: () => decision({ outcome: "notFound" }) });
    expect(await raw(port, "GARBAGE\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(port, `GET / HTTP/1.1\r\nhost: a\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(await raw(port, "GET / HTTP/1.1\r\nhost: a\r\nbad header: x\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    expect((await request(port)).status).toBe(404);
    const metrics = await gw.metrics.registry.getSingleMetricAsString("gwsim_refused_requests_total");
    expect(metrics).toMatch(/status="400"\} 2/);
    expect(metrics).toMatch(/status="431"\} 1/);
  });

  it("times out a slow client that never finishes its headers (408)", async () => {
    const { port } = await serve({ decide: () => decision({ outcome: "notFound" }), limits: { headersTimeoutMs: 200, requestTimeoutMs: 400, checkIntervalMs: 50 } });
    const t0 = Date.now();
    const out = await raw(port, "GET / HTTP/1.1\r\nhost: a\r\nx-slow: ", 3000);
    expect(out).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it("retries per the decision: codes, attempts, to the next endpoint, after the backoff", async () => {
    const failing = await echo("web", { endpoint: "bad", status: 503 });
    const good = await echo("web", { endpoint: "good" });
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, web, { retry: { attempts: 2, codes: [503], backoff: "50ms" } }),
      endpoints: new Map([["app/web:8080", [failing.address, good.address]]]),
    });
    const t0 = Date.now();
    const res = await request(port, { method: "POST", body: "abc", headers: { "content-length": "3" } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ endpoint: "good", bodyBytes: 3 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(failing.seen).toHaveLength(1);
  });

  it("gives up after the attempts and answers what the backend last said", async () => {
    const failing = await echo("web", { status: 503 });
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, web, { retry: { attempts: 2, codes: [503], backoff: "1ms" } }),
      endpoints: new Map([["app/web:8080", [failing.address]]]),
    });
    expect((await request(port)).status).toBe(503);
    expect(failing.seen).toHaveLength(3);
  });

  it("does not retry codes the decision does not list, and retries connection errors once a retry stanza exists", async () => {
    const failing = await echo("web", { status: 500 });
    const dead = await deadPort();
    const good = await echo("web", { endpoint: "good" });
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, r.path === "/a" ? web : backend("app", "two", 8080), { retry: { attempts: 1, codes: [503], backoff: "1ms" } }),
      endpoints: new Map([
        ["app/web:8080", [failing.address]],
        ["app/two:8080", [`127.0.0.1:${dead}`, good.address]],
      ]),
    });
    expect((await request(port, { path: "/a" })).status).toBe(500);
    expect(failing.seen).toHaveLength(1);
    expect((await request(port, { path: "/b" })).json().endpoint).toBe("good");
  });

  it("a backend killed mid-traffic: with retry every request succeeds; without, failures are 502/503 and serving goes on", async () => {
    const a = await echo("web", { endpoint: "a" });
    const b = await echo("web", { endpoint: "b" });
    const endpoints = new Map([["app/web:8080", [a.address, b.address]]]);
    const withRetry = await serve({ decide: (_w, r) => forwardTo(r, web, { retry: { attempts: 2, codes: [502, 503], backoff: "1ms" } }), endpoints });
    const plain = await serve({ decide: (_w, r) => forwardTo(r, web), endpoints });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const statuses = { retry: new Map<number, number>(), plain: new Map<number, number>() };
    const deadline = Date.now() + 10_000;
    for (let i = 0; i < 120 && Date.now() < deadline; i++) {
      if (i === 40) await a.kill();
      const batch = await Promise.all([request(withRetry.port, { agent }), request(plain.port, { agent })]);
      statuses.retry.set(batch[0].status, (statuses.retry.get(batch[0].status) ?? 0) + 1);
      statuses.plain.set(batch[1].status, (statuses.plain.get(batch[1].status) ?? 0) + 1);
    }
    agent.destroy();
    expect([...statuses.retry.keys()]).toEqual([200]);
    expect(statuses.retry.get(200)).toBe(120);
    for (const s of statuses.plain.keys()) expect([200, 502, 503]).toContain(s);
    expect(statuses.plain.get(200)).toBeGreaterThan(60);
    expect((await request(plain.port)).status).toBeLessThan(600);
  });
});
