import { describe, expect, it } from "vitest";
import type { ManifestObject } from "@gwsim/core";
import { evaluateReplayFailIf, evaluateReplayFailIfValue, evaluateRolloutFailIf, failIfVocabulary, evaluateRolloutFailIfValue, failIfRefs, failIfSteps, failIfUses, parseFailIf, unknownFailIfRefs, unknownFailIfRouteRefs, type FailIfExpr, type ReplayGate } from "./fail-if.js";
import { replay } from "./replay.js";
import { buildWorld as fakeBuildWorld, decide as fakeDecide, route, worldObjects, type FakeWorld } from "./__tests__/fake-core.js";
import { replayRollout } from "../rollout/replay-rollout.js";
import type { RolloutPlan, RolloutStep } from "../rollout/types.js";
import type { TraceRecord } from "./types.js";

function parse(text: string): FailIfExpr {
  const p = parseFailIf(text);
  if (!p.ok) throw new Error(p.message);
  return p.expr;
}

const known = [
  { namespace: "store", name: "checkout-v1", port: 8080 },
  { namespace: "store", name: "checkout-v2", port: 8080 },
  { namespace: "mesh", name: "echo", port: null },
];

describe("failIfRefs", () => {
  it.each([
    ["new404 > 0", []],
    ["status(500) > 0", []],
    ["share(store/a) > 0.1", ["store/a"]],
    ["!(share(a) > 1) || -delta(b:80) < 0 && share(a) > 0", ["a", "b:80"]],
    ["(count(x) + users(ns/y)) / requests > expectedShareBefore(z)", ["x", "ns/y", "z"]],
  ])("%s → %j", (text, refs) => expect(failIfRefs(parse(text))).toEqual(refs));
});

describe("unknownFailIfRefs", () => {
  it.each([
    ["share(store/checkout-v2) > 0.1", []],
    ["share(checkout-v2) > 0.1", []],
    ["share(store/checkout-v2:8080) > 0.1", []],
    ["share(mesh/echo) > 0", []],
    ["share(store/checkout-v3) > 0.01", ["store/checkout-v3"]],
    ["share(other/checkout-v2) > 0", ["other/checkout-v2"]],
    ["share(store/checkout-v2:9090) > 0", ["store/checkout-v2:9090"]],
    ["share(mesh/echo:80) > 0", ["mesh/echo:80"]],
    ["new404 > 0 || delta(nope) > 0 || share(checkout-v1) > 0", ["nope"]],
  ])("%s → %j", (text, unknown) => expect(unknownFailIfRefs(parse(text), known)).toEqual(unknown));
});

