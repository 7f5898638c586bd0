// Log collectors' records (Fluent Bit, Fluentd, Vector) around the access line: records written
// here after the collectors' documented shapes (Fluent Bit kubernetes filter and json outputs,
// fluent-plugin-kubernetes_metadata_filter, Vector's kubernetes_logs source), not copied logs.
import { createReadStream, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFileByChunks } from "./chunks.js";
import { collectorWrapped } from "./detect.js";
import { asCollectorEntry, wrappedEntry } from "./docker.js";
import { readAll } from "./fixtures/read-all.js";
import { STDERR_LINE, traceFormat } from "./index.js";
import type { ReadTraceOptions } from "./types.js";

const combined = (path: string) => `203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "GET ${path} HTTP/1.1" 200 512 "-" "curl/8.5"`;
const envoy = (path: string) =>
  `[2026-11-26T10:00:00.000Z] "GET ${path} HTTP/1.1" 200 - 0 12 3 2 "198.51.100.7" "curl/8.5" "rid-1" "shop.example" "10.0.0.5:8080"`;
const envoyJson = (path: string) =>
  JSON.stringify({ start_time: "2026-11-26T10:00:00.000Z", method: "GET", "x-envoy-origin-path": path, ":authority": "shop.example", response_code: 200, upstream_host: "10.0.0.5:8080" });
const request = (path: string) => JSON.stringify({ gateway: "infra/edge", host: "shop.example", path });
const startup = "[2026-11-26 10:00:00.001][1][info][main] [source/server/server.cc:430] initializing epoch 0";

const pod = { pod_name: "edge-7d9f8-abcde", namespace_name: "infra", pod_id: "0b4c1f6e", host: "node-1", container_name: "envoy", docker_id: "4f1c", container_image: "envoyproxy/envoy:v1.33" };
const vectorPod = { container_name: "envoy", pod_name: "edge-7d9f8-abcde", pod_namespace: "infra", pod_node_name: "node-1", pod_uid: "0b4c1f6e", pod_labels: { app: "edge" } };

type Stream = "stdout" | "stderr";
/** One record per collector shape, for a line the container wrote to `stream`. */
const COLLECTORS: Record<string, (line: string, stream?: Stream) => string> = {
  // tail + docker parser + kubernetes filter, json_lines output (its "date" key first).
  "Fluent Bit (docker parser)": (line, stream = "stdout") => JSON.stringify({ date: 1795687200.123, log: `${line}\n`, stream, time: "2026-11-26T10:00:00.123456789Z", kubernetes: pod }),
  // tail + cri parser (no newline, logtag F) + kubernetes filter, es output (@timestamp).
  "Fluent Bit (cri parser, Elasticsearch)": (line, stream = "stdout") =>
    JSON.stringify({ "@timestamp": "2026-11-26T10:00:00.123Z", time: "2026-11-26T10:00:00.123456789Z", stream, logtag: "F", log: line, kubernetes: { ...pod, labels: { app: "edge" } } }),
  // in_tail of the json-file + kubernetes_metadata filter.
  Fluentd: (line, stream = "stdout") => JSON.stringify({ log: `${line}\n`, stream, docker: { container_id: "4f1c" }, kubernetes: pod }),
  // kubernetes_logs source, JSON encoding (keys sorted).
  Vector: (line, stream = "stdout") =>
    JSON.stringify({ file: "/var/log/pods/infra_edge-7d9f8-abcde_0b4c1f6e/envoy/0.log", kubernetes: vectorPod, message: line, source_type: "kubernetes_logs", stream, timestamp: "2026-11-26T10:00:00.123456789Z" }),
};

const text = (lines: string[]) => `${lines.join("\n")}\n`;

describe("log collectors' records: the line inside is read by the trace's format", () => {
  const cases = Object.keys(COLLECTORS).flatMap((collector) =>
    [
      { format: "nginx", lines: [combined("/a"), combined("/b?x=1")], options: { host: "shop.example" } },
      { format: "envoy", lines: [envoy("/a"), envoy("/b")], options: {} },
      { format: "envoy", lines: [envoyJson("/a"), envoyJson("/b")], options: {} },
      { format: "jsonl", lines: [request("/a"), request("/b")], options: {} },
    ].map((c) => ({ collector, ...c })),
  );
  it.each(cases)("$collector around $format lines: detected, records as the bare lines", async ({ collector, format, lines, options }) => {
    const wrap = COLLECTORS[collector]!;
    const wrapped = await readAll(text(lines.map((l) => wrap(l))), options);
    const bare = await readAll(text(lines), options);
    expect(wrapped.stats).toMatchObject({ format, lines: lines.length, records: lines.length, bad: 0 });
    expect(wrapped.records).toEqual(bare.records);
    // The format named rather than detected reads them alike.
    const named = await readAll(text(lines.map((l) => wrap(l))), { ...options, format: format as ReadTraceOptions["format"] });
    expect(named.records).toEqual(bare.records);
  });

  it.each(Object.keys(COLLECTORS))("%s: the proxy's startup lines on stderr are its own log, requests on stdout read, at their line numbers", async (collector) => {
    const wrap = COLLECTORS[collector]!;
    const { records, stats } = await readAll(text([wrap(startup, "stderr"), wrap(envoy("/a")), wrap(startup, "stderr"), wrap(envoy("/b"))]));
    expect(stats).toMatchObject({ format: "envoy", lines: 4, records: 2, bad: 2 });
    expect(records.map((r) => r.path)).toEqual(["/a", "/b"]);
    expect(stats.badSamples.map((s) => [s.line, s.reason])).toEqual([[1, STDERR_LINE], [3, STDERR_LINE]]);
  });

  it("a collector's record that does not read keeps the parser's reason and is sampled as the record", async () => {
    const bad = COLLECTORS.Vector!("not an access line");
    const { stats } = await readAll(text([COLLECTORS.Vector!(envoy("/a")), bad, COLLECTORS.Vector!(envoy("/b"))]));
    expect(stats).toMatchObject({ format: "envoy", records: 2, bad: 1 });
    expect(stats.badSamples[0]).toMatchObject({ line: 2, text: bad });
  });

  it("chunked reads (--workers) unwrap them alike, deciding from the file's head", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-collectors-"));
    const lines = Array.from({ length: 60 }, (_, i) => COLLECTORS["Fluent Bit (docker parser)"]!(i % 7 === 3 ? startup : envoy(`/p/${i}`), i % 7 === 3 ? "stderr" : "stdout"));
    // Opening with a record (after a BOM, blank and CRLF lines), and opening with a plain line (then not unwrapped).
    for (const [name, content] of [["opens-with-record.log", `\uFEFF\r\n \n${text(lines)}`], ["opens-plain.log", text([envoy("/first"), ...lines])]] as const) {
      const path = join(dir, name);
      writeFileSync(path, content);
      const whole = await readAll(content);
      expect(whole.stats.records).toBe(name === "opens-plain.log" ? 0 : 51); // plain: read as JSON Lines, whose records these are not
      const format = await traceFormat(createReadStream(path));
      for (const size of [1, 7, 100, 4096]) expect(readFileByChunks(path, statSync(path).size, format, {}, size), `${name}, chunks of ${size}`).toEqual(whole);
    }
  });
});

