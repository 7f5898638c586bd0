/**
 * Requests per second and latency of `gwsim serve` on loopback, beside the same load sent
 * straight to the backend, through node `http-proxy` and through `@fastify/http-proxy`, in one
 * run, alternating. A benchmark, not a timed test:
 *
 *   pnpm bench serve [-- --quick]            # builds, then runs this file
 *   node --import tsx bench/serve.bench.ts [--quick] [--seconds N] [--rounds N] [--connections N] [--routes N]
 *   node --import tsx bench/serve.bench.ts --cpu-prof DIR   # gwsim serve only, with a V8 CPU profile
 *   node --import tsx bench/serve.bench.ts --access-log     # gwsim writes its JSON access log (to a file)
 *
 * gwsim runs as users run it: the built CLI (packages/sim/dist/cli.js; the TypeScript sources
 * through tsx when there is no build). It serves the bundled example world plus a generated
 * table of HTTPRoutes (Gateway API routing of every request: listener, hostname, path, headers,
 * weighted split); the other two
 * proxies forward everything to the one backend. Every backend of the world resolves to that
 * same backend, a node http server answering a small body. Each proxy runs in its own process
 * pinned to core 0; the load generator (autocannon) and the backend run in their own processes
 * pinned to core 1, so the proxy never shares an event loop or a core with them.
 *
 * Prints a table with ratios against http-proxy and writes bench/results/serve.json. Target
 * (issue 7): at least 1.2x http-proxy's requests per second with a p99 no higher than its.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type autocannon from "autocannon";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const self = fileURLToPath(import.meta.url);

interface Options {
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number;
  routes: number;
  cpuProf: string | null;
  /** gwsim writes its JSON access log (to a file) instead of none. */
  accessLog: boolean;
}

