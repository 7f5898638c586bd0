/**
 * SIGTERM with nothing in flight ends at once: close() waits for requests in flight only. Idle
 * connections of every kind, connections of frontends a reload replaced, and mirrored copies to
 * a stalled backend hold nothing up. Each case has a drain timeout far above the bound it is
 * checked against, so a wait shows as a failure, not as a slow pass. Live, on 127.0.0.1.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startServe, type LiveGateway, type ServeOptions } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { backend, fakeWorld, forwardTo, httpListener, service } from "./helpers/serve-world.js";

const DRAIN_MS = 20_000;
/** Far under DRAIN_MS and the 30 s mirror timeout, far over a loaded machine's scheduling noise. */
const PROMPT_MS = 3_000;

const open: { gateways: LiveGateway[]; echoes: EchoServer[]; cleanups: (() => void)[] } = { gateways: [], echoes: [], cleanups: [] };

afterEach(async () => {
  for (const c of open.cleanups.splice(0)) c();
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(open.echoes.splice(0).map((e) => e.close()));
});

const web = backend("app", "web", 8080);
const shadow = backend("app", "shadow", 8080);

async function serve(over: Partial<ServeOptions> = {}): Promise<{ gw: LiveGateway; port: number }> {
  const echo = await startEcho({ service: "app/web" });
  open.echoes.push(echo);
  const gw = await startServe({
    world: fakeWorld([httpListener(80)], [service("app", "web", 8080)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    endpoints: new Map([["app/web:8080", [echo.address]]]),
    decide: (_w, r) => forwardTo(r, web),
    ...over,
  });
  open.gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port };
}

/** Resolves when the socket has closed; rejects after `ms`. */
function closed(socket: net.Socket, ms = PROMPT_MS): Promise<void> {
  if (socket.destroyed && socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("socket still open")), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A raw connection that has sent `text` (maybe nothing, maybe half a request head). */
async function rawConnection(port: number, text: string): Promise<net.Socket> {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  open.cleanups.push(() => socket.destroy());
  await new Promise((r) => socket.once("connect", r));
  if (text) socket.write(text);
  return socket;
}

async function timedClose(gw: LiveGateway): Promise<number> {
  const t0 = performance.now();
  await gw.close({ drainMs: DRAIN_MS });
  return performance.now() - t0;
}

describe("serve close(): nothing in flight, nothing waited for", () => {
  it("idle HTTP/1.1 keep-alive, HTTP/2 session, admin keep-alive and silent connections close at once", async () => {
    const { gw, port } = await serve({ admin: { host: "127.0.0.1", port: 0 } });
    const agent = new http.Agent({ keepAlive: true });
    open.cleanups.push(() => agent.destroy());
    const sockets: net.Socket[] = [];
    agent.on("free", (s: net.Socket) => void (sockets.includes(s) || sockets.push(s)));
    expect((await request(port, { agent })).status).toBe(200);
    expect((await request(gw.adminAddress()!.port, { path: "/metrics", agent })).status).toBe(200);
    expect(sockets).toHaveLength(2);

    const h2 = http2.connect(`http://127.0.0.1:${port}`);
    h2.on("error", () => undefined);
    open.cleanups.push(() => h2.destroy());
    await new Promise<void>((resolve, reject) => {
      const s = h2.request({ ":path": "/h2", ":authority": "a.example.com" });
      s.resume();
      s.on("end", () => resolve());
      s.on("error", reject);
    });
    const h2Closed = new Promise<void>((r) => h2.once("close", () => r()));
    const silent = await rawConnection(port, "");

    expect(gw.requestsInFlight).toBe(0);
    expect(await timedClose(gw)).toBeLessThan(PROMPT_MS);
    await Promise.all([...sockets.map((s) => closed(s)), closed(silent), h2Closed]);
  });

  it("a frontend a reload replaced is closed too, with a connection that is neither idle nor in flight (half a request head)", async () => {
    const { gw, port } = await serve({ limits: { headersTimeoutMs: 60_000, requestTimeoutMs: 60_000 } });
    const half = await rawConnection(port, "GET / HTTP/1.1\r\nhost: a.example.com\r\nx-slow: ");
    // Listener 80 gone, 81 in: the frontend on `port` is retired, its connection left to finish.
    const result = await gw.reload(fakeWorld([httpListener(81)], [service("app", "web", 8080)]), [], new Map());
    expect(result.applied).toBe(true);
    expect(half.destroyed).toBe(false);
    expect(await timedClose(gw)).toBeLessThan(PROMPT_MS);
    // Was: retired frontends were left to their own 30 s timer, holding the process open.
    await closed(half);
  });

  it("a mirrored copy to a stalled backend does not hold close() (its answer is discarded anyway)", async () => {
    const stalled = await startEcho({ service: "app/shadow", stall: true });
    open.echoes.push(stalled);
    const echo = await startEcho({ service: "app/web" });
    open.echoes.push(echo);
    const { gw, port } = await serve({
      world: fakeWorld([httpListener(80)], [service("app", "web", 8080), service("app", "shadow", 8080)]),
      endpoints: new Map([
        ["app/web:8080", [echo.address]],
        ["app/shadow:8080", [stalled.address]],
      ]),
      decide: (_w, r) => forwardTo(r, web, { mirrors: [{ backend: shadow, percent: 100 }] }),
    });
    expect((await request(port, { path: "/m" })).status).toBe(200);
    // The copy reached the stalled backend and waits there for an answer that never comes.
    const deadline = Date.now() + PROMPT_MS;
    while (stalled.seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(stalled.seen).toHaveLength(1);
    expect(gw.requestsInFlight).toBe(0);
    expect(await timedClose(gw)).toBeLessThan(PROMPT_MS);
  });

  it("a request in flight is still waited for (drain), and the close follows right after it", async () => {
    const slow = http.createServer((_req, res) => setTimeout(() => res.end("late"), 400));
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", () => r()));
    open.cleanups.push(() => {
      slow.closeAllConnections();
      slow.close();
    });
    const { gw, port } = await serve({ endpoints: new Map([["app/web:8080", [`127.0.0.1:${(slow.address() as net.AddressInfo).port}`]]]) });
    const inflight = request(port, { path: "/slow" });
    const deadline = Date.now() + PROMPT_MS;
    while (gw.requestsInFlight === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const took = await timedClose(gw);
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body).toBe("late");
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(PROMPT_MS);
  });
});
