/** A compressed trace through the CLI (the reader's own cases are in packages/sim/src/trace/compressed.test.ts). */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const root = join(import.meta.dirname, "..");
const world = "packages/examples/world";
const trace = "test/fixtures/traces/small.jsonl";

describe("compressed traces through the CLI", () => {
  it("replay reads a gzipped trace as the plain one, with or without workers; zstd is refused naming its command", async () => {
    const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { gzipSync } = await import("node:zlib");
    const dir = mkdtempSync(join(tmpdir(), "gwsim-gz-cli-"));
    try {
      const gz = join(dir, "small.jsonl.gz");
      writeFileSync(gz, gzipSync(readFileSync(join(root, trace))));
      const plain = await runCli(["replay", "-f", world, "--trace", trace, "--json"], { cwd: root });
      for (const workers of ["1", "2"]) {
        const r = await runCli(["replay", "-f", world, "--trace", gz, "--json", "--workers", workers], { cwd: root });
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual({ ...JSON.parse(plain.stdout), warnings: JSON.parse(plain.stdout).warnings.map((w: string) => w.replace(trace, gz)) });
      }
      const zst = join(dir, "t.jsonl.zst");
      writeFileSync(zst, Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
      const refused = await runCli(["replay", "-f", world, "--trace", zst], { cwd: root });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("zstd -dc FILE | gwsim ... --trace -");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
