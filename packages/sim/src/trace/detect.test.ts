import { describe, expect, it } from "vitest";
import { detectFormat, SNIFF_CHARS } from "./detect.js";
import { readAll } from "./fixtures/read-all.js";

const envoyText = '[2026-11-26T10:00:00.000Z] "GET / HTTP/1.1" 200 - 0 1 1 1 "-" "curl/8" "r1" "a.example" "10.0.0.1:80"';
const istioText =
  '[2026-11-26T10:00:00.000Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 1 1 1 "-" "curl/8" "r1" "a.example" "10.0.0.1:80" ' +
  "outbound|80||a.ns.svc.cluster.local 10.0.0.2:1 10.0.0.3:80 10.0.0.4:2 - default";
const egJson = '{"start_time":"2026-11-26T10:00:00.000Z","method":"GET","x-envoy-origin-path":"/",":authority":"a.example","response_code":200}';
const istioJson = '{"start_time":"2026-11-26T10:00:00.000Z","method":"GET","path":"/","authority":"a.example","upstream_cluster":"x"}';
const combined = '192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8"';
const common = '192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1';
const haproxy =
  'Nov 26 10:00:00 lb haproxy[1]: 192.0.2.1:1 [26/Nov/2026:10:00:00.000] fe be/s1 0/0/0/1/1 200 1 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"';
const tcpLine = '[2026-11-26T10:00:00.000Z] "- - -" 0 - - - "-" 120 340 5 - "-" "-" "-" "-" "10.0.0.7:5432" outbound|5432||db.data.svc.cluster.local 10.0.0.2:1 10.96.0.9:5432 10.0.0.2:3 - -';
const noRequest = '192.0.2.9 - - [26/Nov/2026:10:00:00 +0000] "-" 400 0 "-" "-"';
const jsonl = '{"gateway":"ns/gw","host":"a.example","path":"/"}';

