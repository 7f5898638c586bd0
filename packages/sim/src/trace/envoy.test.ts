import { describe, expect, it } from "vitest";
import { clusterBackend } from "./envoy.js";
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
      [8, 'not an Envoy text access log line ([START_TIME] "REQUEST" ...)'],
      [9, "unterminated quoted field"],
      [10, expect.stringMatching(/^invalid JSON/)],
      [11, "no request method: not an HTTP access log line"],
    ]);
    expect(stats.badSamples[2]!.text).toBe('[2026-11-26T10:00:06.000Z] "GET /cut HTTP/1.1" 200 - 0 12 1 1 "-" "curl/8.5.0" "req-6" "shop.exa');
  });

  it("a bad start time is a bad line", async () => {
    const { stats } = await readAll('[yesterday] "GET / HTTP/1.1" 200 - 0 0 0 - "-" "-" "-" "a.example" "-"\n', { format: "envoy" });
    expect(stats.badSamples).toEqual([
      { line: 1, text: '[yesterday] "GET / HTTP/1.1" 200 - 0 0 0 - "-" "-" "-" "a.example" "-"', reason: 'start time is not a timestamp: "yesterday"' },
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
