// The README's main command: gwsim's main job on the bundled example world.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const cli = here("../sim/dist/cli.js");
const world = here("./world");

function gwsim(title, ...args) {
  console.log(`\n$ gwsim ${args.join(" ")}\n# ${title}`);
  try {
    execFileSync(process.execPath, [cli, ...args], { stdio: "inherit" });
  } catch (e) {
    if (typeof e.status !== "number") throw e;
    process.exitCode = e.status;
  }
}

gwsim("validate the manifests and list what they declare", "validate", "-f", world);
gwsim("the status a controller would write", "status", "-f", world);
gwsim("where a handful of requests go", "route", "-f", world, "--requests", here("./requests.jsonl"));
gwsim("why the forced canary goes to checkout-v2", "explain", "-f", world, "POST http://store.example.com/checkout", "-H", "x-canary: always");
gwsim("why /catalogue gets a 404", "explain", "-f", world, "GET http://store.example.com/catalogue");
