import { describe, expect, it } from "vitest";
import { replay } from "../replay/replay.js";
import { whatif } from "../replay/whatif.js";
import { decide as fakeDecide, route, type FakeWorld } from "../replay/__tests__/fake-core.js";
import type { TraceRecord } from "../replay/types.js";
import { renderJson } from "./json.js";
import { MIN_TEXT_WIDTH, renderText, renderWhatifText } from "./text.js";
import { table } from "./table.js";

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

function trace(): TraceRecord[] {
  const paths = ["/catalog/items/12", "/checkout", "/checkout", "/nope/3", "/m"];
  return Array.from({ length: 500 }, (_, i) => ({
    gateway: "infra/edge",
    host: "store.example.com",
    path: paths[i % paths.length]!,
    time: Date.parse("2026-11-26T10:00:00Z") + i * 1000,
    ...(i % 3 ? { user: `u${i % 40}` } : {}),
    ...(i % 50 === 1 ? { observed: { backend: "store/checkout-v1:8080" } } : {}),
  }));
}

describe("renderText", () => {
  it("prints the replay as readable tables", async () => {
    const r = await replay(world, trace(), { decide: fakeDecide, seed: 1 });
    const text = renderText(r);
    expect(text).toContain("Replayed 500 requests (seed 1, split random, precision exact)");
    expect(text).toMatch(/store\/catalog-svc:8080\s+100\s+20\.00%\s+\d+\.\d\d%-\d+\.\d\d%\s+20\.00%/);
    expect(text).toContain("HTTPRoute store/checkout rule 1 (split): 200 requests");
    expect(text).toMatch(/404\s+100\s+GET store\.example\.com\/nope\/\{n\}\s+e\.g\. \/nope\/3/);
    expect(text).toContain("Observed vs simulated:");
    await expect(text).toMatchFileSnapshot("./__snapshots__/replay.txt");
  });

  it("prints a what-if", async () => {
    const r = await whatif(world, proposed, trace(), { decide: fakeDecide, seed: 1 });
    const text = renderWhatifText(r);
    expect(text).toMatch(/store\/checkout-v2:8080\s+4\.00%\s+20\.00%\s+\+16\.00%/);
    expect(text).toMatch(/store\/checkout-v1:8080 → store\/checkout-v2:8080: 80\.0 expected\n\s+GET store\.example\.com\/checkout\s+80\.0/);
    await expect(text).toMatchFileSnapshot("./__snapshots__/whatif.txt");
  });
});

describe("renderText width", () => {
  const long = "checkout-version-two-with-a-name-long-enough-to-be-cut-at-eighty-columns";
  const wide: FakeWorld = { "/checkout": { route: route("checkout", 0, "store"), backends: [{ name: "checkout-v1", weight: 1 }, { name: long, weight: 1 }] } };
  const widest = (text: string) => Math.max(...text.split("\n").map((l) => [...l].length));

  it("80 is the default; narrower than the minimum is laid out at the minimum", async () => {
    const r = await replay(world, trace(), { decide: fakeDecide, seed: 1 });
    expect(renderText(r, { width: 80 })).toBe(renderText(r));
    expect(renderText(r, { width: 20 })).toBe(renderText(r, { width: MIN_TEXT_WIDTH }));
    const w = await whatif(world, proposed, trace(), { decide: fakeDecide, seed: 1 });
    expect(renderWhatifText(w, { width: 80 })).toBe(renderWhatifText(w));
  });

  it.each([MIN_TEXT_WIDTH, 80, 120])("a long backend name is cut to %i columns, and whole when it fits", async (width) => {
    const r = await replay(wide, trace().map((t) => ({ ...t, path: "/checkout" })), { decide: fakeDecide, seed: 1 });
    const text = renderText(r, { width });
    expect(widest(text)).toBeLessThanOrEqual(width);
    if (width >= 120) expect(text).toContain(`store/${long}:8080`);
    else expect(text).not.toContain(long);
    const w = renderWhatifText(await whatif(world, wide, trace(), { decide: fakeDecide, seed: 1 }), { width });
    expect(widest(w)).toBeLessThanOrEqual(width);
  });
});

describe("renderJson", () => {
  it("carries the CONTRACT fields", async () => {
    const r = await replay(world, trace(), { decide: fakeDecide, seed: 1 });
    const json = JSON.parse(renderJson(r));
    expect(json.requests).toBe(500);
    for (const b of json.backends) {
      expect(Object.keys(b)).toEqual(expect.arrayContaining(["namespace", "name", "port", "count", "share", "expectedShare", "ci95"]));
    }
    expect(json.routes[0]).toEqual(expect.objectContaining({ kind: "HTTPRoute", namespace: "store", name: "checkout", rule: 1, count: 200 }));
    expect(json.statuses).toEqual({ "404": 100 });
    expect(renderJson(r).endsWith("}\n")).toBe(true);
  });
});

describe("table", () => {
  it("pads columns and right-aligns numbers", () => {
    expect(table([["a", "1"], ["bbb", "22"]], ["l", "r"], "")).toBe("a     1\nbbb  22");
  });
});
