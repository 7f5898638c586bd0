import { createReadStream, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readTrace, type ReadTraceOptions } from "../trace/index.js";
import { replayParallel, replayTraceFile } from "./parallel.js";
import { replay } from "./replay.js";
import { decide as fakeDecide, route, worldObjects, type FakeWorld } from "./__tests__/fake-core.js";
import type { SplitMode, TraceRecord } from "./types.js";

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

describe("replayParallel: workers read a trace file by chunks", () => {
  const dir = mkdtempSync(join(tmpdir(), "gwsim-par-chunks-"));
  let files = 0;
  const write = (data: string | Uint8Array, ext = "jsonl"): string => {
    const file = join(dir, `t${files++}.${ext}`);
    writeFileSync(file, data);
    return file;
  };
  /** What one thread gives: replay over readTrace, and readTrace's stats. */
  const reference = async (file: string, options: { seed: number; split?: SplitMode }, traceOptions: ReadTraceOptions = {}) => {
    const reader = readTrace(createReadStream(file), { file, ...traceOptions });
    const report = await replay(world, reader, { ...options, decide: fakeDecide });
    return { report, stats: reader.stats };
  };
  const objects = worldObjects(world);

  /** JSON Lines from trace(): blank, whitespace, bad and CRLF lines, multi-byte UTF-8, a BOM, no final newline. */
  function messyJsonl(n: number): string {
    const out: string[] = [];
    let i = 0;
    for (const r of trace(n)) {
      const rec = i % 9 === 4 ? { ...r, headers: { "x-note": "é日😀".repeat(i % 5) } } : r;
      out.push(JSON.stringify(rec) + (i % 4 === 1 ? "\r" : ""));
      if (i % 37 === 5) out.push("");
      if (i % 41 === 7) out.push(" \t ");
      if (i % 53 === 11) out.push(`{"path": "/c/ünfinished ${"ß".repeat(i % 30)}`);
      if (i % 97 === 13) out.push('{"path": 7}');
      i++;
    }
    return `\ufeff${out.join("\n")}`;
  }

  it("the same report and stats for 1 to 4 workers and any chunk size, as one thread over readTrace", async () => {
    const file = write(messyJsonl(3000));
    for (const split of ["random", "hash:user"] as const) {
      const expected = await reference(file, { seed: 5, split });
      expect(expected.stats.bad).toBeGreaterThan(5);
      for (const workers of split === "random" ? [1, 2, 3, 4] : [3])
        for (const chunkBytes of split === "random" ? [1024, 4093, 100_000] : [1024]) {
          const got = await replayTraceFile(objects, file, { seed: 5, split, workers, chunkBytes, coreModule: fakeCore, startTogether: true });
          expect(got, `workers ${workers}, chunks of ${chunkBytes}`).toEqual(expected);
        }
    }
  }, 120_000);

  it("threads joining while this thread has started (the default) give the same result", async () => {
    const file = write(messyJsonl(40_000));
    const expected = await reference(file, { seed: 8 });
    for (const workers of [2, 3]) expect(await replayTraceFile(objects, file, { seed: 8, workers, chunkBytes: 16_384, coreModule: fakeCore })).toEqual(expected);
  }, 60_000);

  it("with the real core: the example world over a synthetic trace, 2 and 3 workers as one thread", async () => {
    const { buildWorld, parseManifests } = await import("@gwsim/core");
    const { readdirSync, readFileSync } = await import("node:fs");
    const { parseSynthProfile } = await import("../synth/profile.js");
    const { synthesize } = await import("../synth/synthesize.js");
    const worldDir = new URL("../../../examples/world/", import.meta.url);
    const manifests = readdirSync(worldDir).filter((f) => f.endsWith(".yaml")).sort()
      .flatMap((f) => parseManifests(readFileSync(new URL(f, worldDir), "utf8"), { file: f }).objects);
    const profile = parseSynthProfile(readFileSync(new URL("../../../examples/profiles/store.yaml", import.meta.url), "utf8"));
    if (!profile.ok) throw new Error(JSON.stringify(profile.diagnostics));
    const lines = [...synthesize(profile.profile, { count: 6000, seed: 4 })].map((r) => JSON.stringify(r));
    lines.splice(100, 0, "{broken", "");
    const file = write(`${lines.join("\n")}\n`);
    const reader = readTrace(createReadStream(file), { file });
    const expected = { report: await replay(buildWorld(manifests), reader, { seed: 6, split: "cookie" }), stats: reader.stats };
    for (const workers of [2, 3])
      expect(await replayTraceFile(manifests, file, { seed: 6, split: "cookie", workers, chunkBytes: 8192, startTogether: true })).toEqual(expected);
  }, 60_000);

  it("a lane that cannot load its core module fails the replay", async () => {
    const file = write(messyJsonl(100));
    await expect(
      replayTraceFile(objects, file, { workers: 2, chunkBytes: 1024, coreModule: new URL("./testing/missing.ts", import.meta.url).href }),
    ).rejects.toThrow(/missing/);
  });

  it("nginx and envoy logs, with defaults applied in the workers", async () => {
    const nginx = [...trace(800)].map((r, i) =>
      i % 50 === 3 ? "garbage line" : `192.0.2.${i % 200} - - [26/Nov/2026:10:00:${String(i % 60).padStart(2, "0")} +0000] "GET ${r.path} HTTP/1.1" 200 612 "-" "agent/${i % 3}"`,
    );
    const envoy = [...trace(800)].map((r, i) =>
      i % 61 === 2 ? "[broken" : `[2026-11-26T10:00:00.${String(i % 1000).padStart(3, "0")}Z] "GET ${r.path} HTTP/1.1" 200 - 0 512 12 10 "203.0.113.${i % 9}" "curl/8" "id-${i}" "shop.test" "10.244.1.17:8080"`,
    );
    for (const [lines, ext] of [[nginx, "log"], [envoy, "log"]] as const) {
      const file = write(`${lines.join("\n")}\n`, ext);
      const traceOptions: ReadTraceOptions = { host: "shop.test", gateway: "ns/gw" };
      const expected = await reference(file, { seed: 9 }, traceOptions);
      expect(expected.report.requests).toBeGreaterThan(700);
      expect(expected.stats.bad).toBeGreaterThan(5);
      for (const workers of [2, 3]) {
        const got = await replayTraceFile(objects, file, { seed: 9, workers, chunkBytes: 1024, coreModule: fakeCore, traceOptions, startTogether: true });
        expect(got).toEqual(expected);
      }
    }
  }, 60_000);

  it("empty files, files of only bad lines, lines longer than a chunk", async () => {
    const long = JSON.stringify({ gateway: "ns/gw", host: "shop.test", path: `/c/${"é".repeat(3000)}` });
    const cases = ["", "\ufeff", "{bad\nnope\n\n[]", `${long}\n{"path":"/m/1"}\n${long}`, "\n\n\n"];
    for (const text of cases) {
      const file = write(text);
      const expected = await reference(file, { seed: 1 }, { format: "jsonl" });
      for (const workers of [2, 3]) {
        const got = await replayTraceFile(objects, file, { seed: 1, workers, chunkBytes: 1000, coreModule: fakeCore, traceOptions: { format: "jsonl" }, startTogether: true });
        expect(got, JSON.stringify(text.slice(0, 20))).toEqual(expected);
      }
    }
  }, 60_000);

  it("reports progress, and the bad-line warning of a path trace", async () => {
    const file = write(messyJsonl(5000));
    const seen: number[] = [];
    const r = await replayParallel(objects, file, { seed: 2, workers: 2, chunkBytes: 2048, coreModule: fakeCore, progressEvery: 1000, onProgress: (n) => seen.push(n), startTogether: true });
    expect(r.requests).toBe(5000);
    expect(seen.at(-1)).toBe(5000);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const { stats } = await reference(file, { seed: 2 });
    const first = stats.badSamples[0]!;
    expect(r.warnings).toContain(`${file}: ${stats.bad} of ${stats.lines} lines could not be read and were skipped (first at line ${first.line}: ${first.reason})`);
  }, 60_000);

  it("wrr is read in one thread, CSV by the main thread: both as one thread does", async () => {
    const file = write(messyJsonl(600));
    const wrr = await replayTraceFile(objects, file, { seed: 1, split: "wrr", workers: 3, chunkBytes: 1024, coreModule: fakeCore });
    const one = await reference(file, { seed: 1, split: "wrr" });
    expect(wrr.stats).toEqual(one.stats);
    expect(wrr.report).toEqual({ ...one.report, warnings: [...one.report.warnings, "split mode wrr is order-dependent: replayed in one thread in trace order (workers ignored)"] });
    const csv = write(`gateway,host,path\n${[...trace(500)].map((r) => `${r.gateway},${r.host},"${r.path}"`).join("\n")}\n`, "csv");
    const fromCsv = await replayTraceFile(objects, csv, { seed: 4, workers: 2, chunkBytes: 1024, coreModule: fakeCore });
    expect(fromCsv).toEqual(await reference(csv, { seed: 4 }));
    expect(fromCsv.stats).toMatchObject({ format: "csv", records: 500 });
  }, 60_000);

  it("property: random traces of good, bad and blank lines, any chunk size, 1 to 3 workers", async () => {
    const line = fc.oneof(
      { weight: 6, arbitrary: fc.record({ path: fc.constantFrom("/c/1", "/c/é", "/h/2", "/m/日本", "/none"), user: fc.constantFrom("a", "b", "c", "ü") }) .map((r) => JSON.stringify({ gateway: "ns/gw", host: "shop.test", ...r })) },
      { weight: 1, arbitrary: fc.constantFrom("", "  ", "{oops", '{"path":1}', "😀", "\r") },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 150, size: "max" }), fc.boolean(), fc.boolean(), fc.integer({ min: 16, max: 1500 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1000 }),
        async (lines, bom, trailingNewline, chunkBytes, workers, seed) => {
          const file = write(`${bom ? "\ufeff" : ""}${lines.join("\n")}${trailingNewline ? "\n" : ""}`);
          const got = await replayTraceFile(objects, file, { seed, workers, chunkBytes, coreModule: fakeCore, traceOptions: { format: "jsonl" }, startTogether: workers !== 2 });
          expect(got).toEqual(await reference(file, { seed }, { format: "jsonl" }));
        },
      ),
      { numRuns: 15, endOnFailure: true }, // shrinking would spawn workers hundreds of times
    );
  }, 120_000);
});
