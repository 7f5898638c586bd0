/** --fail-if gates on replay and whatif --rollout, through the CLI (whatif's own are in cli-sim.test.ts). */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const root = join(import.meta.dirname, "..");
const world = "packages/examples/world";
// 7 lines: one bad; 6 requests, one of them answered 404; checkout rules forced-canary and split hit once each.
const trace = "test/fixtures/traces/small.jsonl";
const replay = (...gates: string[]) => runCli(["replay", "-f", world, "--trace", trace, ...gates.flatMap((g) => ["--fail-if", g])], { cwd: root });

describe("replay --fail-if", () => {
  it.each([
    ["status(404) > 0", 1],
    ["status(404) / requests > 20%", 0], // 1 of 6
    ["status(404) / requests > 16%", 1],
    ["hits(store/checkout) == 2", 1],
    ["hits(store/checkout/split) == 1 && hits(store/checkout/0) == 1", 1], // rule by name and by index
    ["hits(store/store/cart) > 1", 0],
    ["count(store/checkout-v2) >= 1", 1],
    ["badLines > 0", 1],
    ["badLines > 1", 0],
    ["requests != 6", 0],
  ])("%s → exit %i", async (gate, code) => {
    const r = await replay(gate);
    expect(r.stderr.includes(`--fail-if holds: ${gate}`)).toBe(code === 1);
    expect(r.code).toBe(code);
    expect(r.stdout).toContain("Backends"); // the report is printed either way
  });

  it("says what a held condition saw", async () => {
    const r = await replay("status(404) > 0 || badLines > 5");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("gwsim: --fail-if holds: status(404) > 0 || badLines > 5 (status(404) = 1, badLines = 1)");
  });

  it("refuses backends and routes the manifests lack, before replaying", async () => {
    const r = await replay("share(store/checkout-v3) > 0", "hits(store/checkot) > 0", "hits(store/checkout/9) > 0");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('--fail-if "share(store/checkout-v3) > 0": no backend store/checkout-v3 in the manifests');
    expect(r.stderr).toContain('--fail-if "hits(store/checkot) > 0": no route store/checkot in the manifests, so its hits would be 0 in the report (routes: ');
    expect(r.stderr).toContain("no route store/checkout/9");
  });

  it("refuses whatif's names, saying where they belong, and parse errors with their column", async () => {
    const a = await replay("new404 > 0");
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("new404 compares two configurations: it is for gwsim whatif");
    const b = await replay("status(404) >");
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--fail-if "status(404) >": column 14:');
  });

  it("agreement needs observations: refused without them, a gate with them", async () => {
    const blind = await replay("agreement < 0.99");
    expect(blind.code).toBe(2);
    expect(blind.stderr).toContain("so agreement cannot be computed");
    const observed = [
      { host: "store.example.com", path: "/cart", observed: { backend: "store/cart-svc:8080" } },
      { host: "store.example.com", path: "/nothing-here", observed: { status: 404 } },
      { host: "store.example.com", path: "/cart", observed: { backend: "store/catalog-svc:8080" } },
    ]
      .map((o) => JSON.stringify(o))
      .join("\n");
    const run = (gate: string) => runCli(["replay", "-f", world, "--trace", "-", "--fail-if", gate], { cwd: root, stdin: observed });
    const held = await run("agreement < 0.9");
    expect(held.stderr).toMatch(/--fail-if holds: agreement < 0.9 \(agreement = 0.6667\)/);
    expect(held.code).toBe(1);
    expect((await run("disagree > 1 || compared != 3")).code).toBe(0);
  });
});

describe("whatif --rollout --fail-if", () => {
  const rollout = (...gates: string[]) =>
    runCli(["whatif", "-f", world, "--rollout", "packages/examples/rollouts/argo-checkout.yaml", "--trace", "test/fixtures/traces/timed.jsonl", ...gates.flatMap((g) => ["--fail-if", g])], { cwd: root });

  it("gates on the rollout's figures, overall and per step", async () => {
    const json = await runCli(["whatif", "-f", world, "--rollout", "packages/examples/rollouts/argo-checkout.yaml", "--trace", "test/fixtures/traces/timed.jsonl", "--json"], { cwd: root });
    const rep = JSON.parse(json.stdout) as { steps: { exposure: { requests: number; usersExposed: number } }[]; overall: { exposure: { usersExposed: number } } };
    const exposed = rep.overall.exposure.usersExposed;
    const first = rep.steps[0]!.exposure.requests;
    expect((await rollout(`usersExposed == ${exposed} && requestsAt(1) == ${first}`)).code).toBe(1);
    expect((await rollout(`usersExposed > ${exposed}`)).code).toBe(0);
    expect((await rollout(`steps != ${rep.steps.length}`)).code).toBe(0);
  });

  it("refuses a step past the report's last, and whatif's two-configuration names", async () => {
    const past = await rollout("usersExposedAt(99) > 0");
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/--fail-if "usersExposedAt\(99\) > 0": step 99: the report has \d+ step\(s\)/);
    const two = await rollout("new404 > 0");
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("new404 compares two configurations");
  });
});
