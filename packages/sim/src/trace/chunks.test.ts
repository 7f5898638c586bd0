import { createReadStream, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addChunkStats, chunkRanges, DEFAULT_CHUNK_BYTES, isChunkable, readFileByChunks } from "./chunks.js";
import { MAX_INTERLEAVED } from "./docker.js";
import { fixture } from "./fixtures/read-all.js";
import { MAX_LINE_CHARS, OVERLONG_REASON, readTrace, traceFormat } from "./index.js";
import type { ReadTraceOptions, TraceRecord, TraceStats } from "./types.js";

const dir = mkdtempSync(join(tmpdir(), "gwsim-chunks-"));
let files = 0;
function write(data: string | Uint8Array, ext = "jsonl"): string {
  const path = join(dir, `t${files++}.${ext}`);
  writeFileSync(path, data);
  return path;
}

async function viaReadTrace(path: string, options: ReadTraceOptions): Promise<{ records: TraceRecord[]; stats: TraceStats }> {
  const reader = readTrace(createReadStream(path), options);
  const records: TraceRecord[] = [];
  for await (const r of reader) records.push(r);
  return { records, stats: reader.stats };
}

async function viaChunks(path: string, options: ReadTraceOptions, chunkBytes: number) {
  const format = await traceFormat(createReadStream(path), options);
  return readFileByChunks(path, statSync(path).size, format, options, chunkBytes);
}

/** Chunk sizes from one byte (every line crosses chunks) to more than the file. */
const SIZES = [1, 2, 3, 5, 17, 100, 1024, DEFAULT_CHUNK_BYTES];

async function expectSameAsReadTrace(path: string, options: ReadTraceOptions = {}, sizes = SIZES): Promise<TraceStats> {
  const expected = await viaReadTrace(path, options);
  for (const size of sizes) expect(await viaChunks(path, options, size), `chunks of ${size} bytes`).toEqual(expected);
  return expected.stats;
}

describe("chunkRanges", () => {
  it("covers the file with consecutive ranges of the size asked", () => {
    expect(chunkRanges(0, 4)).toEqual([]);
    expect(chunkRanges(10, 4)).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(chunkRanges(8, 4)).toEqual([[0, 4], [4, 8]]);
  });
});

describe("addChunkStats", () => {
  it("renumbers samples to file lines and keeps the first five in line order", () => {
    const total: TraceStats = { format: "jsonl", lines: 0, records: 0, bad: 0, badSamples: [] };
    const sample = (line: number) => ({ line, text: `t${line}`, reason: "r" });
    addChunkStats(total, { lines: 10, records: 6, bad: 4, badSamples: [1, 2, 3, 4].map(sample) });
    addChunkStats(total, { lines: 5, records: 3, bad: 2, badSamples: [2, 5].map(sample) });
    expect(total.badSamples.map((s) => s.line)).toEqual([1, 2, 3, 4, 12]);
    expect(total.badSamples[4]!.text).toBe("t2");
    expect(total).toMatchObject({ lines: 15, records: 9, bad: 6 });
  });
});

