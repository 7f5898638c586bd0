// A progressive rollout, simulated: Argo Rollouts moves checkout from v1 to v2 through the Gateway
// API plugin (rollouts/argo-checkout.yaml: 5%, a beta header route, 20%, 50%, a manual promotion
// here taken to come after 3 hours, 100%). A day of synthetic shoppers is replayed across the steps: how many requests and users
// meet v2 at each step, and how many would fail if v2 errs on 2% of requests.
//
//   npx tsx packages/examples/argo-rollout.ts
import { readdirSync, readFileSync } from "node:fs";
import { parseManifestFiles } from "@gwsim/core";
import { parseRolloutFile, parseSynthProfile, replayRollout, rolloutSteps, synthesize } from "@gwsim/sim";

const here = (p: string) => new URL(p, import.meta.url);
const dir = here("./world/");
const { objects } = parseManifestFiles(readdirSync(dir).map((file) => ({ file, text: readFileSync(new URL(file, dir), "utf8") })));

// The Rollout, turned into route snapshots: what the plugin writes to HTTPRoute store/checkout.
const rollout = parseRolloutFile(readFileSync(here("./rollouts/argo-checkout.yaml"), "utf8"), { file: "argo-checkout.yaml" });
if (!rollout.doc) throw new Error(rollout.problems.map((p) => p.message).join("; "));
const plan = rolloutSteps(objects, rollout.doc);
for (const p of plan.problems) console.log(`${p.severity}: ${p.message}`);

// Shoppers from the example profile, thinned to one every two seconds so that 20 000 requests
// span the rollout's eleven hours; seeded, so every run sees the same requests.
const profile = parseSynthProfile(readFileSync(here("./profiles/store.yaml"), "utf8"), "store.yaml");
if (!profile.ok) throw new Error(profile.diagnostics.map((d) => d.message).join("; "));
const trace = [...synthesize({ ...profile.profile, rate: 0.5 }, { count: 20_000, seed: 1 })];

const report = await replayRollout(plan, trace, { seed: 1, pauseMs: 3 * 3_600_000, errorRates: { "store/checkout-v2": 0.02, "store/checkout-v1": 0.005 } });

console.log(`${report.kind} ${report.name}: ${report.requests} requests over ${report.steps.length} steps`);
for (const s of report.steps) {
  const e = s.exposure;
  console.log(
    `  ${s.name.slice(0, 40).padEnd(40)} ${String(e.requests).padStart(6)} requests  canary ${(e.expectedCanaryShare * 100).toFixed(2).padStart(6)}%  ` +
      `users exposed ${e.expectedUsersExposed.toFixed(0).padStart(5)}  failed ${e.failed.expected.toFixed(1)}`,
  );
}
const all = report.overall.exposure;
console.log(`overall: ${(all.expectedCanaryShare * 100).toFixed(2)}% of requests met v2, ${all.expectedUsersExposed.toFixed(0)} users, ${all.failed.expected.toFixed(1)} failed requests expected`);
for (const w of report.warnings) console.log(`warning: ${w}`);
