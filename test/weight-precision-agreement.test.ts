/**
 * lint's weight-rounds-to-zero and `replay --precision` share one model of each precision
 * profile: lint flags a backend under a profile exactly when replay gives it no weight there,
 * and the weight lint's fix asks for keeps a share in replay, as does every larger one.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildWorld, lint, parseManifests, type Finding } from "../packages/core/src/index.js";
import { replay } from "../packages/sim/src/replay/replay.js";
import { effectiveWeights } from "../packages/sim/src/replay/split.js";

type Profile = "ngf" | "percent";
const PROFILES: readonly Profile[] = ["ngf", "percent"];

function worldOf(weights: readonly number[]) {
  const refs = weights.map((w, i) => `{name: b${i}, port: 80, weight: ${w}}`).join(", ");
  const services = weights.map((_, i) => `---\n{apiVersion: v1, kind: Service, metadata: {name: b${i}, namespace: ns}, spec: {ports: [{port: 80}]}}`).join("\n");
  const text = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [${refs}]}]
${services}
`;
  const { objects } = parseManifests(text, { file: "world.yaml" });
  return { objects, world: buildWorld(objects) };
}

interface Flag {
  index: number;
  zeroUnder: Set<Profile>;
  /** The weight the fix asks for under each profile it names. */
  minimum: Partial<Record<Profile, number>>;
  /** The "at least" weight of the fix (enough for every profile named). */
  atLeast: number;
}

/** lint's weight findings, read back from what a user sees: path, message and fix. */
function lintFlags(weights: readonly number[]): Flag[] {
  const { world, objects } = worldOf(weights);
  return lint(world, { objects })
    .filter((f) => f.rule === "weight-rounds-to-zero")
    .map((f: Finding) => {
      const index = Number(/backendRefs\[(\d+)\]/.exec(f.path)![1]);
      const under = /rounds to 0 under (.*), so it gets no requests there/.exec(f.message)![1]!;
      const zeroUnder = new Set<Profile>([...(under.includes("NGINX Gateway Fabric") ? ["ngf" as const] : []), ...(under.includes("whole percents") ? ["percent" as const] : [])]);
      const atLeast = Number(/at least (\d+)/.exec(f.fix)![1]);
      const both = /NGINX Gateway Fabric needs (\d+), whole percents (\d+)/.exec(f.fix);
      const minimum: Flag["minimum"] = both
        ? { ngf: Number(both[1]), percent: Number(both[2]) }
        : { [f.fix.includes("(NGINX Gateway Fabric)") ? "ngf" : "percent"]: atLeast };
      return { index, zeroUnder, minimum, atLeast };
    });
}

/** The effective weights a real replay (real core decide) reports for the rule, and its warnings. */
async function replayed(weights: readonly number[], precision: Profile): Promise<{ effective: number[]; warned: Set<number> }> {
  const { world } = worldOf(weights);
  const r = await replay(world, [{ gateway: "ns/gw", host: "h.test", path: "/" }], { seed: 1, precision });
  const split = r.splits.find((s) => s.name === "r");
  if (!split) throw new Error("the request did not reach the split");
  const warned = new Set<number>();
  weights.forEach((_, i) => {
    if (r.warnings.some((w) => w.includes(` of ns/b${i}:80 (`) && w.includes("rounds to 0"))) warned.add(i);
  });
  return { effective: split.backends.map((b) => b.effectiveWeight), warned };
}

const withWeight = (weights: readonly number[], i: number, w: number) => weights.map((x, k) => (k === i ? w : x));

// Tiny, small and large weights mixed, so that shares under 0.01% and under 1% are common.
const arbWeights = fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 1_000_000 })), {
  minLength: 2,
  maxLength: 9,
});

describe("lint and replay agree on weights that round to zero", () => {
  it.each([
    // QA's cases: 0.7% keeps 1% (its remainder .7 beats .3) and 0.07% under NGF.
    { weights: [7, 993], ngf: [70, 9930], percent: [1, 99], flags: [] },
    { weights: [5, 995], ngf: [50, 9950], percent: [1, 99], flags: [] },
    { weights: [995, 5], ngf: [9950, 50], percent: [100, 0], flags: [{ index: 1, zeroUnder: ["percent"], fix: 6 }] },
    { weights: [1, 199], ngf: [50, 9950], percent: [1, 99], flags: [] },
    { weights: [4, 996], ngf: [40, 9960], percent: [0, 100], flags: [{ index: 0, zeroUnder: ["percent"], fix: 6 }] },
    // /tmp/qa/w8: 1 against 100000. NGF needs 11 (0.011%); whole percents 503 (.5005 beats .4995).
    { weights: [1, 100_000], ngf: [0, 10_000], percent: [0, 100], flags: [{ index: 0, zeroUnder: ["ngf", "percent"], fix: 503 }] },
  ])("$weights", async ({ weights, ngf, percent, flags }) => {
    expect((await replayed(weights, "ngf")).effective).toEqual(ngf);
    expect((await replayed(weights, "percent")).effective).toEqual(percent);
    const got = lintFlags(weights).map((f) => ({ index: f.index, zeroUnder: [...f.zeroUnder].sort(), fix: f.atLeast }));
    expect(got).toEqual(flags);
  });

  it("w8's fix text names both minimums", () => {
    const { world, objects } = worldOf([1, 100_000]);
    const [f] = lint(world, { objects }).filter((x) => x.rule === "weight-rounds-to-zero");
    expect(f!.fix).toBe("raise the weight to at least 503 (NGINX Gateway Fabric needs 11, whole percents 503), or scale the other weights down");
    expect(f!.severity).toBe("warning");
  });

  it("property: flagged under a profile iff replay gives it 0 there; the fix's weight, and every larger one, keeps a share", async () => {
    await fc.assert(
      fc.asyncProperty(arbWeights, fc.array(fc.integer({ min: 1, max: 2_000_000 }), { minLength: 3, maxLength: 3 }), async (weights, raises) => {
        const flags = lintFlags(weights);
        // Every weight 0: no request reaches a split (decide answers 500 NoBackendWeight), and
        // nothing rounds to zero that was not zero already.
        if (weights.every((w) => w === 0)) {
          expect(flags).toEqual([]);
          return;
        }
        for (const p of PROFILES) {
          const { effective, warned } = await replayed(weights, p);
          const zero = weights.flatMap((w, i) => (w > 0 && effective[i] === 0 ? [i] : []));
          const flagged = flags.filter((f) => f.zeroUnder.has(p)).map((f) => f.index);
          expect(flagged).toEqual(zero);
          expect([...warned].sort((a, b) => a - b)).toEqual(zero);
        }
        for (const f of flags) {
          for (const p of f.zeroUnder) {
            const m = f.minimum[p]!;
            expect((await replayed(withWeight(weights, f.index, m), p)).effective[f.index]).toBeGreaterThan(0);
            // The smallest such weight: one less gets nothing (or 1 is already enough).
            if (m > 1) expect(effectiveWeights(withWeight(weights, f.index, m - 1), p).weights[f.index]).toBe(0);
            for (const r of raises) expect(effectiveWeights(withWeight(weights, f.index, m + r), p).weights[f.index]).toBeGreaterThan(0);
          }
          // "at least" covers every profile the finding names.
          for (const p of f.zeroUnder) expect(effectiveWeights(withWeight(weights, f.index, f.atLeast), p).weights[f.index]).toBeGreaterThan(0);
        }
      }),
      { numRuns: 150 },
    );
  });
});
