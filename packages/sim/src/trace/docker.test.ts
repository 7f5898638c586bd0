import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dockerEntry, MAX_INTERLEAVED, unwrapDockerLines } from "./docker.js";
import { fixture, readAll } from "./fixtures/read-all.js";
import { STDERR_LINE } from "./index.js";
import type { ReadTraceOptions } from "./types.js";

/**
 * Docker json-file entries for a line as the container wrote it, the line cut into pieces at
 * `cuts` (Docker's 16 KiB split: every piece but the last without "\n"). Go's encoder escapes
 * <, > and & as \u003c, \u003e, \u0026, as Docker's files show them.
 */
function wrap(line: string, stream: "stdout" | "stderr" = "stdout", cuts: number[] = []): string[] {
  const full = `${line}\n`;
  const at = [...new Set(cuts.filter((c) => c > 0 && c < full.length))].sort((a, b) => a - b);
  const pieces = [0, ...at].map((c, i) => full.slice(c, at[i] ?? full.length));
  return pieces.map((log, i) =>
    JSON.stringify({ log, stream, time: `2026-11-26T10:00:0${i % 10}.123456789Z` }).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`),
  );
}

const envoy = (path: string, agent = "curl/8.5") =>
  `[2026-11-26T10:00:00.000Z] "GET ${path} HTTP/1.1" 200 - 0 12 3 2 "198.51.100.7" "${agent}" "rid-1" "shop.example" "10.0.0.5:8080"`;
const envoyJson = (path: string) =>
  JSON.stringify({ start_time: "2026-11-26T10:00:00.000Z", method: "GET", "x-envoy-origin-path": path, ":authority": "shop.example", response_code: 200, upstream_host: "10.0.0.5:8080" });
const combined = (path: string, agent = "Mozilla/5.0 <x> & y") => `203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "GET ${path} HTTP/1.1" 200 512 "-" "${agent}"`;
const haproxy = (path: string) =>
  `192.0.2.10:40001 [26/Nov/2026:10:00:00.125] web edge/srv1 0/0/1/3/4 200 512 - - ---- 3/3/0/0/0 0/0 {shop.example} "GET ${path} HTTP/1.1"`;
const envoyStartup = "[2026-11-26 10:00:00.001][1][info][main] [source/server/server.cc:430] initializing epoch 0";
const nginxError = "2026/11/26 10:00:00 [notice] 1#1: start worker processes";

async function sameAsUnwrapped(wrapped: string[], bare: string[], options: ReadTraceOptions = {}) {
  const a = await readAll(`${wrapped.join("\n")}\n`, options);
  const b = await readAll(`${bare.join("\n")}\n`, options);
  expect(a.stats.format).toBe(b.stats.format);
  expect(a.records).toEqual(b.records);
  return a;
}

describe("Docker json-file logs: the wrapped line is read by the trace's format", () => {
  it.each([
    ["Envoy text", "envoy", [envoy("/a"), envoy('/b?q="x"', 'say "hi" <b>')]],
    ["Envoy JSON (a JSON string inside JSON)", "envoy", [envoyJson("/a"), envoyJson("/b?x=<1>&y")]],
    ["nginx combined", "nginx", [combined("/a"), combined("/b")]],
    ["HAProxy", "haproxy", [haproxy("/a"), haproxy("/b")]],
  ])("%s: detected through the wrapper, records as unwrapped", async (_name, format, lines) => {
    const { stats } = await sameAsUnwrapped(lines.flatMap((l) => wrap(l)), lines);
    expect(stats).toMatchObject({ format, records: lines.length, bad: 0 });
  });

  it("detection reads on past a head of startup lines on stderr, as for a bare log", async () => {
    const startup = Array.from({ length: 40 }, () => wrap(envoyStartup, "stderr")[0]!);
    const { records, stats } = await readAll([...startup, ...wrap(envoy("/a")), ...wrap(envoy("/b"))].join("\n"));
    expect(stats).toMatchObject({ format: "envoy", records: 2, bad: 40 });
    expect(records.map((r) => r.path)).toEqual(["/a", "/b"]);
  });

  it("the forced format reads through the wrapper too", async () => {
    const lines = [combined("/a"), combined("/b")];
    const { stats } = await sameAsUnwrapped(lines.flatMap((l) => wrap(l)), lines, { format: "nginx", host: "shop.example" });
    expect(stats).toMatchObject({ format: "nginx", records: 2 });
  });

  it("stderr lines that are no request are the proxy's own log, at their line numbers; a request on stderr is read", async () => {
    const text = [
      ...wrap(envoyStartup, "stderr"), ...wrap(envoy("/a")), ...wrap("[warning] something", "stderr"), ...wrap(envoy("/on-stderr"), "stderr"), ...wrap(envoy("/b")),
    ].join("\n");
    const { records, stats } = await readAll(text);
    expect(records.map((r) => r.path)).toEqual(["/a", "/on-stderr", "/b"]);
    expect(stats).toMatchObject({ format: "envoy", lines: 5, records: 3, bad: 2 });
    expect(stats.badSamples.map((s) => [s.line, s.reason])).toEqual([[1, STDERR_LINE], [3, STDERR_LINE]]);
    // The sample is the line as it is in the file.
    expect(stats.badSamples[0]!.text).toBe(wrap(envoyStartup, "stderr")[0]);
  });

  it("a stdout line that is no request keeps its parser's reason; nginx's error log on stderr is the proxy's own", async () => {
    const { stats } = await readAll([...wrap(combined("/a")), ...wrap("garbage"), ...wrap(nginxError, "stderr")].join("\n"));
    expect(stats.badSamples.map((s) => [s.line, s.reason])).toEqual([[2, "not in the combined log layout"], [3, STDERR_LINE]]);
  });

  it("a line Docker split (over 16 KiB) is joined: one record, numbered at its first piece", async () => {
    const agent = `agent ${"x".repeat(40_000)} "quoted"`;
    const long = envoy("/long", agent);
    const wrapped = [...wrap(envoy("/a")), ...wrap(long, "stdout", [16_384, 32_768]), "not json", ...wrap(envoy("/b"))];
    const { records, stats } = await readAll(`${wrapped.join("\n")}\n`);
    expect(records.map((r) => r.path)).toEqual(["/a", "/long", "/b"]);
    expect(records[1]!.headers!["user-agent"]).toBe(agent);
    expect(stats).toMatchObject({ lines: 6, records: 3, bad: 1 });
    expect(stats.badSamples.map((s) => s.line)).toEqual([5]);
  });

  it("a split line that does not read is bad at its first piece, sampled as that piece", async () => {
    const pieces = wrap(`garbage ${"y".repeat(100)}`, "stdout", [10, 50]);
    const { stats } = await readAll([...wrap(envoy("/a")), ...pieces, ...wrap(envoy("/b"))].join("\n"), { format: "envoy" });
    expect(stats).toMatchObject({ lines: 5, records: 2, bad: 1 });
    expect(stats.badSamples[0]).toMatchObject({ line: 2, text: pieces[0] });
  });

  it("pieces with the other stream's entries between them are joined; the lines come out in the order they start", async () => {
    const [p1, p2, p3] = wrap(envoy("/long"), "stdout", [40, 90]);
    const text = [p1!, ...wrap(envoyStartup, "stderr"), p2!, ...wrap(envoy("/on-stderr"), "stderr"), p3!, ...wrap(envoy("/after"))].join("\n");
    const { records, stats } = await readAll(text);
    expect(records.map((r) => r.path)).toEqual(["/long", "/on-stderr", "/after"]);
    expect(stats).toMatchObject({ format: "envoy", lines: 6, records: 3, bad: 1 });
    expect(stats.badSamples.map((s) => [s.line, s.reason])).toEqual([[2, STDERR_LINE]]);
  });

  it(`both streams split at once, each joined; more than ${MAX_INTERLEAVED} entries of the other stream between two pieces cut the line`, async () => {
    const [o1, o2] = wrap(envoy("/out"), "stdout", [50]);
    const [e1, e2] = wrap(envoy("/err"), "stderr", [30]);
    const both = await readAll([e1, o1, e2, o2].join("\n"), { format: "envoy" });
    expect(both.records.map((r) => r.path)).toEqual(["/err", "/out"]);
    const many = (n: number) => [o1!, ...Array.from({ length: n }, () => wrap(envoyStartup, "stderr")[0]!), o2!].join("\n");
    expect((await readAll(many(MAX_INTERLEAVED), { format: "envoy" })).stats).toMatchObject({ records: 1, bad: MAX_INTERLEAVED });
    // The line is cut: its first piece and its last are each bad.
    expect((await readAll(many(MAX_INTERLEAVED + 1), { format: "envoy" })).stats).toMatchObject({ records: 0, bad: MAX_INTERLEAVED + 3 });
  });

  it("pieces interrupted by a line that is no entry (or a blank one) are read as they stand (cut lines); one at the end of the input too", async () => {
    const [p1, p2] = wrap(envoy("/long"), "stdout", [60]);
    const cases: [string[], number][] = [
      [[p1!, "plain text", p2!], 3],
      [[p1!, "", p2!], 2],
      [[p1!], 1],
    ];
    for (const [lines, bad] of cases) {
      const { records, stats } = await readAll(lines.join("\n"), { format: "envoy" });
      expect(records, lines.join("|")).toEqual([]);
      expect(stats.bad, lines.join("|")).toBe(bad);
    }
    // Cut where the line happens to end complete: it reads.
    const whole = JSON.stringify({ log: envoy("/x"), stream: "stdout", time: "2026-11-26T10:00:00Z" });
    expect((await readAll(whole, { format: "envoy" })).records.map((r) => r.path)).toEqual(["/x"]);
  });

  it("CRLF written by the container, attrs (--log-opt labels), an empty log: read as Docker writes them", async () => {
    const crlf = JSON.stringify({ log: `${combined("/crlf")}\r\n`, stream: "stdout", time: "2026-11-26T10:00:00Z" });
    const attrs = JSON.stringify({ log: `${combined("/attrs")}\n`, stream: "stdout", attrs: { app: "gw" }, time: "2026-11-26T10:00:00Z" });
    const empty = JSON.stringify({ stream: "stdout", time: "2026-11-26T10:00:00Z" });
    const bad = JSON.stringify({ log: "oops\n", stream: "stdout", time: "2026-11-26T10:00:00Z" });
    const { records, stats } = await readAll([crlf, empty, attrs, empty, bad].join("\r\n"));
    expect(records.map((r) => r.path)).toEqual(["/crlf", "/attrs"]);
    // An entry without a log is an empty line, not a piece the next entry carries on.
    expect(stats).toMatchObject({ format: "nginx", lines: 5, records: 2, bad: 1 });
    expect(stats.badSamples.map((s) => s.line)).toEqual([5]);
    expect(records[0]!.headers!["user-agent"]).toBe("Mozilla/5.0 <x> & y");
  });

  it("CSV through the wrapper: a quoted field's CRLF and a blank line inside it are kept", async () => {
    const csv = ["method,host,path,headers.x-note", 'GET,a.example,/a,"two\r', "", 'lines"', "GET,a.example,/b,x"];
    const wrapped = csv.map((l) => JSON.stringify({ log: `${l}\n`, stream: "stdout", time: "2026-11-26T10:00:00Z" }));
    const { records, stats } = await readAll(`${wrapped.join("\n")}\n`);
    expect(stats).toMatchObject({ format: "csv", records: 2, bad: 0 });
    expect(records.map((r) => [r.path, r.headers?.["x-note"]])).toEqual([["/a", "two\r\n\nlines"], ["/b", "x"]]);
  });

  it("kubectl-style prefixes inside the wrapper are taken off as on a bare line", async () => {
    const { records } = await readAll(wrap(`2026-11-26T10:00:00.5Z ${envoy("/a")}`).join("\n"));
    expect(records.map((r) => r.path)).toEqual(["/a"]);
  });

  it("the fixture: Envoy behind Docker with startup lines on stderr and one split line", async () => {
    const { records, stats } = await readAll(fixture("docker-envoy.log"));
    expect(stats).toMatchObject({ format: "envoy", lines: 9, records: 4, bad: 3 });
    expect(records.map((r) => [r.method, r.path, r.host])).toEqual([
      ["GET", "/cart", "shop.example"],
      ["POST", "/checkout?step=2", "shop.example"],
      ["GET", "/search?q=%3Ca%3E", "shop.example"],
      ["GET", "/health", "shop.example"],
    ]);
    expect(records[2]!.headers!["user-agent"]).toBe('Mozilla/5.0 (X11; "quoted" <tag> & more)');
    expect(stats.badSamples.map((s) => [s.line, s.reason])).toEqual([
      [1, STDERR_LINE], [2, STDERR_LINE], [9, "line is cut off, or a quoted field is never closed"],
    ]);
  });
});

describe("dockerEntry", () => {
  it.each([
    ["Docker's line", '{"log":"x\\n","stream":"stdout","time":"t"}', { log: "x\n", stream: "stdout" }],
    ["an empty log", '{"stream":"stderr","time":"t"}', { log: "", stream: "stderr" }],
    ["another stream", '{"log":"x\\n","stream":"other","time":"t"}', undefined],
    ["no time", '{"log":"x\\n","stream":"stdout"}', undefined],
    ["another key", '{"log":"x\\n","stream":"stdout","time":"t","host":"a"}', undefined],
    ["log not first (not Docker's order)", '{"stream":"stdout","log":"x\\n","time":"t"}', { log: "x\n", stream: "stdout" }],
    ["spaced JSON (not Docker's writer)", '{ "log": "x\\n", "stream": "stdout", "time": "t" }', undefined],
    ["a jsonl request", '{"path":"/x","host":"a"}', undefined],
    ["broken JSON", '{"log":"x', undefined],
  ])("%s", (_name, line, want) => {
    expect(dockerEntry(line)).toEqual(want);
  });
});

describe("property: a trace's lines cut into Docker pieces anywhere read as the bare lines", () => {
  const lineArb = fc.oneof(
    fc.string({ maxLength: 30 }).map((agent) => envoy("/p", agent.replace(/[\r\n]/g, ""))),
    fc.string({ maxLength: 30 }).map((s) => envoy(`/q?${encodeURIComponent(s)}`)),
    fc.constantFrom(envoy("/a"), envoyStartup, "garbage", `2026-11-26T10:00:00Z ${envoy("/k")}`),
  );
  it("records equal; every split line counts once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(lineArb, fc.array(fc.nat({ max: 200 }), { maxLength: 4 })), { minLength: 1, maxLength: 12 }),
        async (rows) => {
          const bare = rows.map(([l]) => l);
          // Every line at least once whole at the top so that detection sees Envoy in both.
          const head = [envoy("/first")];
          const wrapped = [...wrap(head[0]!), ...rows.flatMap(([l, cuts]) => wrap(l, "stdout", cuts))];
          const a = await readAll(`${wrapped.join("\n")}\n`);
          const b = await readAll(`${[...head, ...bare].join("\n")}\n`);
          expect(a.records).toEqual(b.records);
          expect(a.stats.bad).toBe(b.stats.bad);
          expect(unwrapDockerLines(wrapped)).toEqual([...head, ...bare]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("property: stdout and stderr pieces interleaved as Docker's two copiers write them", () => {
  const lineArb = fc.oneof(
    fc.string({ maxLength: 20 }).map((agent) => envoy("/p", agent.replace(/[\r\n]/g, ""))),
    fc.constantFrom(envoy("/a"), envoy("/b"), "garbage"),
  );
  const streamArb = fc.array(fc.tuple(lineArb, fc.array(fc.nat({ max: 150 }), { maxLength: 3 })), { maxLength: 5 });
  it("records are the bare lines in the order their first pieces come", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, streamArb, fc.array(fc.boolean(), { maxLength: 60 }), async (outs, errs, picks) => {
        type Piece = { text: string; id?: number };
        const pieces = (rows: [string, number[]][], stream: "stdout" | "stderr", base: number): Piece[] =>
          rows.flatMap(([l, cuts], k) => wrap(l, stream, cuts).map((text, i) => ({ text, ...(i === 0 ? { id: base + k } : {}) })));
        const a = pieces(outs, "stdout", 0);
        const b = pieces(errs, "stderr", outs.length);
        // At most MAX_INTERLEAVED entries of the other stream between two pieces: never more than that many in all.
        fc.pre(a.length <= MAX_INTERLEAVED && b.length <= MAX_INTERLEAVED);
        const merged: Piece[] = [];
        let i = 0;
        let j = 0;
        for (const fromStdout of picks) {
          if (fromStdout && i < a.length) merged.push(a[i++]!);
          else if (!fromStdout && j < b.length) merged.push(b[j++]!);
        }
        while (i < a.length) merged.push(a[i++]!);
        while (j < b.length) merged.push(b[j++]!);
        const bareOf = [...outs, ...errs].map(([l]) => l);
        const order = merged.filter((p) => p.id !== undefined).map((p) => bareOf[p.id!]!);
        const head = envoy("/first");
        const got = await readAll(`${[...wrap(head), ...merged.map((p) => p.text)].join("\n")}\n`, { format: "envoy" });
        // stderr lines that are no request get another reason, but are bad all the same.
        const want = await readAll(`${[head, ...order].join("\n")}\n`, { format: "envoy" });
        expect(got.records).toEqual(want.records);
        expect(got.stats.bad).toBe(want.stats.bad);
      }),
      { numRuns: 300 },
    );
  });
});

