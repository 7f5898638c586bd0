import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Io } from "./io.js";
import { main } from "./main.js";

const root = join(import.meta.dirname, "../../../..");

function io(files: Record<string, string>, drained?: () => Promise<void>, stdin = "") {
  const out = { stdout: [] as string[], stderr: "" };
  const dir = mkdtempSync(join(tmpdir(), "gwsim-synth-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const value: Io = {
    cwd: dir,
    readFile: (p) => readFile(p, "utf8"),
    readStdin: async () => stdin,
    stdout: (t) => void out.stdout.push(t),
    stderr: (t) => void (out.stderr += t),
    ...(drained ? { stdoutDrained: drained } : {}),
    stdin: Readable.from([""]),
    stderrIsTTY: false,
    env: {},
  };
  return { io: value, out };
}

const good = "defaults: {gateway: ns/gw}\nclasses:\n  - path: /items/{int:1-9}\n";

describe("gwsim synth", () => {
  it("a bad profile: gwsim: FILE:LINE:COL: field: message, exit 2, no stack trace, nothing on stdout", async () => {
    const { io: x, out } = io({ "p.yaml": `${good}    shrae: 2\n    headers: {"bad name": x}\n` });
    expect(await main(["synth", "--profile", "p.yaml", "--count", "5"], x)).toBe(2);
    expect(out.stderr).toBe(
      [
        'gwsim: p.yaml:4:5: classes[0].shrae: unknown field "shrae" (did you mean "share"?)',
        "gwsim: p.yaml:5:15: classes[0].headers.bad name: not a valid header name (RFC 9110 §5.1: letters, digits and !#$%&'*+-.^_`|~)",
        "",
      ].join("\n"),
    );
    expect(out.stdout.join("")).toBe("");
  });

  it("host templates and gRPC classes: bad ones are located, good ones print grpc lines", async () => {
    const bad = io({ "p.yaml": `${good}    host: "{choice:a b|c}.example.com"\n  - grpc: {service: pkg.Svc, method: Get}\n    path: /x\n` });
    expect(await main(["synth", "--profile", "p.yaml", "--count", "5"], bad.io)).toBe(2);
    expect(bad.out.stderr).toBe(
      [
        'gwsim: p.yaml:4:11: classes[0].host: "a b" cannot be part of a host name (letters, digits, "-" and "." only)',
        "gwsim: p.yaml:6:5: classes[1].path: a gRPC class cannot set path (grpc names the call: POST /service/method)",
        "",
      ].join("\n"),
    );
    const ok = io({ "p.yaml": 'defaults: {gateway: ns/gw, host: "t{int:1-3}.example"}\nclasses: [{grpc: {service: pkg.Svc, method: "{choice:Get|List}"}}]\n' });
    expect(await main(["synth", "--profile", "p.yaml", "--count", "20"], ok.io)).toBe(0);
    const lines = ok.out.stdout.join("").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(20);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(["time", "gateway", "host", "grpc"]);
      expect(l.host).toMatch(/^t[1-3]\.example$/);
      expect(l.grpc.service).toBe("pkg.Svc");
      expect(["Get", "List"]).toContain(l.grpc.method);
    }
  });

  it("--profile - reads stdin; its problems are named <stdin>", async () => {
    const ok = io({}, undefined, good);
    expect(await main(["synth", "--profile", "-", "--count", "2"], ok.io)).toBe(0);
    expect(ok.out.stdout.join("").split("\n")).toHaveLength(3);
    const bad = io({}, undefined, `${good}    method: "G T"\n`);
    expect(await main(["synth", "--profile", "-", "--count", "2"], bad.io)).toBe(2);
    expect(bad.out.stderr).toBe("gwsim: <stdin>:4:13: classes[0].method: not a valid method (RFC 9110 §9.1: a token)\n");
  });

  it("arrivals that would pass year 9999: exit 2 before writing", async () => {
    const { io: x, out } = io({ "p.yaml": `rate: 0.0000001\n${good}` });
    expect(await main(["synth", "--profile", "p.yaml", "--count", "100000"], x)).toBe(2);
    expect(out.stderr).toMatch(/^gwsim: p\.yaml: rate: 100000 requests at 1e-7\/s .* run past year 9999/);
    expect(out.stdout.join("")).toBe("");
  });

  it("waits for stdout to drain between chunks (a slow reader bounds memory)", async () => {
    let release: () => void = () => {};
    let waits = 0;
    const { io: x, out } = io({ "p.yaml": good }, () => {
      waits++;
      return waits === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
    });
    const done = main(["synth", "--profile", "p.yaml", "--count", "20000", "--seed", "3"], x);
    await new Promise((r) => setTimeout(r, 50));
    expect(out.stdout.length).toBe(1); // one chunk out, then it waits
    release();
    expect(await done).toBe(0);
    const lines = out.stdout.join("").split("\n");
    expect(lines.length).toBe(20001);
    expect(out.stdout.length).toBeGreaterThan(10);
  });

  it("piped into a reader that stops after one line: exits promptly, quietly", async () => {
    const child = spawn(
      process.execPath,
      ["--conditions=development", "--import", "tsx", "packages/sim/src/cli.ts", "synth", "--profile", "packages/examples/profiles/store.yaml", "--count", "5000000"],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    const timer = setTimeout(() => child.kill(), 15_000); // never leave it running if this fails
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const first = await new Promise<string>((resolve) => {
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        if (buf.includes("\n")) resolve(buf.slice(0, buf.indexOf("\n")));
      });
    });
    const started = Date.now();
    child.stdout.destroy(); // as `head -1` closes the pipe
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    clearTimeout(timer);
    expect(JSON.parse(first)).toMatchObject({ gateway: "infra/edge" });
    expect(Date.now() - started).toBeLessThan(5000); // the whole trace takes ~30 s
    expect(code).toBe(0);
    expect(stderr).toBe("");
  }, 20_000);

  it("a profile with timeZone gives the same bytes whatever the machine's TZ (child processes)", async () => {
    const profileText = `${good}rate: 0.1\nstart: "2026-03-28T22:00:00Z"\ndaily: [1,1,9,1,1,1,2,3,4,5,5,5,5,5,5,5,4,4,3,3,2,2,1,1]\ntimeZone: Europe/Berlin\n`;
    const run = (tz: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", "packages/sim/src/cli.ts", "synth", "--profile", "-", "--count", "3000", "--seed", "7"], {
          cwd: root,
          env: { ...process.env, TZ: tz },
          stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("exit", (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(profileText);
      });
    const [newYork, kathmandu] = await Promise.all([run("America/New_York"), run("Asia/Kathmandu")]);
    const here = io({}, undefined, profileText);
    expect(await main(["synth", "--profile", "-", "--count", "3000", "--seed", "7"], here.io)).toBe(0);
    expect([newYork.code, newYork.stderr, kathmandu.code, kathmandu.stderr]).toEqual([0, "", 0, ""]);
    expect(newYork.stdout.split("\n")).toHaveLength(3001);
    expect(newYork.stdout).toBe(kathmandu.stdout);
    expect(newYork.stdout).toBe(here.out.stdout.join(""));
    // The night of the change (2026-03-29, 02:00 → 03:00 in Berlin) is inside the trace.
    expect(newYork.stdout).toContain('"time":"2026-03-29T01:');
  }, 30_000);
});
