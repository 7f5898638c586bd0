import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildReport, newEngine, observe } from "./engine.js";
import { decide as fakeDecide, route, type FakeWorld } from "./__tests__/fake-core.js";
import { addToUser, forEachUser, newUserMap, orIntoUser, setUserValue, userValue } from "./user-map.js";
import type { TraceRecord } from "./types.js";

describe("UserMap", () => {
  it("behaves as a Map of positive numbers through its sparse and dense forms", () => {
    // Ops as the engine makes them: user ids below the number of known users, which only grows.
    const op = fc.tuple(fc.constantFrom("set", "add", "or"), fc.nat({ max: 5000 }), fc.integer({ min: 1, max: 1 << 20 }), fc.nat({ max: 300 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 2000 }), fc.integer({ min: 1, max: 5000 }), (ops, spread) => {
        const m = newUserMap();
        const model = new Map<number, number>();
        let users = 1;
        for (const [kind, raw, value, more] of ops) {
          users += more % 7 === 0 ? more : 0;
          const user = raw % Math.min(users, spread);
          if (kind === "set") {
            setUserValue(m, user, value, users);
            model.set(user, value);
          } else if (kind === "add") {
            addToUser(m, user, value, users);
            model.set(user, (model.get(user) ?? 0) + value);
          } else {
            orIntoUser(m, user, value, users);
            model.set(user, (model.get(user) ?? 0) | value);
          }
          expect(userValue(m, user)).toBe(model.get(user));
        }
        expect(m.size).toBe(model.size);
        const seen = new Map<number, number>();
        forEachUser(m, (u, v) => seen.set(u, v));
        expect(seen).toEqual(model);
      }),
      { numRuns: 200 },
    );
  });

  it("goes dense when many users have an entry, and back when few of a growing population do", () => {
    const m = newUserMap();
    for (let u = 0; u < 300; u++) setUserValue(m, u, 1, 300);
    expect(m.dense).not.toBeNull();
    for (let u = 300; u < 100_000; u += 997) setUserValue(m, u, 2, u + 1);
    expect(m.dense).toBeNull();
    expect(m.size).toBe(300 + Math.ceil((100_000 - 300) / 997));
  });
});

describe("replay with many users (dense per-user counts)", () => {
  const world: FakeWorld = {
    "/s": { route: route("s"), backends: [{ name: "v1", weight: 9 }, { name: "v2", weight: 1 }] },
    "/t": { route: route("t"), backends: [{ name: "v1", weight: 1 }, { name: "v3", weight: 1 }] },
  };
  it("counts users and expected users as a direct computation does, from any slicing", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("/s", "/t"), fc.nat({ max: 400 })), { minLength: 500, maxLength: 3000 }), fc.nat(), (t, cut) => {
        const recs: TraceRecord[] = t.map(([p, u]) => ({ gateway: "ns/gw", host: "h", path: p, user: `u${u}` }));
        const config = { seed: 2, split: "random" as const, precision: "exact" as const };
        const decisions = recs.map((r, i) => fakeDecide(world, r, { seed: 2, index: i }));
        const run = (from: number, to: number) => {
          const e = newEngine(config);
          for (let i = from; i < to; i++) observe(e, i, recs[i]!, decisions[i]!);
          return e.state;
        };
        const whole = buildReport([run(0, recs.length)], config);
        const c = cut % recs.length;
        expect(buildReport([run(c, recs.length), run(0, c)], config)).toEqual(whole);
        // Direct: distinct users per backend; expected users Σ_u 1 − Π (1 − p)^n per p, p ascending.
        const users = new Map<string, Set<string>>();
        const offers = new Map<string, Map<number, Map<string, number>>>();
        recs.forEach((r, i) => {
          const d = decisions[i]!;
          const name = d.backend!.name;
          if (!users.has(name)) users.set(name, new Set());
          users.get(name)!.add(r.user!);
          for (const b of d.backends) {
            const byP = offers.get(b.name) ?? new Map<number, Map<string, number>>();
            offers.set(b.name, byP);
            const p = b.weight / d.backends.reduce((a, x) => a + x.weight, 0);
            const perUser = byP.get(p) ?? new Map<string, number>();
            byP.set(p, perUser);
            perUser.set(r.user!, (perUser.get(r.user!) ?? 0) + 1);
          }
        });
        for (const b of whole.backends) {
          expect(b.users, b.name).toBe(users.get(b.name)?.size ?? 0);
          const never = new Map<string, number>();
          for (const p of [...offers.get(b.name)!.keys()].sort((x, y) => x - y)) {
            for (const [u, n] of offers.get(b.name)!.get(p)!) never.set(u, (never.get(u) ?? 1) * Math.pow(1 - p, n));
          }
          const exposed = [...never.values()].map((q) => 1 - q).sort((x, y) => x - y);
          expect(b.expectedUsers, b.name).toBe(exposed.reduce((a, x) => a + x, 0));
        }
        const multi = new Map<string, Set<string>>();
        recs.forEach((r, i) => {
          if (r.path !== "/s") return;
          if (!multi.has(r.user!)) multi.set(r.user!, new Set());
          multi.get(r.user!)!.add(decisions[i]!.backend!.name);
        });
        const split = whole.splits.find((s) => s.name === "s");
        if (split) {
          expect(split.users).toBe(multi.size);
          expect(split.usersMultiBackend).toBe([...multi.values()].filter((s) => s.size > 1).length);
        }
      }),
      { numRuns: 40 },
    );
  });
});