describe("reading a file by chunks gives readTrace's records and stats", () => {
  it("JSON Lines with a BOM, CRLF, blank and bad lines, multi-byte UTF-8 and no final newline", async () => {
    const stats = await expectSameAsReadTrace(fixture("chunks-mixed.jsonl").pathname, { file: "mixed.jsonl", host: "default.example" });
    expect(stats.bad).toBeGreaterThan(5);
    expect(stats.records).toBe(40);
  });

  it("nginx, envoy and haproxy logs, and the JSON Lines fixture", async () => {
    for (const name of ["combined.log", "envoy.log", "envoy-edge.log", "haproxy.log", "requests.jsonl", "custom-nginx.log", "docker-envoy.log"]) {
      const options: ReadTraceOptions = { host: "h.example", gateway: "ns/gw", port: 8080, scheme: "https" };
      if (name === "custom-nginx.log")
        options.logFormat = `'$remote_addr [$time_iso8601] "$request_method $scheme://$host$request_uri" $status $request_time "$http_x_canary" $upstream_addr $proxy_host rid=$request_id'`;
      const stats = await expectSameAsReadTrace(fixture(name).pathname, options);
      expect(stats.records, name).toBeGreaterThan(0);
    }
  });

  it("a log of many lines across many 1 KiB chunks", async () => {
    for (const name of ["combined.log", "envoy.log"]) {
      const text = readFileSync(fixture(name), "utf8");
      const path = write(Array.from({ length: 60 }, () => text).join(""), "log");
      const stats = await expectSameAsReadTrace(path, {}, [1024, 1000, 333]);
      expect(stats.lines).toBe(text.split("\n").length * 60 - 60);
    }
  });

  it("edge files: empty, only a BOM, two BOMs, only bad lines, only blank lines, CR only, one line without newline", async () => {
    const cases: (string | Uint8Array)[] = [
      "",
      "\ufeff",
      "\ufeff\n",
      "\ufeff\ufeff{\"path\":\"/a\"}\n",
      "\ufeff\ufeff\ufeff{\"path\":\"/a\"}\n",
      "x\ny\nz",
      "\n\n  \n\r\n",
      "\r",
      "{\"path\":\"/only\"}",
      "{\"path\":\"/a\"}\n\n",
      Uint8Array.from([0x7b, 0xff, 0xfe, 0x0a, 0xe2, 0x82, 0x0a, 0xf0, 0x9f, 0x98]), // invalid and cut UTF-8
    ];
    for (const c of cases) await expectSameAsReadTrace(write(c), { format: "jsonl" });
    // Unknown content: every line is reported, identically.
    const stats = await expectSameAsReadTrace(write("what\nis this\n", "txt"));
    expect(stats).toMatchObject({ format: "unknown", lines: 2, bad: 2 });
  });

  it("a UTF-16 file is not chunkable (its line ends are not the byte \\n); chunkReader refuses it", () => {
    const utf16 = write(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"path":"/a"}\n', "utf16le")]));
    const utf8 = write('{"path":"/a"}\n');
    expect(isChunkable("jsonl", utf16)).toBe(false);
    expect(isChunkable("jsonl", utf8)).toBe(true);
    expect(isChunkable("jsonl")).toBe(true);
    expect(() => readFileByChunks(utf16, statSync(utf16).size, "jsonl")).toThrow(/UTF-16/);
  });

  it("lines longer than a chunk are read whole", async () => {
    const long = JSON.stringify({ path: `/${"é".repeat(5000)}`, headers: { "x-big": "日".repeat(3000) } });
    const path = write(`{"path":"/a"}\n${long}\n{"path":"/b"}\r\n${long}`);
    const stats = await expectSameAsReadTrace(path, {}, [1, 100, 4096, 30_000]);
    expect(stats).toMatchObject({ lines: 4, records: 4, bad: 0 });
  });

  it("a line over MAX_LINE_CHARS is reported bad and skipped, as readTrace does", async () => {
    const huge = `{"path":"/${"x".repeat(MAX_LINE_CHARS + 300_000)}"}`;
    const path = write(`{"path":"/a"}\n${huge}\n{"path":"/b"}\n${huge}`);
    const stats = await expectSameAsReadTrace(path, {}, [1 << 20, 5 << 20, 64 << 20]);
    expect(stats).toMatchObject({ lines: 4, records: 2, bad: 2 });
    expect(stats.badSamples.map((s) => s.line)).toEqual([2, 4]);
  }, 60_000);

  it("a line one character over MAX_LINE_CHARS whose newline arrives in the next read is bad in both readers", async () => {
    // 16 MiB is 256 reads of 64 KiB: the line's first MAX_LINE_CHARS characters come without a newline.
    const line = `{"path":"/${"x".repeat(MAX_LINE_CHARS + 1 - 12)}"}`;
    expect(line.length).toBe(MAX_LINE_CHARS + 1);
    const path = write(`${line}\n{"path":"/b"}\n`);
    const stats = await expectSameAsReadTrace(path, {}, [1 << 20, 64 << 20]);
    expect(stats).toMatchObject({ lines: 2, records: 1, bad: 1 });
    expect(stats.badSamples.map((s) => [s.line, s.reason])).toEqual([[1, OVERLONG_REASON]]);
  }, 60_000);
});

