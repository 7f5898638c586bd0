// A timeline bucket coarsened while in use: merging a bucket into one with a shorter counts array
// once left holes, and a later request of a backend whose slot was a hole was lost (`undefined++`).
import { describe, expect, it } from "vitest";
import { buildReport, newEngine, observe } from "./engine.js";
import { engineConfig } from "./replay.js";
import { requestOf } from "./request-class.js";
import { decide, route, type FakeWorld } from "./__tests__/fake-core.js";
import type { TraceRecord } from "./types.js";

const world: FakeWorld = {
  "/a": { route: route("a"), backends: [{ name: "a" }] },
  "/b": { route: route("b"), backends: [{ name: "b" }] },
  "/c": { route: route("c"), backends: [{ name: "c" }] },
};

describe("timeline", () => {
  it("counts every request of a bucket coarsened while in use", () => {
    const config = engineConfig({ seed: 1 });
    const engine = newEngine(config);
    const at = (s: number, path: string): TraceRecord => ({ gateway: "ns/gw", host: "h", path, time: Date.UTC(2026, 10, 26) + s * 1000 });
    // Labels a=0, b=1, c=2 (t=990); t=1401 widens 1 s buckets to 10 s, and 1000 s [1] + 1001 s [0,0,1] → [1, hole, 1].
    const records = [at(990, "/a"), at(990, "/b"), at(990, "/c"), at(1000, "/a"), at(1001, "/c"), at(1401, "/a"), at(1002, "/b")];
    records.forEach((r, index) => observe(engine, index, r, decide(world, requestOf(r), { seed: 1, index })));
    const report = buildReport([engine.state], config);
    const total = report.timeline!.buckets.reduce((n, b) => n + Object.values(b.backends).reduce((x, y) => x + y, 0), 0);
    expect(total).toBe(records.length);
  });
});