describe("auto-detection from the first lines", () => {
  it.each([
    ["jsonl", `${jsonl}\n${jsonl}\n`, {}, "jsonl"],
    ["jsonl whose first line is broken", `{"path": \n${jsonl}\n`, {}, "jsonl"],
    ["jsonl whose first line is not JSON", `oops\n${jsonl}\n${jsonl}\n`, {}, "jsonl"],
    ["jsonl whose first line is an array", `[1,2]\n${jsonl}\n`, {}, "jsonl"],
    ["jsonl after a comment and blank lines", `# exported by hand\n\n\n${jsonl}\n`, {}, "jsonl"],
    ["Envoy Gateway JSON after a comment", `# from kubectl logs\n${egJson}\n${egJson}\n`, {}, "envoy"],
    ["Envoy text after a comment and a blank line", `# from kubectl logs\n\n${envoyText}\n`, {}, "envoy"],
    ["Envoy Gateway JSON", `${egJson}\n`, {}, "envoy"],
    ["Envoy text opening with TCP proxy lines", `${tcpLine}\n${tcpLine}\n${tcpLine}\n${envoyText}\n`, {}, "envoy"],
    ["Istio text with only TCP proxy lines in the head", `${tcpLine}\n`, {}, "envoy"],
    ["combined with only requests that never came in the head", `${noRequest}\n${noRequest}\n`, {}, "nginx"],
    ["Istio JSON", `${istioJson}\n`, {}, "envoy"],
    ["Envoy default text", `${envoyText}\n`, {}, "envoy"],
    ["Istio default text", `${istioText}\n`, {}, "envoy"],
    ["combined", `${combined}\n`, {}, "nginx"],
    ["common", `${common}\n`, {}, "nginx"],
    ["combined after a garbage first line", `garbage\n${combined}\n${combined}\n`, {}, "nginx"],
    ["HAProxy behind syslog", `${haproxy}\n`, {}, "haproxy"],
    ["HAProxy without syslog prefix", `${haproxy.slice(haproxy.indexOf("192."))}\n`, {}, "haproxy"],
    ["pretty-printed HAR", '{\n  "log": {\n    "version": "1.2",\n', {}, "har"],
    ["one-line HAR", '{"log":{"version":"1.2","entries":[]}}', {}, "har"],
    ["one-line HAR with custom _ members before log", '{"_exportedBy":"tool \\"x\\"","_n":3,"log":{"entries":[]}}', {}, "har"],
    ["HAR with a BOM", '\uFEFF{\n "log": {}}', {}, "har"],
    ["CSV with a header", "time,method,host,path\n1,GET,a,/\n", {}, "csv"],
    ["CSV given csvColumns", "a;b\n", { csvColumns: { path: "a" } }, "csv"],
    ["a custom nginx layout given logFormat", "whatever\n", { logFormat: "$remote_addr $request" }, "nginx"],
    ["unrecognised text", "hello\nworld\n", {}, "unknown"],
    ["unrecognised text in a .har file", "hello\n", { file: "x.har" }, "har"],
    ["empty input", "", {}, "unknown"],
    ["empty .jsonl file", "", { file: "t.jsonl" }, "jsonl"],
  ])("%s", (_name, head, options, format) => {
    expect(detectFormat(head, options)).toBe(format);
  });

  it("an explicit format overrides detection", async () => {
    const { records, stats } = await readAll(`${combined}\n`, { format: "jsonl" });
    expect(stats).toMatchObject({ format: "jsonl", records: 0, bad: 1 });
    expect(records).toEqual([]);
  });

  it("an unrecognised trace is read as bad lines, never thrown", async () => {
    const { records, stats } = await readAll("hello\nworld\n");
    expect(records).toEqual([]);
    expect(stats).toMatchObject({ format: "unknown", lines: 2, records: 0, bad: 2 });
    expect(stats.badSamples[0]).toEqual({
      line: 1, text: "hello", reason: "trace format not recognised: name it (--format jsonl|envoy|nginx|har|csv|haproxy)",
    });
  });

  it("a JSON Lines trace whose first line is longer than the head read for detection", () => {
    const long = JSON.stringify({ path: "/a", headers: { "x-big": "x".repeat(SNIFF_CHARS) } });
    expect(detectFormat(long.slice(0, SNIFF_CHARS), {}, false)).toBe("jsonl");
    expect(detectFormat(long.slice(0, SNIFF_CHARS), { file: "t.har" }, false)).toBe("har");
  });

  it("kubectl logs of a proxy: over a hundred startup log lines before the first access log line", async () => {
    // Written here in the shapes Envoy's and pilot-agent's own logs take (not access logs).
    const startup = [
      ...Array.from({ length: 60 }, (_, i) => `2026-11-26T09:59:59.${String(i).padStart(6, "0")}Z\tinfo\tFLAG: --option-${i}="x"`),
      ...Array.from({ length: 90 }, (_, i) => `[2026-11-26 09:59:59.${String(i).padStart(3, "0")}][1][info][main] [source/server/server.cc:${i}] starting step ${i}`),
    ];
    const text = [...startup, envoyText, envoyText, ""].join("\n");
    expect(detectFormat(text)).toBe("envoy");
    for (const input of [text, [...text].map((c) => c)]) {
      const { stats } = await readAll(input);
      expect(stats).toMatchObject({ format: "envoy", lines: 152, records: 2, bad: 150 });
      expect(stats.badSamples.map((s) => s.reason)).toEqual(Array(5).fill("the proxy's own log line, not an access log line"));
    }
  });

  it.each([
    ["--timestamps", (l: string) => `2026-11-26T10:00:00.123456789Z ${l}`],
    ["--prefix", (l: string) => `[pod/gw-envoy-7d9f-abcde/envoy] ${l}`],
    ["--prefix --timestamps", (l: string) => `[pod/gw-envoy-7d9f-abcde/envoy] 2026-11-26T10:00:00.5+01:00 ${l}`],
    ["(a CRI log file on the node)", (l: string) => `2026-11-26T10:00:00.123456789Z stdout F ${l}`],
  ])("kubectl logs %s: lines are detected and read without the prefix", async (_name, prefix) => {
    for (const [line, format] of [[envoyText, "envoy"], [egJson, "envoy"], [combined, "nginx"], [jsonl, "jsonl"]] as const) {
      const { records, stats } = await readAll(`${prefix(line)}\n${prefix(line)}\n`);
      expect(stats, line).toMatchObject({ format, records: 2, bad: 0 });
      expect(records[0]!.path).toBe("/");
    }
  });

  it("a custom layout that opens with a time is read as it is, not stripped", async () => {
    const { records, stats } = await readAll("2026-11-26T10:00:00Z 192.0.2.1 GET /a 200\n", {
      logFormat: "$time_iso8601 $remote_addr $request_method $request_uri $status",
    });
    expect(stats.bad).toBe(0);
    expect(records).toEqual([{ method: "GET", path: "/a", user: "192.0.2.1", time: "2026-11-26T10:00:00.000Z", observed: { status: 200 } }]);
  });

  it("detection sees lines past the first chunk", async () => {
    const chunks = [...`junk\n${combined}\n${combined}\n`].map((c) => c); // one character per chunk
    const { stats } = await readAll(chunks);
    expect(stats).toMatchObject({ format: "nginx", records: 2, bad: 1 });
  });
});