describe("property: access log lines of every kind, any chunk size (auto-detected)", () => {
  const envoy = '[2026-11-26T10:00:00.000Z] "GET /a?b=%20 HTTP/1.1" 200 - 0 5 3 2 "198.51.100.7" "say "hi" é" "rid" "a.example" "10.0.0.5:8080"';
  const pool = [
    envoy, `2026-11-26T10:00:00.123456789Z ${envoy}`, `[pod/gw-0/envoy] ${envoy}`,
    '[2026-11-26T10:00:00.000Z] "- - -" 0 - - - "-" 1 2 3 - "-" "-" "-" "-" "10.0.0.7:5432" outbound|5432||db.d.svc.cluster.local a b c - -',
    "[2026-11-26 10:00:00.000][1][info][main] [source/server/server.cc:1] starting",
    '{"start_time":"1795687200.5","method":"GET","x-envoy-origin-path":"/j",":authority":"j.example","response_code":200}',
    '192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "GET /n HTTP/1.1" 200 5 "-" "curl/8"',
    "", "  ", "garbage", '[2026-11-26T10:00:00.000Z] "GET /cut HTTP/1.1" 200 - 0 5 3 2 "-" "x" "r" "a.exa',
  ];
  it("chunked reads equal readTrace's, bad-line numbers included", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...pool).map((l) => Buffer.from(l)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a))) }), { maxLength: 25 }),
        fc.constantFrom("\n", "\r\n"), fc.boolean(), fc.integer({ min: 1, max: 400 }),
        async (lines, eol, trailing, chunkBytes) => {
          const data = Buffer.concat([...lines.flatMap((l, i) => (i ? [Buffer.from(eol), l] : [l])), Buffer.from(trailing ? eol : "")]);
          const path = write(data, "log");
          // Random bytes may open like a HAR ("{" alone): not a line format, not for chunks.
          fc.pre(isChunkable(await traceFormat(createReadStream(path), {})));
          expect(await viaChunks(path, {}, chunkBytes)).toEqual(await viaReadTrace(path, {}));
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe("property: any mix of lines, any chunk size", () => {
  const lineArb = fc.oneof(
    fc.record({ path: fc.constantFrom("/a", "/b/ü", "/日本", "/😀"), user: fc.string({ maxLength: 4 }) }).map((r) => JSON.stringify(r)),
    fc.constantFrom("", " ", "\t", "{bad", '{"path":1}', "[]", "\ufeff", "é", "日本語", "{\"path\":\"/x\"}\r"),
    fc.string({ maxLength: 12 }),
  );
  const bytesArb = fc.uint8Array({ maxLength: 40 }).map((b) => Uint8Array.from(b, (x) => (x % 7 === 0 ? 0x0a : x)));
  it("records and stats equal readTrace's", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 4, arbitrary: lineArb.map((l) => Buffer.from(l)) }, { weight: 1, arbitrary: bytesArb.map((b) => Buffer.from(b)) }), { maxLength: 30 }),
        fc.boolean(),
        fc.constantFrom(0, 1, 2),
        fc.integer({ min: 1, max: 300 }),
        async (lines, trailingNewline, boms, chunkBytes) => {
          const body = Buffer.concat(lines.flatMap((l, i) => (i ? [Buffer.from("\n"), l] : [l])));
          const data = Buffer.concat([Buffer.from("\ufeff".repeat(boms)), body, Buffer.from(trailingNewline ? "\n" : "")]);
          const path = write(data);
          const options: ReadTraceOptions = { format: "jsonl", host: "d.example" };
          expect(await viaChunks(path, options, chunkBytes)).toEqual(await viaReadTrace(path, options));
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});