function options(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes("--quick");
  const num = (name: string, fallback: number) => {
    const v = value(name);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} ${v}: expected a positive number`);
    return n;
  };
  return {
    seconds: num("seconds", quick ? 2 : 5),
    warmupSeconds: num("warmup", quick ? 1 : 2),
    rounds: num("rounds", quick ? 2 : 3),
    connections: num("connections", 50),
    routes: num("routes", 300),
    cpuProf: value("cpu-prof") ?? null,
    accessLog: argv.includes("--access-log"),
  };
}

// ---------------------------------------------------------------------------------------------
// Roles run in child processes: the backend, the two reference proxies, the load generator.

/** A fast backend: a small fixed body, keep-alive. */
async function backendRole(): Promise<void> {
  const body = Buffer.from(JSON.stringify({ ok: true, service: "bench-backend" }));
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  console.log(`PORT ${(server.address() as AddressInfo).port}`);
}

/** node http-proxy, as its README sets it up, with a keep-alive agent to the backend. */
async function httpProxyRole(target: string): Promise<void> {
  const { default: httpProxy } = await import("http-proxy");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const proxy = httpProxy.createProxyServer({ target, agent, xfwd: true });
  const server = http.createServer((req, res) =>
    proxy.web(req, res, {}, () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    }),
  );
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  console.log(`PORT ${(server.address() as AddressInfo).port}`);
}

/** @fastify/http-proxy (undici to the backend by default), logger off. */
async function fastifyRole(target: string): Promise<void> {
  const { default: Fastify } = await import("fastify");
  const { default: proxy } = await import("@fastify/http-proxy");
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  await app.register(proxy, { upstream: target });
  await app.listen({ port: 0, host: "127.0.0.1" });
  console.log(`PORT ${(app.server.address() as AddressInfo).port}`);
}

interface BenchRequest {
  method: "GET";
  path: string;
  headers: Record<string, string>;
}

interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** One autocannon run; latencies kept exactly (autocannon's own histogram has 1 ms steps). */
async function loadRole(port: number, seconds: number, connections: number, requestsFile: string): Promise<void> {
  const { default: run } = await import("autocannon");
  const requests = JSON.parse(readFileSync(requestsFile, "utf8")) as BenchRequest[];
  let latencies = new Float64Array(1 << 20);
  let n = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance: autocannon.Instance = run({ url: `http://127.0.0.1:${port}`, connections, duration: seconds, pipelining: 1, requests }, (err, r) => (err ? reject(err) : resolve(r)));
    instance.on("response", onResponse);
  });
  function onResponse(_client: unknown, status: number, _bytes: number, ms: number): void {
    if (status < 200 || status > 299) return;
    if (n === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[n++] = ms;
  }
  const sorted = latencies.subarray(0, n).sort();
  const at = (q: number) => (n ? sorted[Math.min(n - 1, Math.floor(q * n))]! : NaN);
  const out: LoadResult = {
    requests: result.requests.total,
    rps: result.requests.total / seconds,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: n ? sorted[n - 1]! : NaN,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
  console.log(`RESULT ${JSON.stringify(out)}`);
}

// ---------------------------------------------------------------------------------------------
// The world gwsim serves: the bundled example plus generated HTTPRoutes on the same Gateway.

const RESOURCES = ["users", "orders", "cart", "search", "items", "payments", "auth", "media"];

function generatedWorld(count: number): { yaml: string; services: string[]; requests: BenchRequest[] } {
  const hostCount = Math.max(1, Math.round(count / 4));
  const docs: string[] = [];
  const services: string[] = [];
  const requests: BenchRequest[] = [];
  const service = (name: string) => {
    services.push(`store/${name}:8080`);
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: store}
spec:
  ports: [{name: http, port: 8080, targetPort: 8080}]`);
  };
  for (let i = 0; i < count; i++) {
    const host = `app-${i % hostCount}.example.com`;
    const version = 1 + Math.floor(i / hostCount);
    const resource = RESOURCES[i % RESOURCES.length]!;
    const day = String(1 + (i % 28)).padStart(2, "0");
    docs.push(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: gen-${i}, namespace: store, creationTimestamp: "2026-01-${day}T00:00:00Z"}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: http}]
  hostnames: [${host}]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /api/v${version}/${resource}}
      headers: [{name: x-canary, value: "true"}]
    backendRefs: [{name: gen-${i}-canary, port: 8080}]
  - matches:
    - path: {type: PathPrefix, value: /api/v${version}/${resource}}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-route, value: gen-${i}}]}
    backendRefs: [{name: gen-${i}, port: 8080, weight: 90}, {name: gen-${i}-b, port: 8080, weight: 10}]
  - matches:
    - path: {type: Exact, value: /health/${resource}-${version}}
    backendRefs: [{name: gen-${i}, port: 8080}]`);
    service(`gen-${i}`);
    service(`gen-${i}-b`);
    service(`gen-${i}-canary`);
  }
  // A fixed mix over the table, the same for every target (each connection cycles through it).
  let state = 12345;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const common = { "user-agent": "gwsim-bench", accept: "application/json" };
  for (let k = 0; k < 24; k++) {
    const i = Math.floor(next() * count);
    const host = `app-${i % hostCount}.example.com`;
    const version = 1 + Math.floor(i / hostCount);
    const resource = RESOURCES[i % RESOURCES.length]!;
    const kind = k % 6;
    const path = kind === 5 ? `/health/${resource}-${version}` : `/api/v${version}/${resource}/${Math.floor(next() * 1000)}?page=${k}`;
    const headers: Record<string, string> = { host, ...common };
    if (kind === 4) headers["x-canary"] = "true";
    requests.push({ method: "GET", path, headers });
  }
  return { yaml: docs.join("\n---\n") + "\n", services, requests };
}

/** Requests to the bundled example world's routes (store.example.com on the HTTP listener). */
const EXAMPLE_REQUESTS: BenchRequest[] = [
  { method: "GET", path: "/catalog/items/42", headers: { host: "store.example.com", "user-agent": "gwsim-bench", accept: "application/json" } },
  { method: "GET", path: "/cart", headers: { host: "store.example.com", "user-agent": "gwsim-bench", accept: "application/json" } },
  { method: "GET", path: "/checkout/start", headers: { host: "store.example.com", "user-agent": "gwsim-bench", accept: "application/json" } },
  { method: "GET", path: "/checkout/confirm", headers: { host: "store.example.com", "user-agent": "gwsim-bench", accept: "application/json", "x-canary": "always" } },
];

const EXAMPLE_SERVICES = ["store/catalog-svc:8080", "store/cart-svc:8080", "store/checkout-v1:8080", "store/checkout-v2:8080", "payments/payments-api:8443"];

// ---------------------------------------------------------------------------------------------
// The orchestrator.

/** `taskset -c CORE` when there are two cores or more and taskset exists; else unpinned. */
function pinning(): { pin: (core: number) => string[]; note: string } {
  const cores = cpus().length;
  const taskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
  if (cores >= 2 && taskset) {
    return {
      pin: (core) => ["taskset", "-c", String(core)],
      note: `${cores} cores: proxy pinned to core 0; load generator and backend pinned to core 1 (separate processes)`,
    };
  }
  return { pin: () => [], note: `${cores} core(s)${taskset ? "" : ", no taskset"}: processes not pinned` };
}

interface Child {
  proc: ChildProcess;
  lines: string[];
  stderr: () => string;
}

