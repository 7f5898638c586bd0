import { existsSync, readdirSync, readFileSync, createReadStream } from "node:fs";
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixture, readAll } from "./fixtures/read-all.js";
import { MAX_LINE_CHARS, readTrace, traceBatches } from "./index.js";
import type { TraceFormat } from "./types.js";

const enc = new TextEncoder();

describe("readTrace: streaming", () => {
  it("decodes UTF-8 and a BOM split across byte chunks, and CRLF line ends", async () => {
    const bytes = enc.encode('\uFEFF{"path":"/café","user":"zoë"}\r\n{"path":"/b"}\r\n');
    const chunks = [...bytes].map((b) => new Uint8Array([b]));
    const { records, stats } = await readAll(chunks);
    expect(records).toEqual([{ path: "/café", user: "zoë" }, { path: "/b" }]);
    expect(stats).toMatchObject({ format: "jsonl", lines: 2, records: 2, bad: 0 });
  });

  it.each([
    ["utf-16le", (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, "utf16le")])],
    ["utf-16be", (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, "utf16le").swap16()])],
  ])("reads a %s trace with its BOM (PowerShell 5 writes `kubectl logs > f` so), in whole or one byte at a time", async (_name, encode) => {
    const text = '[2026-11-26T10:00:00.000Z] "GET /caf\u00e9 HTTP/1.1" 200 - 0 1 1 1 "-" "z\u00f6\u65e5" "-" "a.example" "-"\r\n' +
      '[2026-11-26T10:00:01.000Z] "GET /b HTTP/1.1" 200 - 0 1 1 1 "-" "-" "-" "a.example" "-"\r\n';
    const bytes = encode(text);
    for (const chunks of [[bytes], [...bytes].map((b) => Uint8Array.of(b))]) {
      const { records, stats } = await readAll(chunks);
      expect(stats).toMatchObject({ format: "envoy", lines: 2, records: 2, bad: 0 });
      expect(records.map((r) => [r.path, r.headers?.["user-agent"]])).toEqual([["/caf\u00e9", "z\u00f6\u65e5"], ["/b", undefined]]);
    }
  });

  it("UTF-8 that opens with bytes FF FE not followed by an ASCII UTF-16 character stays UTF-8", async () => {
    const { stats } = await readAll([Uint8Array.from([0xff, 0xfe, 0x0a, 0x7b, 0x7d, 0x0a])], { format: "jsonl" });
    expect(stats).toMatchObject({ lines: 2, records: 1, bad: 1 });
  });

  it("reads a Node Readable of Buffers", async () => {
    const reader = readTrace(Readable.from([Buffer.from('{"path":"/a"}\n{"pa'), Buffer.from('th":"/b"}\n')]));
    const paths: (string | undefined)[] = [];
    for await (const r of reader) paths.push(r.path);
    expect(paths).toEqual(["/a", "/b"]);
  });

  it("yields each record as its line arrives, before the input ends (explicit format)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow() {
      yield '{"path":"/first"}\n';
      await gate;
      yield '{"path":"/second"}\n';
    }
    const reader = readTrace(slow(), { format: "jsonl" });
    const it = reader[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual({ path: "/first" });
    expect(reader.stats).toMatchObject({ lines: 1, records: 1 });
    release();
    expect((await it.next()).value).toEqual({ path: "/second" });
    expect((await it.next()).done).toBe(true);
    expect(reader.stats).toMatchObject({ lines: 2, records: 2 });
  });

  it("fills defaults only where a record has none", async () => {
    const text = ['{"path":"/a"}', '{"service":"ns/svc","host":"h.example","port":8080,"scheme":"https"}'].join("\n");
    const { records } = await readAll(text, { gateway: "infra/gw", host: "d.example", port: 80, scheme: "http" });
    expect(records).toEqual([
      { path: "/a", gateway: "infra/gw", host: "d.example", port: 80, scheme: "http" },
      { service: "ns/svc", host: "h.example", port: 8080, scheme: "https" },
    ]);
    const bad = await readAll('{"path":"/a"}', { scheme: "gopher" });
    expect(bad.records).toEqual([{ path: "/a" }]);
  });

  it("keeps only the first 5 bad samples but counts every bad line", async () => {
    const text = Array.from({ length: 8 }, (_, i) => `bad ${i}`).join("\n");
    const { stats } = await readAll(text, { format: "jsonl" });
    expect(stats.bad).toBe(8);
    expect(stats.badSamples.map((b) => [b.line, b.text])).toEqual([[1, "bad 0"], [2, "bad 1"], [3, "bad 2"], [4, "bad 3"], [5, "bad 4"]]);
  });

  it("a line longer than the limit is reported once and skipped; the next line is read", async () => {
    async function* huge() {
      const block = "x".repeat(1 << 20);
      for (let i = 0; i * block.length <= MAX_LINE_CHARS; i++) yield block;
      yield '\n{"path":"/after"}\n';
    }
    const reader = readTrace(huge(), { format: "jsonl" });
    const records = [];
    for await (const r of reader) records.push(r);
    expect(records).toEqual([{ path: "/after" }]);
    expect(reader.stats).toMatchObject({ lines: 2, records: 1, bad: 1 });
    expect(reader.stats.badSamples[0]!.line).toBe(1);
    expect(reader.stats.badSamples[0]!.reason).toBe(`line longer than ${MAX_LINE_CHARS} characters`);
    expect(reader.stats.badSamples[0]!.text.length).toBe(2001); // cut, with an ellipsis
  });

  it("can be iterated only once (a stream is consumed)", async () => {
    const reader = readTrace((async function* () { yield "{}"; })());
    for await (const _ of reader) void _;
    expect(() => reader[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  it("reading 200k generated jsonl lines keeps the heap bounded (records are not retained)", async () => {
    const lines = 200_000;
    const pad = "p".repeat(800); // ~900 bytes a line: ~180 MB of text in all
    async function* generate() {
      for (let i = 0; i < lines; i += 1000) {
        let chunk = "";
        for (let j = i; j < i + 1000; j++) chunk += `{"gateway":"ns/gw","path":"/r/${j}","headers":{"x-pad":"${pad}"}}\n`;
        yield chunk;
      }
    }
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let count = 0;
    for await (const r of readTrace(generate())) {
      if (r.path === `/r/${count}`) count++;
      if (count % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(count).toBe(lines);
    // Holding the records takes ~170 MB of heap; streaming peaks near 40 MB (young-generation garbage).
    expect(peak - before).toBeLessThan(96 * 1024 * 1024);
  });
});

describe("chunking does not change what is read (property)", () => {
  const fixtures: [string, { logFormat?: string }][] = [
    ["requests.jsonl", {}], ["envoy.log", {}], ["combined.log", {}], ["haproxy.log", {}], ["h2-bom.har", {}],
    ["truncated.har", {}], ["requests.csv", {}],
    ["custom-nginx.log", { logFormat: '$remote_addr [$time_iso8601] "$request_method $scheme://$host$request_uri" $status $request_time "$http_x_canary" $upstream_addr $proxy_host rid=$request_id' }],
  ];
  it.each(fixtures)("%s split at arbitrary byte offsets reads the same as whole", async (name, options) => {
    const bytes = new Uint8Array(readFileSync(fixture(name)));
    const whole = await readAll([bytes], options);
    expect(whole.stats.records + whole.stats.bad).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = at.slice(1).map((end, i) => bytes.subarray(at[i], end));
        expect(await readAll(chunks, options)).toEqual(whole);
      }),
      { numRuns: 40 },
    );
  });
});

describe("decoding bytes", () => {
  it("reads what a streaming TextDecoder would decode: invalid bytes, BOMs, any chunking", async () => {
    const bom = [0xef, 0xbb, 0xbf];
    const tricky = [0x41, 0x22, 0x7b, 0x7d, 0x0a, 0x80, 0xbf, 0xc0, 0xc2, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0x80, 0xef, 0xbb, 0xbf, 0xf0, 0x9f, 0x98, 0x80, 0xf4, 0xff];
    const piece = fc.oneof(
      fc.constantFrom('{"path":"/a","user":"', '"}\n', "\n", "é", "€", "😀").map((t) => [...enc.encode(t)]),
      fc.array(fc.constantFrom(...tricky), { maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 2 }), fc.array(piece, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 8 }), async (boms, pieces, cuts) => {
        const bytes = new Uint8Array([...Array.from({ length: boms }, () => bom).flat(), ...pieces.flat()]);
        const at = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
        const chunks = at.slice(1).map((end, i) => bytes.subarray(at[i], end));
        // The reference: the whole input through one TextDecoder (which drops a leading BOM), as text.
        const reference = await readAll(new TextDecoder("utf-8").decode(bytes), { format: "jsonl" });
        expect(await readAll(chunks, { format: "jsonl" })).toEqual(reference);
        expect(await readAll(chunks, { format: "jsonl" }, true)).toEqual(reference);
      }),
      { numRuns: 500 },
    );
  });
});

