import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixture, readAll } from "./fixtures/read-all.js";
import { recordFromHarEntry } from "./har.js";

describe("har trace", () => {
  it("reads a pretty-printed HAR with a BOM: pseudo-headers, websocket, escapes, bad entries", async () => {
    const { records, stats } = await readAll(fixture("h2-bom.har"));
    expect(records).toEqual([
      {
        method: "GET", scheme: "https", host: "app.example.com:8443", port: 8443, path: "/search?q=a%20b", protocol: "HTTP/2",
        headers: { accept: "*/*", cookie: ["a=1", "b=2"] }, time: "2026-11-26T09:00:00.000Z", observed: { status: 200 },
      },
      {
        method: "GET", scheme: "http", host: "plain.example", path: "/socket", protocol: "websocket",
        headers: { upgrade: "websocket", connection: "Upgrade", "x-note": 'say "hi" \\ {' },
        time: "2026-11-26T10:00:01.250Z", observed: { status: 101 },
      },
      {
        // status 0: the browser got no response, so nothing was observed.
        method: "POST", scheme: "https", host: "api.example.com", path: "/v1/items", protocol: "HTTP/1.1",
        headers: { "content-type": "application/json" }, time: "2026-11-26T10:00:04.000Z",
      },
    ]);
    expect(stats).toMatchObject({ format: "har", lines: 57, records: 3, bad: 2 });
    expect(stats.badSamples.map((b) => [b.line, b.reason])).toEqual([
      [42, "HAR request has no url"],
      [43, 'startedDateTime is not a date: "not a date"'],
    ]);
    expect(stats.badSamples[0]!.text).toBe('{ "startedDateTime": "2026-11-26T10:00:02Z", "request": { "method": "GET", "headers": [] } }');
  });

  it("property: any HAR (pretty or not, CRLF, BOM, custom _ fields, strings with brackets and escapes) cut anywhere gives its entries", async () => {
    const str = fc.string({ unit: fc.constantFrom(..."a]}[{\",\\:é\n/"), maxLength: 8 });
    const entry = fc.record({
      _initiator: fc.record({ type: str, stack: fc.array(fc.record({ url: str }), { maxLength: 2 }) }),
      startedDateTime: fc.constant("2026-11-26T10:00:00.000Z"),
      request: fc.record({
        method: fc.constantFrom("GET", "POST"),
        url: str.map((s) => `https://a.example/${encodeURIComponent(s)}`),
        httpVersion: fc.constantFrom("HTTP/1.1", "http/2.0", "h3", ""),
        headers: fc.array(fc.record({ name: fc.constantFrom("x-a", ":authority", "Cookie"), value: str }), { maxLength: 3 }),
      }),
      response: fc.record({ status: fc.constantFrom(0, 200, 404), content: fc.record({ text: str }) }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 4 }), fc.constantFrom(0, 2, "\t"), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }),
        async (entries, indent, crlf, bom, cuts) => {
          let text = JSON.stringify({ log: { _custom: "]}", version: "1.2", pages: [{ id: "p[1]" }], entries } }, null, indent);
          if (crlf) text = text.replace(/\n/g, "\r\n");
          if (bom) text = `\uFEFF${text}`;
          const at = [0, ...cuts.map((c) => c % (text.length + 1)).sort((a, b) => a - b), text.length];
          const { records, stats } = await readAll(at.slice(1).map((end, i) => text.slice(at[i], end)));
          expect(stats).toMatchObject({ format: "har", bad: 0, records: entries.length });
          expect(records).toEqual(entries.map((e) => recordFromHarEntry(JSON.parse(JSON.stringify(e)))));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a HAR cut off inside an entry keeps the entries before it and reports the cut one", async () => {
    const { records, stats } = await readAll(fixture("truncated.har"), { format: "har" });
    expect(records.map((r) => r.path)).toEqual(["/one"]);
    expect(stats).toMatchObject({ format: "har", lines: 3, records: 1, bad: 1 });
    expect(stats.badSamples).toEqual([
      {
        line: 3,
        text: '{"startedDateTime": "2026-11-26T10:00:01Z", "request": {"method": "GET", "url": "https://a.example/tw\n',
        reason: "HAR entry is cut off: the input ends inside it",
      },
    ]);
  });

  it("reads a single-line HAR split into one-character chunks", async () => {
    const text = '{"log":{"entries":[{"request":{"method":"GET","url":"http://x.example/a?b=1"}},{"request":{"method":"HEAD","url":"http://x.example/"}}]}}';
    const { records, stats } = await readAll([...text]);
    expect(records).toEqual([
      { method: "GET", scheme: "http", host: "x.example", path: "/a?b=1" },
      { method: "HEAD", scheme: "http", host: "x.example", path: "/" },
    ]);
    expect(stats).toMatchObject({ format: "har", lines: 1, records: 2, bad: 0 });
  });

  it("--format har on JSON Lines: the sample shows the first line, and no line counts as read", async () => {
    const { records, stats } = await readAll('{"path":"/a"}\r\n{"path":"/b"}\n', { format: "har" });
    expect(records).toEqual([]);
    expect(stats).toMatchObject({ lines: 2, records: 0, bad: 2 });
    expect(stats.badSamples).toEqual([{ line: 1, text: '{"path":"/a"}', reason: "no log.entries array: not a HAR document" }]);
  });

  it.each([
    ['{"log": {"entries": []}}', 0, []],
    ['{"something": "else"}', 1, ["no log.entries array: not a HAR document"]],
    // --format har on JSON Lines: every line is unread, not one of them.
    ['{"path":"/a"}\n{"path":"/b"}\r\n{"path":"/c"}\n', 3, ["no log.entries array: not a HAR document"]],
    ["", 1, ["empty input: not a HAR document"]],
    ['{"log": {"entries": [1, "x", {"request": {"url": "/p", "method": "GET"}}', 3, [
      "HAR entry has no request", "HAR entry has no request", "HAR entries array is cut off: the input ends inside it",
    ]],
  ])("explicit har on %j → %i bad", async (text, bad, reasons) => {
    const { records, stats } = await readAll(text, { format: "har" });
    expect(stats.bad).toBe(bad);
    expect(stats.badSamples.map((b) => b.reason)).toEqual(reasons);
    expect(records.length).toBe(text.includes('"/p"') ? 1 : 0);
  });
});
