import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitCsv } from "./csv.js";
import { fixture, readAll } from "./fixtures/read-all.js";

describe("csv trace", () => {
  it("reads the fixture: columns by name, doubled quotes, a quoted newline, bad rows", async () => {
    const { records, stats } = await readAll(fixture("requests.csv"));
    expect(records).toEqual([
      {
        time: "2026-11-26T10:00:00.000Z", method: "GET", host: "shop.example.com", path: "/cart?id=1", user: "u1", port: 80,
        headers: { "x-canary": "on" }, observed: { status: 200, backend: "shop/cart:8080" },
      },
      {
        time: "2025-11-26T10:00:00.000Z", method: "POST", host: "shop.example.com", path: '/search?q="quoted",x', user: "u2",
        observed: { status: 201 },
      },
      {
        time: "2026-11-26T10:00:02.000Z", method: "GET", host: "api.example.com", path: "/multi", user: "u3", port: 443,
        headers: { "x-canary": "a\nb" },
      },
      { method: "DELETE", path: "/items/5" },
    ]);
    expect(stats).toMatchObject({ format: "csv", lines: 10, records: 4, bad: 3 });
    expect(stats.badSamples).toEqual([
      { line: 6, text: "2026-11-26T10:00:03Z,GET,shop.example.com,/short", reason: "expected 9 fields, got 4" },
      { line: 7, text: "2026-11-26T10:00:04Z,GET,shop.example.com,/bad-port,u5,,,,http", reason: "port: must be an integer from 1 to 65535" },
      {
        line: 10, text: '2026-11-26T10:00:06Z,GET,shop.example.com,"/never-closed,u6,,,,',
        reason: "quoted field never closes before the end of input",
      },
    ]);
  });

  it("maps columns with csvColumns, reads a url column, and tab-separated files", async () => {
    const text = "when\tverb\tlink\tclient\tcanary\n2026-11-26T10:00:00Z\tGET\thttps://shop.example.com:8443/a?b=1#f\tc1\tyes\n";
    const { records, stats } = await readAll(text, {
      csvColumns: { time: "when", method: "verb", url: "link", user: "client", "headers.x-canary": "canary" },
    });
    expect(stats.format).toBe("csv");
    expect(records).toEqual([
      {
        time: "2026-11-26T10:00:00.000Z", method: "GET", scheme: "https", host: "shop.example.com:8443", path: "/a?b=1",
        user: "c1", headers: { "x-canary": "yes" },
      },
    ]);
  });

  it("RFC 4180 with CRLF line breaks: a CRLF inside a quoted field is kept, the one ending a record is not", async () => {
    const text = 'host,path,headers.x-note\r\na.example,/x,"line1\r\nline2"\r\nb.example,"/y?q=""1""",plain\r\nc.example,/z,"cr\rinside"';
    const { records, stats } = await readAll(text);
    expect(stats).toMatchObject({ format: "csv", lines: 5, records: 3, bad: 0 });
    expect(records).toEqual([
      { host: "a.example", path: "/x", headers: { "x-note": "line1\r\nline2" } },
      { host: "b.example", path: '/y?q="1"', headers: { "x-note": "plain" } },
      { host: "c.example", path: "/z", headers: { "x-note": "cr\rinside" } },
    ]);
  });

  it("property: RFC 4180 files (quoted commas, quotes, CRLF and LF inside fields, either line break, BOM) read back", async () => {
    const field = fc.string({ unit: fc.constantFrom(..."a,\"\r\n é/"), minLength: 1, maxLength: 8 });
    // RFC 4180 §2.5-2.7: a field with a comma, quote or line break is quoted, its quotes doubled; others may be.
    const cell = (v: string, quoteAnyway: boolean) => (quoteAnyway || /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(field, field, field), { minLength: 1, maxLength: 5 }), fc.constantFrom("\r\n", "\n"), fc.boolean(), fc.boolean(), fc.boolean(),
        async (rows, eol, quoteAll, finalBreak, bom) => {
          const lines = ["host,path,headers.x-note", ...rows.map((r) => r.map((v) => cell(v, quoteAll)).join(","))];
          const text = (bom ? "\uFEFF" : "") + lines.join(eol) + (finalBreak ? eol : "");
          const { records, stats } = await readAll(text, { format: "csv" });
          expect(stats.bad).toBe(0);
          expect(records).toEqual(rows.map(([host, path, note]) => ({ host, path, headers: { "x-note": note } })));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("explicit columns win over what the url implies", async () => {
    const { records } = await readAll("url,host\nhttp://a.example/x,b.example\n", { format: "csv" });
    expect(records).toEqual([{ scheme: "http", host: "b.example", path: "/x" }]);
  });

  it.each([
    [{ nope: "a" }, 'header: csvColumns: unknown request field "nope"'],
    [{ path: "missing" }, 'header: csvColumns: column "missing" (for path) is not in the header'],
    [undefined, "header: no column gives the request path: name one path or url, or map one with csvColumns"],
  ])("a header it cannot use (%j) is reported, and so is every row after it", async (csvColumns, reason) => {
    const { records, stats } = await readAll("a,b\n1,2\n3,4\n", { format: "csv", ...(csvColumns ? { csvColumns } : {}) });
    expect(records).toEqual([]);
    expect(stats.bad).toBe(3);
    expect(stats.badSamples[0]).toEqual({ line: 1, text: "a,b", reason });
    expect(stats.badSamples[1]!.reason).toMatch(/^no usable header row/);
  });

  it.each([
    ["a,b,c", ["a", "b", "c"]],
    ['"a,1","b""2""",', ["a,1", 'b"2"', ""]],
    ['"x"y,z', ["xy", "z"]],
    ['"open,', undefined],
    ["", [""]],
  ])("splitCsv(%j)", (line, fields) => {
    expect(splitCsv(line, ",")).toEqual(fields);
  });
});
