/**
 * `gwsim serve` run as an operator runs it, for hours: what the adapter holds (connections,
 * HTTP/2 sessions, upstream pools, frontends, metric series, timers) comes back to a baseline
 * once traffic stops, however many requests, aborts and reloads went by. Counts only, never
 * time or memory; a few hundred requests at most, on 127.0.0.1.
 */
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import http2, { type ServerHttp2Session } from "node:http2";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests } from "../packages/core/src/index.js";
import { watchRefusedStreams } from "../packages/sim/src/serve/h2-limits.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { EXAMPLE_CERT } from "./helpers/example-cert.js";
import { backendTLS, edgeGateway } from "./helpers/gateway-yaml.js";
import { decision, fakeWorld, httpListener } from "./helpers/serve-world.js";

const gateways: LiveGateway[] = [];
const clients: http2.ClientHttp2Session[] = [];
const echoes: EchoServer[] = [];
const agents: http.Agent[] = [];
const servers: http.Server[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const a of agents.splice(0)) a.destroy();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
  await Promise.all(gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(echoes.splice(0).map((e) => e.close()));
});

async function echo(service: string): Promise<EchoServer> {
  const e = await startEcho({ service });
  echoes.push(e);
  return e;
}

/**
 * Gateway `edge` (HTTP port 80), Service `app/<service>` and one HTTPRoute `app/<route>` to it;
 * `extra` is more YAML documents.
 */
function routedWorld(route: string, service: string, extra = "") {
  const yaml = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}]")}
---
apiVersion: v1
kind: Service
metadata: {name: ${service}, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${route}, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
  - backendRefs: [{name: ${service}, port: 8080}]
${extra ? `---\n${extra}` : ""}`;
  const { objects } = parseManifests(yaml, { file: "world.yaml" });
  return { world: buildWorld(objects), objects };
}

/** Label sets of every metric in the adapter's registry. */
async function seriesCount(gw: LiveGateway): Promise<number> {
  return (await gw.metrics.registry.getMetricsAsJSON()).reduce((n, m) => n + m.values.length, 0);
}

async function labelValues(gw: LiveGateway, label: string): Promise<string[]> {
  const values = new Set<string>();
  for (const m of await gw.metrics.registry.getMetricsAsJSON()) for (const v of m.values) if (typeof v.labels[label] === "string") values.add(v.labels[label] as string);
  return [...values].sort();
}

/** Resolves once `read()` is true (checked every 10 ms); the test's own timeout bounds the wait. */
async function until(read: () => boolean): Promise<void> {
  while (!read()) await new Promise((r) => setTimeout(r, 10));
}

async function notFoundGateway(): Promise<{ gw: LiveGateway; port: number }> {
  const gw = await startServe({
    world: fakeWorld([httpListener(80)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    decide: () => decision({ outcome: "notFound" }),
    log: () => undefined,
  });
  gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port };
}

function h2get(c: http2.ClientHttp2Session, path: string): Promise<number> {
  return new Promise((resolve) => {
    const s = c.request({ ":path": path });
    let status = 0;
    s.on("response", (h) => (status = Number(h[":status"])));
    s.on("error", () => undefined);
    s.on("close", () => resolve(status));
    s.resume();
    s.end();
  });
}

describe("serve soak: HTTP/2 sessions", () => {
  it("a client that closes its HTTP/2 session gracefully ends it on the gateway too, and the gateway keeps serving", async () => {
    const { gw, port } = await notFoundGateway();
    for (let round = 0; round < 5; round++) {
      const c = http2.connect(`http://127.0.0.1:${port}`);
      c.on("error", () => undefined);
      clients.push(c);
      expect(await Promise.all([h2get(c, "/a"), h2get(c, "/b")])).toEqual([404, 404]);
      // GOAWAY from the client: node's http2 then destroys the server session with destroy(null),
      // which h2-limits' wrapper read as an error (a TypeError that took the process down).
      await new Promise<void>((r) => c.close(() => r()));
      await until(() => gw.usage().connections === 0);
    }
    expect(gw.usage()).toMatchObject({ connections: 0, inflight: 0 });
  });

  it("watchRefusedStreams' destroy wrapper takes destroy(null), as node's own close path calls it", () => {
    const calls: unknown[][] = [];
    const session = Object.assign(new EventEmitter(), {
      destroyed: false,
      state: { lastProcStreamID: 0 },
      destroy(...args: unknown[]) {
        calls.push(args);
      },
    }) as unknown as ServerHttp2Session;
    const reports: string[] = [];
    watchRefusedStreams(session, 100, (r) => reports.push(r));
    expect(() => (session.destroy as unknown as (e: null) => void)(null)).not.toThrow();
    expect(calls).toEqual([[null]]);
    expect(reports).toEqual([]);
  });
});

