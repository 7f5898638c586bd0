import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostCandidates } from "../compile/hostname.js";
import { selectListener } from "./listener.js";
import type { HostLookup } from "./runtime.js";

describe("selectListener is hostCandidates' first, remembered or not", () => {
  const label = fc.constantFrom("a", "b", "shop", "example", "com", "x-1", "");
  const name = fc.array(label, { maxLength: 5 }).map((l) => l.join("."));
  const index = fc.record({
    exact: fc.uniqueArray(name, { maxLength: 6 }),
    wildcard: fc.uniqueArray(name.filter((n) => n !== "").map((n) => `.${n}`), { maxLength: 6 }),
    any: fc.boolean(),
  });

  it("on generated indexes and names, asked repeatedly (memo hits and memo resets)", () => {
    fc.assert(
      fc.property(index, fc.array(name, { minLength: 1, maxLength: 30 }), (ix, names) => {
        const h: HostLookup = {
          exact: new Map(ix.exact.map((n, i) => [n, i])),
          wildcard: new Map(ix.wildcard.map((n, i) => [n, 100 + i])),
          any: ix.any ? 999 : null,
          memo: new Map(),
        };
        const expected = (n: string) => hostCandidates(n, (k) => h.exact.get(k), (k) => h.wildcard.get(k), h.any, true)[0];
        for (const n of [...names, ...names]) expect(selectListener(h, n), n).toBe(expected(n));
        // Past the memo's bound: it starts over and keeps answering the same.
        for (let i = 0; i < 5000; i++) selectListener(h, `h${i}.a.b`);
        for (const n of names) expect(selectListener(h, n), n).toBe(expected(n));
      }),
      { numRuns: 200 },
    );
  });
});