describe("traceBatches: a reader's records a chunk at a time", () => {
  it("gives the records and stats of the record iterator, for every fixture", async () => {
    const files = readdirSync(new URL(".", fixture("x"))).filter((f) => !f.endsWith(".ts")).sort();
    expect(files.length).toBeGreaterThan(5);
    const customNginx = '$remote_addr [$time_iso8601] "$request_method $scheme://$host$request_uri" $status $request_time "$http_x_canary" $upstream_addr $proxy_host rid=$request_id';
    for (const name of files) {
      const options = name === "custom-nginx.log" ? { logFormat: customNginx } : {};
      const records = await readAll(fixture(name), options);
      expect(records.records.length, name).toBeGreaterThan(0);
      expect(await readAll(fixture(name), options, true), name).toEqual(records);
    }
  });

  it("agrees with the record iterator on generated JSONL cut at random bytes, bad lines included", async () => {
    const line = fc.oneof(
      fc.record({ path: fc.constantFrom("/a", "/b/é"), user: fc.constantFrom("u1", "u2") }).map((r) => JSON.stringify(r)),
      fc.constantFrom("", "   ", "not json", '{"port":0}', "[]"),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), async (lines, cuts, crlf) => {
        const bytes = enc.encode(lines.join(crlf ? "\r\n" : "\n"));
        const at = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
        const chunks = at.slice(1).map((end, i) => bytes.subarray(at[i], end));
        expect(await readAll(chunks, { format: "jsonl" }, true)).toEqual(await readAll(chunks, { format: "jsonl" }));
      }),
      { numRuns: 100 },
    );
  });

  it("is null for other iterables, and a reader is still read only once", async () => {
    expect(traceBatches([{ path: "/" }])).toBeNull();
    expect(traceBatches(null)).toBeNull();
    const reader = readTrace((async function* () { yield '{"path":"/a"}\n'; })());
    const batches = traceBatches(reader)!;
    expect(() => reader[Symbol.asyncIterator]()).toThrow(/only once/);
    const got = [];
    for await (const b of batches) got.push(b);
    expect(got).toEqual([[{ path: "/a" }]]);
  });
});

