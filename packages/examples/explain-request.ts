// Explain where one request goes, and why: the library call behind `gwsim explain`.
//
//   npx tsx packages/examples/explain-request.ts
//   npx tsx packages/examples/explain-request.ts GET http://store.example.com/catalogue
//   npx tsx packages/examples/explain-request.ts POST http://store.example.com/checkout x-canary:always
import { readdirSync, readFileSync } from "node:fs";
import { buildWorld, decide, parseManifestFiles, type GatewayRequest } from "@gwsim/core";

// Read the manifests (core is pure: reading files is ours), then build the world once.
const dir = new URL("./world/", import.meta.url);
const files = readdirSync(dir).map((file) => ({ file, text: readFileSync(new URL(file, dir), "utf8") }));
const world = buildWorld(parseManifestFiles(files).objects);

const [method = "POST", url = "http://store.example.com/checkout", ...headerArgs] = process.argv.slice(2);
const target = new URL(url);
const request: GatewayRequest = {
  gateway: "infra/edge",
  scheme: target.protocol === "https:" ? "https" : "http",
  host: target.host,
  method,
  path: `${target.pathname}${target.search}`,
  headers: Object.fromEntries(headerArgs.map((h) => [h.slice(0, h.indexOf(":")).trim(), h.slice(h.indexOf(":") + 1).trim()])),
};

const decision = decide(world, request, { explain: true, seed: 1 });
console.log(`${method} ${url} → ${decision.outcome}${decision.status ? ` ${decision.status}` : ""}${decision.backend ? ` to ${decision.backend.namespace}/${decision.backend.name}:${decision.backend.port}` : ""}`);
for (const b of decision.backends) console.log(`  split: ${b.namespace}/${b.name} ${Math.round(b.probability * 100)}%`);
for (const step of decision.explain ?? []) console.log(`  · ${step}`);
