import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { replay } from "./replay.js";
import { buildReport, newEngine, observe } from "./engine.js";
import { decide as fakeDecide, route, type FakeWorld } from "./__tests__/fake-core.js";
import type { TraceRecord } from "./types.js";

const world: FakeWorld = {
  "/b": { route: route("b"), backends: [{ name: "b1", weight: 1 }, { name: "b2", weight: 3 }] },
  "/c": { route: route("c"), backends: [{ name: "b1", weight: 1 }, { name: "c2", weight: 1 }] },
  "/one": { route: route("one"), backends: [{ name: "only" }] },
  "/z": { route: route("z"), backends: [{ name: "b1", weight: 0 }, { name: "z2", weight: 1 }] },
};

const req = (path: string, user?: string): TraceRecord => ({ gateway: "ns/gw", host: "h", path, ...(user ? { user } : {}) });
const backend = (r: { backends: { name: string; expectedUsers: number }[] }, name: string) => r.backends.find((b) => b.name === name)!;

describe("expected users per backend", () => {
  it("is Σ over users of 1 − Π(1 − p), hand-computed", async () => {
    // u1: two requests to /b (p(b1) = 1/4 each) and one to /c (p(b1) = 1/2): 1 − (3/4)²·(1/2).
    // u2: one request to /b: 1/4. Anonymous requests count for no one.
    const records = [req("/b/1", "u1"), req("/b/2", "u1"), req("/c", "u1"), req("/b/3", "u2"), req("/b/4"), req("/one", "u2"), req("/z", "u2")];
    const r = await replay(world, records, { decide: fakeDecide, seed: 3 });
    expect(backend(r, "b1").expectedUsers).toBeCloseTo(1 - (9 / 16) * 0.5 + 0.25, 12);
    expect(backend(r, "b2").expectedUsers).toBeCloseTo(1 - 1 / 16 + 3 / 4, 12);
    expect(backend(r, "c2").expectedUsers).toBeCloseTo(0.5, 12);
    // A single backend is certain; a zero-weight one is never offered.
    expect(backend(r, "only").expectedUsers).toBe(1);
    expect(backend(r, "z2").expectedUsers).toBe(1);
  });

  it("never exceeds the users who could reach it, and merges exactly from any slicing", () => {
    const arbTrace = fc.array(fc.tuple(fc.constantFrom("/b", "/c", "/one", "/z", "/none"), fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined })), {
      minLength: 1,
      maxLength: 200,
    });
    fc.assert(
      fc.property(arbTrace, fc.integer({ min: 0, max: 199 }), (t, cut) => {
        const recs = t.map(([p, u]) => req(`${p}/x`, u === undefined ? undefined : `u${u}`));
        const config = { seed: 5, split: "random" as const, precision: "exact" as const };
        const run = (from: number, to: number) => {
          const e = newEngine(config);
          for (let i = from; i < to; i++) observe(e, i, recs[i]!, fakeDecide(world, recs[i]!, { seed: 5, index: i }));
          return e.state;
        };
        const whole = buildReport([run(0, recs.length)], config);
        const c = Math.min(cut, recs.length);
        const parts = buildReport([run(c, recs.length), run(0, c)], config);
        expect(parts.backends.map((b) => b.expectedUsers)).toEqual(whole.backends.map((b) => b.expectedUsers));
        const users = new Set(recs.filter((x) => x.user).map((x) => x.user)).size;
        for (const b of whole.backends) {
          expect(b.expectedUsers).toBeGreaterThanOrEqual(0);
          expect(b.expectedUsers).toBeLessThanOrEqual(users + 1e-9);
        }
        // Every user with a routed request reaches some backend for sure, so by the union bound
        // the per-backend expectations add up to at least the number of such users.
        const routed = new Set(recs.filter((x) => x.user && !x.path!.startsWith("/none")).map((x) => x.user)).size;
        expect(whole.backends.reduce((a, b) => a + b.expectedUsers, 0)).toBeGreaterThanOrEqual(routed - 1e-9);
      }),
      { numRuns: 100 },
    );
  });
});
