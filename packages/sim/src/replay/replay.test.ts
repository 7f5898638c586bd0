import { describe, expect, it } from "vitest";
import { replay } from "./replay.js";
import { buildReport, newEngine, observe } from "./engine.js";
import { decide as fakeDecide, route, type FakeWorld } from "./__tests__/fake-core.js";
import type { Report, ReplayOptions, TraceRecord } from "./types.js";

const world: FakeWorld = {
  "/a": { route: route("a"), backends: [{ name: "a" }] },
  "/b": { route: route("b"), backends: [{ name: "b1", weight: 1 }, { name: "b2", weight: 3 }] },
  "/bad": { route: route("bad"), backends: [{ name: "gone", valid: false }] },
  "/half": { route: route("half"), backends: [{ name: "ok", weight: 1 }, { name: "broken", weight: 1, valid: false }] },
  "/old": { route: route("old"), backends: [], answer: { outcome: "redirect", status: 301 } },
  "/m": {
    route: route("m"),
    backends: [{ name: "main" }],
    mirrors: [
      { backend: { group: "", kind: "Service", namespace: "ns", name: "shadow", port: 8080 }, percent: 100 },
      { backend: { group: "", kind: "Service", namespace: "ns", name: "sample", port: 8080 }, percent: 25 },
    ],
  },
  "/tiny": { route: route("tiny"), backends: [{ name: "small", weight: 1 }, { name: "big", weight: 19_999 }] },
  // 1/20000 last: ngf gives the last backend the remainder (0.01%); percent hands the missing
  // point to the largest remainder, big2's .995, so small2 gets 0%.
  "/tinylast": { route: route("tinylast"), backends: [{ name: "big2", weight: 19_999 }, { name: "small2", weight: 1 }] },
  // QA's case: 0.7% has the larger remainder (.7 against .3) and gets 1% under percent.
  "/canary": { route: route("canary"), backends: [{ name: "c7", weight: 7 }, { name: "c993", weight: 993 }] },
  "/tail": { route: route("tail"), backends: [{ name: "x", weight: 2 }, { name: "y", weight: 1 }, { name: "z", weight: 0 }] },
  "/sticky": { route: route("sticky"), backends: [{ name: "s1" }, { name: "s2" }], sessionPersistence: { sessionName: "s", type: "Cookie" } },
};

const run = (records: TraceRecord[], opts: ReplayOptions<FakeWorld> = {}): Promise<Report> =>
  replay(world, records, { decide: fakeDecide, seed: 7, ...opts });

const req = (path: string, extra: Partial<TraceRecord> = {}): TraceRecord => ({ gateway: "ns/gw", host: "shop.test", path, ...extra });
const backend = (r: Report, name: string) => r.backends.find((b) => b.name === name);

