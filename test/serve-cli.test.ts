import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildWorld, decide, type Decision } from "../packages/core/src/index.js";
import { loadManifests, nodeSource } from "../packages/sim/src/load/manifests.js";
import { readTrace } from "../packages/sim/src/trace/index.js";
import { request, startEcho, type EchoReply, type EchoServer } from "./helpers/echo.js";
import { runServe, type RunningServe } from "./helpers/serve-cli.js";

const EXAMPLE = join(__dirname, "../packages/examples/world");
const SERVICES = ["store/catalog-svc:8080", "store/cart-svc:8080", "store/checkout-v1:8080", "store/checkout-v2:8080", "payments/payments-api:8443"];

let dir: string;
let echoes: Map<string, EchoServer>;
let running: RunningServe[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwsim-serve-"));
  cpSync(EXAMPLE, join(dir, "world"), { recursive: true });
  echoes = new Map();
  const map: string[] = [];
  for (const key of SERVICES) {
    const e = await startEcho({ service: key.split(":")[0]! });
    echoes.set(key, e);
    map.push(`${key}: ["${e.address}"]`);
  }
  writeFileSync(join(dir, "endpoints.yaml"), `${map.join("\n")}\n`);
});

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.signals.emit("SIGTERM");
    await r.exit;
  }
  await Promise.all([...echoes.values()].map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
}, 30_000); // a drain on a loaded 2-core machine has taken over vitest's default 10 s

async function start(extra: string[] = []): Promise<RunningServe> {
  const r = await runServe(["-f", "world", "--listen", "80=127.0.0.1:0", "--listen", "443=127.0.0.1:0", "--endpoints", "endpoints.yaml", "--no-access-log", ...extra], dir);
  running.push(r);
  expect(r.stdout()).toBe("gwsim: ready\n");
  return r;
}