describe("serve soak: reloads", () => {
  it("metric series of routes and backends a reload took away are dropped: 30 reloads renaming the route keep one route's worth", async () => {
    const backend = await echo("app/web");
    const endpoints = (service: string) => new Map([[`app/${service}:8080`, [backend.address]]]);
    const first = routedWorld("r0", "web0");
    const gw = await startServe({ ...first, endpoints: endpoints("web0"), decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]), log: () => undefined });
    gateways.push(gw);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const port = gw.addresses()[0]!.address.port;
    expect((await request(port, { host: "x", agent })).status).toBe(200);
    const counts: number[] = [];
    for (let i = 1; i <= 30; i++) {
      const next = routedWorld(`r${i}`, `web${i % 3}`);
      expect((await gw.reload(next.world, next.objects, endpoints(`web${i % 3}`))).applied).toBe(true);
      expect((await request(port, { host: "x", agent })).status).toBe(200);
      counts.push(await seriesCount(gw));
    }
    // One route, one backend, one listener in force: the same series after every reload.
    expect(new Set(counts).size).toBe(1);
    expect(await labelValues(gw, "route")).toEqual(["HTTPRoute/app/r30"]);
    expect(await labelValues(gw, "backend")).toEqual(["app/web0:8080"]);
    expect(gw.usage()).toMatchObject({ frontends: 1, retiring: 0, upstreams: 1, balanced: 1, inflight: 0 });
  });

  it("a BackendTLSPolicy whose hostname changes on every reload leaves no upstream pool of the old settings behind", async () => {
    // A plain-HTTP backend: the TLS handshakes fail (502), but each setting gets its pool.
    const backend = await echo("app/web");
    const endpoints = new Map([["app/web:8080", [backend.address]]]);
    const world = (i: number) => routedWorld("r", "web", backendTLS("web", `web-${i}.example.com`, EXAMPLE_CERT));
    const gw = await startServe({ ...world(0), endpoints, decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]), log: () => undefined });
    gateways.push(gw);
    const port = gw.addresses()[0]!.address.port;
    const upstreams: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const next = world(i);
      expect((await gw.reload(next.world, next.objects, endpoints)).applied).toBe(true);
      expect((await request(port, { host: "x" })).status).toBe(502);
      upstreams.push(gw.usage().upstreams);
    }
    // The pool of this configuration's settings, and at most the previous one's (its requests may still run).
    expect(Math.max(...upstreams)).toBeLessThanOrEqual(2);
  });

  it("retry budgets of policy numbers a reload replaced are forgotten: 20 reloads changing the percent keep one budget", async () => {
    const backend = await echo("app/web");
    const endpoints = new Map([["app/web:8080", [backend.address]]]);
    const world = (percent: number) =>
      routedWorld(
        "r",
        "web",
        `apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackendTrafficPolicy
metadata: {name: budget, namespace: app}
spec:
  targetRefs: [{group: "", kind: Service, name: web}]
  retryConstraint:
    budget: {percent: ${percent}, interval: 1h}
`,
      );
    const gw = await startServe({ ...world(10), endpoints, decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]), log: () => undefined });
    gateways.push(gw);
    const port = gw.addresses()[0]!.address.port;
    expect((await request(port, { host: "x" })).status).toBe(200);
    expect(gw.usage().retryBudgets).toBe(1);
    const budgets: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const next = world(10 + i);
      expect((await gw.reload(next.world, next.objects, endpoints)).applied).toBe(true);
      expect((await request(port, { host: "x" })).status).toBe(200);
      budgets.push(gw.usage().retryBudgets);
    }
    expect(budgets).toEqual(Array(20).fill(1));
  });
});