describe("replay: exact counts on a small trace", () => {
  it("counts routes, statuses, outcomes and single-backend traffic exactly", async () => {
    const r = await run([req("/a"), req("/a/1"), req("/nope"), req("/nope/9"), req("/bad"), req("/old")]);
    expect(r.requests).toBe(6);
    expect(r.statuses).toEqual({ "301": 1, "404": 2, "500": 1 });
    expect(r.outcomes).toEqual({ forward: 2, redirect: 1, notFound: 2, error: 1 });
    expect(r.routes.map((x) => [x.name, x.count])).toEqual([["a", 2], ["bad", 1], ["old", 1]]);
    expect(backend(r, "a")).toMatchObject({ count: 2, share: 2 / 6, expectedShare: 2 / 6, valid: true });
    expect(backend(r, "gone")).toMatchObject({ count: 1, expectedCount: 1, valid: false });
    expect(r.failing).toEqual([
      { status: 404, method: "GET", host: "shop.test", path: "/nope", count: 1, example: "GET shop.test/nope" },
      { status: 404, method: "GET", host: "shop.test", path: "/nope/{n}", count: 1, example: "GET shop.test/nope/9" },
      { status: 500, method: "GET", host: "shop.test", path: "/bad", count: 1, example: "GET shop.test/bad" },
    ]);
  });

  it("expected shares are the exact sum of probabilities, counts are the seeded draws", async () => {
    const records = Array.from({ length: 12 }, (_, i) => req(`/b/${i}`));
    const r = await run(records);
    expect(backend(r, "b1")!.expectedCount).toBe(3);
    expect(backend(r, "b2")!.expectedCount).toBe(9);
    expect(backend(r, "b1")!.count + backend(r, "b2")!.count).toBe(12);
    // The random mode keeps decide's own pick: count what the fake decide drew.
    const drawn = records.filter((x, i) => fakeDecide(world, x, { seed: 7, index: i }).backend!.name === "b1").length;
    expect(backend(r, "b1")!.count).toBe(drawn);
    const split = r.splits.find((s) => s.name === "b")!;
    expect(split.backends.map((b) => [b.name, b.weight, b.expectedShare])).toEqual([["b1", 1, 0.25], ["b2", 3, 0.75]]);
    expect(split.chiSquare!.df).toBe(1);
  });

  it("an invalid backend in a split answers 500 only when picked", async () => {
    const r = await run(Array.from({ length: 40 }, () => req("/half")));
    const broken = backend(r, "broken")!;
    expect(r.statuses["500"] ?? 0).toBe(broken.count);
    expect(broken.count + backend(r, "ok")!.count).toBe(40);
    expect(broken.expectedCount).toBe(20);
    expect(r.failing.find((f) => f.status === 500)?.count ?? 0).toBe(broken.count);
  });

  it("mirrors: 100% always, a fractional percent by seeded draw, with exact expectations", async () => {
    const r = await run(Array.from({ length: 200 }, () => req("/m")));
    const shadow = r.mirrors.find((m) => m.name === "shadow")!;
    const sample = r.mirrors.find((m) => m.name === "sample")!;
    expect(shadow).toMatchObject({ count: 200, expected: 200 });
    expect(sample.expected).toBe(50);
    expect(sample.count).toBeGreaterThan(30);
    expect(sample.count).toBeLessThan(70);
  });
});

