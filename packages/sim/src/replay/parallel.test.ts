import { describe, expect, it } from "vitest";
import { replayParallel } from "./parallel.js";
import { replay } from "./replay.js";
import { decide as fakeDecide, route, worldObjects, type FakeWorld } from "./__tests__/fake-core.js";
import type { TraceRecord } from "./types.js";

const fakeCore = new URL("./__tests__/fake-core.ts", import.meta.url).href;

const world: FakeWorld = {
  "/c": { route: route("checkout"), backends: [{ name: "v1", weight: 90 }, { name: "v2", weight: 10 }] },
  "/h": { route: route("half"), backends: [{ name: "ok" }, { name: "broken", valid: false }] },
  "/m": {
    route: route("m"),
    backends: [{ name: "main" }],
    mirrors: [{ backend: { group: "", kind: "Service", namespace: "ns", name: "shadow", port: 8080 }, percent: 30 }],
  },
};

function* trace(n: number): Generator<TraceRecord> {
  const paths = ["/c", "/c", "/c", "/h", "/m", "/none"];
  const start = Date.parse("2026-11-26T00:00:00Z");
  for (let i = 0; i < n; i++) {
    yield {
      gateway: "ns/gw",
      host: "shop.test",
      path: `${paths[i % paths.length]}/${i % 17}`,
      time: start + i * 1500,
      ...(i % 4 ? { user: `u${(i * 31) % 500}` } : {}),
      ...(i % 5 === 0 ? { observed: { backend: "ns/v1:8080" } } : {}),
    };
  }
}

describe("replayParallel", () => {
  it("gives the identical report for 1, 2 and 4 workers, and equals the in-process replay", async () => {
    const objects = worldObjects(world);
    for (const split of ["random", "cookie", "hash:user"] as const) {
      const opts = { seed: 11, split, coreModule: fakeCore, batchSize: 700 };
      const one = await replayParallel(objects, trace(10_000), { ...opts, workers: 1 });
      const two = await replayParallel(objects, trace(10_000), { ...opts, workers: 2 });
      const four = await replayParallel(objects, trace(10_000), { ...opts, workers: 4 });
      expect(two).toEqual(one);
      expect(four).toEqual(one);
      expect(one).toEqual(await replay(world, trace(10_000), { seed: 11, split, decide: fakeDecide }));
      expect(one.requests).toBe(10_000);
    }
  }, 60_000);

  it("reads async traces and reports progress", async () => {
    async function* slow(): AsyncGenerator<TraceRecord> {
      for (const r of trace(5000)) yield r;
    }
    const seen: number[] = [];
    const r = await replayParallel(worldObjects(world), slow(), {
      seed: 2,
      workers: 2,
      coreModule: fakeCore,
      batchSize: 500,
      progressEvery: 1000,
      onProgress: (n) => seen.push(n),
    });
    expect(r.requests).toBe(5000);
    expect(seen.at(-1)).toBe(5000);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("wrr is replayed in order in one thread, and says so", async () => {
    const r = await replayParallel(worldObjects(world), trace(3000), { seed: 1, split: "wrr", workers: 4, coreModule: fakeCore });
    expect(r.warnings).toContain("split mode wrr is order-dependent: replayed in one thread in trace order (workers ignored)");
    const v2 = r.backends.find((b) => b.name === "v2")!;
    expect(v2.count).toBe(150); // 1500 requests to /c, exactly 10% in round robin
  });

  it("a worker that cannot load its core module fails the replay with the reason", async () => {
    await expect(
      replayParallel(worldObjects(world), trace(10), { workers: 2, coreModule: new URL("./testing/missing.ts", import.meta.url).href }),
    ).rejects.toThrow(/failed to start/);
  });
});

describe("replayParallel from a file", () => {
  it("reads a JSON Lines trace by path, skips bad lines and says so", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "gwsim-replay-"));
    const file = join(dir, "trace.jsonl");
    const lines = [...trace(3000)].map((r) => JSON.stringify(r));
    lines.splice(10, 0, "{not json");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const opts = { seed: 3, coreModule: fakeCore, batchSize: 400 };
    const one = await replayParallel(worldObjects(world), file, { ...opts, workers: 1 });
    const two = await replayParallel(worldObjects(world), file, { ...opts, workers: 2 });
    expect(one.requests).toBe(3000);
    expect(two).toEqual(one);
    expect(one.warnings.some((w) => w.includes("1 of 3001 lines could not be read") && w.includes("line 11"))).toBe(true);
    expect(one).toEqual({ ...(await replay(world, trace(3000), { seed: 3, decide: fakeDecide })), warnings: one.warnings });
  }, 60_000);
});
