import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clusterBackend, parseEnvoyText } from "./envoy.js";
import { fixture, readAll } from "./fixtures/read-all.js";

describe("envoy trace (Envoy default text, Istio text, Envoy Gateway and Istio JSON)", () => {
  it("reads the fixture exactly; bad lines are counted and skipped", async () => {
    const { records, stats } = await readAll(fixture("envoy.log"));
    expect(records).toEqual([
      {
        method: "GET", path: "/api/v1/items?limit=5", host: "shop.example.com", protocol: "HTTP/1.1",
        headers: { "user-agent": "curl/8.5.0", "x-forwarded-for": "203.0.113.9, 10.0.0.1", "x-request-id": "1f9c2c8e-0000-4000-8000-000000000001" },
        id: "1f9c2c8e-0000-4000-8000-000000000001", user: "203.0.113.9", time: "2026-11-26T10:00:00.123Z",
        observed: { status: 200, upstreamHost: "10.244.1.17:8080" },
      },
      { method: "POST", path: "/upload", host: "shop.example.com:8443", protocol: "HTTP/2", time: "2026-11-26T10:00:01.000Z", observed: { status: 404 } },
      {
        method: "GET", path: "/reviews/1", host: "reviews.bookinfo:9080", protocol: "HTTP/1.1",
        headers: { "user-agent": 'Agent "x"/1.0 (zoë)', "x-request-id": "7d1e0b6a-0000-4000-8000-000000000002" },
        id: "7d1e0b6a-0000-4000-8000-000000000002", user: "10.244.2.4", time: "2026-11-26T10:00:02.500Z",
        observed: {
          status: 200, upstreamHost: "10.244.2.5:9080", backend: "bookinfo/reviews:9080",
          cluster: "outbound|9080|v2|reviews.bookinfo.svc.cluster.local",
        },
      },
      {
        method: "GET", path: "/", host: "secure.example.com", sni: "secure.example.com", scheme: "https", protocol: "HTTP/2",
        headers: { "user-agent": "curl/8.5.0", "x-forwarded-for": "198.51.100.4", "x-request-id": "req-3" },
        id: "req-3", user: "198.51.100.4", time: "2026-11-26T10:00:02.750Z",
        observed: { status: 503, backend: "prod/web:443", cluster: "outbound|443||web.prod.svc.cluster.local" },
      },
      {
        method: "GET", path: "/get?x=1", host: "www.example.com", protocol: "HTTP/1.1",
        headers: { "user-agent": "curl/8.5.0", "x-forwarded-for": "192.0.2.10", "x-request-id": "req-4" },
        id: "req-4", user: "192.0.2.10", time: "2026-11-26T10:00:03.000Z",
        observed: { status: 200, upstreamHost: "10.244.0.5:3000", cluster: "httproute/default/backend/rule/0" },
      },
      {
        method: "PUT", path: "/items/9", host: "api.example.com", protocol: "HTTP/1.1",
        headers: { "user-agent": "Go-http-client/1.1", "x-request-id": "req-5" },
        id: "req-5", user: "10.244.9.9", time: "2026-11-26T10:00:04.000Z",
        observed: { status: 204, upstreamHost: "10.244.3.3:8080", backend: "shop/api:8080", cluster: "outbound|8080||api.shop.svc.cluster.local" },
      },
    ]);
    expect(stats).toMatchObject({ format: "envoy", lines: 12, records: 6, bad: 6 });
    expect(stats.badSamples.map((b) => [b.line, b.reason])).toEqual([
      [7, "not an HTTP request (TCP connection log)"],
      [8, `not an Envoy access log line (Envoy's or Istio's default text layout: [START_TIME] "REQUEST" STATUS ...)`],
      [9, "line is cut off, or a quoted field is never closed"],
      [10, expect.stringMatching(/^invalid JSON/)],
      [11, "not an HTTP request: no request method (a TCP connection log?)"],
    ]);
    expect(stats.badSamples[2]!.text).toBe('[2026-11-26T10:00:06.000Z] "GET /cut HTTP/1.1" 200 - 0 12 1 1 "-" "curl/8.5.0" "req-6" "shop.exa');
  });

  it("reads the edge fixture: comment, TCP, CRLF, quotes in a User-Agent and a path, bad UTF-8, JSONL among Envoy lines, no final newline", async () => {
    const { records, stats } = await readAll(fixture("envoy-edge.log"));
    expect(stats).toMatchObject({ format: "envoy", lines: 10, records: 5, bad: 4 });
    expect(stats.badSamples.map((b) => [b.line, b.reason])).toEqual([
      [1, expect.stringMatching(/^not an Envoy access log line \(/)],
      [2, "not an HTTP request (TCP connection log)"],
      [8, expect.stringMatching(/^not an Envoy access log line: a JSON object with none of Envoy's keys/)],
      [9, "line is cut off, or a quoted field is never closed"],
    ]);
    expect(records.map((r) => [r.path, r.host, r.headers?.["user-agent"], r.time])).toEqual([
      ["/caf%C3%A9?q=a%20b&r=%2F", "shop.example", 'Mozilla "quoted" " "agent', "2026-11-26T10:00:01.000Z"],
      ["/bytes", "shop.example", "bad \uFFFD\uFFFD utf-8 \uFFFD", "2026-11-26T10:00:02.000Z"],
      ['/q"x', "api.example:443", "grpc-go/1.60", "2026-11-26T10:00:03.000Z"],
      ["/eg", "eg.example", "curl/8", "2026-11-26T10:00:04.500Z"],
      ["/last", undefined, "curl/8", "2026-11-26T10:00:07.000Z"],
    ]);
    expect(records[2]!.observed).toEqual({
      status: 201, upstreamHost: "10.244.2.9:9090", backend: "shop/api:9090", cluster: "outbound|9090|v1|api.shop.svc.cluster.local",
    });
    expect(records[3]).toMatchObject({ user: "2001:db8::9", observed: { status: 503, cluster: "httproute/default/eg/rule/0" } });
  });

  it.each([
    "[2026-11-26 10:00:00.123][14][info][main] [source/server/server.cc:404] starting workers",
    "[2026-11-26 10:00:00.123][14][warning][config] [source/common/config/grpc_stream.h:1] stream closed",
    '2026-11-26T10:00:00.123456Z\tinfo\tFLAG: --concurrency="2"',
  ])("the proxy's own log line is named as such: %s", async (line) => {
    const { stats } = await readAll(`${line}\n`, { format: "envoy" });
    expect(stats.badSamples[0]!.reason).toBe("the proxy's own log line, not an access log line");
  });

  it("a bad start time is a bad line", async () => {
    const { stats } = await readAll('[yesterday] "GET / HTTP/1.1" 200 - 0 0 0 - "-" "-" "-" "a.example" "-"\n', { format: "envoy" });
    expect(stats.badSamples).toEqual([
      { line: 1, text: '[yesterday] "GET / HTTP/1.1" 200 - 0 0 0 - "-" "-" "-" "a.example" "-"', reason: 'start time is not a timestamp: "yesterday"' },
    ]);
  });

  // Lines written here in the layouts Envoy documents (access_log/usage "Default format string") and
  // Istio builds (EnvoyTextLogFormat): Envoy writes header values raw, so quotes can sit inside them.
  const envoyLine = (request: string, ua: string, extra = "") =>
    `[2026-11-26T10:00:00.000Z] "${request}" 200 - 0 5 3 2 "198.51.100.7" "${ua}" "rid" "shop.example" "10.0.0.5:8080"${extra}`;
  it.each([
    ["a quote in the User-Agent", envoyLine("GET /a HTTP/1.1", 'Mozilla "x" y'), { path: "/a", ua: 'Mozilla "x" y' }],
    ["quote-space-quote in the User-Agent", envoyLine("GET /a HTTP/1.1", 'a" "b'), { path: "/a", ua: 'a" "b' }],
    ["a User-Agent that is only a quote", envoyLine("GET /a HTTP/1.1", '"'), { path: "/a", ua: '"' }],
    ["a quote in the path", envoyLine('GET /a"b?q="1" HTTP/1.1', "curl/8"), { path: '/a"b?q="1"', ua: "curl/8" }],
    ["percent-encoded path and query kept as sent", envoyLine("GET /a%20b/%E2%82%AC?q=%2F&x=a+b HTTP/2", "curl/8"), { path: "/a%20b/%E2%82%AC?q=%2F&x=a+b", ua: "curl/8" }],
    [
      "Istio: a quote in the User-Agent, a transport failure reason with spaces",
      '[2026-11-26T10:00:00.000Z] "GET /a HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure} - ' +
        '"TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED" 0 91 10 - "198.51.100.7" "say "hi"" "rid" "shop.example" ' +
        '"10.0.0.5:8443" outbound|8443||web.shop.svc.cluster.local - 10.0.0.9:80 10.0.0.8:4000 - default',
      { path: "/a", ua: 'say "hi"', backend: "shop/web:8443" },
    ],
  ])("%s", async (_name, line, want) => {
    const { records, stats } = await readAll(`${line}\n`, { format: "envoy" });
    expect(stats.bad).toBe(0);
    expect(records[0]).toMatchObject({ method: "GET", path: want.path, host: "shop.example", headers: { "user-agent": want.ua, "x-forwarded-for": "198.51.100.7" } });
    expect(records[0]!.observed?.backend).toBe((want as { backend?: string }).backend);
  });

  it("an HTTP/2 POST from a grpc-* client to /Service/Method is a gRPC call (content-type application/grpc); others are not", async () => {
    const line = (request: string, ua: string) =>
      `[2026-11-26T10:00:00.000Z] "${request}" 200 - 5 7 3 2 "-" "${ua}" "rid" "api.example:443" "10.0.0.5:9090"`;
    const { records } = await readAll(
      [
        line("POST /shop.v1.Cart/Add HTTP/2", "grpc-go/1.60.1"),
        line("POST /shop.v1.Cart/Add HTTP/1.1", "grpc-go/1.60.1"), // gRPC needs HTTP/2
        line("POST /shop.v1.Cart/Add HTTP/2", "curl/8.5.0"),
        line("GET /shop.v1.Cart/Add HTTP/2", "grpc-java-netty/1.62.2"),
        line("POST /upload/a?b=1 HTTP/2", "grpc-python/1.60.0"),
      ].join("\n"),
      { format: "envoy" },
    );
    expect(records.map((r) => r.headers?.["content-type"])).toEqual(["application/grpc", undefined, undefined, undefined, undefined]);
  });

  it("property: any line in Envoy's or Istio's default layout gives back its fields (header values may hold quotes)", () => {
    const printable = fc.string({ unit: fc.constantFrom(..." \"'ab()/;:,.=éz日0"), minLength: 1, maxLength: 20 });
    const value = printable.filter((s) => s !== "-");
    const pathArb = fc.string({ unit: fc.constantFrom(..."/a%2F?=&\"é"), maxLength: 15 }).map((s) => `/${s}`);
    const host = fc.constantFrom("a.example", "a.example:8443", "[2001:db8::1]:80", "-");
    const xff = fc.constantFrom("-", "198.51.100.7", "203.0.113.9, 10.0.0.1");
    const token = fc.constantFrom("-", "rid-1", "0b60ced5-f525");
    fc.assert(
      fc.property(pathArb, value, host, xff, token, fc.boolean(), (path, ua, authority, forwardedFor, requestId, istio) => {
        const middle = istio ? '200 - via_upstream - "TLS error: x y" 0 5 3 2' : "200 - 0 5 3 2";
        const tail = istio ? " outbound|80||web.shop.svc.cluster.local 10.0.0.2:1 10.0.0.3:80 10.0.0.4:2 - default" : "";
        const line = `[2026-11-26T10:00:00.000Z] "GET ${path} HTTP/1.1" ${middle} "${forwardedFor}" "${ua}" "${requestId}" "${authority}" "10.0.0.5:8080"${tail}`;
        const r = parseEnvoyText(line);
        if (typeof r === "string" || r === null) throw new Error(`${r}: ${line}`);
        expect(r.path).toBe(path);
        expect(r.host).toBe(authority === "-" ? undefined : authority);
        expect(r.headers?.["user-agent"]).toBe(ua);
        expect(r.headers?.["x-forwarded-for"]).toBe(forwardedFor === "-" ? undefined : forwardedFor);
        expect(r.id).toBe(requestId === "-" ? undefined : requestId);
        expect(r.observed?.upstreamHost).toBe("10.0.0.5:8080");
        expect(r.observed?.backend).toBe(istio ? "shop/web:80" : undefined);
      }),
      { numRuns: 500 },
    );
  });

  it("%REQ(:AUTHORITY)% and %UPSTREAM_HOST% written as - are absent; the other upstream forms are kept as written", async () => {
    const line = (authority: string, upstream: string) =>
      `[2026-11-26T10:00:00.000Z] "GET / HTTP/1.1" 503 UF,URX 0 0 1 - "-" "-" "-" "${authority}" "${upstream}"`;
    const { records, stats } = await readAll(
      [line("-", "-"), line("a.example", "[2001:db8::1]:8080"), line("a.example", "envoy://internal_client_address/")].join("\n"),
      { format: "envoy" },
    );
    expect(stats.bad).toBe(0);
    expect(records.map((r) => [r.host, r.observed])).toEqual([
      [undefined, { status: 503 }],
      ["a.example", { status: 503, upstreamHost: "[2001:db8::1]:8080" }],
      ["a.example", { status: 503, upstreamHost: "envoy://internal_client_address/" }],
    ]);
  });

  it.each([
    ["RFC 3339 with ms", "2026-11-26T10:00:00.123Z", "2026-11-26T10:00:00.123Z"],
    ["no ms", "2026-11-26T10:00:00Z", "2026-11-26T10:00:00.000Z"],
    ["microseconds and an offset", "2026-11-26T11:00:00.123456+01:00", "2026-11-26T10:00:00.123Z"],
    ["%START_TIME(%s)%: seconds", "1795687200", "2026-11-26T10:00:00.000Z"],
    ["%START_TIME(%s.%3f)%: seconds with ms", "1795687200.123", "2026-11-26T10:00:00.123Z"],
    ["milliseconds", "1795687200123", "2026-11-26T10:00:00.123Z"],
    ["%Y/%m/%dT%H:%M:%S%z", "2026/11/26T11:00:00+0100", "2026-11-26T10:00:00.000Z"],
  ])("start time %s", async (_name, start, time) => {
    const text = `[${start}] "GET / HTTP/1.1" 200 - 0 0 1 - "-" "-" "-" "a.example" "-"\n` +
      `${JSON.stringify({ start_time: start, method: "GET", "x-envoy-origin-path": "/", response_code: 200 })}\n`;
    const { records, stats } = await readAll(text, { format: "envoy" });
    expect(stats.bad).toBe(0);
    expect(records.map((r) => r.time)).toEqual([time, time]);
  });

  it("forced on JSON Lines requests: every line is bad, with the reason (no requests without their host)", async () => {
    const jsonl = '{"gateway":"ns/gw","host":"a.example","method":"GET","path":"/x"}\n{"host":"a.example","path":"/y"}\n';
    const { records, stats } = await readAll(jsonl, { format: "envoy" });
    expect(records).toEqual([]);
    expect(stats).toMatchObject({ lines: 2, records: 0, bad: 2 });
    expect(stats.badSamples.map((s) => s.reason)).toEqual([
      expect.stringMatching(/^not an Envoy access log line: a JSON object with none of Envoy's keys .*--format jsonl$/),
      expect.stringMatching(/^not an Envoy access log line: /),
    ]);
  });

  it("a custom Envoy JSON layout with only some of the usual keys is still Envoy's", async () => {
    const line = JSON.stringify({ authority: "a.example", method: "GET", path: "/x", downstream_remote_address: "192.0.2.3:5000" });
    const { records, stats } = await readAll(`${line}\n`, { format: "envoy" });
    expect(stats.bad).toBe(0);
    expect(records).toEqual([{ method: "GET", path: "/x", host: "a.example", user: "192.0.2.3" }]);
  });

  it("an Envoy JSON line without a path, or a text line with request - (CONNECT with no authority), is bad", async () => {
    const text = [
      JSON.stringify({ start_time: "2026-11-26T10:00:00Z", method: "GET", ":authority": "a.example", response_code: 200 }),
      JSON.stringify({ start_time: "2026-11-26T10:00:00Z", method: "CONNECT", ":authority": "a.example:443", response_code: 200 }),
      '[2026-11-26T10:00:00.000Z] "CONNECT - HTTP/2" 200 - 0 0 1 - "-" "-" "-" "-" "-"',
    ].join("\n");
    const { records, stats } = await readAll(text, { format: "envoy" });
    expect(records).toEqual([{ method: "CONNECT", host: "a.example:443", time: "2026-11-26T10:00:00.000Z", observed: { status: 200 } }]);
    expect(stats.badSamples.map((s) => [s.line, s.reason])).toEqual([
      [1, "not an HTTP request: GET without a request path"],
      [3, 'request target is neither a path nor a URL: "-"'],
    ]);
  });

  it.each([
    ["outbound|9080|v2|reviews.bookinfo.svc.cluster.local", "bookinfo/reviews:9080"],
    ["outbound|80||web.prod.svc.corp.internal", "prod/web:80"],
    ["outbound|443||www.example.org", "www.example.org:443"],
    ["inbound|8080||", undefined],
    ["httproute/default/backend/rule/0", undefined], // Envoy Gateway: one cluster per rule, no single backend
    ["shop/api/8080/da39a3ee5e", "shop/api:8080"], // Contour
    ["", undefined],
  ])("cluster %s → backend %s", (cluster, backend) => {
    expect(clusterBackend(cluster)).toBe(backend);
  });
});