describe("split modes", () => {
  it("wrr is smooth weighted round robin: 1:3 gives b2 b1 b2 b2, repeating", async () => {
    const r = await run(Array.from({ length: 8 }, () => req("/b")), { split: "wrr" });
    expect(backend(r, "b1")!.count).toBe(2);
    expect(backend(r, "b2")!.count).toBe(6);
    const e = newEngine({ seed: 1, split: "wrr", precision: "exact" });
    const seq = Array.from({ length: 8 }, (_, i) => observe(e, i, req("/b"), fakeDecide(world, req("/b"), { seed: 1, index: i })).backend!.name);
    expect(seq).toEqual(["b2", "b1", "b2", "b2", "b2", "b1", "b2", "b2"]);
    expect(r.splits.find((s) => s.name === "b")!.chiSquare!.statistic).toBe(0);
  });

  it("hash:user is stable per user and follows the weights across users", async () => {
    const records = Array.from({ length: 4000 }, (_, i) => req("/b", { user: `user-${i % 1000}` }));
    const r = await run(records, { split: "hash:user" });
    const split = r.splits.find((s) => s.name === "b")!;
    expect(split.usersMultiBackend).toBe(0);
    expect(split.users).toBe(1000);
    expect(r.exposure.usersMultiBackend).toBe(0);
    // 1000 users, each 4 requests: b1's count is 4 × (users hashed to b1), near 1000.
    expect(backend(r, "b1")!.count % 4).toBe(0);
    expect(Math.abs(backend(r, "b1")!.count - 1000)).toBeLessThan(200);
    expect(backend(r, "b1")!.users + backend(r, "b2")!.users).toBe(1000);
  });

  it("hash:header:<name> hashes a header; a request without it falls back to the draw and is reported", async () => {
    const r = await run([req("/b", { headers: { "X-Client": "c1" } }), req("/b", { headers: { "x-client": "c1" } }), req("/b")], {
      split: "hash:header:x-client",
    });
    expect(r.warnings).toContain("1 of 3 requests reached a weighted split without the key header:x-client: the seeded draw split them, not the hash");
  });

  it.each([
    ["hash:user", "without the key user: the seeded draw split them, not the hash"],
    ["cookie", "without a user: the seeded draw split them, not a cookie"],
  ] as const)("%s: only requests that reach a split of two or more weighted backends without the key are counted", async (split, says) => {
    const splits: FakeWorld = {
      "/one": { route: route("one"), backends: [{ name: "only" }] },
      "/zero": { route: route("zero"), backends: [{ name: "all", weight: 5 }, { name: "none", weight: 0 }] },
      "/two": { route: route("two"), backends: [{ name: "t1", weight: 1 }, { name: "t2", weight: 1 }] },
    };
    const go = (records: TraceRecord[]) => replay(splits, records, { decide: fakeDecide, seed: 7, split });
    const counted = (r: Report) => r.warnings.filter((w) => w.includes("weighted split"));
    const r = await go([req("/one"), req("/one"), req("/zero"), req("/two"), req("/two"), req("/two", { user: "u1" }), req("/nope")]);
    expect(counted(r)).toEqual([`2 of 7 requests reached a weighted split ${says}`]);
    expect(counted(await go([req("/one"), req("/zero"), req("/two", { user: "u1" })]))).toEqual([]);
  });

  it("cookie: every user sticks to one backend per split; random does not", async () => {
    const records = Array.from({ length: 3000 }, (_, i) => req("/sticky", { user: `u${i % 300}` }));
    const sticky = await run(records, { split: "cookie" });
    const split = sticky.splits.find((s) => s.name === "sticky")!;
    expect(split.usersMultiBackend).toBe(0);
    expect(split.sessionPersistence).toBe(true);
    expect(backend(sticky, "s1")!.users + backend(sticky, "s2")!.users).toBe(300);
    const random = await run(records, { split: "random" });
    expect(random.exposure.usersMultiBackend).toBeGreaterThan(250);
    expect(random.exposure.users).toBe(300);
  });

  it("precision: a tiny weight rounds to zero under ngf and percent, with a warning", async () => {
    const records = Array.from({ length: 500 }, () => req("/tiny"));
    const exact = await run(records);
    expect(backend(exact, "small")!.expectedCount).toBeCloseTo(500 / 20_000, 12);
    for (const precision of ["ngf", "percent"] as const) {
      const r = await run(records, { precision });
      expect(backend(r, "small")!.count).toBe(0);
      expect(backend(r, "small")!.expectedCount).toBe(0);
      expect(r.warnings.some((w) => w.includes("weight 1 of ns/small:8080") && w.includes("rounds to 0"))).toBe(true);
    }
    const last = Array.from({ length: 100 }, () => req("/tinylast"));
    expect(backend(await run(last, { precision: "ngf" }), "small2")!.expectedCount).toBeCloseTo(0.01, 12);
    const lastPercent = await run(last, { precision: "percent" });
    expect(backend(lastPercent, "small2")!.expectedCount).toBe(0);
    expect(lastPercent.warnings.some((w) => w.includes("weight 1 of ns/small2:8080") && w.includes("rounds to 0 at 1% precision"))).toBe(true);
  });

  it("precision percent: 7 of 1000 keeps 1% (largest remainder), ngf keeps 0.7%; neither warns", async () => {
    const records = Array.from({ length: 1000 }, () => req("/canary"));
    const percent = await run(records, { precision: "percent" });
    expect(percent.splits.find((s) => s.name === "canary")!.backends.map((b) => b.effectiveWeight)).toEqual([1, 99]);
    expect(backend(percent, "c7")!.expectedCount).toBeCloseTo(10, 9);
    expect(backend(percent, "c7")!.count).toBeGreaterThan(0);
    const ngf = await run(records, { precision: "ngf" });
    expect(ngf.splits.find((s) => s.name === "canary")!.backends.map((b) => b.effectiveWeight)).toEqual([70, 9930]);
    for (const r of [percent, ngf]) expect(r.warnings.filter((w) => w.includes("rounds to 0"))).toEqual([]);
  });

  it("precision ngf: the last backend takes the rounding remainder, even at weight 0", async () => {
    const r = await run(Array.from({ length: 10 }, () => req("/tail")), { precision: "ngf" });
    const split = r.splits.find((s) => s.name === "tail")!;
    expect(split.backends.map((b) => b.effectiveWeight)).toEqual([6666, 3333, 1]);
    expect(r.warnings.some((w) => w.includes("ns/z:8080 has weight 0") && w.includes("0.0100%"))).toBe(true);
  });
});

