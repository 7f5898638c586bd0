import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import type { ManifestObject } from "@gwsim/core";
import { buildWorld as fakeBuildWorld, decide as fakeDecide, route, worldObjects, type FakeWorld } from "../replay/__tests__/fake-core.js";
import type { TraceRecord } from "../replay/types.js";
import { parseRolloutFile } from "./parse.js";
import { parseErrorRate, replayRollout, schedule, type RolloutReplayOptions } from "./replay-rollout.js";
import { rolloutSteps } from "./steps.js";
import { pickByUniform, seededUniform } from "../replay/split.js";
import type { RolloutPlan, RolloutStep } from "./types.js";

const T0 = Date.parse("2026-11-26T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const splitWorld = (v1: number, v2: number): ManifestObject[] =>
  worldObjects({
    "/c": { route: route("checkout"), backends: [{ name: "v1", weight: v1 }, { name: "v2", weight: v2 }] },
    "/bad": { route: route("bad"), backends: [{ name: "gone", valid: false }] },
  } satisfies FakeWorld) as unknown as ManifestObject[];

const step = (name: string, objects: ManifestObject[], hold: RolloutStep["hold"], duration: number | null, promoted = false): RolloutStep => ({
  name,
  actions: [name],
  weight: null,
  duration,
  hold,
  objects,
  canary: promoted ? ["ns/v2", "ns/v1"] : ["ns/v2"],
  stable: promoted ? [] : ["ns/v1"],
});

const plan: RolloutPlan = {
  ok: true,
  kind: "Rollout",
  name: "ns/checkout",
  before: splitWorld(100, 0),
  steps: [step("25%", splitWorld(75, 25), "timed", 10_000), step("50%", splitWorld(50, 50), "manual", null), step("done", splitWorld(1, 0), "end", null, true)],
  problems: [],
};

const opts = (o: Partial<RolloutReplayOptions<FakeWorld>> = {}): RolloutReplayOptions<FakeWorld> => ({
  seed: 4,
  decide: fakeDecide,
  buildWorld: (objects) => fakeBuildWorld(objects as never),
  ...o,
});

const req = (s: number, user?: string, path = "/c"): TraceRecord => ({ gateway: "ns/gw", host: "h", path, time: at(s), ...(user ? { user } : {}) });

describe("replayRollout", () => {
  it("places each request in its step and computes exposure by hand", async () => {
    const trace = [req(0, "u1"), req(5, "u1"), req(12, "u1"), req(3, "u2"), req(40, "u2"), req(41), req(42, "u3", "/bad")];
    const r = await replayRollout(plan, trace, opts({ pauseMs: 20_000, errorRates: { "ns/v2": 0.1, old: 0.01 } }));
    expect(r.requests).toBe(7);
    expect(r.steps.map((s) => [s.name, s.start, s.end, s.report.requests])).toEqual([
      ["25%", at(0), at(10), 3],
      ["50%", at(10), at(30), 1],
      ["done", at(30), null, 3],
    ]);
    const [s0, s1, s2] = r.steps.map((s) => s.exposure);
    // Step 0: u1 twice and u2 once at 25 %.
    expect(s0!.expectedCanaryRequests).toBeCloseTo(0.75, 12);
    expect(s0!.expectedUsersExposed).toBeCloseTo(1 - 0.75 * 0.75 + 0.25, 12);
    expect(s0!.expectedUsersBoth).toBeCloseTo(1 - 0.75 ** 2 - 0.25 ** 2 + 0, 12);
    expect(s0!.failed.expected).toBeCloseTo(3 * (0.25 * 0.1 + 0.75 * 0.01), 12);
    expect(s1!.expectedUsersExposed).toBeCloseTo(0.5, 12);
    // After promotion v1 is the new version too: every request meets it; u3's request fails at the gateway.
    expect(s2!.expectedCanaryRequests).toBe(2);
    expect(s2!.failed).toMatchObject({ gateway: 1 });
    expect(s2!.failed.expected).toBeCloseTo(1, 12);
    // Overall, u1: never new with (3/4)²(1/2), never old with (1/4)²(1/2), never either: 0.
    // u2 meets the new version for sure once promoted, and the old one with 3/4 at 25 %.
    // u3 only meets the gateway's 500.
    const o = r.overall.exposure;
    expect(o.users).toBe(3);
    expect(o.expectedUsersExposed).toBeCloseTo(1 - 0.28125 + 1 + 0, 12);
    expect(o.expectedUsersBoth).toBeCloseTo(1 - 0.28125 - 0.03125 + (1 - 0 - 0.25 + 0) + 0, 12);
    expect(o.canary).toEqual(["ns/v1", "ns/v2"]);
    // Drawn figures agree with the per-step reports.
    const v2 = (s: (typeof r.steps)[number]) => s.report.backends.find((b) => b.name === "v2")?.count ?? 0;
    expect(s0!.canaryRequests).toBe(v2(r.steps[0]!));
    expect(o.canaryRequests).toBe(v2(r.steps[0]!) + v2(r.steps[1]!) + 2);
    expect(r.overall.report.requests).toBe(7);
    expect(r.overall.report.splits).toEqual([]);
  });

  it("uses the same draws as a plain replay: the request index in the whole trace", async () => {
    const trace = Array.from({ length: 400 }, (_, i) => req(i / 100, `u${i % 37}`));
    const r = await replayRollout(plan, trace, opts({ pauseMs: 1000 }));
    const drawn = trace.filter((t, i) => fakeDecide(fakeBuildWorld(plan.steps[0]!.objects as never), t, { seed: 4, index: i }).backend!.name === "v2").length;
    expect(r.steps[0]!.report.requests).toBe(400);
    expect(r.steps[0]!.exposure.canaryRequests).toBe(drawn);
  });

  it("shares the trace the timed steps leave between pauses without a duration, when the end is known", async () => {
    const trace = [req(0, "a"), req(50, "b"), req(99, "c")];
    const r = await replayRollout(plan, trace, opts());
    expect(r.steps.map((s) => s.report.requests)).toEqual([1, 2, 0]);
    expect(r.steps[1]!.duration).toBe(89_001);
    expect(r.warnings[0]).toContain("1 pause without a duration: each taken to last 1m29.001s");
    // A stream read once cannot know its end: the pause holds to the end, with a warning.
    async function* stream(): AsyncGenerator<TraceRecord> {
      yield* trace;
    }
    const s = await replayRollout(plan, stream(), opts());
    expect(s.steps.map((x) => x.report.requests)).toEqual([1, 2, 0]);
    expect(s.warnings.some((w) => w.includes("holds until the end of the trace"))).toBe(true);
    // A trace factory is read twice: first for its span.
    const f = await replayRollout(plan, () => stream(), opts());
    expect(f.steps[1]!.duration).toBe(89_001);
  });

  it("requests before the start meet the world before; untimed requests are counted and skipped", async () => {
    const trace: TraceRecord[] = [req(0, "a"), { gateway: "ns/gw", host: "h", path: "/c", user: "x" }, req(20, "b")];
    const r = await replayRollout(plan, trace, opts({ start: at(15), pauseMs: 60_000 }));
    expect(r.untimed).toBe(1);
    expect(r.steps[0]).toMatchObject({ index: -1, name: "before the rollout", hold: "before" });
    expect(r.steps[0]!.report.backends.map((b) => [b.name, b.count])).toEqual([["v1", 1], ["v2", 0]]);
    expect(r.steps[1]!.report.requests).toBe(1);
    expect(r.warnings.some((w) => w.startsWith("1 request without a time"))).toBe(true);
  });

  it("schedule: timed steps, manual pauses at pauseMs, zero-length steps", () => {
    const steps = [step("a", [], "timed", 0), step("b", [], "timed", 5), step("c", [], "manual", null), step("d", [], "end", null)];
    expect(schedule(steps, 100, null, 7, []).map((w) => [w.start, w.end])).toEqual([
      [100, 100],
      [100, 105],
      [105, 112],
      [112, Infinity],
    ]);
  });

  it.each([
    ["store/checkout-v2=0.02", { ok: true, key: "store/checkout-v2", rate: 0.02 }],
    ["store/checkout-v2:8080=2.5%", { ok: true, key: "store/checkout-v2:8080", rate: 0.025 }],
    ["new=1%", { ok: true, key: "new", rate: 0.01 }],
    ["checkout=0.1", { ok: false }],
    ["store/x=1.5", { ok: false }],
    ["store/x", { ok: false }],
    ["store/x=", { ok: false }],
  ])("parseErrorRate(%s)", (spec, want) => {
    expect(parseErrorRate(spec)).toMatchObject(want);
  });

  it("cookie mode: a session outlives its step and stays on its backend, even at weight 0; new sessions take the weights of their step", async () => {
    const old = Array.from({ length: 80 }, (_, i) => `old-${i}`);
    const fresh = Array.from({ length: 80 }, (_, i) => `new-${i}`);
    // Each old user once per step (25 %, then 50 %, then v2 at weight 0); new users only at 50 %.
    const trace = [...old.map((u) => req(1, u)), ...old.map((u) => req(15, u)), ...fresh.map((u) => req(16, u)), ...old.map((u) => req(40, u))];
    const backendCounts = (s: { report: { backends: { name: string; count: number }[] } }) =>
      Object.fromEntries(s.report.backends.map((b) => [b.name, b.count]).filter(([, n]) => n));
    const sticky = await replayRollout(plan, trace, opts({ pauseMs: 20_000, split: "cookie" }));
    const [s0, s1, s2] = sticky.steps;
    // The first-visit draw, as the jar-less cookie mode makes it (docs/decisions.md).
    const firstOnV2 = (users: string[], weights: number[]) =>
      users.filter((u) => pickByUniform(weights, 100, seededUniform(4, "cookie", "HTTPRoute/ns/checkout/0", u)) === 1).length;
    const oldOnV2 = firstOnV2(old, [75, 25]);
    expect(oldOnV2).toBeGreaterThan(5); // the test needs users on both sides
    expect(backendCounts(s0!)).toEqual({ v1: 80 - oldOnV2, v2: oldOnV2 });
    const freshOnV2 = firstOnV2(fresh, [50, 50]);
    expect(backendCounts(s1!)).toEqual({ v1: 160 - oldOnV2 - freshOnV2, v2: oldOnV2 + freshOnV2 });
    // Promoted with v2 at weight 0: the sessions on v2 stay there.
    expect(backendCounts(s2!)).toEqual({ v1: 80 - oldOnV2, v2: oldOnV2 });
    // Only the promotion (v1 counted as the new version too) has users meet both: those on v1.
    expect(sticky.overall.exposure.usersBoth).toBe(80 - oldOnV2);

    // Without sticky sessions, the weight changes move users: some meet both versions.
    const random = await replayRollout(plan, trace, opts({ pauseMs: 20_000, split: "random" }));
    expect(random.overall.exposure.usersBoth).toBeGreaterThan(80 - oldOnV2);
    expect(backendCounts(random.steps[2]!)).toEqual({ v1: 80 });
  });

  it("cookie mode: a session on a backend the rule no longer lists starts again with the step's weights", async () => {
    const moved: RolloutPlan = {
      ...plan,
      steps: [step("half", splitWorld(50, 50), "timed", 10_000), step("v2 only", worldObjects({ "/c": { route: route("checkout"), backends: [{ name: "v2", weight: 1 }] } }) as unknown as ManifestObject[], "end", null)],
    };
    const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
    const trace = [...users.map((u) => req(1, u)), ...users.map((u) => req(20, u)), ...users.map((u) => req(21, u))];
    const r = await replayRollout(moved, trace, opts({ split: "cookie" }));
    expect(r.steps[1]!.report.backends.filter((b) => b.count).map((b) => [b.name, b.count])).toEqual([["v2", 80]]);
    expect(r.steps[0]!.report.backends.find((b) => b.name === "v1")!.count).toBeGreaterThan(0);
  });

  it("the bundled Argo example over a synthetic day: exposure grows with the weights, figures agree within noise", async () => {
    const { loadManifests } = await import("../load/manifests.js");
    const { parseSynthProfile } = await import("../synth/profile.js");
    const { synthesize } = await import("../synth/synthesize.js");
    const loaded = await loadManifests(["packages/examples/world"]);
    const file = "packages/examples/rollouts/argo-checkout.yaml";
    const p = rolloutSteps(loaded.objects, parseRolloutFile(readFileSync(file, "utf8"), { file }).doc!);
    const profile = parseSynthProfile(readFileSync("packages/examples/profiles/store.yaml", "utf8").replace("rate: 25 ", "rate: 1 "));
    if (!profile.ok) throw new Error("profile");
    const trace = [...synthesize(profile.profile, { count: 30_000, seed: 3 })];
    const r = await replayRollout(p, trace, { seed: 3, pauseMs: 3 * 3_600_000, errorRates: { new: 0.02, old: 0.005 } });
    const share = r.steps.map((s) => s.exposure.expectedCanaryShare);
    // /checkout is a tenth of the traffic: its canary weight 5 %, 20 %, 50 %, 100 %, then everything new.
    expect(share[0]).toBeCloseTo(0.1 * 0.05, 2);
    expect(share[1]).toBeCloseTo(0.1 * 0.2, 2);
    expect(share[2]).toBeCloseTo(0.1 * 0.5, 2);
    expect(share[3]).toBeCloseTo(0.1, 2);
    for (const s of r.steps.filter((x) => x.exposure.requests > 1000)) {
      const e = s.exposure;
      const sd = Math.sqrt(e.expectedCanaryRequests);
      expect(Math.abs(e.canaryRequests - e.expectedCanaryRequests)).toBeLessThan(5 * sd + 1);
      expect(e.usersExposed).toBeLessThanOrEqual(e.users);
    }
    const o = r.overall.exposure;
    expect(Math.abs(o.usersExposed - o.expectedUsersExposed)).toBeLessThan(5 * Math.sqrt(o.expectedUsersExposed) + 1);
    expect(o.failed.expected).toBeGreaterThan(0);
  }, 60_000);
});

describe("replayRollout: Flagger sessionAffinity cookies follow each user", () => {
  const world = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: example.com/gc}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gc
  listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]
`;
  const canary = (affinity: string) =>
    parseRolloutFile(`apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: app, namespace: web}