describe("serve soak: slow clients", () => {
  /** A backend answering /big with 16 MiB (more than any socket buffer holds) and anything else with "ok". */
  async function bigBackend(): Promise<string> {
    const big = Buffer.alloc(16 << 20);
    const server = http.createServer((req, res) => {
      req.resume();
      res.end(req.url === "/big" ? big : "ok");
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  it("clients that read none of their answer are cut after clientStallTimeoutMs and free the backend connection they held", async () => {
    const address = await bigBackend();
    const endpoints = new Map([["app/web:8080", [address]]]);
    // One backend connection per endpoint: a single stuck client used to block every later request.
    const gw = await startServe({
      ...routedWorld("r", "web"),
      endpoints,
      decide,
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      log: () => undefined,
      upstream: { connections: 1 },
      limits: { clientStallTimeoutMs: 200 },
    });
    gateways.push(gw);
    const port = gw.addresses()[0]!.address.port;
    for (let round = 0; round < 3; round++) {
      // HTTP/1.1: the request goes out, nothing is ever read.
      const h1 = net.connect(port, "127.0.0.1");
      sockets.push(h1);
      h1.on("error", () => undefined);
      h1.pause();
      h1.write("GET /big HTTP/1.1\r\nhost: x\r\n\r\n");
      // HTTP/2: a stream whose data is never read (its flow-control window closes).
      const c = http2.connect(`http://127.0.0.1:${port}`);
      c.on("error", () => undefined);
      clients.push(c);
      const stream = c.request({ ":path": "/big" });
      stream.on("error", () => undefined);
      stream.pause();
      stream.end();
      await until(() => gw.usage().inflight === 2);
      await until(() => gw.usage().inflight === 0);
      expect((await request(port, { host: "x" })).status).toBe(200);
    }
    expect(gw.usage()).toMatchObject({ inflight: 0, upstreams: 1 });
  });
});

/**
 * The kernel's timer of each IPv4 TCP socket (/proc/net/tcp), by `localPort>remotePort`: "02"
 * while keep-alive is armed on an idle connection, "00" when no timer runs.
 */
function tcpTimers(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[3] !== "01") continue; // established only
    const port = (address: string) => parseInt(address.split(":")[1]!, 16);
    out.set(`${port(f[1]!)}>${port(f[2]!)}`, f[5]!.split(":")[0]!);
  }
  return out;
}

describe.runIf(existsSync("/proc/net/tcp"))("serve soak: idle tunnels", () => {
  it("client connections and the backend side of WebSocket tunnels and TCP relays have TCP keep-alive, so a peer that vanished is found", async () => {
    // A WebSocket backend that answers 101 and echoes, and a TCP echo.
    const ws = http.createServer((_req, res) => res.end());
    ws.on("upgrade", (req: http.IncomingMessage, socket: net.Socket) => {
      const accept = createHash("sha1").update(`${String(req.headers["sec-websocket-key"])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
      socket.on("data", (d) => socket.write(d));
      socket.on("error", () => undefined);
      sockets.push(socket);
    });
    servers.push(ws);
    const tcp = net.createServer((socket) => {
      socket.on("error", () => undefined);
      socket.pipe(socket);
      sockets.push(socket);
    });
    await Promise.all([ws, tcp].map((s) => new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()))));
    const wsPort = (ws.address() as net.AddressInfo).port;
    const tcpPort = (tcp.address() as net.AddressInfo).port;
    const yaml = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}, {name: db, protocol: TCP, port: 5432}]")}
---
apiVersion: v1
kind: Service
metadata: {name: ws, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: app}
spec: {ports: [{name: db, port: 5432}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ws, namespace: app}
spec:
  parentRefs: [{name: edge, sectionName: http}]
  rules: [{backendRefs: [{name: ws, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: db, namespace: app}
spec:
  parentRefs: [{name: edge, sectionName: db}]
  rules: [{backendRefs: [{name: db, port: 5432}]}]
`;
    const { objects } = parseManifests(yaml, { file: "world.yaml" });
    const gw = await startServe({
      world: buildWorld(objects),
      objects,
      endpoints: new Map([
        ["app/ws:8080", [`127.0.0.1:${wsPort}`]],
        ["app/db:5432", [`127.0.0.1:${tcpPort}`]],
      ]),
      decide,
      listen: new Map([
        ["80", { host: "127.0.0.1", port: 0 }],
        ["5432", { host: "127.0.0.1", port: 0 }],
      ]),
      log: () => undefined,
    });
    gateways.push(gw);
    const port = (p: number) => gw.addresses().find((a) => a.port === p)!.address.port;
    const talk = async (socket: net.Socket, send: string, want: string) => {
      sockets.push(socket);
      socket.on("error", () => undefined);
      let got = "";
      socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
      socket.write(send);
      await until(() => got.includes(want));
    };
    const wsClient = net.connect(port(80), "127.0.0.1");
    await talk(wsClient, "GET / HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n", " 101 ");
    const tcpClient = net.connect(port(5432), "127.0.0.1");
    await talk(tcpClient, "ping", "ping");
    const timers = tcpTimers();
    // The gateway's own sockets: toward each client, and toward each backend.
    const gatewaySide = [
      timers.get(`${port(80)}>${wsClient.localPort}`),
      timers.get(`${port(5432)}>${tcpClient.localPort}`),
      ...[...timers].filter(([k]) => k.endsWith(`>${wsPort}`) || k.endsWith(`>${tcpPort}`)).map(([, t]) => t),
    ];
    expect(gatewaySide).toEqual(["02", "02", "02", "02"]);
  });
});