describe("replay gates (mode replay)", () => {
  const world: FakeWorld = {
    "/checkout": { route: { ...route("checkout", 1, "store"), ruleName: "split" }, backends: [{ name: "v1", weight: 90 }, { name: "v2", weight: 10 }] },
    "/cart": { route: route("cart", 0, "store"), backends: [{ name: "cart", valid: false }] },
  };
  const req = (path: string, observed?: TraceRecord["observed"]): TraceRecord => ({ host: "store.example.com", method: "GET", path, ...(observed ? { observed } : {}) });
  // 40 checkout, 10 cart (invalid: 500), 5 unknown (404); 20 with an observation, 15 of them agreeing.
  const trace: TraceRecord[] = [
    ...Array.from({ length: 40 }, () => req("/checkout")),
    ...Array.from({ length: 10 }, (_, i) => req("/cart/1", i < 5 ? { status: 500 } : undefined)),
    ...Array.from({ length: 5 }, () => req("/nowhere", { status: 404 })),
    ...Array.from({ length: 10 }, () => req("/nowhere", { status: 200 })),
  ];
  const gate = async (badLines = 0): Promise<ReplayGate> => ({ report: await replay(world, trace, { decide: fakeDecide, seed: 3 }), badLines });
  const value = (src: string, g: ReplayGate): number | boolean => {
    const p = parseFailIf(src, "replay");
    if (!p.ok) throw new Error(`${p.message} at ${p.column}`);
    return evaluateReplayFailIfValue(p.expr, g);
  };

  it.each([
    ["requests", 65],
    ["status(404)", 15],
    ["status(500)", 10],
    ["status(404) / requests > 0.2", true],
    ["hits(store/checkout)", 40],
    ["hits(checkout)", 40],
    ["hits(store/checkout/split)", 40], // rule by name
    ["hits(store/checkout/1)", 40], // rule by index
    ["hits(store/checkout/0)", 0],
    ["hits(other/checkout)", 0],
    ["hits(store/cart) == 10", true],
    ["expectedShare(store/v2) * requests", 4],
    ["count(store/cart)", 10],
    ["compared", 20],
    ["disagree", 10],
    ["agreement", 0.5],
    ["agreement < 0.99", true],
    ["badLines > 0", false],
  ])("%s → %s", async (src, want) => {
    const got = value(src, await gate());
    if (typeof want === "number") expect(got).toBeCloseTo(want, 12);
    else expect(got).toBe(want);
  });

  it("badLines comes from the trace reader", async () => {
    expect(value("badLines", await gate(3))).toBe(3);
    const p = parseFailIf("badLines > 2", "replay");
    expect(p.ok && evaluateReplayFailIf(p.expr, await gate(3))).toBe(true);
  });

  it("agreement is NaN when nothing could be compared, and the expression says it reads it", async () => {
    const g: ReplayGate = { report: await replay(world, [req("/checkout")], { decide: fakeDecide }), badLines: 0 };
    const p = parseFailIf("agreement < 0.99", "replay");
    if (!p.ok) throw new Error(p.message);
    expect(Number.isNaN(evaluateReplayFailIfValue({ type: "name", name: "agreement" }, g))).toBe(true);
    expect(failIfUses(p.expr, "agreement")).toBe(true);
    expect(failIfUses(parse("requests > 1"), "agreement")).toBe(false);
  });

  it.each([
    ["new404 > 0", "unknown name new404 (new404 compares two configurations: it is for gwsim whatif with --proposed or --set-weight)", 1],
    ["shareBefore(a/b) > 0", "unknown function shareBefore() (shareBefore compares two configurations: it is for gwsim whatif with --proposed or --set-weight)", 1],
    ["hits() > 0", "hits() needs a route, e.g. ns/name or ns/name/rule", 6],
    ["hits(a/b/c/d) > 0", "hits(a/b/c/d): expected name, namespace/name or namespace/name/rule", 6],
  ])("rejects %s", (src, message, column) => {
    const p = parseFailIf(src, "replay");
    expect(p).toMatchObject({ ok: false, column });
    if (!p.ok) expect(p.message.startsWith(message)).toBe(true);
  });

  it("whatif does not take replay's names, and says where they belong", () => {
    const p = parseFailIf("agreement < 1");
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.message).toMatch(/^unknown name agreement \(agreement is for gwsim replay\)/);
    expect(parseFailIf("hits(store/checkout) > hitsBefore(store/checkout)").ok).toBe(true);
  });
});

describe("unknownFailIfRouteRefs", () => {
  const routes = [
    { namespace: "store", name: "checkout", ruleNames: [null, "split"] },
    { namespace: "web", name: "home", ruleNames: [null] },
  ];
  it.each([
    ["hits(checkout) > 0", []],
    ["hits(store/checkout) > 0", []],
    ["hits(store/checkout/split) > 0", []],
    ["hits(store/checkout/1) > 0", []],
    ["hits(store/checkout/2) > 0", ["store/checkout/2"]],
    ["hits(store/checkout/nope) > 0", ["store/checkout/nope"]],
    ["hits(web/checkout) > 0 || hits(home) > 0", ["web/checkout"]],
  ])("%s → %j", (text, unknown) => expect(unknownFailIfRouteRefs(parse(text), routes)).toEqual(unknown));
});