describe("observed vs simulated", () => {
  it("counts agreement and groups the differences", async () => {
    const records: TraceRecord[] = [
      req("/a", { observed: { backend: "ns/a:8080" } }),
      req("/a", { observed: { backend: "outbound|8080||a.ns.svc.cluster.local" } }),
      req("/a", { observed: { backend: "ns/legacy:8080" } }),
      req("/a/2", { observed: { backend: "ns/legacy:8080" } }),
      req("/nope", { observed: { status: 404 } }),
      req("/nope", { observed: { backend: "ns/a:8080" } }),
      req("/a", { observed: { backend: "web_backend/server1" } }), // not a Kubernetes name
      req("/a", { observed: { status: 200 } }), // forwarded: a 200 says nothing about the backend
    ];
    const r = await run(records);
    expect(r.observed).toMatchObject({ records: 8, compared: 6, agree: 3, disagree: 3, agreement: 0.5 });
    expect(r.observed!.differences).toEqual([
      { observed: "ns/legacy:8080", simulated: "ns/a:8080", count: 2, index: 2, example: "GET shop.test/a" },
      { observed: "ns/a:8080", simulated: "status 404", count: 1, index: 5, example: "GET shop.test/nope" },
    ]);
  });

  it("has no observed section when the trace observes nothing", async () => {
    expect((await run([req("/a")])).observed).toBeNull();
  });
});

describe("timeline and merging", () => {
  it("buckets timed requests and keeps the bucket count bounded", async () => {
    const start = Date.parse("2026-11-26T00:00:00Z");
    const records = Array.from({ length: 2000 }, (_, i) => req("/a", { time: start + i * 60_000 }));
    const r = await run(records);
    expect(r.timeline!.bucketSeconds).toBe(300); // 2000 minutes in 400 five-minute buckets
    expect(r.timeline!.buckets.length).toBeLessThanOrEqual(400);
    expect(r.timeline!.buckets.reduce((a, b) => a + b.requests, 0)).toBe(2000);
    expect(r.timeline!.buckets[0]).toEqual({ start: "2026-11-26T00:00:00.000Z", requests: 5, backends: { "ns/a:8080": 5 } });
    expect((await run([req("/a", { time: "2026-11-26T10:00:00Z" }), req("/a")])).timeline).toMatchObject({ bucketSeconds: 1, untimed: 1 });
  });

  it("states of any slicing of the trace merge to the same report", async () => {
    const start = Date.parse("2026-11-26T00:00:00Z");
    const paths = ["/a", "/b", "/half", "/m", "/nope", "/sticky", "/old"];
    const records = Array.from({ length: 3000 }, (_, i) =>
      req(`${paths[(i * 7) % paths.length]}/${i % 13}`, { user: i % 5 ? `u${i % 97}` : undefined, time: start + i * 37_000, observed: i % 3 ? undefined : { backend: "ns/b1:8080" } }),
    );
    const config = { seed: 3, split: "cookie" as const, precision: "exact" as const };
    const slice = (from: number, to: number) => {
      const e = newEngine(config);
      for (let i = from; i < to; i++) observe(e, i, records[i]!, fakeDecide(world, records[i]!, { seed: 3, index: i }));
      return e.state;
    };
    const whole = buildReport([slice(0, 3000)], config);
    const parts = buildReport([slice(2000, 3000), slice(0, 700), slice(700, 2000)], config);
    expect(parts).toEqual(whole);
    expect(whole).toEqual(await run(records, { seed: 3, split: "cookie" }));
  });
});

describe("statistical agreement on a large trace (fixed seeds)", () => {
  it("90/10 random split: the sampled share sits in its Wilson interval around the weights", async () => {
    const big: FakeWorld = { "/c": { route: route("checkout"), backends: [{ name: "v1", weight: 90 }, { name: "v2", weight: 10 }] } };
    const n = 50_000;
    const records = Array.from({ length: n }, () => req("/c"));
    for (const seed of [1, 2, 3]) {
      const r = await replay(big, records, { decide: fakeDecide, seed });
      const v2 = r.backends.find((b) => b.name === "v2")!;
      expect(v2.expectedShare).toBe(0.1);
      expect(v2.ci95[0]).toBeLessThan(0.1);
      expect(v2.ci95[1]).toBeGreaterThan(0.1);
      expect(r.splits[0]!.chiSquare!.pValue).toBeGreaterThan(0.001);
    }
  });

  it("a biased sampler is caught by the chi-square test", async () => {
    const big: FakeWorld = { "/c": { route: route("checkout"), backends: [{ name: "v1", weight: 90 }, { name: "v2", weight: 10 }] } };
    // Decide claims 90/10 but always draws by 85/15.
    const biased: typeof fakeDecide = (w, r, o) => {
      const d = fakeDecide({ "/c": { ...w["/c"]!, backends: [{ name: "v1", weight: 85 }, { name: "v2", weight: 15 }] } }, r, o);
      return { ...d, backends: d.backends.map((b) => ({ ...b, weight: b.name === "v1" ? 90 : 10 })) };
    };
    const r = await replay(big, Array.from({ length: 20_000 }, () => req("/c")), { decide: biased, seed: 1 });
    expect(r.splits[0]!.chiSquare!.pValue).toBeLessThan(1e-6);
  });
});

