// Replay an nginx access log (the `combined` format, nginx's and NGINX Gateway Fabric's default)
// through the example world: where would each logged request go under these manifests?
//
//   npx tsx packages/examples/nginx-replay.ts [ACCESS_LOG]
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { buildWorld, parseManifestFiles } from "@gwsim/core";
import { readTrace, renderText, replay } from "@gwsim/sim";

const log = process.argv[2] ?? new URL("./traces/store-access.log", import.meta.url).pathname;

const dir = new URL("./world/", import.meta.url);
const world = buildWorld(parseManifestFiles(readdirSync(dir).map((file) => ({ file, text: readFileSync(new URL(file, dir), "utf8") }))).objects);

// `combined` lines carry no Host, scheme or Gateway: say which ones they were served on. In these
// manifests /pay is HTTPS-only, so the logged POST /pay lines (201 in the log) come out 404 here:
// the report's "Observed vs simulated" section shows that disagreement.
const trace = readTrace(createReadStream(log), { format: "nginx", host: "store.example.com", gateway: "infra/edge", file: log });
const report = await replay(world, trace, { seed: 1 });

console.log(renderText(report));
console.log(`${trace.stats.records} request(s) replayed, ${trace.stats.bad} line(s) skipped`);
console.log(`would answer 404: ${report.statuses["404"] ?? 0}`);
