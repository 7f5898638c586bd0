import { describe, expect, it } from "vitest";
import type { ManifestObject } from "@gwsim/core";
import { buildWorld as fakeBuildWorld, decide as fakeDecide, route, worldObjects } from "../replay/__tests__/fake-core.js";
import type { TraceRecord } from "../replay/types.js";
import { replayRollout } from "./replay-rollout.js";
import { renderRolloutJson, renderRolloutPlanText, renderRolloutText } from "./text.js";
import type { RolloutPlan } from "./types.js";

const objs = (v2: number) => worldObjects({ "/c": { route: route("checkout"), backends: [{ name: "v1", weight: 100 - v2 }, { name: "v2", weight: v2 }] } }) as unknown as ManifestObject[];
const plan: RolloutPlan = {
  ok: true,
  kind: "Rollout",
  name: "ns/checkout",
  before: objs(0),
  steps: [
    { name: "steps 1–2: setWeight 20, pause 1m", actions: [], weight: 20, duration: 60_000, hold: "timed", objects: objs(20), canary: ["ns/v2"], stable: ["ns/v1"] },
    { name: "promoted", actions: [], weight: 0, duration: null, hold: "end", objects: objs(0), canary: ["ns/v2", "ns/v1"], stable: [] },
  ],
  problems: [{ code: "argo.user-rule-removed", severity: "warning", file: "r.yaml", line: 3, column: 5, path: "", message: "a rule goes" }],
};
const trace: TraceRecord[] = Array.from({ length: 100 }, (_, i) => ({ gateway: "ns/gw", host: "h", path: "/c", time: i * 1500, user: `u${i % 10}` }));

describe("rollout text and JSON", () => {
  it("prints the plan with its problems", () => {
    const text = renderRolloutPlanText(plan);
    expect(text).toContain("Rollout ns/checkout: 2 steps");
    expect(text).toContain("  1. steps 1–2: setWeight 20, pause 1m\n     holds 1m, canary weight 20; new version: ns/v2\n");
    expect(text).toContain("  2. promoted\n     holds to the end, canary weight 0; new version: ns/v2, ns/v1\n");
    expect(text).toContain("warning: r.yaml:3:5: a rule goes");
  });

  it("fits the width asked for, long step names and Service lists included", async () => {
    const long = (n: number) => Array.from({ length: n }, (_, i) => `team-payments/checkout-canary-service-${i}`);
    const wide: RolloutPlan = {
      ...plan,
      steps: plan.steps.map((s, i) => ({ ...s, name: `steps ${i + 1}–9: setHeaderRoute checkout-beta-header-route-for-internal-testers, setWeight 20, setMirrorRoute shadow, pause 4h`, canary: long(4), stable: long(3) })),
      problems: [{ ...plan.problems[0]!, message: "a rule goes ".repeat(20).trim() }],
    };
    const r = await replayRollout(wide, trace, { seed: 2, decide: fakeDecide, buildWorld: (o) => fakeBuildWorld(o as never), errorRates: Object.fromEntries(long(6).map((k) => [k, 0.01])) });
    for (const width of [undefined, 60, 120]) {
      for (const text of [renderRolloutPlanText(wide, { width }), renderRolloutText(r, { width })]) {
        // A word longer than the line stays whole; none here is.
        for (const line of text.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(width ?? 80);
        expect(text).toContain("checkout-canary-service-3");
      }
    }
  });

  it("prints each step's exposure and the overall figures", async () => {
    const r = await replayRollout(plan, trace, { seed: 2, decide: fakeDecide, buildWorld: (o) => fakeBuildWorld(o as never), errorRates: { new: 0.1 } });
    const text = renderRolloutText(r);
    expect(text).toContain("Rollout ns/checkout: 100 requests across 2 steps");
    expect(text).toContain("1. steps 1–2: setWeight 20, pause 1m\n     from 1970-01-01 00:00:00, holds 1m, canary weight 20");
    expect(text).toContain("2. promoted\n     from 1970-01-01 00:01:00, holds to the end, canary weight 0");
    expect(text).toMatch(/\n {2}1\s+40\s+20\.0% \(\d+\)/);
    expect(text).toMatch(/\n {2}2\s+60\s+100\.0% \(60\)/);
    for (const line of text.split("\n")) expect([...line].length).toBeLessThanOrEqual(80);
    expect(text).toContain("users who saw both versions");
    expect(text).toContain("error rates: new 10.00%");
    const json = JSON.parse(renderRolloutJson(r));
    expect(json.steps[1].end).toBeNull();
    expect(json.overall.exposure.requests).toBe(100);
  });
});