describe("readTrace never throws on bad data (property)", () => {
  const seeds = [
    '{"gateway":"ns/gw","path":"/a","headers":{"x":"1"}}',
    '[2026-11-26T10:00:00.000Z] "GET /a HTTP/1.1" 200 - 0 1 1 1 "-" "ua" "r" "a.example" "10.0.0.1:80"',
    '{"start_time":"2026-11-26T10:00:00Z","method":"GET","x-envoy-origin-path":"/","response_code":200}',
    '192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "ua \\"q\\""',
    '192.0.2.1:1 [26/Nov/2026:10:00:00.000] fe be/s 0/0/0/1/1 200 1 - - ---- 1/1/0/0/0 0/0 {h.example} "GET / HTTP/1.1"',
    "time,method,host,path\n1,GET,a,\"/x\"\"y\"",
    '{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/"}}]}}',
  ];
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(), fc.string({ unit: "binary", maxLength: 8 }))
    .map(([s, a, b, ins]) => s.slice(0, a % (s.length + 1)) + ins + s.slice(Math.min(s.length, (a % (s.length + 1)) + (b % 6))));
  const line = fc.oneof(fc.string({ unit: "binary", maxLength: 120 }), mutated);
  const formats: (TraceFormat | "auto")[] = ["auto", "jsonl", "envoy", "nginx", "har", "csv", "haproxy"];

  it("for every format, arbitrary and mutated lines are counted, never thrown, never an internal error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...formats), fc.array(line, { maxLength: 12 }), async (format, lines) => {
        const text = lines.join("\n");
        const { records, stats } = await readAll(text, { format, logFormat: format === "nginx" && lines.length % 2 ? '$remote_addr "$request" $status' : undefined });
        expect(stats.records).toBe(records.length);
        expect(stats.badSamples.every((b) => !b.reason.startsWith("internal error"))).toBe(true);
        if (format !== "har") expect(stats.records + stats.bad).toBeLessThanOrEqual(Math.max(1, text.split("\n").length));
      }),
    );
  });
});

// The recorded traces in ../shared/traces (SOURCE.md) live outside the repository: the suite must pass
// without them, so this block runs only where that directory exists.
const repoRoot = new URL("../../../../", import.meta.url);
const sharedTraces = new URL("../shared/traces/", repoRoot);
const haveShared = existsSync(sharedTraces);

