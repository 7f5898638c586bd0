import { describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { compressionOf, decompressed } from "./compressed.js";

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