describe("rollout gates (mode rollout)", () => {
  const T0 = Date.parse("2026-11-26T10:00:00Z");
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();
  const objects = (v1: number, v2: number) => worldObjects({ "/c": { route: route("checkout"), backends: [{ name: "v1", weight: v1 }, { name: "v2", weight: v2 }] } }) as unknown as ManifestObject[];
  const step = (name: string, o: ManifestObject[], hold: RolloutStep["hold"], duration: number | null): RolloutStep => ({ name, actions: [name], weight: null, duration, hold, objects: o, canary: ["ns/v2"], stable: ["ns/v1"] });
  const plan: RolloutPlan = {
    ok: true,
    kind: "Rollout",
    name: "ns/checkout",
    before: objects(100, 0),
    steps: [step("0%", objects(100, 0), "timed", 10_000), step("100%", objects(0, 100), "end", null)],
    problems: [],
  };
  // Step 1 (0 to 10 s): 3 requests on v1 only; step 2: 4 requests on v2 only, from u1 (also in step 1), u2 and anonymous.
  const trace: TraceRecord[] = [
    ...[0, 2, 4].map((s) => ({ gateway: "ns/gw", host: "h", path: "/c", time: at(s), user: "u1" })),
    ...[11, 12].map((s) => ({ gateway: "ns/gw", host: "h", path: "/c", time: at(s), user: "u1" })),
    { gateway: "ns/gw", host: "h", path: "/c", time: at(13), user: "u2" },
    { gateway: "ns/gw", host: "h", path: "/nowhere", time: at(14) },
  ];
  const report = async () =>
    replayRollout(plan, trace, { seed: 2, decide: fakeDecide, buildWorld: (o) => fakeBuildWorld(o as never) });
  const value = async (src: string) => {
    const p = parseFailIf(src, "rollout");
    if (!p.ok) throw new Error(`${p.message} at ${p.column}`);
    return evaluateRolloutFailIfValue(p.expr, await report());
  };

  it.each([
    ["requests", 7],
    ["steps", 2],
    ["requestsAt(1)", 3],
    ["requestsAt(2)", 4],
    ["usersExposedAt(1)", 0],
    ["usersExposedAt(2)", 2],
    ["expectedUsersExposedAt(2)", 2],
    ["usersExposed", 2],
    ["usersBoth", 1], // u1: v1 in step 1, v2 in step 2
    ["expectedUsersBoth", 1],
    ["newVersionShareAt(2)", 1],
    ["expectedNewVersionShare", 3 / 6],
    ["canaryShare", 3 / 7],
    ["count(ns/v2)", 3],
    ["hits(checkout)", 6],
    ["status(404)", 1],
    ["failed", 0],
    ["usersExposedAt(1) > 0 || newVersionShareAt(2) < 1", false],
  ])("%s → %s", async (src, want) => {
    const got = await value(src);
    if (typeof want === "number") expect(got).toBeCloseTo(want, 12);
    else expect(got).toBe(want);
  });

  it("a step past the end is NaN (the CLI refuses it first), and failIfSteps lists the steps named", async () => {
    expect(Number.isNaN(await value("usersExposedAt(3)"))).toBe(true);
    const p = parseFailIf("usersExposedAt(3) > 0 || failedAt(1) > usersBothAt(3)", "rollout");
    expect(p.ok && failIfSteps(p.expr)).toEqual([3, 1]);
    expect(p.ok && evaluateRolloutFailIf(p.expr, await report())).toBe(false);
  });

  it.each([
    ["usersExposedAt(0) > 1", "usersExposedAt(0): expected a step number (1, 2, ...)", 16],
    ["usersExposedAt(x) > 1", "usersExposedAt(x): expected a step number (1, 2, ...)", 16],
    ["new404 > 0", "unknown name new404 (new404 compares two configurations: it is for gwsim whatif with --proposed or --set-weight)", 1],
    ["agreement > 0", "unknown name agreement (agreement is for gwsim replay)", 1],
  ])("rejects %s", (src, message, column) => {
    const p = parseFailIf(src, "rollout");
    expect(p).toMatchObject({ ok: false, column });
    if (!p.ok) expect(p.message.startsWith(message)).toBe(true);
  });

  it("replay knows a rollout name's command", () => {
    const p = parseFailIf("usersExposed > 1", "replay");
    expect(p.ok === false && p.message).toMatch(/^unknown name usersExposed \(usersExposed is for gwsim whatif --rollout\)/);
  });
});

describe("failIfVocabulary", () => {
  it.each(["replay", "whatif", "rollout"] as const)("every name of %s has a meaning, and each parses in its mode", (mode) => {
    const words = failIfVocabulary(mode);
    expect(words.length).toBeGreaterThan(5);
    for (const w of words) {
      expect(w.meaning, w.name).not.toBe("");
      const arg = /\((\w+)\)$/.exec(w.name)?.[1];
      const sample = { REF: "a/b", ROUTE: "a/b/0", CODE: "404", N: "1" }[arg ?? ""] ;
      const text = arg ? w.name.replace(/\(\w+\)$/, `(${sample})`) : w.name;
      expect(parseFailIf(`${text} > 0`, mode).ok, text).toBe(true);
    }
  });
});
