// The README's main command: gwsim's main job on the bundled example world.
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const repo = here("../..");
const cli = here("../sim/dist/cli.js");
// Paths relative to the repository, as a user would type them there.
const world = "packages/examples/world";

function gwsim(title, ...args) {
  console.log(`\n$ gwsim ${args.join(" ")}\n# ${title}`);
  try {
    execFileSync(process.execPath, [cli, ...args], { stdio: "inherit", cwd: repo });
  } catch (e) {
    if (typeof e.status !== "number") throw e;
    process.exitCode = e.status;
  }
}

const scratch = mkdtempSync(join(tmpdir(), "gwsim-demo-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
const trace = join(scratch, "trace.jsonl");

gwsim("validate the manifests and list what they declare", "validate", "-f", world);
gwsim("the status a controller would write", "status", "-f", world);
gwsim("where a handful of requests go", "route", "-f", world, "--requests", "packages/examples/requests.jsonl");
gwsim("why the forced canary goes to checkout-v2", "explain", "-f", world, "POST http://store.example.com/checkout", "-H", "x-canary: always");
gwsim("why /catalogue gets a 404", "explain", "-f", world, "GET http://store.example.com/catalogue");

console.log(`\n$ gwsim synth --profile packages/examples/profiles/store.yaml --count 50000 --seed 7 > ${trace}`);
const out = openSync(trace, "w");
execFileSync(process.execPath, [cli, "synth", "--profile", here("./profiles/store.yaml"), "--count", "50000", "--seed", "7"], { stdio: ["ignore", out, "inherit"] });
closeSync(out);
gwsim("where 50,000 synthetic shoppers go, and who sees the checkout canary", "replay", "-f", world, "--trace", trace);
gwsim("what moving the canary to 50% would change, as a CI gate: fail if checkout-v2 would take over 5% of all traffic",
  "whatif", "-f", world, "--set-weight", "store/checkout/split/checkout-v2=90", "--trace", trace,
  "--fail-if", "expectedShare(store/checkout-v2) > 0.05");
if (process.exitCode === 1) {
  console.log("\n(the gate held, so gwsim whatif exited 1: in CI this change would be stopped for review)");
  process.exitCode = 0;
}