function httpsGet(port: number, servername: string, path: string): Promise<{ status: number; body: string; cert: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions & { ALPNProtocols: string[] } = { host: "127.0.0.1", port, path, servername, headers: { host: servername }, rejectUnauthorized: false, agent: false, ALPNProtocols: ["http/1.1"] };
    const req = https.request(options, (res) => {
      const socket = res.socket as TLSSocket;
      const cert = socket.getPeerCertificate().subjectaltname ?? "";
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, cert, alpn: socket.alpnProtocol ?? false }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("gwsim serve on the bundled example (real core)", () => {
  it("routes HTTP by path and header, answers 404 for what no rule matches", async () => {
    const r = await start();
    const port = r.ports.get(80)!;
    const get = async (path: string, headers: Record<string, string> = {}) => request(port, { path, host: "store.example.com", headers });
    expect((await get("/catalog/shoes")).json().service).toBe("store/catalog-svc");
    expect((await get("/cart")).json().service).toBe("store/cart-svc");
    expect((await get("/checkout", { "x-canary": "always" })).json().service).toBe("store/checkout-v2");
    expect((await get("/nothing")).status).toBe(404);
    // The payments route attaches to the https listener only.
    expect((await get("/pay")).status).toBe(404);
    // Dot segments are resolved by the core before matching and in the forwarded path.
    const dotted = await get("/pay/../catalog/%2e%2e/cart/x");
    expect(dotted.json<EchoReply>()).toMatchObject({ service: "store/cart-svc", path: "/cart/x" });
  });

  it("terminates TLS with the listener's certificate (SNI), offers h2 by ALPN, and routes HTTPS-only routes", async () => {
    const r = await start();
    const port = r.ports.get(443)!;
    const res = await httpsGet(port, "store.example.com", "/pay/1");
    expect(res.status).toBe(200);
    expect(res.cert).toContain("DNS:store.example.com");
    expect(res.alpn).toBe("http/1.1");
    expect(JSON.parse(res.body).service).toBe("payments/payments-api");

    const client = http2.connect(`https://127.0.0.1:${port}`, { servername: "store.example.com", rejectUnauthorized: false });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const s = client.request({ ":path": "/cart/h2", ":authority": "store.example.com" });
        let data = "";
        s.on("data", (c) => (data += c));
        s.on("end", () => resolve(data));
        s.on("error", reject);
      });
      expect(JSON.parse(body)).toMatchObject({ service: "store/cart-svc", path: "/cart/h2" });
    } finally {
      client.close();
    }
  });

  it("refuses a TLS handshake for a server name no listener serves", async () => {
    const r = await start();
    await expect(httpsGet(r.ports.get(443)!, "other.example.org", "/")).rejects.toThrow();
  });

  it("serves /healthz, /readyz, /metrics and /config on --admin", async () => {
    const r = await start(["--admin", "127.0.0.1:0"]);
    expect(r.admin).not.toBeNull();
    await request(r.ports.get(80)!, { path: "/catalog", host: "store.example.com" });
    await request(r.ports.get(80)!, { path: "/nope", host: "store.example.com" });
    expect((await request(r.admin!, { path: "/healthz" })).status).toBe(200);
    expect((await request(r.admin!, { path: "/readyz" })).status).toBe(200);
    const metrics = (await request(r.admin!, { path: "/metrics" })).body;
    expect(metrics).toMatch(/gwsim_requests_total\{listener="infra\/edge\/http",route="HTTPRoute\/store\/store",rule="catalog",backend="store\/catalog-svc:8080",status="200"\} 1/);
    expect(metrics).toMatch(/gwsim_requests_total\{[^}]*status="404"\} 1/);
    expect(metrics).toContain("gwsim_request_duration_seconds_bucket");
    expect(metrics).toContain("gwsim_open_connections");
    expect(metrics).toContain("gwsim_reloads_total 0");
    const config = (await request(r.admin!, { path: "/config" })).json<{ generation: number; table: unknown; endpoints: Record<string, string[]> }>();
    expect(config.generation).toBe(1);
    expect(config.table).toBeTruthy();
    expect(config.endpoints["store/cart-svc:8080"]).toEqual([echoes.get("store/cart-svc:8080")!.address]);
  });

  it("--record writes the request, its decision and what was observed, readable as a trace, agreeing with decide", async () => {
    const r = await start(["--record", "live.jsonl", "--seed", "7"]);
    const port = r.ports.get(80)!;
    for (let i = 0; i < 40; i++) await request(port, { path: `/checkout/${i}`, host: "store.example.com" });
    await request(port, { path: "/nothing", host: "store.example.com" });
    await r.stop();
    running = [];
    const text = readFileSync(join(dir, "live.jsonl"), "utf8");
    const records = [];
    for await (const rec of readTrace(Readable.from([text]), { format: "jsonl" })) records.push(rec);
    expect(records).toHaveLength(41);
    const loaded = await loadManifests(["world"], nodeSource(dir));
    const world = buildWorld(loaded.objects);
    for (const rec of records.slice(0, 40)) {
      const d = (rec as { decision: Decision }).decision;
      expect(rec.observed?.status).toBe(200);
      expect(rec.observed?.backend).toBe(`${d.backend!.namespace}/${d.backend!.name}:${d.backend!.port}`);
      expect(rec.observed?.upstreamHost).toBe(echoes.get(rec.observed!.backend!)!.address);
      // The same seed and index give the same decision offline.
      const again = decide(world, rec, { seed: 7, index: rec.id as number });
      expect(again.outcome, JSON.stringify(again)).toBe("forward");
      expect(again.backend).toEqual(d.backend);
    }
    expect(records[40]!.observed).toEqual({ status: 404 });
  });

  it("writes a JSON access log line per request to --access-log", async () => {
    const r = await runServe(["-f", "world", "--listen", "80=127.0.0.1:0", "--listen", "443=127.0.0.1:0", "--endpoints", "endpoints.yaml", "--access-log", "access.jsonl"], dir);
    running.push(r);
    await request(r.ports.get(80)!, { path: "/cart/1", host: "store.example.com" });
    await r.stop();
    running = [];
    const lines = readFileSync(join(dir, "access.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ status: 200, method: "GET", path: "/cart/1", route: "HTTPRoute/store/store", rule: 1, backend: "store/cart-svc:8080", endpoint: echoes.get("store/cart-svc:8080")!.address, attempts: 1 });
  });

  it("reloads when a manifest file changes; a broken change keeps the old world; SIGHUP reloads too", async () => {
    const r = await start(["--admin", "127.0.0.1:0"]);
    const port = r.ports.get(80)!;
    const get = (path: string) => request(port, { path, host: "store.example.com" });
    expect((await get("/basket")).status).toBe(404);
    const storeFile = join(dir, "world", "10-store.yaml");
    const original = readFileSync(storeFile, "utf8");
    writeFileSync(storeFile, original.replace("value: /cart", "value: /basket"));
    await r.waitFor("reloaded (files changed): generation 2");
    expect((await get("/basket")).json().service).toBe("store/cart-svc");
    expect((await get("/cart")).status).toBe(404);

    writeFileSync(storeFile, `${original}\n---\nkind: [broken\n`);
    await r.waitFor("refused");
    expect((await get("/basket")).json().service).toBe("store/cart-svc");
    const metrics = (await request(r.admin!, { path: "/metrics" })).body;
    expect(metrics).toContain("gwsim_reload_failures_total 1");
    expect(metrics).toContain("gwsim_reloads_total 1");

    writeFileSync(storeFile, original);
    await r.waitFor("generation 3");
    r.signals.emit("SIGHUP");
    await r.waitFor("reloaded (SIGHUP): generation 4");
    expect((await get("/cart")).json().service).toBe("store/cart-svc");
  });

  it("takes an EndpointSlice on 127.0.0.1 (the API server refuses loopback): a warning, used, and reloads still go through", async () => {
    const cart = echoes.get("store/cart-svc:8080")!;
    const [, echoPort] = cart.address.split(":");
    const slice = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: cart-local, namespace: store, labels: {kubernetes.io/service-name: cart-svc}}
addressType: IPv4
ports: [{name: http, port: ${echoPort}}]
endpoints: [{addresses: ["127.0.0.1"]}]
`;
    writeFileSync(join(dir, "world", "90-local-endpoints.yaml"), slice);
    const r = await runServe(["-f", "world", "--listen", "80=127.0.0.1:0", "--listen", "443=127.0.0.1:0", "--no-access-log"], dir);
    running.push(r);
    expect(r.stdout()).toBe("gwsim: ready\n");
    expect(r.stderr()).toMatch(/90-local-endpoints\.yaml:\d+:\d+: warning: .*loopback range.*serve uses it/);
    const get = () => request(r.ports.get(80)!, { path: "/cart", host: "store.example.com" });
    expect((await get()).json().service).toBe("store/cart-svc");
    r.signals.emit("SIGHUP");
    await r.waitFor("reloaded (SIGHUP): generation 2");
    expect((await get()).json().service).toBe("store/cart-svc");
  });

  it("SIGTERM drains: a request in flight finishes, new connections are refused, exit 0", async () => {
    const slow = http.createServer((req, res) => setTimeout(() => res.end(`done ${req.url}`), 300));
    await new Promise<void>((res) => slow.listen(0, "127.0.0.1", () => res()));
    const slowAddress = `127.0.0.1:${(slow.address() as AddressInfo).port}`;
    writeFileSync(join(dir, "endpoints.yaml"), readFileSync(join(dir, "endpoints.yaml"), "utf8").replace(/store\/cart-svc:8080: \[.*\]/, `store/cart-svc:8080: ["${slowAddress}"]`));
    try {
      const r = await start();
      const port = r.ports.get(80)!;
      const inflight = request(port, { path: "/cart/1", host: "store.example.com" });
      await new Promise((res) => setTimeout(res, 100));
      const code = r.stop();
      await r.waitFor("gwsim: draining");
      await new Promise((res) => setTimeout(res, 20));
      await expect(request(port, { path: "/cart/2", host: "store.example.com" })).rejects.toThrow();
      const done = await inflight;
      expect(done.status).toBe(200);
      expect(done.body).toBe("done /cart/1");
      expect(await code).toBe(0);
      running = [];
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });

  it("SIGTERM waits no longer than --drain-timeout for a stalled request", async () => {
    const slow = await startEcho({ service: "slow", stall: true });
    writeFileSync(join(dir, "endpoints.yaml"), readFileSync(join(dir, "endpoints.yaml"), "utf8").replace(/store\/cart-svc:8080: \[.*\]/, `store/cart-svc:8080: ["${slow.address}"]`));
    const r = await start(["--drain-timeout", "300ms"]);
    const inflight = request(r.ports.get(80)!, { path: "/cart", host: "store.example.com" }).catch((e: Error) => e);
    await new Promise((res) => setTimeout(res, 100));
    const t0 = Date.now();
    const code = await r.stop();
    running = [];
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await inflight).toBeInstanceOf(Error);
    expect(r.stderr()).toContain("gwsim: stopped");
    await slow.close();
  });

  it("exits 2 with a usage error for a malformed --listen, and when a port cannot be bound", async () => {
    const bad = await runServe(["-f", "world", "--listen", "80=nowhere"], dir).catch((e: Error) => e);
    expect(bad).toBeInstanceOf(Error);
    const first = await start();
    const taken = first.ports.get(80)!;
    const second = await runServe(["-f", "world", "--listen", `80=127.0.0.1:${taken}`, "--listen", "443=127.0.0.1:0", "--no-access-log"], dir);
    expect(await second.exit).toBe(2);
    expect(second.stderr()).toMatch(/cannot listen on 127\.0\.0\.1:\d+ for infra\/edge port 80/);
  });
});
