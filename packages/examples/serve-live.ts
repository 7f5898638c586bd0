// Serve the example world live and call it: gwsim's live adapter routes real HTTP requests to
// real backends, exactly as `decide` says. The backends here are four tiny echo servers on
// 127.0.0.1 standing in for the store's Services; `--endpoints` does the same from the CLI:
//
//   gwsim serve -f packages/examples/world --listen 80=127.0.0.1:8080 --endpoints endpoints.yaml
//
//   npx tsx packages/examples/serve-live.ts
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readdirSync, readFileSync } from "node:fs";
import { buildWorld, decide, parseManifestFiles } from "@gwsim/core";
import { startServe } from "@gwsim/sim";

const dir = new URL("./world/", import.meta.url);
const { objects } = parseManifestFiles(readdirSync(dir).map((file) => ({ file, text: readFileSync(new URL(file, dir), "utf8") })));
const world = buildWorld(objects);

// One echo backend per Service: it answers with its own name and the path it received.
async function backend(name: string): Promise<{ server: http.Server; address: string }> {
  const server = http.createServer((req, res) => res.end(`${name} got ${req.method} ${req.url}\n`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}
const services = ["catalog-svc", "cart-svc", "checkout-v1", "checkout-v2"];
const backends = await Promise.all(services.map(backend));
// Endpoints: `namespace/service:port` → addresses (what --endpoints FILE holds).
const endpoints = new Map(services.map((s, i) => [`store/${s}:8080`, [backends[i]!.address]]));

// Listener port 80 on a free local port (443 too: the world has an HTTPS listener).
const listen = new Map([
  ["80", { host: "127.0.0.1", port: 0 }],
  ["443", { host: "127.0.0.1", port: 0 }],
]);
const gateway = await startServe({ world, objects, endpoints, listen, decide, seed: 1, log: () => {} });
const http80 = gateway.addresses().find((a) => a.port === 80)!.address;

function call(method: string, path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: http80.host, port: http80.port, method, path, headers: { host: "store.example.com", ...headers } }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(`${res.statusCode} ${body.trim() || "(empty)"}`));
    });
    req.on("error", reject);
    req.end();
  });
}

try {
  console.log(`gateway infra/edge port 80 listening on ${http80.host}:${http80.port}`);
  console.log(`GET /catalog/shoes                → ${await call("GET", "/catalog/shoes")}`);
  console.log(`POST /cart/items                  → ${await call("POST", "/cart/items")}`);
  console.log(`POST /checkout (x-canary: always) → ${await call("POST", "/checkout", { "x-canary": "always" })}`);
  console.log(`GET /catalogue                    → ${await call("GET", "/catalogue")}`);
  // Ten checkouts: the 90/10 split, drawn per request from the seed and the arrival index.
  const hits: Record<string, number> = {};
  for (let i = 0; i < 10; i++) {
    const who = (await call("POST", "/checkout")).split(" ")[1]!;
    hits[who] = (hits[who] ?? 0) + 1;
  }
  console.log(`10 × POST /checkout               → ${Object.entries(hits).map(([k, v]) => `${k} ×${v}`).join(", ")}`);
} finally {
  await gateway.close({ drainMs: 1000 });
  await Promise.all(backends.map((b) => new Promise((resolve) => b.server.close(resolve))));
}
