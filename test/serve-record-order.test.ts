/**
 * `--record` lines come out in arrival order (replay reads a line's position as the request
 * index serve decided with), on real sockets on 127.0.0.1 with backends of varied latency.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifestFiles } from "../packages/core/src/index.js";
import { replay } from "../packages/sim/src/index.js";
import { startServe, type LiveGateway, type ServeOptions } from "../packages/sim/src/serve/index.js";
import { readTrace } from "../packages/sim/src/trace/index.js";
import type { TraceRecord } from "../packages/sim/src/trace/types.js";

const WORLD = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: qa}
spec: {controllerName: qa.dev/gw}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: qa
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [a.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /split}}]
    backendRefs: [{name: s1, port: 80, weight: 70}, {name: s2, port: 80, weight: 20}, {name: s3, port: 80, weight: 10}]
  - matches: [{path: {type: PathPrefix, value: /slow}}]
    backendRefs: [{name: slow, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /missing}}]
    backendRefs: [{name: nowhere, port: 80}]
${["s1", "s2", "s3", "slow"].map((n) => `---
apiVersion: v1
kind: Service
metadata: {name: ${n}, namespace: default}
spec: {ports: [{name: http, port: 80}]}`).join("\n")}
`;

const world = buildWorld(parseManifestFiles([{ file: "world.yaml", text: WORLD }]).objects);

interface Backend {
  address: string;
  close(): Promise<void>;
}

const open: { gateways: LiveGateway[]; backends: Backend[]; agents: http.Agent[] } = { gateways: [], backends: [], agents: [] };

afterEach(async () => {
  for (const a of open.agents.splice(0)) a.destroy();
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(open.backends.splice(0).map((b) => b.close()));
});

/** A backend that answers after `delay(n)` ms (n counts its requests); `hold` sends headers at once and ends the body only then. */
async function backendWith(name: string, delay: (n: number) => number, mode: "answer" | "hold" = "answer"): Promise<Backend> {
  let n = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const wait = delay(n++);
    req.resume();
    if (mode === "hold") res.writeHead(200, { "x-backend": name }).flushHeaders();
    const t = setTimeout(() => {
      timers.delete(t);
      if (mode === "answer") res.writeHead(200, { "x-backend": name });
      res.end(name);
    }, wait);
    timers.add(t);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const b: Backend = {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  open.backends.push(b);
  return b;
}

async function serve(endpoints: Map<string, string[]>, extra: Partial<ServeOptions> = {}): Promise<{ gw: LiveGateway; port: number; lines: string[] }> {
  const lines: string[] = [];
  const gw = await startServe({ world, decide, seed: 1, endpoints, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]), record: (l) => lines.push(l), ...extra });
  open.gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port, lines };
}

