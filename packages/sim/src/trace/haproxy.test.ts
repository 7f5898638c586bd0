import { describe, expect, it } from "vitest";
import { fixture, readAll } from "./fixtures/read-all.js";

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
});
