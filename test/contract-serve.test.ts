/**
 * CONTRACT.md "gwsim serve: the live adapter", sentence by sentence. Real sockets on 127.0.0.1
 * only (ephemeral ports), echo backends from test/helpers/echo.ts, serve in-process through
 * test/helpers/serve-cli.ts, and once as a real process for real signals. Every wait is bounded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildWorld, parseManifests } from "../packages/core/src/index.js";
import { parseListen, planFrontends } from "../packages/sim/src/index.js";
import { runCli } from "./helpers/cli.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { runServe, type RunningServe } from "./helpers/serve-cli.js";

const ROOT = join(import.meta.dirname, "..");
// tsx's loader by URL: the process runs in a scratch directory, where the name would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** One Gateway with two HTTP listeners (ports 80 and 8080) and a route with two rules. */
const WORLD = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: contract}
spec: {controllerName: contract.gwsim.dev/controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: contract
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: alt, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [www.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /a}}]
    backendRefs: [{name: svc-a, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /b}}]
    backendRefs: [{name: svc-b, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: svc-a, namespace: shop}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc-b, namespace: shop}
spec: {ports: [{name: http, port: 80}]}
`;
const HOST = "www.example.com";
const LISTEN = ["--listen", "80=127.0.0.1:0", "--listen", "8080=127.0.0.1:0"];

let dir: string;
let a: EchoServer;
let b: EchoServer;
let running: RunningServe[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwsim-contract-serve-"));
  writeFileSync(join(dir, "world.yaml"), WORLD);
  a = await startEcho({ service: "shop/svc-a" });
  b = await startEcho({ service: "shop/svc-b" });
  writeFileSync(join(dir, "endpoints.yaml"), `shop/svc-a:80: ["${a.address}"]\nshop/svc-b:80:\n  - "${b.address}"\n`);
});

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.signals.emit("SIGTERM");
    await r.exit;
  }
  await Promise.all([a.close(), b.close()]);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

async function serve(extra: string[]): Promise<RunningServe> {
  const r = await runServe(["-f", "world.yaml", ...LISTEN, "--no-access-log", ...extra], dir);
  running.push(r);
  expect(r.stdout(), r.stderr()).toContain("gwsim: ready\n");
  return r;
}

const get = (port: number, path: string) => request(port, { host: HOST, path, timeoutMs: 5000 });

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.setTimeout(2000, () => (s.destroy(), resolve(false)));
    s.once("connect", () => (s.end(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

describe("CONTRACT: gwsim serve", () => {
  it("usage: gwsim serve -f MANIFESTS [--listen PORT=ADDR:PORT ...] [--endpoints FILE] [--admin ADDR:PORT] [--record FILE]", async () => {
    const help = (await runCli(["serve", "--help"])).stdout;
    const usage = usageLine(help);
    // Every flag of the contract's line, with its argument form.
    for (const word of ["-f MANIFESTS", "[--listen PORT=ADDR:PORT ...]", "[--endpoints FILE]", "[--admin ADDR:PORT]", "[--record FILE]"]) expect(usage).toContain(word);
  });

  it("serves real traffic for the Gateways in the manifests on real sockets and forwards it to real backends", async () => {
    const r = await serve(["--endpoints", "endpoints.yaml"]);
    const port = r.ports.get(80)!;
    const ra = await get(port, "/a/1");
    expect([ra.status, ra.json().service, ra.json().path]).toEqual([200, "shop/svc-a", "/a/1"]);
    expect((await get(port, "/b")).json().service).toBe("shop/svc-b");
    expect((await get(port, "/none")).status).toBe(404);
    expect(a.seen).toHaveLength(1);
    expect(b.seen).toHaveLength(1);
  });

  it('--listen 80=127.0.0.1:18080 binds the listeners of port 80 to that local address; it prints "gwsim: ready" on stdout once every listener accepts connections', async () => {
    const r = await serve(["--endpoints", "endpoints.yaml"]);
    expect(r.stdout()).toBe("gwsim: ready\n");
    expect([...r.ports.keys()].sort((x, y) => x - y)).toEqual([80, 8080]);
    // At "ready" every listener already accepts connections.
    for (const port of r.ports.values()) expect(await connects(port)).toBe(true);
    expect(r.stderr()).toMatch(/listening infra\/edge port 80 \(\w+\) on 127\.0\.0\.1:\d+/);
    expect(r.stderr()).toMatch(/listening infra\/edge port 8080 \(\w+\) on 127\.0\.0\.1:\d+/);
    expect((await get(r.ports.get(8080)!, "/a")).json().service).toBe("shop/svc-a");
  });

  it("(default: each listener's own port on 0.0.0.0): the bind plan, checked without binding", () => {
    const world = buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects);
    const bind = (listen: string[]) => {
      const parsed = parseListen(listen);
      expect(parsed.error).toBeNull();
      return Object.fromEntries(planFrontends(world, parsed.map).plans.map((p) => [p.port, p.bind]));
    };
    expect(bind([])).toEqual({ 80: { host: "0.0.0.0", port: 80 }, 8080: { host: "0.0.0.0", port: 8080 } });
    expect(bind(["80=127.0.0.1:18080"])).toEqual({ 80: { host: "127.0.0.1", port: 18080 }, 8080: { host: "0.0.0.0", port: 8080 } });
  });

  it("--listen with a fixed ADDR:PORT binds exactly there", async () => {
    // A port free a moment ago, on 127.0.0.1.
    const probe = net.createServer();
    await new Promise<void>((res) => probe.listen(0, "127.0.0.1", () => res()));
    const fixed = (probe.address() as AddressInfo).port;
    await new Promise<void>((res) => probe.close(() => res()));
    const r = await runServe(["-f", "world.yaml", "--listen", `80=127.0.0.1:${fixed}`, "--listen", "8080=127.0.0.1:0", "--endpoints", "endpoints.yaml", "--no-access-log"], dir);
    running.push(r);
    expect(r.stdout()).toBe("gwsim: ready\n");
    expect(r.ports.get(80)).toBe(fixed);
    expect((await get(fixed, "/b")).json().service).toBe("shop/svc-b");
  });

  it("--listen that is not PORT=ADDR:PORT is bad usage: exit 2, nothing ready", async () => {
    for (const bad of ["80", "80=127.0.0.1", "eighty=127.0.0.1:0"]) {
      const r = await runCli(["serve", "-f", join(dir, "world.yaml"), "--listen", bad, "--endpoints", join(dir, "endpoints.yaml")]);
      expect(r.code, bad).toBe(2);
      expect(r.stdout, bad).not.toContain("gwsim: ready");
      expect(r.stderr, bad).toMatch(/^gwsim: /);
    }
  });

  it("exit codes: 2 for bad usage and for unreadable input, before anything is bound", async () => {
    const cases = [
      ["serve", "-f", join(dir, "world.yaml"), ...LISTEN, "--no-such-flag"],
      ["serve", "-f", join(dir, "missing.yaml"), ...LISTEN],
      ["serve", "-f", join(dir, "world.yaml"), ...LISTEN, "--endpoints", join(dir, "missing-endpoints.yaml")],
      ["serve", ...LISTEN],
    ];
    for (const argv of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stdout, argv.join(" ")).toBe("");
      expect(r.stderr, argv.join(" ")).toMatch(/^gwsim: /);
    }
  });

  it("--endpoints FILE: a YAML/JSON map from namespace/service:port to a list of host:port addresses (JSON)", async () => {
    const a2 = await startEcho({ service: "shop/svc-a", endpoint: "second" });
    try {
      writeFileSync(join(dir, "endpoints.json"), JSON.stringify({ "shop/svc-a:80": [a.address, a2.address], "shop/svc-b:80": [b.address] }));
      const r = await serve(["--endpoints", "endpoints.json"]);
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++) seen.add((await get(r.ports.get(80)!, `/a/${i}`)).json().endpoint);
      // Both addresses of the list serve the Service.
      expect(seen).toEqual(new Set([a.address, "second"]));
      expect((await get(r.ports.get(80)!, "/b")).json().service).toBe("shop/svc-b");
    } finally {
      await a2.close();
    }
  });

  it("backends resolve through EndpointSlices in the manifests", async () => {
    const slice = (svc: string, echo: EchoServer) => `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${svc}-1, namespace: shop, labels: {kubernetes.io/service-name: ${svc}}}
