import { describe, expect, it } from "vitest";
import { replay } from "../replay/replay.js";
import { whatif } from "../replay/whatif.js";
import { decide as fakeDecide, route, worldObjects, buildWorld as fakeBuildWorld, type FakeWorld } from "../replay/__tests__/fake-core.js";
import type { TraceRecord } from "../replay/types.js";
import { replayRollout } from "../rollout/replay-rollout.js";
import type { RolloutPlan } from "../rollout/types.js";
import type { ManifestObject } from "@gwsim/core";
import { niceCeil, timeTicks } from "./html-kit.js";
import { renderHtml } from "./html.js";

const world: FakeWorld = {
  "/catalog": { route: { ...route("store", 0, "store"), ruleName: "catalog" }, backends: [{ name: "catalog-svc" }] },
  "/checkout": { route: { ...route("checkout", 1, "store"), ruleName: "split" }, backends: [{ name: "checkout-v1", weight: 90 }, { name: "checkout-v2", weight: 10 }] },
  "/m": {
    route: route("mirror", 0, "store"),
    backends: [{ name: "main" }],
    mirrors: [{ backend: { group: "", kind: "Service", namespace: "store", name: "shadow", port: 8080 }, percent: 50 }],
  },
};
const proposed: FakeWorld = { ...world, "/checkout": { ...world["/checkout"]!, backends: [{ name: "checkout-v1", weight: 50 }, { name: "checkout-v2", weight: 50 }] } };

function trace(n = 600): TraceRecord[] {
  const paths = ["/catalog/items/12", "/checkout", "/checkout", "/nope/3", "/m", "/<script>alert(1)</script>"];
  return Array.from({ length: n }, (_, i) => ({
    gateway: "infra/edge",
    host: "store.example.com",
    path: paths[i % paths.length]!,
    time: Date.parse("2026-11-26T10:00:00Z") + i * 7000,
    ...(i % 3 ? { user: `u${i % 40}` } : {}),
    ...(i % 50 === 1 ? { observed: { backend: "store/checkout-v1:8080" } } : {}),
  }));
}

/** Everything a page could fetch: it must fetch nothing. */
function externalReferences(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/\b(?:src|href|xlink:href|action|poster)\s*=\s*["']?([^"'\s>]+)/gi)) if (!m[1]!.startsWith("#")) found.push(m[0]);
  for (const m of html.matchAll(/url\(|@import|<link\b|<iframe\b|<img\b|<object\b|<embed\b|fetch\(|XMLHttpRequest/gi)) found.push(m[0]);
  return found;
}

describe("renderHtml: replay", () => {
  it("is one self-contained page with every section, escaped text and numbers", async () => {
    const r = await replay(world, trace(), { decide: fakeDecide, seed: 1 });
    const html = renderHtml(r, { subtitle: "a test & a <trace>" });
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(externalReferences(html)).toEqual([]);
    // The only script is ours; the trace's path comes out as text.
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("/&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("a test &amp; a &lt;trace&gt;");
    for (const id of ["backends", "splits", "timeline", "users", "statuses", "failing", "routes", "mirrors", "observed"]) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain("store/checkout-v2:8080");
    const v1 = r.backends.find((b) => b.name === "checkout-v1")!;
    expect(html).toContain(`<td class="num" data-v="${v1.count}">${v1.count}</td>`);
    expect(html).toContain("HTTPRoute store/checkout rule 1 (split)");
    // Deterministic: no clock, no random ids.
    expect(renderHtml(r, { subtitle: "a test & a <trace>" })).toBe(html);
  });

  it("sums the tail of a long backend list into others", async () => {
    const many: FakeWorld = { "/x": { route: route("x"), backends: Array.from({ length: 40 }, (_, i) => ({ name: `b${i}`, weight: i + 1 })) } };
    const recs = Array.from({ length: 2000 }, (_, i) => ({ gateway: "g/g", host: "h", path: "/x", time: i * 1000 }));
    const r = await replay(many, recs, { decide: fakeDecide, seed: 2 });
    const html = renderHtml(r, { maxBars: 10, maxRows: 15 });
    expect(html).toContain("30 others");
    expect(html).toContain("… and 25 more rows");
  });
});

describe("renderHtml: what-if and rollout", () => {
  it("shows before and after per backend, and the moves", async () => {
    const w = await whatif(world, proposed, trace(), { decide: fakeDecide, seed: 1 });
    const html = renderHtml(w);
    expect(externalReferences(html)).toEqual([]);
    expect(html).toContain("gwsim what-if report");
    expect(html).toContain("store/checkout-v2:8080");
    // checkout is a third of the trace: v2 goes from 10 % to 50 % of it.
    expect(html).toContain("3.33% → 16.67% (+13.33%)");
    expect(html).toMatch(/<td>GET store\.example\.com\/checkout<\/td><td>store\/checkout-v1:8080<\/td><td>store\/checkout-v2:8080<\/td>/);
    expect(html).toContain('<section id="before-backends">');
    expect(html).toContain('<section id="after-backends">');
  });

  it("shows each step of a rollout with its exposure", async () => {
    const objs = (v2: number) => worldObjects({ ...world, "/checkout": { ...world["/checkout"]!, backends: [{ name: "checkout-v1", weight: 100 - v2 }, { name: "checkout-v2", weight: v2 }] } }) as unknown as ManifestObject[];
    const step = (name: string, w: number, duration: number | null, hold: "timed" | "end") => ({
      name, actions: [name], weight: w, duration, hold, objects: objs(w), canary: ["store/checkout-v2"], stable: ["store/checkout-v1"],
    });
    const plan: RolloutPlan = { ok: true, kind: "Rollout", name: "store/checkout", before: objs(0), steps: [step("setWeight 10, pause 1h", 10, 3_600_000, "timed"), step("promoted", 0, null, "end")], problems: [] };
    const rr = await replayRollout(plan, trace(), { seed: 1, decide: fakeDecide, buildWorld: (o) => fakeBuildWorld(o as never), errorRates: { new: 0.05 } });
    const html = renderHtml(rr);
    expect(externalReferences(html)).toEqual([]);
    expect(html).toContain("gwsim rollout report: Rollout store/checkout");
    expect(html).toContain("1. setWeight 10, pause 1h");
    expect(html).toContain("error rates: new 5.00%");
    expect(html).toContain('<section id="overall-backends">');
  });
});

describe("chart helpers", () => {
  it.each([
    [0.6023, 0.8],
    [0.5, 0.5],
    [0.13, 0.16],
    [6170, 8000],
    [1, 1],
    [0, 1],
  ])("niceCeil(%s) = %s", (x, want) => {
    expect(niceCeil(x)).toBeCloseTo(want, 12);
  });

  it("puts time ticks on round times", () => {
    const t0 = Date.parse("2026-11-26T00:00:00Z");
    expect(timeTicks(t0, t0 + 13 * 3_600_000).map((t) => t.label)).toEqual(["00:00", "02:00", "04:00", "06:00", "08:00", "10:00", "12:00"]);
    expect(timeTicks(t0 + 7000, t0 + 65_000).map((t) => t.label)).toEqual(["00:00:10", "00:00:20", "00:00:30", "00:00:40", "00:00:50", "00:01:00"]);
    expect(timeTicks(t0, t0 + 6 * 86_400_000).map((t) => t.label)[0]).toBe("11-26");
  });
});
