import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const root = join(import.meta.dirname, "..");
const world = "packages/examples/world";
const trace = "test/fixtures/traces/small.jsonl";
const scratch = mkdtempSync(join(tmpdir(), "gwsim-paths-"));
const dir = join(scratch, "a-directory");
mkdirSync(dir);
const aFile = join(scratch, "a-file");
writeFileSync(aFile, "x\n");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const weight = ["--set-weight", "store/checkout/split/checkout-v2=50"];

/** Exit 2 with exactly one line, `gwsim: PATH: cannot ACTION: REASON`: no usage line, no "internal error". */
function expectPathError(r: { code: number; stdout: string; stderr: string }, line: string): void {
  expect(r.stderr).toBe(`gwsim: ${line}\n`);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
}

describe("input files the flags name", () => {
  it.each([
    ["replay --trace", ["replay", "-f", world, "--trace", dir]],
    ["route --requests", ["route", "-f", world, "--requests", dir]],
    ["whatif --trace", ["whatif", "-f", world, ...weight, "--trace", dir]],
    ["whatif --rollout", ["whatif", "-f", world, "--rollout", dir, "--trace", trace]],
    ["synth --profile", ["synth", "--profile", dir, "--count", "1"]],
  ])("%s with a directory: gwsim: PATH: cannot read: is a directory", async (_, argv) => {
    expectPathError(await runCli(argv, { cwd: root }), `${dir}: cannot read: is a directory`);
  });

  it.each([
    ["replay --trace", ["replay", "-f", world, "--trace", "nope.jsonl"]],
    ["route --requests", ["route", "-f", world, "--requests", "nope.jsonl"]],
    ["whatif --trace", ["whatif", "-f", world, ...weight, "--trace", "nope.jsonl"]],
    ["whatif --rollout", ["whatif", "-f", world, "--rollout", "nope.jsonl", "--trace", trace]],
    ["synth --profile", ["synth", "--profile", "nope.jsonl", "--count", "1"]],
  ])("%s with a missing file: gwsim: PATH: cannot read: no such file", async (_, argv) => {
    expectPathError(await runCli(argv, { cwd: root }), "nope.jsonl: cannot read: no such file");
  });

  it("serve --endpoints with a directory exits 2 before opening a socket", async () => {
    const r = await runCli(["serve", "-f", world, "--listen", "80=127.0.0.1:0", "--endpoints", dir], { cwd: root });
    expectPathError(r, `${dir}: cannot read: is a directory`);
  });
});

describe("output files the flags name are checked before the work", () => {
  const missingDir = join(scratch, "no-such-dir", "x.html");
  it.each([
    ["replay --html", ["replay", "-f", world, "--trace", trace, "--html"]],
    ["whatif --html", ["whatif", "-f", world, ...weight, "--trace", trace, "--html"]],
    ["serve --record", ["serve", "-f", world, "--listen", "80=127.0.0.1:0", "--record"]],
    ["serve --access-log", ["serve", "-f", world, "--listen", "80=127.0.0.1:0", "--access-log"]],
  ])("%s", async (_, argv) => {
    // No report on stdout and no "ready": the command stopped before replaying or serving.
    expectPathError(await runCli([...argv, missingDir], { cwd: root }), `${missingDir}: cannot write: no such directory ${join(scratch, "no-such-dir")}`);
    expectPathError(await runCli([...argv, dir], { cwd: root }), `${dir}: cannot write: is a directory`);
    const under = join(aFile, "x.html");
    expectPathError(await runCli([...argv, under], { cwd: root }), `${under}: cannot write: ${aFile} is not a directory`);
  });

  it("a writable --html path gets the report, and a relative one is named as typed", async () => {
    const r = await runCli(["replay", "-f", join(root, world), "--trace", join(root, trace), "--html", "report.html"], { cwd: scratch });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("gwsim: wrote report.html");
    expect(readFileSync(join(scratch, "report.html"), "utf8")).toMatch(/^<!doctype html>/i);
    const missing = await runCli(["replay", "-f", join(root, world), "--trace", join(root, trace), "--html", "sub/report.html"], { cwd: scratch });
    expectPathError(missing, "sub/report.html: cannot write: no such directory sub");
    expect(existsSync(join(scratch, "sub"))).toBe(false);
  });
});