addressType: IPv4
ports: [{name: http, port: ${echo.port}}]
endpoints: [{addresses: ["127.0.0.1"], conditions: {ready: true}}]
`;
    writeFileSync(join(dir, "world.yaml"), WORLD + slice("svc-a", a) + slice("svc-b", b));
    const r = await serve([]);
    expect((await get(r.ports.get(80)!, "/a")).json().service).toBe("shop/svc-a");
    expect((await get(r.ports.get(80)!, "/b")).json().service).toBe("shop/svc-b");
  });

  it("--admin serves /healthz, /readyz, /metrics (Prometheus text format) and /config (the routing table in force)", async () => {
    const r = await serve(["--endpoints", "endpoints.yaml", "--admin", "127.0.0.1:0"]);
    expect(r.admin).not.toBeNull();
    await get(r.ports.get(80)!, "/a");
    await get(r.ports.get(80)!, "/none");
    const admin = (path: string) => request(r.admin!, { path, timeoutMs: 5000 });
    expect((await admin("/healthz")).status).toBe(200);
    expect((await admin("/readyz")).status).toBe(200);
    const metrics = await admin("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    // The exposition format: HELP and TYPE for each family, then `name{labels} value` samples.
    const families = [...metrics.body.matchAll(/^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/gm)].map((m) => m[1]);
    expect(families.length).toBeGreaterThan(2);
    for (const f of families) expect(metrics.body).toMatch(new RegExp(`^# HELP ${f} `, "m"));
    for (const line of metrics.body.split("\n").filter((l) => l && !l.startsWith("#"))) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)( -?\d+)?$/);
    expect(metrics.body).toMatch(/status="200"\} 1$/m);
    expect(metrics.body).toMatch(/status="404"\} 1$/m);
    const config = await admin("/config");
    expect(config.status).toBe(200);
    // The table in force is the compiled world of the manifests (the library's, as JSON).
    const inForce = JSON.parse(JSON.stringify(buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects).table)) as unknown;
    expect(config.json<{ table: unknown }>().table).toEqual(inForce);
  });

  it("--record FILE appends each request and its decision as JSON Lines that replay reads back, the backend actually used in observed", async () => {
    const record = join(dir, "live.jsonl");
    const r = await serve(["--endpoints", "endpoints.yaml", "--record", "live.jsonl", "--seed", "3"]);
    const port = r.ports.get(80)!;
    for (const path of ["/a/1", "/b/2", "/none", "/a/3"]) await get(port, path);
    expect(await r.stop()).toBe(0);
    running = [];
    const first = readFileSync(record, "utf8");
    const records = first.trim().split("\n").map((l) => JSON.parse(l) as { path: string; decision: { outcome: string; backend: { name: string } | null }; observed: { backend?: string; status?: number } });
    expect(records.map((x) => x.path)).toEqual(["/a/1", "/b/2", "/none", "/a/3"]);
    expect(records.map((x) => x.decision.outcome)).toEqual(["forward", "forward", "notFound", "forward"]);
    expect(records[0]!.observed).toMatchObject({ backend: "shop/svc-a:80", status: 200 });
    expect(records[2]!.observed).toMatchObject({ status: 404 });

    // Appends: a second run adds to the file.
    const again = await serve(["--endpoints", "endpoints.yaml", "--record", "live.jsonl"]);
    await get(again.ports.get(80)!, "/b/9");
    expect(await again.stop()).toBe(0);
    running = [];
    const both = readFileSync(record, "utf8");
    expect(both.startsWith(first)).toBe(true);
    expect(both.trim().split("\n")).toHaveLength(5);

    const replayed = await runCli(["replay", "-f", join(dir, "world.yaml"), "--trace", record, "--json"]);
    expect(replayed.code, replayed.stderr).toBe(0);
    const report = JSON.parse(replayed.stdout) as { requests: number; statuses: Record<string, number>; observed: { records: number; compared: number; agree: number; agreement: number } };
    expect(report.requests).toBe(5);
    expect(report.statuses).toEqual({ "404": 1 });
    expect(report.observed).toMatchObject({ records: 5, compared: 5, agree: 5, agreement: 1 });
  });

  it("--controller-name NAME: Gateways of other classes are left alone (not served)", async () => {
    const foreign = `---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: foreign}
spec: {controllerName: foreign.example.com/controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: other, namespace: infra}
spec:
  gatewayClassName: foreign
  listeners: [{name: http, port: 9090, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
`;
    writeFileSync(join(dir, "world.yaml"), WORLD + foreign);
    const all = await serve(["--endpoints", "endpoints.yaml", "--listen", "9090=127.0.0.1:0"]);
    expect(all.stderr()).toMatch(/listening infra\/other port 9090/);
    expect(await all.stop()).toBe(0);
    running = [];
    const mine = await serve(["--endpoints", "endpoints.yaml", "--controller-name", "contract.gwsim.dev/controller"]);
    expect(mine.stderr()).not.toMatch(/listening infra\/other/);
    expect([...mine.ports.keys()].sort((x, y) => x - y)).toEqual([80, 8080]);
    expect((await get(mine.ports.get(80)!, "/a")).json().service).toBe("shop/svc-a");
    // Asked to bind it anyway: there is no such listener to bind (bad usage).
    const r = await runCli(["serve", "-f", join(dir, "world.yaml"), ...LISTEN, "--listen", "9090=127.0.0.1:0", "--endpoints", join(dir, "endpoints.yaml"), "--controller-name", "contract.gwsim.dev/controller"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no listener on port 9090/);
  });

  it("reloads when a manifest file changes, keeping the old configuration if the new one does not load", async () => {
    const r = await serve(["--endpoints", "endpoints.yaml", "--admin", "127.0.0.1:0"]);
    const port = r.ports.get(80)!;
    expect((await get(port, "/c")).status).toBe(404);
    writeFileSync(join(dir, "world.yaml"), WORLD.replace("value: /b}", "value: /c}"));
    await r.waitFor(/reloaded \(files changed\): generation 2/, 10_000);
    expect((await get(port, "/c")).json().service).toBe("shop/svc-b");
    expect((await get(port, "/b")).status).toBe(404);
    // A change that does not load: refused, the configuration in force stays.
    writeFileSync(join(dir, "world.yaml"), `${WORLD.replace("value: /b}", "value: /c}")}---\nkind: [broken\n`);
    await r.waitFor(/refused/, 10_000);
    expect(r.stderr()).toMatch(/gwsim: world\.yaml:\d+:\d+: /);
    expect((await get(port, "/c")).json().service).toBe("shop/svc-b");
    const config = (await request(r.admin!, { path: "/config" })).json<{ generation: number; table: unknown }>();
    expect(config.generation).toBe(2);
    expect(JSON.stringify(config.table)).toContain('"/c"');
    expect(JSON.stringify(config.table)).not.toContain('"/b"');
  });

  it("reloads on SIGHUP, keeping the old configuration if the new one does not load", async () => {
    const r = await serve(["--endpoints", "endpoints.yaml", "--no-watch"]);
    const port = r.ports.get(80)!;
    writeFileSync(join(dir, "world.yaml"), WORLD.replace("value: /a}", "value: /z}"));
    // Watching is off: nothing changes until the signal.
    await new Promise((res) => setTimeout(res, 300));
    expect((await get(port, "/a")).json().service).toBe("shop/svc-a");
    r.signals.emit("SIGHUP");
    await r.waitFor(/reloaded \(SIGHUP\): generation 2/);
    expect((await get(port, "/z")).json().service).toBe("shop/svc-a");
    expect((await get(port, "/a")).status).toBe(404);
    writeFileSync(join(dir, "world.yaml"), "kind: [broken\n");
    r.signals.emit("SIGHUP");
    await r.waitFor(/reload \(SIGHUP\) refused/);
    expect((await get(port, "/z")).json().service).toBe("shop/svc-a");
  });

  it("drains in-flight requests on SIGTERM before exiting", async () => {
    const slow = http.createServer((req, res) => setTimeout(() => res.end(`slow ${req.url}`), 400));
    await new Promise<void>((res) => slow.listen(0, "127.0.0.1", () => res()));
    try {
      writeFileSync(join(dir, "endpoints.yaml"), `shop/svc-a:80: ["127.0.0.1:${(slow.address() as AddressInfo).port}"]\nshop/svc-b:80: ["${b.address}"]\n`);
      const r = await serve(["--endpoints", "endpoints.yaml"]);
      const port = r.ports.get(80)!;
      const inflight = get(port, "/a/slow");
      await new Promise((res) => setTimeout(res, 100));
      const exit = r.stop();
      const done = await inflight;
      expect([done.status, done.body]).toEqual([200, "slow /a/slow"]);
      expect(await exit).toBe(0);
      running = [];
      expect(await connects(port)).toBe(false);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });
});

