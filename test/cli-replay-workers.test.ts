import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { workersFlag } from "../packages/sim/src/cli/replay.js";

const root = join(import.meta.dirname, "..");
const world = "packages/examples/world";

describe("gwsim replay --workers", () => {
  it("gives the same report and the same bad-line report for 1 and 2 workers on a file of several chunks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-cli-workers-"));
    try {
      // 84,000 lines, over 5 MiB: more than one 4 MiB chunk, bad lines (the third of each 7) in both.
      const small = readFileSync(join(root, "test/fixtures/traces/small.jsonl"), "utf8");
      const trace = join(dir, "trace.jsonl");
      writeFileSync(trace, small.repeat(12_000));
      const run = (workers: string) => runCli(["replay", "-f", world, "--trace", trace, "--json", "--seed", "5", "--workers", workers], { cwd: root });
      const one = await run("1");
      const two = await run("2");
      expect(one.code).toBe(0);
      expect(two.code).toBe(0);
      expect(two.stdout).toBe(one.stdout);
      expect(two.stderr).toBe(one.stderr);
      expect(JSON.parse(one.stdout).requests).toBe(72_000);
      expect(one.stderr).toContain(`${trace}:3:1: skipped`);
      expect(one.stderr).toContain(`${trace}: 12000 of 84000 line(s) could not be read and were skipped (format jsonl)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("a missing trace file is still a usage error", async () => {
    const r = await runCli(["replay", "-f", world, "--trace", "no/such/trace.jsonl", "--workers", "2"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such file");
  });

  it.each([
    [{}, 8, 1],
    [{ workers: "3" }, 8, 3],
    [{ workers: "auto" }, 2, 2],
    [{ workers: "auto" }, 32, 8],
    [{ workers: "auto" }, 1, 1],
    [{ workers: "64" }, 2, 64],
  ])("--workers %j on %i cores: %i threads", (values, cores, want) => {
    expect(workersFlag(values, cores)).toBe(want);
  });

  it.each(["0", "-2", "65", "1.5", "all"])("--workers %s is a usage error", async (n) => {
    const r = await runCli(["replay", "-f", world, "--trace", "test/fixtures/traces/small.jsonl", "--workers", n], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gwsim: .*--workers/);
    expect(r.stdout).toBe("");
  });

  it("--workers auto replays like one thread", async () => {
    const run = (workers: string) => runCli(["replay", "-f", world, "--trace", "test/fixtures/traces/small.jsonl", "--json", "--workers", workers], { cwd: root });
    const [auto, one] = [await run("auto"), await run("1")];
    expect(auto.code).toBe(0);
    expect(auto.stdout).toBe(one.stdout);
  });
});