function start(command: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const [file, ...args] = command;
  const proc = spawn(file!, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let buffered = "";
  let err = "";
  proc.stdout!.setEncoding("utf8").on("data", (t: string) => {
    buffered += t;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  proc.stderr!.setEncoding("utf8").on("data", (t: string) => {
    err = (err + t).slice(-20_000);
  });
  return { proc, lines, stderr: () => err };
}

async function waitLine(child: Child, pattern: RegExp, ms: number, what: string): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const l of child.lines) {
      const m = pattern.exec(l);
      if (m) return m;
    }
    if (child.proc.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${what} did not start (exit ${child.proc.exitCode}):\n${child.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function role(name: string, ...args: string[]): string[] {
  return [process.execPath, ...process.execArgv, self, "--role", name, ...args];
}

interface Target {
  name: string;
  port: number;
  /** The proxy's process (none for direct: the backend's CPU is not the proxy's). */
  pid: number | null;
}

/**
 * CPU time (user + system) a process has used, in microseconds, from /proc (Linux); null
 * elsewhere. Per request served, it is what a proxy costs, whatever else shares the machine.
 */
function cpuMicros(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the name), in clock ticks.
    const ticks = Number(fields[11]) + Number(fields[12]);
    const hz = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
    return (ticks / hz) * 1e6;
  } catch {
    return null;
  }
}

interface Row extends LoadResult {
  round: number;
  target: string;
  /** The proxy's CPU time per request served, in microseconds (null for direct). */
  cpuUsPerRequest: number | null;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The gwsim CLI to start: the built one (packages/sim/dist, what users run), else the TypeScript sources through tsx. */
function gwsimCli(): { argv: string[]; what: string } {
  const built = join(root, "packages/sim/dist/cli.js");
  if (existsSync(built) && existsSync(join(root, "packages/core/dist/index.js"))) return { argv: [built], what: "packages/sim/dist/cli.js (built)" };
  return { argv: ["--conditions=development", "--import", "tsx", join(root, "packages/sim/src/cli.ts")], what: "TypeScript sources through tsx (no dist: `pnpm bench` builds it)" };
}

async function orchestrate(opts: Options): Promise<void> {
  const { pin, note } = pinning();
  const cli = gwsimCli();
  const dir = mkdtempSync(join(tmpdir(), "gwsim-serve-bench-"));
  const children: Child[] = [];
  try {
    const backend = start([...pin(1), ...role("backend")]);
    children.push(backend);
    const backendPort = Number((await waitLine(backend, /^PORT (\d+)$/, 30_000, "backend"))[1]);
    const backendUrl = `http://127.0.0.1:${backendPort}`;

    const world = join(dir, "world");
    cpSync(join(root, "packages/examples/world"), world, { recursive: true });
    const generated = generatedWorld(opts.routes);
    writeFileSync(join(world, "90-generated.yaml"), generated.yaml);
    const endpoints: Record<string, string[]> = {};
    for (const key of [...EXAMPLE_SERVICES, ...generated.services]) endpoints[key] = [`127.0.0.1:${backendPort}`];
    writeFileSync(join(dir, "endpoints.json"), JSON.stringify(endpoints));
    const mix = [...EXAMPLE_REQUESTS, ...generated.requests];
    const requestsFile = join(dir, "requests.json");
    writeFileSync(requestsFile, JSON.stringify(mix));
    // The workspace packages resolve to their sources only under the "development" condition.
    const check = spawnSync(process.execPath, ["--conditions=development", ...process.execArgv, self, "--role", "check", world, requestsFile], { cwd: root, encoding: "utf8" });
    if (check.status !== 0) throw new Error(`the bench's requests do not all route in gwsim:\n${check.stderr}`);

    // gwsim serve as a user runs it: the built CLI (`pnpm bench` builds first), else the sources;
    // access log off unless --access-log (then to a file): by default the bench measures routing
    // and forwarding, not logging.
    const gwsimArgs = ["serve", "-f", world, "--endpoints", join(dir, "endpoints.json"), "--listen", "80=127.0.0.1:0", "--listen", "443=127.0.0.1:0", "--no-watch"];
    gwsimArgs.push(...(opts.accessLog ? ["--access-log", join(dir, "access.log")] : ["--no-access-log"]));
    const profile = opts.cpuProf ? ["--cpu-prof", "--cpu-prof-dir", opts.cpuProf] : [];
    const gwsim = start([...pin(0), process.execPath, ...profile, ...cli.argv, ...gwsimArgs]);
    children.push(gwsim);
    await waitLine(gwsim, /^gwsim: ready$/, 60_000, "gwsim serve");
    const gwsimPort = Number(/gwsim: listening \S+ port 80 \(http\) on [^\s]+:(\d+)/.exec(gwsim.stderr())![1]);

    const targets: Target[] = [{ name: "direct", port: backendPort, pid: null }, { name: "gwsim serve", port: gwsimPort, pid: gwsim.proc.pid ?? null }];
    if (!opts.cpuProf) {
      const hp = start([...pin(0), ...role("http-proxy", backendUrl)]);
      const fp = start([...pin(0), ...role("fastify", backendUrl)]);
      children.push(hp, fp);
      targets.push({ name: "http-proxy", port: Number((await waitLine(hp, /^PORT (\d+)$/, 30_000, "http-proxy"))[1]), pid: hp.proc.pid ?? null });
      targets.push({ name: "@fastify/http-proxy", port: Number((await waitLine(fp, /^PORT (\d+)$/, 30_000, "@fastify/http-proxy"))[1]), pid: fp.proc.pid ?? null });
    }

    const measure = async (t: Target, seconds: number): Promise<LoadResult> => {
      const load = start([...pin(1), ...role("load", String(t.port), String(seconds), String(opts.connections), requestsFile)]);
      const m = await waitLine(load, /^RESULT (.*)$/, (seconds + 60) * 1000, `load against ${t.name}`);
      await new Promise((r) => (load.proc.exitCode !== null ? r(null) : load.proc.once("exit", r)));
      return JSON.parse(m[1]!) as LoadResult;
    };

    console.log(`gwsim serve bench: ${note}`);
    console.log(`gwsim: ${cli.what}`);
    console.log(
      `world: bundled example + ${opts.routes} generated HTTPRoutes (${opts.routes * 3} rules); ${mix.length} distinct requests cycled; ` +
        `${opts.connections} connections; ${opts.rounds} rounds of ${opts.seconds}s per target, alternating; gwsim access log ${opts.accessLog ? "on (to a file)" : "off"}`,
    );
    for (const t of targets) await measure(t, opts.warmupSeconds);
    const rows: Row[] = [];
    for (let round = 1; round <= opts.rounds; round++) {
      // Rotate the order each round, so no target always runs first or last.
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
      for (const t of order) {
        const cpuBefore = cpuMicros(t.pid);
        const r = await measure(t, opts.seconds);
        const cpuAfter = cpuMicros(t.pid);
        const cpuUsPerRequest = cpuBefore === null || cpuAfter === null || r.requests === 0 ? null : (cpuAfter - cpuBefore) / r.requests;
        rows.push({ round, target: t.name, ...r, cpuUsPerRequest });
        const cpu = cpuUsPerRequest === null ? "" : `  proxy CPU ${cpuUsPerRequest.toFixed(1)} µs/req`;
        process.stdout.write(`  round ${round} ${t.name.padEnd(20)} ${Math.round(r.rps).toString().padStart(7)} req/s  p99 ${r.p99.toFixed(2)} ms${cpu}\n`);
      }
    }
    if (opts.cpuProf) {
      console.log(`CPU profile of gwsim serve goes to ${opts.cpuProf} when it exits`);
      return;
    }
    report(opts, note, targets, rows, mix.length, cli);
  } finally {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGTERM");
    // A profiled gwsim writes its profile on exit: give it time.
    await Promise.all(children.map((c) => (c.proc.exitCode !== null ? null : new Promise((r) => { const t = setTimeout(() => { c.proc.kill("SIGKILL"); r(null); }, 10_000); c.proc.once("exit", () => { clearTimeout(t); r(null); }); }))));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every request of the mix must route (forward) in gwsim, or the comparison would be unfair. */
async function checkRole(world: string, requestsFile: string): Promise<void> {
  const mix = JSON.parse(readFileSync(requestsFile, "utf8")) as BenchRequest[];
  const { buildWorld, decide } = await import("../packages/core/src/index.js");
  const { loadManifests } = await import("../packages/sim/src/load/manifests.js");
  const loaded = await loadManifests([world]);
  const w = buildWorld(loaded.objects);
  mix.forEach((r, index) => {
    const d = decide(w, { gateway: "infra/edge", port: 80, scheme: "http", method: r.method, path: r.path, host: r.headers.host!, headers: r.headers }, { seed: 1, index });
    if (d.outcome !== "forward") throw new Error(`bench request ${r.headers.host}${r.path} does not route: ${d.outcome} ${d.status}`);
  });
}

function report(opts: Options, note: string, targets: Target[], rows: Row[], distinct: number, cli: { what: string }): void {
  const summary = targets.map((t) => {
    const mine = rows.filter((r) => r.target === t.name);
    return {
      target: t.name,
      rps: Math.round(median(mine.map((r) => r.rps))),
      p50ms: round2(median(mine.map((r) => r.p50))),
      p99ms: round2(median(mine.map((r) => r.p99))),
      p999ms: round2(median(mine.map((r) => r.p999))),
      cpuUsPerRequest: mine.every((r) => r.cpuUsPerRequest !== null) ? round2(median(mine.map((r) => r.cpuUsPerRequest!))) : null,
      errors: mine.reduce((s, r) => s + r.errors + r.timeouts, 0),
      non2xx: mine.reduce((s, r) => s + r.non2xx, 0),
    };
  });
  const base = summary.find((s) => s.target === "http-proxy")!;
  const withRatios = summary.map((s) => ({
    ...s,
    rpsVsHttpProxy: round2(s.rps / base.rps),
    p99VsHttpProxy: round2(s.p99ms / base.p99ms),
    cpuVsHttpProxy: s.cpuUsPerRequest === null || base.cpuUsPerRequest === null ? null : round2(s.cpuUsPerRequest / base.cpuUsPerRequest),
  }));
  const pad = (s: string | number, w: number) => String(s).padStart(w);
  console.log(`\n${"target".padEnd(20)} ${pad("req/s", 8)} ${pad("p50 ms", 7)} ${pad("p99 ms", 7)} ${pad("p99.9", 7)} ${pad("CPU µs/req", 11)} ${pad("errors", 6)} ${pad("non2xx", 6)} ${pad("req/s vs http-proxy", 20)} ${pad("p99 vs http-proxy", 18)} ${pad("CPU vs http-proxy", 18)}`);
  for (const s of withRatios) {
    console.log(
      `${s.target.padEnd(20)} ${pad(s.rps, 8)} ${pad(s.p50ms.toFixed(2), 7)} ${pad(s.p99ms.toFixed(2), 7)} ${pad(s.p999ms.toFixed(2), 7)} ${pad(s.cpuUsPerRequest === null ? "-" : s.cpuUsPerRequest.toFixed(1), 11)} ${pad(s.errors, 6)} ${pad(s.non2xx, 6)} ${pad(`${s.rpsVsHttpProxy.toFixed(2)}x`, 20)} ${pad(`${s.p99VsHttpProxy.toFixed(2)}x`, 18)} ${pad(s.cpuVsHttpProxy === null ? "-" : `${s.cpuVsHttpProxy.toFixed(2)}x`, 18)}`,
    );
  }
  const gw = withRatios.find((s) => s.target === "gwsim serve")!;
  const targetsMet = {
    rpsAtLeast1_2xHttpProxy: gw.rpsVsHttpProxy >= 1.2,
    p99NotAboveHttpProxy: gw.p99ms <= base.p99ms,
    noErrors: gw.errors === 0 && gw.non2xx === 0,
  };
  console.log(`medians over ${opts.rounds} rounds; target (issue 7): ${JSON.stringify(targetsMet)}`);
  const out = join(here, "results");
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, "serve.json"),
    JSON.stringify(
      {
        benchmark: "serve",
        node: process.version,
        layout: note,
        gwsim: cli.what,
        settings: { ...opts, distinctRequests: distinct, loadGenerator: "autocannon", accessLog: opts.accessLog ? "on (JSON lines to a file)" : "off" },
        world: { base: "packages/examples/world", generatedHTTPRoutes: opts.routes, generatedRules: opts.routes * 3 },
        summary: withRatios,
        targets: targetsMet,
        rows: rows.map((r) => ({ ...r, rps: Math.round(r.rps), cpuUsPerRequest: r.cpuUsPerRequest === null ? null : round2(r.cpuUsPerRequest), p50: round2(r.p50), p90: round2(r.p90), p99: round2(r.p99), p999: round2(r.p999), max: round2(r.max) })),
      },
      null,
      2,
    ) + "\n",
  );
}

const argv = process.argv.slice(2);
const roleIndex = argv.indexOf("--role");
if (roleIndex >= 0) {
  const [name, ...rest] = argv.slice(roleIndex + 1);
  if (name === "backend") await backendRole();
  else if (name === "http-proxy") await httpProxyRole(rest[0]!);
  else if (name === "fastify") await fastifyRole(rest[0]!);
  else if (name === "check") await checkRole(rest[0]!, rest[1]!);
  else if (name === "load") {
    await loadRole(Number(rest[0]), Number(rest[1]), Number(rest[2]), rest[3]!);
    process.exit(0);
  } else throw new Error(`unknown role ${name}`);
} else {
  await orchestrate(options(argv));
}