describe("CONTRACT: gwsim serve as a process (real signals)", () => {
  let child: ChildProcess | null = null;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    child = null;
  });

  it('prints "gwsim: ready" on stdout; SIGHUP reloads; SIGTERM drains and exits 0', async () => {
    let out = "";
    let err = "";
    child = spawn(
      process.execPath,
      ["--conditions=development", "--import", TSX, join(ROOT, "packages/sim/src/cli.ts"), "serve", "-f", "world.yaml", ...LISTEN, "--endpoints", "endpoints.yaml", "--no-access-log", "--no-watch", "--drain-timeout", "5s"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const until = async (test: () => boolean, what: string, ms = 20_000) => {
      const end = Date.now() + ms;
      while (!test()) {
        if (Date.now() > end || child!.exitCode !== null) throw new Error(`timed out waiting for ${what}; stderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => out.includes("gwsim: ready\n"), "gwsim: ready");
    expect(out).toBe("gwsim: ready\n");
    const port = Number(/listening infra\/edge port 80 \(\w+\) on 127\.0\.0\.1:(\d+)/.exec(err)![1]);
    expect((await get(port, "/a")).json().service).toBe("shop/svc-a");

    writeFileSync(join(dir, "world.yaml"), WORLD.replace("value: /a}", "value: /y}"));
    child.kill("SIGHUP");
    await until(() => /reloaded \(SIGHUP\)/.test(err), "reload");
    expect((await get(port, "/y")).json().service).toBe("shop/svc-a");

    appendFileSync(join(dir, "world.yaml"), "---\nkind: [broken\n");
    child.kill("SIGHUP");
    await until(() => /reload \(SIGHUP\) refused/.test(err), "refusal");
    expect((await get(port, "/y")).json().service).toBe("shop/svc-a");

    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 60_000);

  it("-f - reads the manifests from standard input", async () => {
    let out = "";
    let err = "";
    child = spawn(
      process.execPath,
      ["--conditions=development", "--import", TSX, join(ROOT, "packages/sim/src/cli.ts"), "serve", "-f", "-", ...LISTEN, "--endpoints", "endpoints.yaml", "--no-access-log", "--drain-timeout", "5s"],
      { cwd: dir, stdio: ["pipe", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    child.stdin!.end(WORLD);
    const end = Date.now() + 20_000;
    while (!out.includes("gwsim: ready\n")) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no ready; stderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const port = Number(/listening infra\/edge port 80 \(\w+\) on 127\.0\.0\.1:(\d+)/.exec(err)![1]);
    expect((await get(port, "/b")).json().service).toBe("shop/svc-b");
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 60_000);
});

/** The `usage: ...` of a command's --help, its wrapped lines joined. */
function usageLine(help: string): string {
  const at = help.indexOf("usage: ");
  expect(at, help).toBeGreaterThanOrEqual(0);
  return help.slice(at + "usage: ".length).split("\n\n")[0]!.split("\n").map((l) => l.trim()).join(" ");
}
