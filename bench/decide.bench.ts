/**
 * Decisions per second for generated worlds of 10, 100, 1,000 and 10,000 HTTPRoutes, beside
 * find-my-way (a radix router) on the path part of the same worlds (the host folded in as a
 * first path segment, since find-my-way allows at most 31 host constraints per path) and
 * beside the naive reference matcher. A benchmark, not a timed test:
 *
 *   pnpm bench decide [--quick]      (or, after pnpm build: node --import tsx bench/decide.bench.ts)
 *
 * compile and decide are @gwsim/core's built dist (bench/dist.ts); the worlds are made by the
 * test helpers (test/http-graph.ts) and the naive matcher is test/reference-matcher.ts.
 *
 * Prints a table and writes bench/results/decide.json. Targets (issue 4): at every size at
 * least half of find-my-way's lookups per second; per-decision cost growing less than 2x from
 * 100 to 10,000 routes; at 10,000 routes at least 100x the naive matcher.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GatewayRequest } from "../packages/core/src/model/request.js";
import { core } from "./dist.js";
import { buildGraph, type RouteSpec, type WorldSpec } from "../test/http-graph.js";
import { referenceDecide } from "../test/reference-matcher.js";

const here = dirname(fileURLToPath(import.meta.url));
// find-my-way (a devDependency) and seedrandom belong to @gwsim/core; the root has no dependencies.
const requireFromCore = createRequire(join(here, "..", "packages", "core", "package.json"));
const seedrandom = requireFromCore("seedrandom") as { alea(seed: string): () => number };
const FindMyWay = requireFromCore("find-my-way") as (opts?: object) => {
  on(method: string, path: string, handler: () => void): void;
  find(method: string, path: string): { handler: () => void } | null;
};

const quick = process.argv.includes("--quick");
const SIZES = [10, 100, 1000, 10_000];
const RESOURCES = ["users", "orders", "cart", "search", "items", "payments", "auth", "media"];

/** A world of n routes: ~n/8 hostnames (some behind a wildcard), versioned prefixes, exact health paths, header canaries. */
function world(n: number, rng: () => number): { spec: WorldSpec; requests: GatewayRequest[]; fmw: ReturnType<typeof FindMyWay> } {
  const hostCount = Math.max(1, Math.round(n / 8));
  const hosts = Array.from({ length: hostCount }, (_, i) => `svc-${i}.shop${i % 7}.example.com`);
  const routes: RouteSpec[] = [];
  const fmw = FindMyWay({ ignoreTrailingSlash: false });
  const registered = new Set<string>();
  const add = (method: string, path: string, host: string): void => {
    const key = `${method} ${host} ${path}`;
    if (registered.has(key)) return;
    registered.add(key);
    fmw.on(method, `/${host}${path}`, () => undefined);
  };
  const requests: GatewayRequest[] = [];
  for (let i = 0; i < n; i++) {
    const host = hosts[i % hostCount]!;
    const version = 1 + Math.floor(i / hostCount);
    const resource = RESOURCES[i % RESOURCES.length]!;
    const prefix = `/api/v${version}/${resource}`;
    const exact = `/health/${resource}-${version}`;
    routes.push({
      route: `team-${i % 13}/route-${i}`,
      created: `2024-01-${String(1 + (i % 28)).padStart(2, "0")}T00:00:00Z`,
      hostnames: [host],
      parents: [{ gateway: "infra/gw" }],
      rules: [
        { matches: [{ path: { type: "PathPrefix", value: prefix }, headers: [{ name: "x-canary", value: "true" }] }], backends: [{ name: `svc-${i}-canary` }] },
        { matches: [{ path: { type: "PathPrefix", value: prefix } }], backends: [{ name: `svc-${i}`, weight: 90 }, { name: `svc-${i}-b`, weight: 10 }] },
        { matches: [{ path: { type: "Exact", value: exact } }], backends: [{ name: `svc-${i}` }] },
      ],
    });
    add("GET", prefix, host);
    add("GET", `${prefix}/*`, host);
    add("GET", exact, host);
  }
  for (let k = 0; k < 2000; k++) {
    const i = Math.floor(rng() * n);
    const host = hosts[i % hostCount]!;
    const version = 1 + Math.floor(i / hostCount);
    const resource = RESOURCES[i % RESOURCES.length]!;
    const kind = rng();
    const path =
      kind < 0.6 ? `/api/v${version}/${resource}/${Math.floor(rng() * 1000)}` : kind < 0.8 ? `/health/${resource}-${version}` : kind < 0.9 ? `/api/v${version}/${resource}` : `/missing/${k}`;
    const headers: Record<string, string> = rng() < 0.1 ? { "x-canary": "true", accept: "*/*" } : { accept: "*/*" };
    requests.push({ gateway: "infra/gw", host, method: "GET", path, headers });
  }
  const spec: WorldSpec = { gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }], routes };
  return { spec, requests, fmw };
}