spec:
  provider: gatewayapi:v1
  targetRef: {kind: Deployment, name: app}
  service: {port: 80, hosts: [app.test], gatewayRefs: [{name: gw, namespace: infra}]}
  analysis:
    interval: 1m
    stepWeights: [50]
${affinity}`).doc!;
  // 40 users, 12 requests each, all inside the weight-50 interval (60 s to 120 s after the start).
  const trace: TraceRecord[] = [];
  for (let s = 61; s < 120; s += 5) for (let u = 0; u < 40; u++) trace.push({ gateway: "infra/gw", host: "app.test", path: "/", time: at(s), user: `u${u}` });
  const run = async (affinity: string) => {
    const { parseManifests } = await import("@gwsim/core");
    const p = rolloutSteps(parseManifests(world).objects, canary(affinity));
    expect(p.ok).toBe(true);
    const r = await replayRollout(p, trace, { seed: 3, start: at(0) });
    return r.steps.find((s) => s.weight === 50 && s.hold === "timed")!.exposure;
  };

  it("without it, nearly every user meets both versions; with both cookies, nobody does, and half stay on the canary", async () => {
    const free = await run("");
    expect(free.usersBoth).toBeGreaterThan(35);
    const sticky = await run("    sessionAffinity: {cookieName: c-cookie, primaryCookieName: p-cookie}\n");
    expect(sticky.requests).toBe(480);
    expect(sticky.usersBoth).toBe(0);
    expect(sticky.usersExposed).toBeGreaterThan(10);
    expect(sticky.usersExposed).toBeLessThan(30);
    // Each exposed user sent all 12 requests to the canary.
    expect(sticky.canaryRequests).toBe(12 * sticky.usersExposed);
  });
});
