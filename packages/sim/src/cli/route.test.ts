import { mkdtempSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Io } from "./io.js";
import { main } from "./main.js";

const world = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: c
  listeners: [{name: http, protocol: HTTP, port: 80}]
`;

describe("gwsim route output", () => {
  it("waits for stdout to drain every 256 decisions, so a slow reader bounds memory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-route-"));
    writeFileSync(join(dir, "w.yaml"), world);
    const count = 1000;
    writeFileSync(join(dir, "r.jsonl"), Array.from({ length: count }, (_, i) => `{"id":${i},"host":"a.test","path":"/${i}"}\n`).join(""));
    let lines = 0;
    const atWait: number[] = [];
    const io: Io = {
      cwd: dir,
      readFile: (p) => readFile(p, "utf8"),
      readStdin: async () => "",
      stdout: (t) => void (lines += t.split("\n").length - 1),
      stderr: () => {},
      stdoutDrained: async () => {
        atWait.push(lines);
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
      stdin: Readable.from([""]),
      stderrIsTTY: false,
      env: {},
    };
    expect(await main(["route", "-f", "w.yaml", "--requests", "r.jsonl", "--json"], io)).toBe(0);
    expect(lines).toBe(count);
    expect(atWait).toEqual([256, 512, 768]);
  });
});

describe("gwsim route answers every line in its place", () => {
  const routed = `${world}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: svc, port: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: infra}
