import { afterEach, describe, expect, it } from "vitest";
import { startServe, type LiveGateway, type ServeOptions } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { backend, decision, fakeWorld, forwardTo, httpListener, service } from "./helpers/serve-world.js";

const open: { gateways: LiveGateway[]; echoes: EchoServer[] } = { gateways: [], echoes: [] };

afterEach(async () => {
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(open.echoes.splice(0).map((e) => e.close()));
});

async function echo(name: string, extra: Partial<Parameters<typeof startEcho>[0]> = {}): Promise<EchoServer> {
  const e = await startEcho({ service: name, ...extra });
  open.echoes.push(e);
  return e;
}

async function serve(options: Partial<ServeOptions> & Pick<ServeOptions, "decide">): Promise<{ gw: LiveGateway; port: number }> {
  const gw = await startServe({
    world: fakeWorld([httpListener(80)], [service("app", "web", 8080)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    ...options,
  });
  open.gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port };
}

const web = backend("app", "web", 8080);
const shadow = backend("app", "shadow", 8080);

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe("serve: filters carried out (fake decide)", () => {
  it("answers a redirect with the decision's status and Location", async () => {
    const { port } = await serve({ decide: () => decision({ outcome: "redirect", status: 301, redirect: { status: 301, location: "https://a.example.com/new" } }) });
    const res = await request(port);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("https://a.example.com/new");
  });

  it("answers a CORS preflight itself (outcome respond) with the decision's headers", async () => {
    const { port } = await serve({
      decide: () =>
        decision({
          outcome: "respond",
          status: 204,
          respond: { status: 204, headers: { "access-control-allow-origin": "https://app.example.com", "access-control-allow-methods": "GET, POST" } },
        }),
    });
    const res = await request(port, { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "POST" } });
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect(res.headers["access-control-allow-methods"]).toBe("GET, POST");
  });

  it("applies response header edits to the backend's answer (set, add joins, remove)", async () => {
    const e = await echo("web");
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, web, { responseHeaders: { set: { "x-set": "1" }, add: { "x-echo-service": "extra" }, remove: ["content-type"] } }),
      endpoints: new Map([["app/web:8080", [e.address]]]),
    });
    const res = await request(port);
    expect(res.headers["x-set"]).toBe("1");
    expect(res.headers["x-echo-service"]).toBe("web,extra");
    expect(res.headers["content-type"]).toBeUndefined();
  });

  it("mirrors a copy (with its body) to the mirror backend and ignores its answer", async () => {
    const main = await echo("web");
    const mirror = await echo("shadow", { status: 500 });
    const { port, gw } = await serve({
      decide: (_w, r) => forwardTo(r, web, { mirrors: [{ backend: shadow, percent: 100 }], forwarded: { method: "POST", scheme: "http", host: "a.example.com", path: "/m?x=1", headers: { "x-h": "v", "content-length": "4" } } }),
      endpoints: new Map([
        ["app/web:8080", [main.address]],
        ["app/shadow:8080", [mirror.address]],
      ]),
    });
    const res = await request(port, { method: "POST", body: "data", headers: { "content-length": "4" } });
    expect(res.status).toBe(200);
    await until(() => mirror.seen.length === 1);
    expect(mirror.seen[0]).toMatchObject({ method: "POST", path: "/m?x=1", bodyBytes: 4 });
    expect(mirror.seen[0]!.headers["x-h"]).toBe("v");
    expect(await gw.metrics.registry.getSingleMetricAsString("gwsim_mirrored_requests_total")).toContain('backend="app/shadow:8080"} 1');
  });

  it("mirrors a streamed body too (no retry buffering), and a stalled mirror never delays the main request", async () => {
    const main = await echo("web");
    const mirror = await echo("shadow", { stall: true });
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, web, { mirrors: [{ backend: shadow, percent: 100 }] }),
      endpoints: new Map([
        ["app/web:8080", [main.address]],
        ["app/shadow:8080", [mirror.address]],
      ]),
    });
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) {
      const res = await request(port, { method: "POST", body: "x".repeat(100_000), headers: { "transfer-encoding": "chunked" } });
      expect(res.json().bodyBytes).toBe(100_000);
    }
    expect(Date.now() - t0).toBeLessThan(2000);
    await until(() => mirror.seen.length === 5);
    expect(mirror.seen.map((s) => s.bodyBytes)).toEqual([100_000, 100_000, 100_000, 100_000, 100_000]);
  });

  it("fires a mirror below 100% only when the core drew it for this request", async () => {
    const main = await echo("web");
    const mirror = await echo("shadow");
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, web, { mirrors: [{ backend: shadow, percent: 50, fire: r.path === "/yes" } as never] }),
      endpoints: new Map([
        ["app/web:8080", [main.address]],
        ["app/shadow:8080", [mirror.address]],
      ]),
    });
    await request(port, { path: "/no" });
    await request(port, { path: "/yes" });
    await until(() => mirror.seen.length >= 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(mirror.seen.map((s) => s.path)).toEqual(["/yes"]);
  });

  it("sends nothing to an invalid mirror", async () => {
    const main = await echo("web");
    const mirror = await echo("shadow");
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, web, { mirrors: [{ backend: shadow, percent: 100, valid: false, reason: "BackendNotFound" }] }),
      endpoints: new Map([
        ["app/web:8080", [main.address]],
        ["app/shadow:8080", [mirror.address]],
      ]),
    });
    expect((await request(port)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(mirror.seen).toHaveLength(0);
  });
});
