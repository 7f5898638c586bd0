// The checkout canary, what-if: the example world sends /checkout 90/10 to v1/v2. What changes if
// the canary goes to 50/50? Replays one day of synthetic shoppers through both configurations.
//
//   npx tsx packages/examples/canary-whatif.ts [V2_WEIGHT]
import { readdirSync, readFileSync } from "node:fs";
import { buildWorld, parseManifestFiles } from "@gwsim/core";
import { parseSynthProfile, renderWhatifText, setWeights, synthesize, whatif } from "@gwsim/sim";

const v2 = Number(process.argv[2] ?? 50);

const dir = new URL("./world/", import.meta.url);
const { objects } = parseManifestFiles(readdirSync(dir).map((file) => ({ file, text: readFileSync(new URL(file, dir), "utf8") })));

// The proposal: the same manifests with the split's weights changed (rule "split" of store/checkout).
const proposed = setWeights(objects, [`store/checkout/split/checkout-v1=${100 - v2}`, `store/checkout/split/checkout-v2=${v2}`]);
if (proposed.problems.length) throw new Error(proposed.problems.map((p) => p.message).join("; "));

// Traffic: 20 000 requests from the example shopper profile, the same for both sides (seeded).
const profile = parseSynthProfile(readFileSync(new URL("./profiles/store.yaml", import.meta.url), "utf8"), "store.yaml");
if (!profile.ok) throw new Error(profile.diagnostics.map((d) => d.message).join("; "));
const trace = [...synthesize(profile.profile, { count: 20_000, seed: 1 })];

const report = await whatif(buildWorld(objects), buildWorld(proposed.objects), trace, { seed: 1 });
console.log(renderWhatifText(report));

// The same numbers as data, e.g. for a CI gate: the new canary share and anything that broke.
const canary = report.backends.find((b) => b.name === "checkout-v2");
console.log(`checkout-v2: ${(canary!.before.expectedShare * 100).toFixed(2)}% → ${(canary!.after.expectedShare * 100).toFixed(2)}% of all requests`);
if (report.new404 + report.new500 > 0) process.exitCode = 1;
