/** The simulator against the real routing core and the bundled example world. */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildWorld, parseManifests, type ManifestObject } from "@gwsim/core";
import { parseSynthProfile } from "../synth/profile.js";
import { synthesize } from "../synth/synthesize.js";
import { replay } from "./replay.js";
import { replayParallel } from "./parallel.js";
import { whatif } from "./whatif.js";
import { setWeights } from "./set-weights.js";
import { evaluateFailIf, parseFailIf } from "./fail-if.js";

const worldDir = new URL("../../../examples/world/", import.meta.url);
const objects: ManifestObject[] = readdirSync(worldDir)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .flatMap((f) => parseManifests(readFileSync(new URL(f, worldDir), "utf8"), { file: f }).objects);
const profile = (() => {
  const p = parseSynthProfile(readFileSync(new URL("../../../examples/profiles/store.yaml", import.meta.url), "utf8"));
  if (!p.ok) throw new Error(JSON.stringify(p.diagnostics));
  return p.profile;
})();

describe("the example store", () => {
  const world = buildWorld(objects);

  it("a synthetic day: checkout splits 90/10 within its interval, strays answer 404", async () => {
    const r = await replay(world, synthesize(profile, { count: 20_000, seed: 1 }), { seed: 1 });
    const split = r.splits.find((s) => s.name === "checkout" && s.backends.length === 2)!;
    expect(split.backends.map((b) => [b.name, b.expectedShare])).toEqual([["checkout-v1", 0.9], ["checkout-v2", 0.1]]);
    expect(split.chiSquare!.pValue).toBeGreaterThan(0.001);
    expect(r.statuses["404"]).toBeGreaterThan(0);
    expect(r.failing.map((f) => `${f.host}${f.path}`)).toContain("api.example.com/v1/orders/{n}");
    const v2 = r.backends.find((b) => b.name === "checkout-v2")!;
    expect(v2.ci95[0]).toBeLessThanOrEqual(v2.expectedShare);
    expect(v2.ci95[1]).toBeGreaterThanOrEqual(v2.expectedShare);
  });

  it("workers load the real core and agree with one thread", async () => {
    const opts = { seed: 5, split: "cookie" as const, batchSize: 1000 };
    const one = await replayParallel(objects, synthesize(profile, { count: 6000, seed: 2 }), { ...opts, workers: 1 });
    const two = await replayParallel(objects, synthesize(profile, { count: 6000, seed: 2 }), { ...opts, workers: 2 });
    expect(two).toEqual(one);
    expect(one.requests).toBe(6000);
  }, 60_000);

  it("what-if: checkout to 50/50 moves about 40% of the split's traffic to v2, and a gate catches it", async () => {
    const proposed = setWeights(objects, ["store/checkout/split/checkout-v1=50", "store/checkout/split/checkout-v2=50"]);
    expect(proposed.problems).toEqual([]);
    const r = await whatif(world, buildWorld(proposed.objects), synthesize(profile, { count: 5000, seed: 3 }), { seed: 3 });
    const move = r.moves.find((m) => m.from === "store/checkout-v1:8080" && m.to === "store/checkout-v2:8080")!;
    const split = r.before.splits.find((s) => s.name === "checkout" && s.backends.length === 2)!;
    expect(move.expected).toBeCloseTo(split.count * 0.4, 6);
    expect(r.new404 + r.new500).toBe(0);
    const gate = parseFailIf("expectedShare(store/checkout-v2) > 2 * expectedShareBefore(store/checkout-v2) || new404 > 0");
    expect(gate.ok && evaluateFailIf(gate.expr, r)).toBe(true);
  });
});