describe("what is not a collector's record is read as it is", () => {
  it("a JSON access log with a kubernetes key and no wrapped line (Fluent Bit Merge_Log without Keep_Log) stays Envoy JSON / JSON Lines", async () => {
    const envoyK8s = [envoyJson("/a"), envoyJson("/b")].map((l) => JSON.stringify({ ...JSON.parse(l), kubernetes: pod, stream: "stdout", time: "2026-11-26T10:00:00Z" }));
    const e = await readAll(text(envoyK8s));
    expect(e.stats).toMatchObject({ format: "envoy", records: 2, bad: 0 });
    expect(e.records.map((r) => r.path)).toEqual(["/a", "/b"]);
    const jsonlK8s = [request("/a"), request("/b")].map((l) => JSON.stringify({ ...JSON.parse(l), kubernetes: pod }));
    const j = await readAll(text(jsonlK8s));
    expect(j.stats).toMatchObject({ format: "jsonl", records: 2, bad: 0 });
    expect(j.records.map((r) => r.path)).toEqual(["/a", "/b"]);
  });

  it("a trace is a collector's when its first non-blank line is a record; a record later in a JSON Lines trace is not unwrapped", async () => {
    const later = COLLECTORS.Fluentd!(request("/b"));
    expect(collectorWrapped(text([request("/a"), later]), true)).toBe(false);
    expect(collectorWrapped(text(["", " ", later, request("/a")]), true)).toBe(true);
    expect(collectorWrapped(`${"\n".repeat(20)}${later}\n`, true)).toBe(false); // past the first 20 lines
    const { records, stats } = await readAll(text([request("/a"), later, request("/c")]));
    expect(stats).toMatchObject({ format: "jsonl", records: 2, bad: 1 });
    expect(records.map((r) => r.path)).toEqual(["/a", "/c"]);
    const opened = await readAll(text(["", later, request("/c")]));
    expect(opened.records.map((r) => r.path)).toEqual(["/b", "/c"]);
  });

  it("Docker's own json-file entries are Docker's (their pieces joined), not a collector's", () => {
    const docker = '{"log":"x\\n","stream":"stdout","time":"2026-11-26T10:00:00Z"}';
    expect(collectorWrapped(text([docker, docker]), true)).toBe(false);
    expect(wrappedEntry(docker)).toEqual({ log: "x\n", stream: "stdout" });
  });

  it("a head that ends inside its only record decides nothing", () => {
    const line = COLLECTORS.Vector!(envoy("/a"));
    expect(collectorWrapped(line.slice(0, 40), false)).toBe(false);
    expect(collectorWrapped(line, true)).toBe(true);
  });
});

describe("asCollectorEntry", () => {
  it.each([
    ["Fluent Bit", { log: "x\n", stream: "stdout", time: "t", kubernetes: {} }, { log: "x\n", stream: "stdout", whole: true }],
    ["Fluent Bit without the kubernetes filter (date key)", { date: 1, log: "x\n", stream: "stderr", time: "t" }, { log: "x\n", stream: "stderr", whole: true }],
    ["Fluentd with docker metadata only", { log: "x\n", docker: { container_id: "a" } }, { log: "x\n", stream: "stdout", whole: true }],
    ["Vector", { message: "x", source_type: "kubernetes_logs", kubernetes: {} }, { log: "x", stream: "stdout", whole: true }],
    ["log wins over message", { log: "a", message: "b", kubernetes: {} }, { log: "a", stream: "stdout", whole: true }],
    ["a log that is no string (merged)", { log: { a: 1 }, message: "b", kubernetes: {} }, undefined],
    ["no line", { kubernetes: {}, stream: "stdout", time: "t" }, undefined],
    ["no collector mark", { log: "x", level: "info" }, undefined],
    ["a stream and no time", { log: "x", stream: "stdout", level: "info" }, undefined],
    ["another stream", { log: "x", stream: "other", kubernetes: {} }, undefined],
    ["kubernetes not a map", { log: "x", kubernetes: "infra" }, undefined],
    ["Docker's keys only", { log: "x\n", stream: "stdout", time: "t" }, undefined],
  ])("%s", (_name, record, want) => {
    expect(asCollectorEntry(record as Record<string, unknown>)).toEqual(want);
  });
});