spec: {ports: [{port: 8080}]}
`;
  const lines = [
    `{"id":"ok-1","host":"a.test","path":"/"}`,
    `{"id":"typed","host":5,"path":"/"}`, // decide answers 400 itself
    ``, // blank: no request, no answer
    `{"id":"user","user":5,"path":"/"}`, // decide would route it; the reader refuses it
    `not json`,
    `[1, 2]`,
    `{"id":"ok-2","host":"a.test","path":"/x"}`,
  ];
  const run = async (flags: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-route-bad-"));
    writeFileSync(join(dir, "w.yaml"), routed);
    writeFileSync(join(dir, "r.jsonl"), `${lines.join("\n")}\n`);
    let out = "";
    let err = "";
    const io: Io = {
      cwd: dir,
      readFile: (p) => readFile(p, "utf8"),
      readStdin: async () => "",
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      stdin: Readable.from([""]),
      stderrIsTTY: false,
      env: {},
    };
    const code = await main(["route", "-f", "w.yaml", "--requests", "r.jsonl", ...flags], io);
    return { code, out, err };
  };

  it("--json: one decision per non-blank line, in order; unreadable lines get an error decision naming the line", async () => {
    const { code, out, err } = await run(["--json"]);
    expect(code).toBe(0);
    const ds = out.trim().split("\n").map((l) => JSON.parse(l));
    expect(ds.map((d) => [d.id, d.outcome, d.status, d.reason])).toEqual([
      ["ok-1", "forward", null, null],
      ["typed", "error", 400, "BadRequest"],
      ["user", "error", null, "UnreadableRequest"],
      [undefined, "error", null, "UnreadableRequest"],
      [undefined, "error", null, "UnreadableRequest"],
      ["ok-2", "forward", null, null],
    ]);
    expect(ds[2]).toMatchObject({ line: 4, message: "line 4: user: must be a string", backends: [], listener: null });
    expect(ds[3].line).toBe(5);
    expect(ds[3].message).toMatch(/^line 5: invalid JSON/);
    expect(ds[4].line).toBe(6);
    expect(err).toContain("r.jsonl:2:1: not read as a request: host: must be a string");
    expect(err).toContain("r.jsonl: 4 line(s) could not be read (each answered with an error decision), 2 request(s) routed");
  });

  it("the seeded draws of the readable requests do not move when bad lines are added", async () => {
    const split = routed.replace("backendRefs: [{name: svc, port: 8080}]", "backendRefs: [{name: svc, port: 8080}, {name: svc2, port: 8080}]") +
      "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc2, namespace: infra}\nspec: {ports: [{port: 8080}]}\n";
    const good = Array.from({ length: 40 }, (_, i) => `{"id":${i},"host":"a.test","path":"/${i}"}`);
    const withBad = good.flatMap((l, i) => (i % 3 === 0 ? [l, `{"host":${i}}`, "garbage"] : [l]));
    const backends = async (reqs: string[]) => {
      const dir = mkdtempSync(join(tmpdir(), "gwsim-route-draws-"));
      writeFileSync(join(dir, "w.yaml"), split);
      writeFileSync(join(dir, "r.jsonl"), `${reqs.join("\n")}\n`);
      let out = "";
      const io: Io = {
        cwd: dir, readFile: (p) => readFile(p, "utf8"), readStdin: async () => "", stdout: (t) => void (out += t), stderr: () => {},
        stdin: Readable.from([""]), stderrIsTTY: false, env: {},
      };
      await main(["route", "-f", "w.yaml", "--requests", "r.jsonl", "--json", "--seed", "7"], io);
      return out.trim().split("\n").map((l) => JSON.parse(l)).filter((d) => d.outcome === "forward").map((d) => `${d.id}:${d.backend.name}`);
    };
    const plain = await backends(good);
    expect(new Set(plain.map((x) => x.split(":")[1]))).toEqual(new Set(["svc", "svc2"]));
    expect(await backends(withBad)).toEqual(plain);
  });

  it("the table has a row per line too, ids falling back to the line number", async () => {
    const { out } = await run([]);
    expect(out).toContain("typed  {\"id\":\"typed\",\"host\":5,\"path\":\"/\"}\n  ✗ 400 bad request: host must be a string");
    expect(out).toContain("user  {\"id\":\"user\",\"user\":5,\"path\":\"/\"}\n  ✗ not read as a request: line 4: user: must be a string");
    expect(out).toMatch(/^5  not json\n {2}✗ not read as a request: line 5: invalid JSON/m);
    expect(out).toMatch(/^7  GET http:\/\/a\.test\/x|^ok-2 {2}GET http:\/\/a\.test\/x/m);
    const explained = (await run(["--explain"])).out;
    expect(explained).toMatch(/^6 {2}\[1, 2\]\n {2}✗ not read as a request: line 6:/m);
  });
});

describe("gwsim route --explain says what gwsim explain says", () => {
  const redirecting = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: c
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: upgrade, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  hostnames: [a.example.com]
  rules: [{filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]}]
`;
  it("the notes explain adds (a redirect followed to a Gateway that refuses it) come under route's steps too, in text and JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-route-notes-"));
    writeFileSync(join(dir, "w.yaml"), redirecting);
    writeFileSync(join(dir, "r.jsonl"), `{"host":"a.example.com","path":"/x"}\n`);
    const run = async (argv: string[]) => {
      let out = "";
      const io: Io = {
        cwd: dir, readFile: (p) => readFile(p, "utf8"), readStdin: async () => "", stdout: (t) => void (out += t), stderr: () => {},
        stdin: Readable.from([""]), stderrIsTTY: false, env: {},
      };
      expect(await main(argv, io)).toBe(0);
      return out;
    };
    const explained = await run(["explain", "-f", "w.yaml", "--json", "http://a.example.com/x"]);
    const note = (JSON.parse(explained).explain as string[]).find((l) => l.startsWith("following the redirect"));
    expect(note).toMatch(/https:\/\/a\.example\.com\/x is refused by this Gateway/);
    const routed = JSON.parse(await run(["route", "-f", "w.yaml", "--requests", "r.jsonl", "--json", "--explain"]));
    expect(routed.explain).toContain(note);
    const text = await run(["route", "-f", "w.yaml", "--requests", "r.jsonl", "--explain"]);
    expect(text.replace(/\n {6}/g, " ")).toContain(`- ${note}`);
  });
});