describe("recorded traces in ../shared/traces", () => {
  it.skipIf(!haveShared)("every file is read with the counts SOURCE.md gives", async () => {
    const read = async (name: string) => {
      const reader = readTrace(createReadStream(new URL(name, sharedTraces)), { file: name, host: "semicomplete.com", gateway: "default/gw" });
      const records = [];
      for await (const r of reader) records.push(r);
      return { records, stats: reader.stats };
    };
    // Every file there is a trace some format must read (a file added later included).
    const files = readdirSync(sharedTraces).filter((f) => f !== "SOURCE.md").sort();
    expect(files).toEqual(expect.arrayContaining([
      "apache-combined.elastic-examples.log", "chrome.mitmproxy-fixture.har", "firefox.mitmproxy-fixture.har", "haproxy-httplog.beats-fixture.log",
    ]));
    for (const file of files) {
      const { stats } = await read(file);
      expect(stats.format, file).not.toBe("unknown");
      expect(stats.records, file).toBeGreaterThan(stats.bad);
    }

    // 10,000 lines; the one truncated line (no closing quote on its User-Agent) is counted bad: a cut
    // line is not read as a shorter layout, so its request is not guessed at.
    const apache = await read("apache-combined.elastic-examples.log");
    expect(apache.stats).toMatchObject({ format: "nginx", lines: 10_000, records: 9_999, bad: 1 });
    expect(apache.stats.badSamples[0]!.line).toBe(8899);
    expect(apache.stats.badSamples[0]!.text).toMatch(/^46\.118\.127\.106 .*\[20\/May\/2015:12:05:17 \+0000\]/);
    const methods: Record<string, number> = {};
    for (const r of apache.records) methods[r.method!] = (methods[r.method!] ?? 0) + 1;
    // SOURCE.md's method and status counts sum to 9,999: they too leave the truncated line out.
    expect(methods).toEqual({ GET: 9_951, HEAD: 42, POST: 5, OPTIONS: 1 });
    const statuses: Record<number, number> = {};
    for (const r of apache.records) statuses[r.observed!.status!] = (statuses[r.observed!.status!] ?? 0) + 1;
    expect(statuses).toEqual({ 200: 9_125, 304: 445, 404: 213, 301: 164, 206: 45, 500: 3, 403: 2, 416: 2 });
    expect(apache.records.filter((r) => r.path!.includes("?")).length).toBeGreaterThan(1_250);
    expect(new Set(apache.records.map((r) => r.user)).size).toBe(1_753);
    expect(apache.records.every((r) => r.host === "semicomplete.com" && r.gateway === "default/gw")).toBe(true);

    const firefox = await read("firefox.mitmproxy-fixture.har");
    expect(firefox.stats).toMatchObject({ format: "har", records: 14, bad: 0 });
    expect(new Set(firefox.records.map((r) => r.host))).toEqual(new Set(["mitmproxy.org", "s3-us-west-2.amazonaws.com"]));
    expect(firefox.records.every((r) => r.method === "GET")).toBe(true);

    const chrome = await read("chrome.mitmproxy-fixture.har");
    expect(chrome.stats).toMatchObject({ format: "har", records: 3, bad: 0 });
    expect(chrome.records.map((r) => r.host)).toEqual(["mitmproxy.org", "www.google.com", "www.google.com"]);
    expect(chrome.records[0]).toMatchObject({ method: "GET", scheme: "https", path: "/", protocol: "HTTP/2" });
    expect(chrome.records[0]!.headers?.[":authority"]).toBeUndefined();

    const haproxy = await read("haproxy-httplog.beats-fixture.log");
    expect(haproxy.stats).toMatchObject({ format: "haproxy", lines: 10, records: 10, bad: 0 });
    expect(haproxy.records.map((r) => r.observed?.backend)).toEqual([
      "docs_microservice/docs", "myapp/node2", "app/app-node2", "app/node16", "app/node7", "app/node16", "app/app-node2", "app/node7",
      "app/node16", "app/server",
    ]);
    expect(haproxy.records[0]).toMatchObject({ host: "docs.example.internal", user: "1.2.3.4", scheme: "https" }); // frontend "incoming~"
    expect(haproxy.records[1]).toMatchObject({ method: "OPTIONS", host: "site.domain.com", scheme: "https", path: "/api/v2/app/" });
  });
});

describe("readTrace: onBadLine", () => {
  it("tells each bad line, whole, after the records of the lines before it and before those after it", async () => {
    const long = `{"path":"/${"x".repeat(5000)}",}`;
    const text = ['{"path":"/a"}', "oops", long, "", '{"path":"/b"}', '{"path":7}', '{"path":"/c"}'].join("\n");
    const events: string[] = [];
    const reader = readTrace(Readable.from([text.slice(0, 20), text.slice(20)]), {
      format: "jsonl",
      onBadLine: (b) => events.push(`bad ${b.line} ${b.text.length} ${b.reason.split(":")[0]}`),
    });
    for await (const r of reader) events.push(`record ${r.path}`);
    expect(events).toEqual([
      "record /a",
      "bad 2 4 invalid JSON",
      `bad 3 ${long.length} invalid JSON`,
      "record /b",
      "bad 6 10 path",
      "record /c",
    ]);
    // The samples are cut; the hook got the whole line.
    expect(reader.stats.badSamples[1]!.text.length).toBeLessThan(long.length);
  });
});
