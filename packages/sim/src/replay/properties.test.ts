import { describe, it } from "vitest";
import fc from "fast-check";
import { buildReport, newEngine, observe } from "./engine.js";
import { decide as fakeDecide, route, type FakeWorld } from "./__tests__/fake-core.js";
import type { Precision, SplitMode, TraceRecord } from "./types.js";

const weights = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 6 });
const arbWorld = fc.array(fc.tuple(weights, fc.boolean()), { minLength: 1, maxLength: 4 }).map((rules): FakeWorld => {
  const w: FakeWorld = {};
  rules.forEach(([ws, oneInvalid], r) => {
    w[`/r${r}`] = { route: route(`r${r}`), backends: ws.map((weight, i) => ({ name: `r${r}b${i}`, weight, valid: !(oneInvalid && i === 0) })) };
  });
  return w;
});
const arbTrace = fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined })), {
  minLength: 1,
  maxLength: 300,
});
const arbMode = fc.constantFrom<SplitMode>("random", "wrr", "cookie", "hash:user");
const arbPrecision = fc.constantFrom<Precision>("exact", "ngf", "percent");

function records(t: [number, number | undefined][]): TraceRecord[] {
  return t.map(([r, u]) => ({ gateway: "ns/gw", host: "h", path: `/r${r}/x`, ...(u !== undefined ? { user: `u${u}` } : {}) }));
}

describe("replay invariants", () => {
  it("counts add up, expectations follow the effective weights, and slicing never changes the report", () => {
    fc.assert(
      fc.property(arbWorld, arbTrace, arbMode, arbPrecision, fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 299 }), (world, t, split, precision, seed, cut) => {
        const recs = records(t);
        const config = { seed, split, precision };
        const run = (from: number, to: number) => {
          const e = newEngine(config);
          for (let i = from; i < to; i++) observe(e, i, recs[i]!, fakeDecide(world, recs[i]!, { seed, index: i }));
          return e.state;
        };
        const whole = buildReport([run(0, recs.length)], config);
        // Order-free modes merge to the same report from any slicing.
        if (split !== "wrr") {
          const c = Math.min(cut, recs.length);
          const parts = buildReport([run(c, recs.length), run(0, c)], config);
          if (JSON.stringify(parts) !== JSON.stringify(whole)) return false;
        }
        const sent = whole.backends.reduce((a, b) => a + b.count, 0);
        const outcomes = Object.values(whole.outcomes).reduce((a, b) => a + (b ?? 0), 0);
        if (outcomes !== whole.requests) return false;
        for (const s of whole.splits) {
          const n = s.backends.reduce((a, b) => a + b.count, 0);
          if (n !== s.count) return false;
          const exp = s.backends.reduce((a, b) => a + b.expectedShare, 0);
          if (s.count > 0 && Math.abs(exp - 1) > 1e-9) return false;
          // A backend the data plane gives no weight never gets a request.
          if (s.backends.some((b) => b.effectiveWeight === 0 && b.count > 0)) return false;
        }
        const expected = whole.backends.reduce((a, b) => a + b.expectedCount, 0);
        return Math.abs(expected - sent) < 1e-6 && sent <= whole.requests;
      }),
      { numRuns: 150 },
    );
  });
});