describe("trace times", () => {
  it("the fast path agrees with Date.parse", async () => {
    const { timeOf } = await import("./engine.js");
    const fc = (await import("fast-check")).default;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constantFrom(0, 1, 2, 3), (ms, digits) => {
        const iso = new Date(ms).toISOString(); // always .fff
        const text = digits === 3 ? iso : digits === 0 ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 20 + digits)}Z`;
        return timeOf(text) === Date.parse(text) && timeOf(iso) === ms;
      }),
    );
    expect(timeOf("2026-11-26T10:00:00+01:00")).toBe(Date.parse("2026-11-26T09:00:00Z"));
    expect(timeOf("2026-11-26T10:00:0xZ")).toBeNaN();
    expect(timeOf("1764151200000")).toBe(1764151200000);
    expect(timeOf(1764151200000)).toBe(1764151200000);
    expect(timeOf("yesterday")).toBeNaN();
  });
});

describe("observed backend names", () => {
  it.each([
    ["store/checkout-v1:8080", { namespace: "store", name: "checkout-v1", port: 8080 }],
    ["outbound|8080||checkout-v1.store.svc.cluster.local", { namespace: "store", name: "checkout-v1", port: 8080 }],
    ["checkout-v1.store.svc.cluster.local:8080", { namespace: "store", name: "checkout-v1", port: 8080 }],
    ["checkout-v1.store.svc", { namespace: "store", name: "checkout-v1", port: null }],
    ["store_checkout-v1_8080", { namespace: "store", name: "checkout-v1", port: 8080 }],
    ["app/app-node2", null], // HAProxy backend/server
    ["docs_microservice/docs", null],
    ["10.0.0.7:8080", null],
    ["httproute/store/checkout/rule/0", null], // Envoy Gateway route cluster: not a Service
  ])("%s", async (text, want) => {
    const { parseObservedBackend } = await import("./observed.js");
    expect(parseObservedBackend(text)).toEqual(want);
  });
});

describe("replay: a rule with more backends than a user mask holds", () => {
  it("counts the users of backends 31 and later exactly, in one state and merged from two", async () => {
    const wide: FakeWorld = { "/w": { route: route("w"), backends: Array.from({ length: 40 }, (_, i) => ({ name: `b${i}` })) } };
    const records = Array.from({ length: 4000 }, (_, i) => req("/w", { user: `u${i % 97}` }));
    // What each backend was drawn for, request by request, straight from decide.
    const usersOf = new Map<string, Set<string>>();
    records.forEach((r, index) => {
      const d = fakeDecide(wide, r, { seed: 7, index });
      const set = usersOf.get(d.backend!.name) ?? new Set<string>();
      set.add(r.user!);
      usersOf.set(d.backend!.name, set);
    });
    const one = await replay(wide, records, { decide: fakeDecide, seed: 7 });
    const config = { seed: 7, split: "random", precision: "exact" } as const;
    const halves = [newEngine(config), newEngine(config)];
    records.forEach((r, index) => observe(halves[index % 2]!, index, r, fakeDecide(wide, r, { seed: 7, index })));
    const merged = buildReport([halves[0]!.state, halves[1]!.state], config);
    for (const report of [one, merged]) {
      for (let i = 0; i < 40; i++) expect(backend(report, `b${i}`)?.users ?? 0, `b${i}`).toBe(usersOf.get(`b${i}`)?.size ?? 0);
    }
    expect(merged.backends).toEqual(one.backends);
    expect([...usersOf.keys()].some((name) => Number(name.slice(1)) >= 31)).toBe(true);
  });
});