/** Operations per second of `op` over the requests, for at least `ms` milliseconds. */
function rate(requests: GatewayRequest[], op: (r: GatewayRequest, i: number) => unknown, ms: number): number {
  for (let i = 0; i < Math.min(requests.length, 500); i++) op(requests[i]!, i); // warm up
  let count = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < requests.length; i++) op(requests[i]!, count + i);
    count += requests.length;
    elapsed = process.hrtime.bigint() - start;
    if (count > 0 && elapsed > budget * 4n) break;
  }
  return (count / Number(elapsed)) * 1e9;
}

interface Row {
  routes: number;
  decidePerSec: number;
  findMyWayPerSec: number;
  naivePerSec: number;
  decideVsFindMyWay: number;
  decideVsNaive: number;
  nsPerDecision: number;
}

const { compile, decideOnTable: decide } = core;
const rows: Row[] = [];
for (const n of SIZES) {
  const rng = seedrandom.alea(`bench:${n}`);
  const { spec, requests, fmw } = world(n, rng);
  const graph = buildGraph(spec);
  const table = compile(graph);
  const w = { table };
  const ms = quick ? 200 : 1000;
  const decidePerSec = rate(requests, (r, i) => decide(w, r, { seed: 1, index: i }), ms);
  const findMyWayPerSec = rate(requests, (r) => fmw.find("GET", `/${r.host}${(r.path ?? "/").split("?")[0]}`), ms);
  // The naive matcher is slow by design: a few hundred requests are enough.
  const naiveSample = requests.slice(0, n >= 10_000 ? 30 : n >= 1000 ? 200 : 2000);
  const naivePerSec = rate(naiveSample, (r) => referenceDecide(graph, r as Parameters<typeof referenceDecide>[1]), quick ? 100 : 500);
  rows.push({
    routes: n,
    decidePerSec: Math.round(decidePerSec),
    findMyWayPerSec: Math.round(findMyWayPerSec),
    naivePerSec: Math.round(naivePerSec),
    decideVsFindMyWay: round(decidePerSec / findMyWayPerSec),
    decideVsNaive: round(decidePerSec / naivePerSec),
    nsPerDecision: Math.round(1e9 / decidePerSec),
  });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const growth = round(rows.find((r) => r.routes === 10_000)!.nsPerDecision / rows.find((r) => r.routes === 100)!.nsPerDecision);
const at10k = rows.find((r) => r.routes === 10_000)!;
const targets = {
  halfOfFindMyWayAtEverySize: rows.every((r) => r.decideVsFindMyWay >= 0.5),
  costGrowth100To10000: growth,
  costGrowthBelow2x: growth < 2,
  atLeast100xNaiveAt10000: at10k.decideVsNaive >= 100,
};

const pad = (s: string | number, w: number) => String(s).padStart(w);
console.log(`${pad("routes", 7)} ${pad("decide/s", 11)} ${pad("find-my-way/s", 14)} ${pad("naive/s", 9)} ${pad("vs fmw", 7)} ${pad("vs naive", 9)} ${pad("ns/decision", 12)}`);
for (const r of rows) {
  console.log(
    `${pad(r.routes, 7)} ${pad(r.decidePerSec.toLocaleString("en"), 11)} ${pad(r.findMyWayPerSec.toLocaleString("en"), 14)} ${pad(r.naivePerSec.toLocaleString("en"), 9)} ${pad(r.decideVsFindMyWay, 7)} ${pad(r.decideVsNaive, 9)} ${pad(r.nsPerDecision, 12)}`,
  );
}
console.log(`targets: ${JSON.stringify(targets)}`);

const out = join(here, "results");
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, "decide.json"),
  JSON.stringify({ benchmark: "decide", node: process.version, quick, rows, targets }, null, 2) + "\n",
);
