import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayRequest } from "../packages/core/src/index.js";
import { startServe, type LiveGateway, type ServeOptions } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { backend, decision, fakeWorld, forwardTo, httpListener, service } from "./helpers/serve-world.js";

const open: { gateways: LiveGateway[]; echoes: EchoServer[] } = { gateways: [], echoes: [] };

afterEach(async () => {
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(open.echoes.splice(0).map((e) => e.close()));
});

async function echo(service: string, extra: Partial<Parameters<typeof startEcho>[0]> = {}): Promise<EchoServer> {
  const e = await startEcho({ service, ...extra });
  open.echoes.push(e);
  return e;
}

async function serve(options: Partial<ServeOptions> & Pick<ServeOptions, "decide">): Promise<{ gw: LiveGateway; port: number; seen: GatewayRequest[] }> {
  const seen: GatewayRequest[] = [];
  const decide = options.decide;
  const gw = await startServe({
    world: fakeWorld([httpListener(80)], [service("app", "web", 8080)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    ...options,
    decide: (w, r, o) => {
      seen.push(r);
      return decide(w, r, o);
    },
  });
  open.gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port, seen };
}

const web = backend("app", "web", 8080);

describe("serve: listeners and forwarding (fake decide)", () => {
  it("binds each ready listener port where --listen says, and skips listeners that are not ready", async () => {
    const world = fakeWorld([httpListener(80), httpListener(81, { name: "b" }), httpListener(82, { name: "c", ready: false })]);
    const gw = await startServe({
      world,
      decide: () => decision({ outcome: "notFound" }),
      listen: new Map([
        ["80", { host: "127.0.0.1", port: 0 }],
        ["infra/edge:81", { host: "127.0.0.1", port: 0 }],
      ]),
    });
    open.gateways.push(gw);
    const bound = gw.addresses();
    expect(bound.map((b) => b.port)).toEqual([80, 81]);
    for (const b of bound) {
      expect(b.address.host).toBe("127.0.0.1");
      expect(b.address.port).toBeGreaterThan(0);
      expect((await request(b.address.port)).status).toBe(404);
    }
    expect(gw.isReady()).toBe(true);
  });

  it("describes the socket request to the core: gateway, listener port, scheme, host, raw path, headers", async () => {
    const e = await echo("web");
    const { port, seen } = await serve({ decide: (_w, r) => forwardTo(r, web), endpoints: new Map([["app/web:8080", [e.address]]]) });
    const res = await request(port, { path: "/a/../b%2e?x=1&y", host: "Shop.Example.com:8080", headers: { "x-multi": ["a", "b"], connection: "keep-alive, x-drop", "x-drop": "1", "keep-alive": "timeout=5" } });
    expect(res.status).toBe(200);
    const r = seen[0]!;
    expect(r).toMatchObject({ gateway: "infra/edge", port: 80, scheme: "http", protocol: "HTTP/1.1", method: "GET", path: "/a/../b%2e?x=1&y", host: "Shop.Example.com:8080" });
    expect(r.headers!["x-multi"]).toEqual(["a", "b"]);
    // Hop-by-hop fields (and those Connection names) are not part of the request the core sees.
    expect(r.headers).not.toHaveProperty("connection");
    expect(r.headers).not.toHaveProperty("x-drop");
    expect(r.headers).not.toHaveProperty("keep-alive");
    expect(r.headers!["x-forwarded-proto"]).toBe("http");
    expect(r.headers!["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("forwards with the decision's method, path, host and headers, and nothing else of the client's", async () => {
    const e = await echo("web");
    const { port } = await serve({
      decide: (_w, r) =>
        forwardTo(r, web, {
          forwarded: { method: "POST", scheme: "http", host: "internal.example", path: "/rewritten?q=1", headers: { "x-set": "yes", "content-length": "5" } },
        }),
      endpoints: new Map([["app/web:8080", [e.address]]]),
    });
    const res = await request(port, { method: "PUT", path: "/orig", host: "a.example.com", headers: { "x-client": "1", "content-length": "5" }, body: "hello" });
    expect(res.status).toBe(200);
    const got = res.json();
    expect(got).toMatchObject({ method: "POST", path: "/rewritten?q=1", host: "internal.example", bodyBytes: 5 });
    expect(got.headers["x-set"]).toBe("yes");
    expect(got.headers["x-client"]).toBeUndefined();
  });

  it("keeps the client's Host (with its port) when no filter changed the host", async () => {
    const e = await echo("web");
    const { port } = await serve({ decide: (_w, r) => forwardTo(r, web), endpoints: new Map([["app/web:8080", [e.address]]]) });
    const res = await request(port, { host: "shop.example.com:8080" });
    expect(res.json().host).toBe("shop.example.com:8080");
  });

  it("round-robins over a backend's endpoints", async () => {
    const a = await echo("web", { endpoint: "a" });
    const b = await echo("web", { endpoint: "b" });
    const c = await echo("web", { endpoint: "c" });
    const { port } = await serve({ decide: (_w, r) => forwardTo(r, web), endpoints: new Map([["app/web:8080", [a.address, b.address, c.address]]]) });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const endpoints: string[] = [];
    for (let i = 0; i < 9; i++) endpoints.push((await request(port, { agent })).json().endpoint);
    agent.destroy();
    expect(endpoints).toEqual(["a", "b", "c", "a", "b", "c", "a", "b", "c"]);
  });

  it("resolves endpoints from EndpointSlices in the manifests (port by Service port name)", async () => {
    const e = await echo("web");
    const slice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-abc", namespace: "app", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      ports: [{ name: "http", port: e.port, protocol: "TCP" }],
      endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }, { addresses: ["127.0.0.9"], conditions: { ready: false } }],
    };
    const { port, gw } = await serve({ decide: (_w, r) => forwardTo(r, web), objects: [slice] });
    expect(gw.snapshot().endpoints.get("app/web:8080")).toEqual([e.address]);
    const res = await request(port);
    expect(res.status).toBe(200);
    expect(res.json().service).toBe("web");
  });

  it("streams large bodies both ways without buffering them whole", async () => {
    const size = 8 * 1024 * 1024;
    const upstream = http.createServer((req, res) => {
      let n = 0;
      req.on("data", (c: Buffer) => (n += c.length));
      req.on("end", () => {
        res.writeHead(200, { "x-received": String(n) });
        const chunk = Buffer.alloc(64 * 1024, 120);
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          res.end();
        };
        pump();
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
    const up = (upstream.address() as net.AddressInfo).port;
    try {
      const { port } = await serve({ decide: (_w, r) => forwardTo(r, web), endpoints: new Map([["app/web:8080", [`127.0.0.1:${up}`]]]) });
      const result = await new Promise<{ received: string; bytes: number }>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/up", agent: false }, (res) => {
          let bytes = 0;
          res.on("data", (c: Buffer) => (bytes += c.length));
          res.on("end", () => resolve({ received: String(res.headers["x-received"]), bytes }));
        });
        req.on("error", reject);
        const chunk = Buffer.alloc(64 * 1024, 121);
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
          req.end();
        };
        pump();
      });
      expect(result).toEqual({ received: String(size), bytes: size });
    } finally {
      upstream.closeAllConnections();
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  });

  it("never sends traffic to an address outside the picked backend's endpoints", async () => {
    const mine = await echo("web");
    const other = await echo("other");
    const { port } = await serve({
      decide: (_w, r) => forwardTo(r, web),
      endpoints: new Map([
        ["app/web:8080", [mine.address]],
        ["app/other:8080", [other.address]],
      ]),
    });
    for (let i = 0; i < 5; i++) expect((await request(port)).json().service).toBe("web");
    expect(other.seen).toHaveLength(0);
  });
});