describe("property: Docker json-file logs, lines split into pieces anywhere, any chunk size", () => {
  const envoyLine = (path: string, agent: string) =>
    `[2026-11-26T10:00:00.000Z] "GET ${path} HTTP/1.1" 200 - 0 5 3 2 "198.51.100.7" "${agent}" "rid" "a.example" "10.0.0.5:8080"`;
  /** A line's json-file entries: cut at `cuts` (every piece but the last without its newline). */
  const entries = (line: string, stream: string, cuts: number[]): string[] => {
    const full = `${line}\n`;
    const at = [...new Set(cuts.map((c) => c % full.length).filter((c) => c > 0))].sort((a, b) => a - b);
    return [0, ...at].map((c, i) => JSON.stringify({ log: full.slice(c, at[i] ?? full.length), stream, time: "2026-11-26T10:00:00.1Z" }));
  };
  const stdoutArb = fc.tuple(fc.string({ maxLength: 40 }), fc.array(fc.nat(), { maxLength: 4 }))
    .map(([agent, cuts]) => entries(envoyLine("/d", agent.replace(/[\r\n]/g, "")), "stdout", cuts));
  const stderrArb = fc.oneof(
    fc.array(fc.nat(), { maxLength: 3 }).map((cuts) => entries("[2026-11-26 10:00:00.000][1][info][main] starting", "stderr", cuts)),
    fc.array(fc.nat(), { maxLength: 2 }).map((cuts) => entries(envoyLine("/e", "on stderr"), "stderr", cuts)),
    // A burst longer than a split line may wait through.
    fc.constant(Array.from({ length: MAX_INTERLEAVED + 2 }, () => JSON.stringify({ log: "burst\n", stream: "stderr", time: "t" }))),
  );
  // Lines that end every split one: text, blank, a cut-off entry, UTF-8.
  const plainArb = fc.constantFrom("garbage", "", '{"log":"cut', "é日");
  it("chunked reads equal readTrace's (records, counts, bad-line numbers), the streams' pieces interleaved", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stdoutArb, { maxLength: 8 }), fc.array(stderrArb, { maxLength: 6 }), fc.array(fc.nat({ max: 2 }), { maxLength: 80 }),
        fc.array(fc.tuple(fc.nat(), plainArb), { maxLength: 3 }),
        fc.constantFrom("\n", "\r\n"), fc.boolean(), fc.integer({ min: 1, max: 600 }), fc.boolean(),
        async (outs, errs, picks, plains, eol, trailing, chunkBytes, bom) => {
          // Each stream's pieces in order, merged as Docker's two copiers write them.
          const a = outs.flat();
          const b = errs.flat();
          const lines: string[] = [];
          let i = 0;
          let j = 0;
          for (const pick of picks) {
            if (pick === 0 && i < a.length) lines.push(a[i++]!);
            else if (pick === 1 && j < b.length) lines.push(b[j++]!);
          }
          lines.push(...a.slice(i), ...b.slice(j));
          for (const [at, text] of plains) lines.splice(at % (lines.length + 1), 0, text);
          fc.pre(lines.length > 0);
          const data = `${bom ? "\ufeff" : ""}${lines.join(eol)}${trailing ? eol : ""}`;
          const path = write(data, "log");
          for (const options of [{}, { format: "envoy" as const }]) {
            const expected = await viaReadTrace(path, options);
            expect(await viaChunks(path, options, chunkBytes)).toEqual(expected);
          }
        },
      ),
      { numRuns: 250 },
    );
  }, 120_000);

  it("a line split into pieces that span several chunks is read once, by the chunk it starts in", async () => {
    const long = envoyLine("/long", `a${"b".repeat(3000)}"q"`);
    const lines = [...entries(envoyLine("/a", "x"), "stdout", []), ...entries(long, "stdout", [700, 1400, 2100]), ...entries(envoyLine("/b", "y"), "stdout", [])];
    const path = write(`${lines.join("\n")}\n`, "log");
    const stats = await expectSameAsReadTrace(path, {}, [1, 7, 100, 500, 1000, 2000, 5000]);
    expect(stats).toMatchObject({ format: "envoy", lines: 6, records: 3, bad: 0 });
  });
});
