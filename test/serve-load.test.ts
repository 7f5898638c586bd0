import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type World } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { wilson } from "../packages/sim/src/stats/wilson.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";

const Z99 = 2.5758293035489;

function splitWorld(weights: Record<string, number>): World {
  const refs = Object.entries(weights).map(([name, weight]) => `    - {name: ${name}, port: 8080, weight: ${weight}}`).join("\n");
  const services = Object.keys(weights)
    .map((name) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: app}\nspec:\n  ports: [{name: http, port: 8080}]\n`)
    .join("");
  const text = `${edgeGateway(`
  - {name: http, protocol: HTTP, port: 80}`)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
  - backendRefs:
${refs}
${services}`;
  const { objects, diagnostics } = parseManifests(text, { file: "split.yaml" });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return buildWorld(objects);
}

const open: { gateways: LiveGateway[]; echoes: EchoServer[] } = { gateways: [], echoes: [] };

afterEach(async () => {
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(open.echoes.splice(0).map((e) => e.close()));
});

async function backends(names: string[]): Promise<Map<string, string[]>> {
  const table = new Map<string, string[]>();
  for (const name of names) {
    const e = await startEcho({ service: name });
    open.echoes.push(e);
    table.set(`app/${name}:8080`, [e.address]);
  }
  return table;
}

/** Sends `count` requests, `concurrency` at a time, over keep-alive; bounded by `ms`. */
async function load(port: number, count: number, concurrency: number, ms: number, onEach?: (i: number) => Promise<void> | void): Promise<{ statuses: Map<number, number>; services: string[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = new Map<number, number>();
  const services: string[] = [];
  const deadline = Date.now() + ms;
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      await onEach?.(i);
      const res = await request(port, { path: `/r/${i}`, agent }).catch(() => ({ status: 0, json: () => ({ service: "" }) }));
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      services.push(res.json<{ service: string }>().service);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { statuses, services };
}

describe("serve under load (real core)", () => {
  it("10,000 requests through a 70/20/10 split land within the simulator's 99% interval, and agree with decide request by request", async () => {
    const world = splitWorld({ a: 70, b: 20, c: 10 });
    const picks: { index: number; backend: string | null }[] = [];
    const gw = await startServe({
      world,
      endpoints: await backends(["a", "b", "c"]),
      decide,
      seed: 42,
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      record: (line) => {
        const r = JSON.parse(line) as { id: number; observed: { backend?: string } };
        picks.push({ index: r.id, backend: r.observed.backend ?? null });
      },
    });
    open.gateways.push(gw);
    const n = 10_000;
    const { statuses, services } = await load(gw.addresses()[0]!.address.port, n, 32, 40_000);
    expect(statuses).toEqual(new Map([[200, n]]));
    const expected = { a: 0.7, b: 0.2, c: 0.1 };
    for (const [name, p] of Object.entries(expected)) {
      const k = services.filter((s) => s === name).length;
      const [lo, hi] = wilson(k, n, Z99);
      expect(p, `${name}: ${k}/${n}`).toBeGreaterThanOrEqual(lo);
      expect(p, `${name}: ${k}/${n}`).toBeLessThanOrEqual(hi);
    }
    // Every request went where the core, given the same seed and index, says it goes.
    expect(picks).toHaveLength(n);
    for (const { index, backend } of picks.slice(0, 2000)) {
      const d = decide(world, { gateway: "app/edge", port: 80, scheme: "http", method: "GET", host: "127.0.0.1", path: "/r/0", headers: {} }, { seed: 42, index });
      expect(backend).toBe(`app/${d.backend!.name}:8080`);
    }
  }, 60_000);

  it("reload under load: weights change twice, zero failed requests, and each generation's split follows its weights", async () => {
    const worlds = [splitWorld({ a: 1, b: 0 }), splitWorld({ a: 0, b: 1 }), splitWorld({ a: 1, b: 1 })];
    const byGeneration = new Map<number, string[]>();
    const gw = await startServe({
      world: worlds[0]!,
      endpoints: await backends(["a", "b"]),
      decide,
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      accessLog: (line) => {
        const x = JSON.parse(line) as { generation: number; backend: string; status: number };
        if (x.status !== 200) return;
        const list = byGeneration.get(x.generation) ?? [];
        list.push(x.backend);
        byGeneration.set(x.generation, list);
      },
    });
    open.gateways.push(gw);
    const endpoints = gw.snapshot().endpoints;
    const { statuses } = await load(gw.addresses()[0]!.address.port, 2000, 16, 30_000, async (i) => {
      if (i === 600 || i === 1200) await gw.reload(worlds[i / 600]!, [], endpoints);
    });
    expect(statuses).toEqual(new Map([[200, 2000]]));
    expect([...byGeneration.keys()].sort()).toEqual([1, 2, 3]);
    expect(new Set(byGeneration.get(1))).toEqual(new Set(["app/a:8080"]));
    expect(new Set(byGeneration.get(2))).toEqual(new Set(["app/b:8080"]));
    const third = byGeneration.get(3)!;
    const k = third.filter((b) => b === "app/a:8080").length;
    const [lo, hi] = wilson(k, third.length, Z99);
    expect(0.5).toBeGreaterThanOrEqual(lo);
    expect(0.5).toBeLessThanOrEqual(hi);
    expect(await gw.metrics.registry.getSingleMetricAsString("gwsim_reloads_total")).toContain("gwsim_reloads_total 2");
  }, 60_000);

  it("a request in flight during a reload finishes on the world it started with", async () => {
    const slowWorld = splitWorld({ a: 1 });
    const a = http.createServer((_req, res) => setTimeout(() => res.end("from a"), 200));
    await new Promise<void>((r) => a.listen(0, "127.0.0.1", () => r()));
    try {
      const gw = await startServe({
        world: slowWorld,
        endpoints: new Map([["app/a:8080", [`127.0.0.1:${(a.address() as { port: number }).port}`]]]),
        decide,
        listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      });
      open.gateways.push(gw);
      const port = gw.addresses()[0]!.address.port;
      const inflight = request(port, { path: "/x" });
      await new Promise((r) => setTimeout(r, 50));
      await gw.reload(splitWorld({ b: 1 }), [], new Map());
      const res = await inflight;
      expect(res.status).toBe(200);
      expect(res.body).toBe("from a");
      // The new world's backend has no endpoints: new requests see it.
      expect((await request(port, { path: "/y" })).status).toBe(503);
    } finally {
      a.closeAllConnections();
      a.close();
    }
  });
});
