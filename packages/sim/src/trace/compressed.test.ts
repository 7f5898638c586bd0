import { afterAll, describe, expect, it } from "vitest";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { compressionOf, decompressed } from "./compressed.js";
import { isChunkable } from "./chunks.js";
import { readTrace } from "./index.js";
import type { ReadTraceOptions, TraceRecord, TraceStats } from "./types.js";

async function read(chunks: (string | Uint8Array)[]): Promise<{ text: string; problems: string[] }> {
  const problems: string[] = [];
  const parts: Buffer[] = [];
  async function* input() {
    for (const c of chunks) yield c;
  }
  for await (const c of decompressed(input(), (p) => problems.push(p))) parts.push(typeof c === "string" ? Buffer.from(c) : Buffer.from(c));
  return { text: Buffer.concat(parts).toString("utf8"), problems };
}

/** `bytes` cut into pieces of `size` (the first one short too, below the head's 6 bytes). */
const pieces = (bytes: Uint8Array, size: number): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
};

const LINES = Array.from({ length: 2000 }, (_, i) => `{"host":"h${i}.example.com","path":"/p/${i}"}\n`).join("");

describe("decompressed", () => {
  it.each([1, 3, 7, 4096, 1 << 20])("gzip in pieces of %i bytes reads as the text", async (size) => {
    const { text, problems } = await read(pieces(gzipSync(LINES), size));
    expect(problems).toEqual([]);
    expect(text).toBe(LINES);
  });

  it("concatenated gzip members (cat a.gz b.gz) read one after the other", async () => {
    const { text } = await read([gzipSync("one\n"), gzipSync("two\n")]);
    expect(text).toBe("one\ntwo\n");
  });

  it("plain bytes and strings pass through unchanged, even shorter than the head", async () => {
    expect((await read([Buffer.from("a"), Buffer.from("bc\n"), Buffer.from("d")])).text).toBe("abc\nd");
    expect((await read(["{\"a\":1}\n", "x"])).text).toBe('{"a":1}\nx');
    expect((await read([])).text).toBe("");
    expect((await read([Buffer.from([0x1f])])).text).toBe("\x1f");
  });

  it("a cut-off gzip keeps what came before and says where it ended", async () => {
    const gz = gzipSync(LINES);
    const { text, problems } = await read(pieces(gz.subarray(0, Math.floor(gz.length / 2)), 1000));
    expect(LINES.startsWith(text)).toBe(true);
    expect(text.length).toBeGreaterThan(0);
    expect(problems).toEqual([`the gzip data ends early (a file cut off, or still being written) after ${Buffer.byteLength(text)} decompressed bytes; what came before was read`]);
  });

  it("corrupt gzip data is a problem, not a throw", async () => {
    const gz = Buffer.from(gzipSync(LINES));
    for (let i = 20; i < 60; i++) gz[i] = 0xff ^ gz[i]!;
    const { problems } = await read([gz]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^the gzip data is corrupt \(.+\) after \d+ decompressed bytes; what came before was read$/);
  });

  it.each([
    ["zstd", [0x28, 0xb5, 0x2f, 0xfd, 0, 0], "zstd -dc"],
    ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xz -dc"],
    ["bzip2", [0x42, 0x5a, 0x68, 0x39, 0x31, 0x41], "bzip2 -dc"],
    ["zip", [0x50, 0x4b, 0x03, 0x04, 0x14, 0], "unzip -p"],
  ])("%s is named with the command that decompresses it, and nothing is read", async (name, magic, command) => {
    const { text, problems } = await read([Uint8Array.from(magic), Buffer.from("more")]);
    expect(text).toBe("");
    expect(problems).toEqual([`the trace is ${name}-compressed, and gwsim reads gzip only: decompress it first (${command} FILE | gwsim ... --trace -)`]);
  });

  it("an input error is the input's: it still rejects", async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gzipSync(LINES).subarray(0, 100);
      throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
    }
    await expect(async () => {
      for await (const _ of decompressed(failing(), () => {})) void _;
    }).rejects.toThrow("EIO");
  });
});

describe("compressionOf", () => {
  it.each([
    [[0x1f, 0x8b, 8], "gzip"],
    [[0x7b, 0x22], null], // {"
    [[0x1f], null],
    [[0x42, 0x5a], null], // BZ without h: not bzip2
  ])("%j → %s", (bytes, want) => expect(compressionOf(Uint8Array.from(bytes))).toBe(want));
});

describe("readTrace on compressed traces", () => {
  const dir = mkdtempSync(join(tmpdir(), "gwsim-gz-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Uint8Array | string): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const readAll = async (path: string, options: ReadTraceOptions = {}): Promise<{ records: TraceRecord[]; stats: TraceStats }> => {
    const reader = readTrace(createReadStream(path), { file: path, ...options });
    const records: TraceRecord[] = [];
    for await (const r of reader) records.push(r);
    return { records, stats: reader.stats };
  };
  const COMBINED = [
    '203.0.113.7 - - [26/Nov/2026:10:00:00 +0000] "GET /catalog/a HTTP/1.1" 200 12 "-" "curl/8"',
    '203.0.113.8 - - [26/Nov/2026:10:00:01 +0000] "POST /checkout HTTP/1.1" 201 3 "-" "curl/8"',
  ].join("\n");

  it("a gzipped JSONL or nginx log reads as the plain file does, format detected inside", async () => {
    for (const [name, text, options] of [
      ["t.jsonl", LINES, {}],
      ["access.log", COMBINED, { host: "store.example.com" }],
    ] as const) {
      const plain = await readAll(write(name, text), options);
      const gz = await readAll(write(`${name}.gz`, gzipSync(text)), options);
      expect(gz.records).toEqual(plain.records);
      expect(gz.stats).toEqual({ ...plain.stats, file: plain.stats.file + ".gz" });
      expect(gz.records.length).toBeGreaterThan(1);
    }
  });

  it("a cut-off gzip: the lines before are read, and one bad line says where it stopped", async () => {
    const gz = gzipSync(LINES);
    const { records, stats } = await readAll(write("cut.jsonl.gz", gz.subarray(0, Math.floor(gz.length * 0.6))));
    expect(records.length).toBeGreaterThan(100);
    expect(records.length).toBeLessThan(2000);
    expect(stats.bad).toBeGreaterThanOrEqual(1);
    // The cut-off last line is bad too, under the same number.
    const gzip = stats.badSamples.find((b) => b.reason.startsWith("the gzip data ends early"));
    expect(gzip?.line).toBe(records.length + 1);
  });

  it("zstd is named, and nothing is read", async () => {
    const { records, stats } = await readAll(write("t.jsonl.zst", Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4])));
    expect(records).toEqual([]);
    expect(stats.bad).toBe(1);
    expect(stats.badSamples[0]!.reason).toContain("zstd-compressed");
  });

  it("is not split into byte ranges for workers", () => {
    expect(isChunkable("jsonl", write("c.jsonl.gz", gzipSync(LINES)))).toBe(false);
    expect(isChunkable("jsonl", write("c.jsonl", LINES))).toBe(true);
  });
});
