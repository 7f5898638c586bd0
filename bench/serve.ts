/**
 * Rough loopback benchmark of `gwsim serve` (not a test): requests per second and p99 latency
 * through the adapter on the bundled example world, beside the same load sent straight to the
 * backend. The backend and the load generator run in their own processes; the adapter runs here.
 *
 *   node --import tsx bench/serve.ts [seconds] [concurrency]
 */
import { fork, type ChildProcess } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorld, decide } from "../packages/core/src/index.js";
import { loadManifests } from "../packages/sim/src/load/manifests.js";
import { startServe } from "../packages/sim/src/serve/index.js";

const seconds = Number(process.argv[2] ?? 3);
const concurrency = Number(process.argv[3] ?? 32);
const dir = mkdtempSync(join(tmpdir(), "gwsim-bench-"));

writeFileSync(
  join(dir, "backend.mjs"),
  `import http from "node:http";
const body = JSON.stringify({ ok: true, pad: "x".repeat(200) });
const s = http.createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }); res.end(body); }); });
s.keepAliveTimeout = 60000;
s.listen(0, "127.0.0.1", () => process.send(s.address().port));`,
);
writeFileSync(
  join(dir, "load.mjs"),
  `import http from "node:http";
const [port, seconds, concurrency, host, path] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const end = Date.now() + Number(seconds) * 1000;
const lat = []; let errors = 0;
const one = () => new Promise((resolve) => {
  const t = process.hrtime.bigint();
  const req = http.request({ host: "127.0.0.1", port: Number(port), path, headers: { host }, agent }, (res) => {
    res.resume(); res.on("end", () => { if (res.statusCode !== 200) errors++; lat.push(Number(process.hrtime.bigint() - t) / 1e6); resolve(); });
  });
  req.on("error", () => { errors++; resolve(); }); req.end();
});
const loop = async () => { while (Date.now() < end) await one(); };
await Promise.all(Array.from({ length: Number(concurrency) }, loop));
lat.sort((a, b) => a - b);
process.send({ rps: lat.length / Number(seconds), p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)], errors });
agent.destroy(); process.exit(0);`,
);

function child(file: string, args: string[] = []): { proc: ChildProcess; message: Promise<unknown> } {
  const proc = fork(join(dir, file), args, { stdio: "inherit" });
  const message = new Promise((resolve) => proc.once("message", resolve));
  return { proc, message };
}

const backend = child("backend.mjs");
const backendPort = (await backend.message) as number;
const loaded = await loadManifests(["packages/examples/world"]);
const world = buildWorld(loaded.objects);
const endpoints = new Map<string, string[]>();
for (const s of world.graph.services) for (const p of s.ports) endpoints.set(`${s.namespace}/${s.name}:${p.port}`, [`127.0.0.1:${backendPort}`]);
const gw = await startServe({ world, objects: loaded.objects, endpoints, decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }], ["443", { host: "127.0.0.1", port: 0 }]]) });
const gwPort = gw.addresses().find((a) => a.port === 80)!.address.port;

const rows: Record<string, unknown>[] = [];
for (const round of [1, 2]) {
  for (const [name, port] of [["direct", backendPort], ["gwsim serve", gwPort]] as const) {
    const load = child("load.mjs", [String(port), String(seconds), String(concurrency), "store.example.com", "/checkout/cart"]);
    const r = (await load.message) as Record<string, number>;
    rows.push({ round, target: name, rps: Math.round(r.rps!), p50ms: r.p50!.toFixed(2), p99ms: r.p99!.toFixed(2), errors: r.errors });
  }
}
console.table(rows);
await gw.close({ drainMs: 0 });
backend.proc.kill();
