import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

// The README's main command (`pnpm demo`) on the bundled example, as a user runs it.
beforeAll(() => {
  if (!existsSync(join(root, "packages/sim/dist/cli.js"))) execFileSync("npx", ["-y", "pnpm@10.34.9", "run", "build"], { cwd: root, stdio: "pipe" });
}, 180_000);

it("pnpm demo validates, routes, explains, replays and gates the bundled example", () => {
  const out = execFileSync(process.execPath, [join(root, "packages/examples/demo.mjs")], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  expect(out).toContain("all 15 objects valid");
  expect(out).toContain("all conditions healthy");
  expect(out).toMatch(/checkout-forced\s+POST http:\/\/store\.example\.com\/checkout\s+→ store\/checkout-v2:8080/);
  expect(out).toMatch(/near-miss .*\n\s+✗ 404/); // the decision sits under its request line
  expect(out).toContain("Replayed 50,000 requests");
  expect(out).toMatch(/store\/checkout-v1:8080\s+90\s+[\d,]+\s+[\d.]+%\s+90\.00%/);
  expect(out).toContain("the gate held");
}, 120_000);
