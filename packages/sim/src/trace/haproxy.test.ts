import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixture, readAll } from "./fixtures/read-all.js";
import { unescapeHaproxy } from "./haproxy.js";

/** Encodes as HAProxy logs: bytes below 32 or from 127 on, and `extra`, become "#" and two hex digits. */
function haproxyEncode(s: string, extra: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    out += b < 32 || b >= 127 || extra.includes(String.fromCharCode(b)) ? `#${b.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(b);
  }
  return out;
}
const REQUEST_LINE_ENCODED = '"#'; // url_encode_map
const HEADER_ENCODED = '"#{|}'; // hdr_encode_map

const httplog = (captures: string, request: string) =>
  `192.0.2.10:40001 [26/Nov/2026:10:00:00.125] web edge/srv1 0/0/1/3/4 200 512 - - ---- 3/3/0/0/0 0/0 ${captures}"${request}"`;

describe("haproxy trace (option httplog, and the Host-after-backend variant)", () => {
  it("reads the fixture exactly; observed.backend is backend/server", async () => {
    const { records, stats } = await readAll(fixture("haproxy.log"));
    expect(records).toEqual([
      {
        // The first captured request header is taken as the Host when it looks like one.
        method: "GET", path: "/cart?id=1", scheme: "http", protocol: "HTTP/1.1", host: "shop.example.com",
        user: "192.0.2.10", time: "2026-11-26T10:00:00.125Z", observed: { backend: "edge/srv1", status: 200 },
      },
      {
        // "~" after the frontend name: the connection came in over TLS. A "-" client gives no user.
        method: "POST", path: "/login", scheme: "https", protocol: "HTTP/1.1", host: "shop.example.com",
        time: "2026-11-26T10:00:01.500Z", observed: { backend: "edge/srv2", status: 302 },
      },
      {
        method: "GET", path: "/", scheme: "http", protocol: "HTTP/1.1",
        user: "2001:db8::5", time: "2026-11-26T10:00:02.000Z", observed: { backend: "edge/<NOSRV>", status: 503 },
      },
    ]);
    expect(stats).toMatchObject({ format: "haproxy", lines: 6, records: 3, bad: 3 });
    expect(stats.badSamples.map((b) => [b.line, b.reason])).toEqual([
      [4, "HAProxy logged <BADREQ>: no valid request"],
      [5, "not an HAProxy httplog line"],
      [6, "not an HAProxy httplog line"],
    ]);
  });

  it("option httpslog: TLS fields after the request; the SNI is kept (HAProxy's default_https_log_format)", async () => {
    const line = (sni: string) =>
      `Nov 26 10:00:00 lb1 haproxy[1201]: 192.0.2.10:40001 [26/Nov/2026:10:00:00.125] web-tls~ edge/srv1 0/0/1/3/4 200 512 - - ---- ` +
      `3/3/0/0/0 0/0 {shop.example.com} {} "GET /cart?q=%22x%22 HTTP/2.0" 0/0/0/0/1 ${sni}/TLSv1.3/TLS_AES_256_GCM_SHA384`;
    const { records, stats } = await readAll(`${line("shop.example.com")}\n${line("-")}\n`);
    expect(stats).toMatchObject({ format: "haproxy", records: 2, bad: 0 });
    expect(records[0]).toEqual({
      method: "GET", path: "/cart?q=%22x%22", scheme: "https", sni: "shop.example.com", protocol: "HTTP/2", host: "shop.example.com",
      user: "192.0.2.10", time: "2026-11-26T10:00:00.125Z", observed: { backend: "edge/srv1", status: 200 },
    });
    expect(records[1]!.sni).toBeUndefined();
  });

  it.each([
    ["a quote and a hash in the path", '/search?q=#22x#22&tag=#23a', '/search?q="x"&tag=#a'],
    ["UTF-8 written byte by byte", "/caf#C3#A9/#E6#97#A5", "/café/日"],
    ["control characters", "/a#09b#7F", "/a\tb\x7f"],
    ["an invalid UTF-8 byte", "/x#FF", "/x\ufffd"],
    ["a # not followed by two hex digits (not HAProxy's) is kept", "/a#zz#4", "/a#zz#4"],
    ["lower-case hex", "/#c3#a9", "/é"],
  ])("#XX in the logged request line: %s", async (_name, logged, path) => {
    const { records, stats } = await readAll(`${httplog("", `GET ${logged} HTTP/1.1`)}\n`);
    expect(stats).toMatchObject({ format: "haproxy", records: 1, bad: 0 });
    expect(records[0]!.path).toBe(path);
  });

  it("captured request headers are split at | and then decoded; the Host is the first when it is a host name", async () => {
    const { records } = await readAll(
      [httplog("{shop.example|a#7Cb#22c} {} ", "GET /a HTTP/1.1"), httplog("{shop#7C.example|x} ", "GET /b HTTP/1.1"), httplog("{caf#C3#A9.example} ", "GET /c HTTP/1.1")].join("\n"),
      { format: "haproxy" },
    );
    expect(records.map((r) => r.host)).toEqual(["shop.example", undefined, undefined]);
  });

  it("an absolute-form target is decoded before it is split into host and path", async () => {
    const { records } = await readAll(`${httplog("", "GET http://shop.example/a#22b HTTP/1.1")}\n`);
    expect(records[0]).toMatchObject({ host: "shop.example", path: '/a"b', scheme: "http" });
  });
});

describe("property: HAProxy's #XX encoding reads back as sent", () => {
  const chars = fc.oneof(
    { weight: 5, arbitrary: fc.string({ unit: "grapheme", maxLength: 6 }) },
    { weight: 2, arbitrary: fc.constantFrom('"', "#", "#2", "#zz", "\t", "\u0001", "\u007f", "é", "日本", "😀", "{", "|", "}", "%22") },
  );
  const pathArb = fc.array(chars, { maxLength: 8 }).map((p) => `/${p.join("")}`.replace(/[ \n\r]/g, "_"));
  it("any path (quotes, #, controls, UTF-8) logged in the request line", async () => {
    await fc.assert(
      fc.asyncProperty(pathArb, async (path) => {
        const { records, stats } = await readAll(`${httplog("", `GET ${haproxyEncode(path, REQUEST_LINE_ENCODED)} HTTP/1.1`)}\n`, { format: "haproxy" });
        expect(stats.bad).toBe(0);
        expect(records[0]!.path).toBe(path);
      }),
      { numRuns: 300 },
    );
  });
  it("any captured header value", () => {
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 8 }).map((p) => p.join("")), (value) => {
        expect(unescapeHaproxy(haproxyEncode(value, HEADER_ENCODED))).toBe(value);
      }),
      { numRuns: 300 },
    );
  });
});

