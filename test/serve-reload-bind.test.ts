/**
 * A reload whose new configuration has a listener that cannot be bound (its port is taken by
 * another process) is a failed reload: said on stderr, counted, reported by /config and the
 * last-reload gauge, and the configuration in force stays whole (atomic: none of the new
 * configuration applies, not even its other changes). Live, on 127.0.0.1.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";
import { runServe, type RunningServe } from "./helpers/serve-cli.js";
import { backend, fakeWorld, forwardTo, httpListener, service } from "./helpers/serve-world.js";

let dir: string;
let echo: EchoServer;
let running: RunningServe | null = null;
let blockers: net.Server[] = [];
let gateways: LiveGateway[] = [];

/** A port some other process holds on 127.0.0.1. */
async function takenPort(): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  blockers.push(server);
  return { port: (server.address() as net.AddressInfo).port, server };
}

function release(server: net.Server): Promise<void> {
  blockers = blockers.filter((b) => b !== server);
  return new Promise((r) => server.close(() => r()));
}

function route(path: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r1, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
  - matches: [{path: {type: PathPrefix, value: ${path}}}]
    backendRefs: [{name: web, port: 8080}]
`;
}

/** Port 81 is HTTPS with a certificate Secret that does not exist yet: not ready, not opened. */
const GATEWAY = `${edgeGateway(`
  - {name: http, protocol: HTTP, port: 80}
  - name: https
    protocol: HTTPS
    port: 81
    hostname: store.example.com
    tls: {certificateRefs: [{name: store-tls}]}`)}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
`;

const SECRET = readFileSync(join(import.meta.dirname, "../packages/examples/world/01-tls-secret.yaml"), "utf8").replace("namespace: infra", "namespace: app");

function httpsStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port, path, servername: "store.example.com", headers: { host: "store.example.com" }, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwsim-bind-"));
  echo = await startEcho({ service: "app/web" });
  writeFileSync(join(dir, "endpoints.yaml"), `app/web:8080: ["${echo.address}"]\n`);
  mkdirSync(join(dir, "world"));
  writeFileSync(join(dir, "world", "gw.yaml"), GATEWAY);
  writeFileSync(join(dir, "world", "route.yaml"), route("/a"));
});

afterEach(async () => {
  if (running) {
    running.signals.emit("SIGTERM");
    await running.exit;
    running = null;
  }
  await Promise.all(gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  for (const b of blockers.splice(0)) b.close();
  await echo.close();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("gwsim serve: a reload with a listener that cannot be bound", () => {
  it("fails whole: stderr, gwsim_reload_failures_total, gwsim_config_last_reload_successful 0, /config lastReload; the old world serves on; freed, the next reload applies", async () => {
    const blocked = await takenPort();
    const r = await runServe(["-f", "world", "--no-watch", "--listen", "80=127.0.0.1:0", "--listen", `81=127.0.0.1:${blocked.port}`, "--endpoints", "endpoints.yaml", "--admin", "127.0.0.1:0", "--no-access-log"], dir);
    running = r;
    expect(r.stdout()).toBe("gwsim: ready\n");
    const port = r.ports.get(80)!;
    expect(r.ports.has(81)).toBe(false);
    const status = async (path: string) => (await request(port, { path, host: "store.example.com" })).status;
    const admin = async (path: string) => (await request(r.admin!, { path })).body;
    expect(await status("/a")).toBe(200);
    expect(await admin("/metrics")).toContain("gwsim_config_last_reload_successful 1");

    // One change makes port 81 ready (its Secret appears), another moves the route to /b.
    writeFileSync(join(dir, "world", "secret.yaml"), SECRET);
    writeFileSync(join(dir, "world", "route.yaml"), route("/b"));
    r.signals.emit("SIGHUP");
    await r.waitFor("reload (SIGHUP) failed: 1 listener(s) cannot be opened; generation 1 stays in force");
    expect(r.stderr()).toMatch(new RegExp(`gwsim: reload: cannot listen on 127\\.0\\.0\\.1:${blocked.port} for app/edge port 81: .*EADDRINUSE`));
    expect(r.stderr()).not.toContain("reloaded");
    // Atomic: the route change did not apply either, and port 80 is the same socket.
    expect(await status("/a")).toBe(200);
    expect(await status("/b")).toBe(404);
    const metrics = await admin("/metrics");
    expect(metrics).toContain("gwsim_reload_failures_total 1");
    expect(metrics).toContain("gwsim_reloads_total 0");
    expect(metrics).toContain("gwsim_config_last_reload_successful 0");
    expect(metrics).toContain("gwsim_config_generation 1");
    const config = JSON.parse(await admin("/config")) as { generation: number; frontends: { port: number }[]; lastReload: { applied: boolean; generation: number; problems: string[] } };
    expect(config.generation).toBe(1);
    expect(config.frontends.map((f) => f.port)).toEqual([80]);
    expect(config.lastReload).toMatchObject({ applied: false, generation: 1 });
    expect(config.lastReload.problems).toHaveLength(1);
    expect(config.lastReload.problems[0]).toContain(`127.0.0.1:${blocked.port}`);
    expect((await request(r.admin!, { path: "/readyz" })).status).toBe(200);

    // The port is freed: the same manifests now load whole.
    await release(blocked.server);
    r.signals.emit("SIGHUP");
    await r.waitFor("reloaded (SIGHUP): generation 2");
    expect(await status("/b")).toBe(200);
    expect(await status("/a")).toBe(404);
    expect(await httpsStatus(blocked.port, "/b")).toBe(200);
    const after = await admin("/metrics");
    expect(after).toContain("gwsim_reloads_total 1");
    expect(after).toContain("gwsim_config_last_reload_successful 1");
    expect(JSON.parse(await admin("/config")).lastReload).toMatchObject({ applied: true, generation: 2, problems: [] });
  }, 60_000);

  it("library: reload() answers applied: false, and the frontends and world in force are the old ones", async () => {
    const web = backend("app", "web", 8080);
    const blocked = await takenPort();
    const worldA = fakeWorld([httpListener(80)], [service("app", "web", 8080)]);
    const worldB = fakeWorld([httpListener(80), httpListener(81)], [service("app", "web", 8080)]);
    const logs: string[] = [];
    const gw = await startServe({
      world: worldA,
      listen: new Map([
        ["80", { host: "127.0.0.1", port: 0 }],
        ["81", { host: "127.0.0.1", port: blocked.port }],
      ]),
      endpoints: new Map([["app/web:8080", [echo.address]]]),
      decide: (_w, req) => forwardTo(req, web),
      log: (t) => void logs.push(t),
    });
    gateways.push(gw);
    const before = gw.addresses();
    const result = await gw.reload(worldB, []);
    expect(result.applied).toBe(false);
    expect(result.problems).toEqual([expect.stringMatching(new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${blocked.port} for `))]);
    expect(gw.snapshot().world).toBe(worldA);
    expect(gw.snapshot().generation).toBe(1);
    expect(gw.addresses()).toEqual(before);
    expect(gw.isReady()).toBe(true);
    expect(logs.join("")).toContain("gwsim: reload: cannot listen on");
    expect((await request(before[0]!.address.port)).status).toBe(200);
    // A later reload without the unbindable listener applies, as generation 2.
    const ok = await gw.reload(fakeWorld([httpListener(80)], [service("app", "web", 8080)]), []);
    expect(ok).toEqual({ applied: true, problems: [] });
    expect(gw.snapshot().generation).toBe(2);
    expect(await gw.metrics.registry.getSingleMetricAsString("gwsim_reload_failures_total")).toContain("gwsim_reload_failures_total 1");
  });

  it("library: an address handed to another protocol (HTTP to TCP on one port) stays with the old frontend when the reload fails, and moves when it applies", async () => {
    const web = backend("app", "web", 8080);
    const blocked = await takenPort();
    // A free fixed port for listener 80 (an address that can be handed over; port 0 never is).
    const probe = await takenPort();
    const fixed = probe.port;
    await release(probe.server);
    const listen = new Map([
      ["80", { host: "127.0.0.1", port: fixed }],
      ["81", { host: "127.0.0.1", port: blocked.port }],
    ]);
    const svc = [service("app", "web", 8080)];
    const endpoints = new Map([["app/web:8080", [echo.address]]]);
    const gw = await startServe({
      world: fakeWorld([httpListener(80)], svc),
      listen,
      endpoints,
      decide: (_w, req) => forwardTo(req, web),
    });
    gateways.push(gw);
    const kinds = () => gw.addresses().map((a) => `${a.kind}@${a.address.port}`);
    expect(kinds()).toEqual([`http@${fixed}`]);
    const tcp = httpListener(80, { protocol: "TCP", name: "tcp-80", supportedKinds: [{ group: "gateway.networking.k8s.io", kind: "TCPRoute" }] });

    const failed = await gw.reload(fakeWorld([tcp, httpListener(81)], svc), [], endpoints);
    expect(failed.applied).toBe(false);
    expect(kinds()).toEqual([`http@${fixed}`]);
    const res = await request(fixed, { path: "/still-http" });
    expect(res.status).toBe(200);
    expect(res.json().path).toBe("/still-http");

    const moved = await gw.reload(fakeWorld([tcp], svc), [], endpoints);
    expect(moved).toEqual({ applied: true, problems: [] });
    expect(kinds()).toEqual([`tcp@${fixed}`]);
    // Now bytes are relayed as they are to the backend (no routing by path): the echo answers.
    const relayed = await request(fixed, { path: "/relayed" });
    expect(relayed.json().path).toBe("/relayed");
  });
});
