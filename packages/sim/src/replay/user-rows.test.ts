import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addToRow, forEachRow, newUserRows } from "./user-rows.js";

describe("user rows", () => {
  it("hold what a Map of (split, user) → requests and OR-ed masks holds, across growth", () => {
    const update = fc.record({ split: fc.nat(40), user: fc.nat(5000), requests: fc.integer({ min: 1, max: 3 }), bit: fc.nat(30) });
    fc.assert(
      fc.property(fc.array(update, { maxLength: 3000 }), (updates) => {
        const rows = newUserRows(16);
        const model = new Map<string, { requests: number; mask: number }>();
        for (const { split, user, requests, bit } of updates) {
          addToRow(rows, split, user, requests, 1 << bit);
          const k = `${split}/${user}`;
          const m = model.get(k) ?? { requests: 0, mask: 0 };
          model.set(k, { requests: m.requests + requests, mask: (m.mask | (1 << bit)) >>> 0 });
        }
        const got = new Map<string, { requests: number; mask: number }>();
        forEachRow(rows, (split, user, requests, mask) => {
          expect(got.has(`${split}/${user}`)).toBe(false);
          got.set(`${split}/${user}`, { requests, mask });
        });
        expect(got).toEqual(model);
        expect(rows.size).toBe(model.size);
      }),
      { numRuns: 60 },
    );
  });

  it("keep bit 30, the highest a split's mask uses, as a positive mask", () => {
    const rows = newUserRows();
    addToRow(rows, 0, 7, 1, 1 << 30);
    addToRow(rows, 0, 7, 1, 1);
    const seen: number[] = [];
    forEachRow(rows, (_s, _u, n, mask) => seen.push(n, mask));
    expect(seen).toEqual([2, 2 ** 30 + 1]);
  });
});
