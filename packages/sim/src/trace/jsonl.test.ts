import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixture, readAll } from "./fixtures/read-all.js";
import { checkJsonRecord, isCanonicalTime } from "./jsonl.js";

describe("jsonl trace", () => {
  it.each([
    ["Envoy Gateway's JSON", { start_time: "2026-11-26T10:00:00Z", method: "GET", "x-envoy-origin-path": "/x", ":authority": "a.example" }, /an Envoy access log line \(it has "start_time"\); read it with --format envoy$/],
    ["Istio's JSON (it has a path)", { start_time: "2026-11-26T10:00:00Z", method: "GET", path: "/x", authority: "a.example" }, /an Envoy access log line/],
    ["a one-line HAR", { log: { version: "1.2", entries: [] } }, /a HAR document; read it with --format har$/],
    // Docker's own json-file lines, and log collectors' records when a trace opens with one, are
    // unwrapped before any format reads them (docker.test.ts, collectors.test.ts); a line with a
    // log and a stream but neither Docker's time nor a collector's marks is neither, and stays bad.
    ["a container line of no known writer", { log: '{"path":"/x"}\n', stream: "stdout" }, /container runtime/],
  ])("--format jsonl on %s: the line is bad, with the format to use", async (_name, object, reason) => {
    const { records, stats } = await readAll(`${JSON.stringify(object)}\n`, { format: "jsonl" });
    expect(records).toEqual([]);
    expect(stats.badSamples[0]!.reason).toMatch(reason);
  });

  it("a request that names its host keeps extra fields whatever their names", () => {
    const r = { host: "a.example", path: "/x", start_time: "t", log: "mine", stream: "s" };
    expect(checkJsonRecord({ ...r })).toEqual(r);
    expect(checkJsonRecord({ path: "/x", log: "mine" })).toEqual({ path: "/x", log: "mine" });
  });

  it("reads the fixture: valid records exact, bad lines counted with their line numbers", async () => {
    const { records, stats } = await readAll(fixture("requests.jsonl"), { format: "jsonl" });
    expect(records).toEqual([
      {
        id: 1, gateway: "infra/edge", host: "shop.example.com", method: "GET", path: "/cart?item=7",
        headers: { "x-canary": "on", accept: ["a/b", "c/d"] }, user: "u-1", time: "2026-11-26T10:00:00.000Z",
      },
      {
        id: "two", service: "store/api", from: "store", method: "POST", path: "/v1/orders", time: "2025-11-26T10:00:00.000Z",
        observed: { backend: "store/api-v2:8080", upstreamHost: "10.0.0.7:8080", status: 201 },
      },
      {
        gateway: "infra/edge", grpc: { service: "pkg.Svc", method: "Call" }, protocol: "HTTP/2", extra: { kept: true },
      },
      { address: "10.96.0.12", from: "web", port: 8080, path: "/ok", headers: { "x-dup": ["1", "2"] } },
      { gateway: "infra/edge", path: "/crlf", time: "2026-11-26T09:00:05.500Z" },
    ]);
    expect(stats).toMatchObject({ format: "jsonl", lines: 13, records: 5, bad: 7 });
    expect(stats.badSamples.map((b) => [b.line, b.reason])).toEqual([
      [4, "port: must be an integer from 1 to 65535"],
      [5, expect.stringMatching(/^invalid JSON: /)],
      [6, "not a JSON object"],
      [7, "scheme: must be one of http, https, tls, tcp, udp"],
      [8, "time: must be RFC 3339 or epoch milliseconds"],
    ]);
    expect(stats.badSamples[1]!.text).toBe("not json at all");
  });

  it("the truncated last line (no newline) is bad, reported on its own line number", async () => {
    const { stats } = await readAll(fixture("requests.jsonl"), { format: "jsonl" });
    // Only 5 samples are kept; line 10 (headers) and line 13 (truncated) are counted.
    expect(stats.bad).toBe(7);
    const tail = await readAll('{"path":"/a"}\n{"path":"/trunc', { format: "jsonl" });
    expect(tail.stats.badSamples).toEqual([{ line: 2, text: '{"path":"/trunc', reason: expect.stringMatching(/^invalid JSON/) }]);
  });

  it.each([
    [{ headers: { "x-a": 1 } }, "headers.x-a: must be a string or a list of strings"],
    [{ gateway: "edge" }, "gateway: must be namespace/name"],
    [{ service: "a/b/c" }, "service: must be namespace/name or a name"],
    [{ service: "" }, "service: must be namespace/name or a name"],
    [{ service: 7 }, "service: must be namespace/name or a name"],
    [{ port: 0 }, "port: must be an integer from 1 to 65535"],
    [{ port: 8.5 }, "port: must be an integer from 1 to 65535"],
    [{ protocol: "HTTP/3" }, "protocol: must be one of HTTP/1.1, HTTP/2, h2c, websocket"],
    [{ grpc: { service: "a" } }, "grpc: must be {service, method} strings"],
    [{ observed: { status: "200" } }, "observed.status: must be an integer"],
    [{ observed: { backend: 3 } }, "observed.backend: must be a string"],
    [{ observed: [] }, "observed: must be an object"],
    [{ time: true }, "time: must be RFC 3339 or epoch milliseconds"],
  ])("%j → %s", (value, reason) => {
    expect(checkJsonRecord(value)).toBe(reason);
  });

  it("a bare Service name is read as decide reads it (default/<name>)", async () => {
    expect(checkJsonRecord({ service: "api", port: 80 })).toEqual({ service: "api", port: 80 });
    const { buildWorld, decide, parseManifests } = await import("@gwsim/core");
    const world = buildWorld(parseManifests("apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: default}\nspec: {ports: [{port: 80}], clusterIP: 10.0.0.9}\n", { file: "s.yaml" }).objects);
    const bare = decide(world, { service: "api", port: 80 }, { seed: 0, index: 0 });
    expect(bare).toEqual(decide(world, { service: "default/api", port: 80 }, { seed: 0, index: 0 }));
    expect(bare.outcome).not.toBe("reject");
  });

  it("null fields are taken as absent", () => {
    expect(checkJsonRecord({ path: "/", host: null, headers: null, observed: null, time: null, grpc: null })).toEqual({ path: "/" });
  });
});

describe("isCanonicalTime", () => {
  it("agrees with the regular expression it replaces, on canonical times with characters changed, cut or added", () => {
    const canonical = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    const time = fc.date({ min: new Date(0), max: new Date(253402300799000), noInvalidDate: true }).map((d) => d.toISOString());
    const edit = fc.tuple(time, fc.nat(30), fc.constantFrom("", "0", "9", "-", ":", ".", "T", "Z", "z", "/", "a", " ", "٣"), fc.constantFrom("replace", "insert", "cut"));
    fc.assert(
      fc.property(edit, ([t, at, c, how]) => {
        const i = at % (t.length + 1);
        const v = how === "replace" ? t.slice(0, i) + c + t.slice(i + 1) : how === "insert" ? t.slice(0, i) + c + t.slice(i) : t.slice(0, i);
        expect(isCanonicalTime(v), v).toBe(canonical.test(v));
        expect(isCanonicalTime(t)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