function get(port: number, path: string, agent: http.Agent): Promise<{ status: number; backend: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, agent, headers: { host: "a.example.com" } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, backend: String(res.headers["x-backend"] ?? "") }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** `total` requests to `paths` (round robin), `concurrency` at a time on keep-alive connections. */
async function load(port: number, paths: string[], total: number, concurrency: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  open.agents.push(agent);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      await get(port, paths[i % paths.length]!, agent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

async function records(lines: string[]): Promise<TraceRecord[]> {
  const out: TraceRecord[] = [];
  for await (const r of readTrace(Readable.from([lines.join("")]), { format: "jsonl" })) out.push(r);
  return out;
}

/** Endpoints: `slow` behind its own backend, the three split backends behind one fast one. */
function slowAndSplit(slow: string, fast: string): Map<string, string[]> {
  return new Map([["default/slow:80", [slow]], ["default/s1:80", [fast]], ["default/s2:80", [fast]], ["default/s3:80", [fast]]]);
}

describe("serve --record: lines in arrival order", () => {
  it("concurrent requests with varied backend latency: the record replays with 100% observed agreement", async () => {
    // Latencies vary per request (0-45 ms), so requests finish in another order than they arrive.
    const endpoints = new Map<string, string[]>();
    for (const [i, name] of ["s1", "s2", "s3"].entries()) endpoints.set(`default/${name}:80`, [(await backendWith(name, (n) => ((n + i) * 37) % 46)).address]);
    const { gw, port, lines } = await serve(endpoints);
    const total = 240;
    await load(port, ["/split", "/split", "/split", "/missing"], total, 40);
    await gw.close({ drainMs: 2000 });
    open.gateways.splice(open.gateways.indexOf(gw), 1);
    const recs = await records(lines);
    expect(recs).toHaveLength(total);
    const report = await replay(world, recs, { seed: 1 });
    expect(report.observed).toMatchObject({ records: total, compared: total, agree: total, disagree: 0 });
    expect(recs.map((r) => r.id)).toEqual(Array.from({ length: total }, (_, i) => i));
    for (const r of recs) expect((r.observed as { status?: number }).status).toBeGreaterThan(0);
  });

  it("a response whose headers are out is written at once, before its body ends; later lines are not held", async () => {
    const slow = await backendWith("slow", () => 1500, "hold");
    const s1 = await backendWith("s1", () => 0);
    const { port, lines } = await serve(slowAndSplit(slow.address, s1.address));
    const agent = new http.Agent({ keepAlive: true });
    open.agents.push(agent);
    const streaming = get(port, "/slow", agent);
    await until(() => false, 100);
    for (let i = 0; i < 5; i++) await get(port, "/split", agent);
    await until(() => lines.length === 6, 1000);
    const recs = await records(lines);
    expect(recs.map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(recs[0]!.observed).toMatchObject({ status: 200, backend: "default/slow:80" });
    await streaming;
  });

  it("a head-of-line request without an outcome after maxWaitMs: its line is written early (pending, backend, no status), once, in place", async () => {
    const slow = await backendWith("slow", () => 1200);
    const s1 = await backendWith("s1", () => 0);
    const { gw, port, lines } = await serve(slowAndSplit(slow.address, s1.address), {
      recordOrder: { maxWaitMs: 300 },
    });
    const agent = new http.Agent({ keepAlive: true });
    open.agents.push(agent);
    const stalled = get(port, "/slow", agent);
    await until(() => false, 50);
    for (let i = 0; i < 4; i++) await get(port, "/split", agent);
    // Held behind request 0 until its 300 ms are up, then all written in order.
    await until(() => lines.length === 5, 1000);
    expect(lines).toHaveLength(5);
    const recs = await records(lines);
    expect(recs.map((r) => r.id)).toEqual([0, 1, 2, 3, 4]);
    expect(recs[0]!.observed).toEqual({ pending: true, backend: "default/slow:80", upstreamHost: slow.address });
    for (const r of recs.slice(1)) expect((r.observed as { status?: number }).status).toBe(200);
    // When it ends, no second line for it.
    expect((await stalled).status).toBe(200);
    await until(() => gw.requestsInFlight === 0);
    await until(() => false, 120);
    expect(lines).toHaveLength(5);
    // A pending line still replays: the backend it went to is compared.
    const report = await replay(world, recs, { seed: 1 });
    expect(report.observed).toMatchObject({ compared: 5, agree: 5 });
  });

  it("more than maxHeld lines behind a pending request: it is written early without waiting for maxWaitMs", async () => {
    const slow = await backendWith("slow", () => 1500);
    const s1 = await backendWith("s1", () => 0);
    const { lines, port } = await serve(slowAndSplit(slow.address, s1.address), {
      recordOrder: { maxHeld: 3 },
    });
    const agent = new http.Agent({ keepAlive: true });
    open.agents.push(agent);
    const stalled = get(port, "/slow", agent);
    await until(() => false, 50);
    for (let i = 0; i < 4; i++) await get(port, "/split", agent);
    await until(() => lines.length === 5, 1000);
    const recs = await records(lines);
    expect(recs.map((r) => r.id)).toEqual([0, 1, 2, 3, 4]);
    expect(recs[0]!.observed).toMatchObject({ pending: true });
    await stalled;
  });

  it("at shutdown every held line is written, in order", async () => {
    const slow = await backendWith("slow", () => 10_000);
    const s1 = await backendWith("s1", () => 0);
    const { gw, port, lines } = await serve(slowAndSplit(slow.address, s1.address));
    const agent = new http.Agent({ keepAlive: true });
    open.agents.push(agent);
    get(port, "/slow", agent).catch(() => undefined);
    await until(() => false, 50);
    await get(port, "/split", agent);
    await until(() => false, 100);
    expect(lines).toHaveLength(0);
    await gw.close({ drainMs: 0 });
    open.gateways.splice(open.gateways.indexOf(gw), 1);
    const recs = await records(lines);
    expect(recs.map((r) => r.id)).toEqual([0, 1]);
    expect((recs[1]!.observed as { status?: number }).status).toBe(200);
  });
});
