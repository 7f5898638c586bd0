import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { COMMANDS } from "../packages/sim/src/cli/main.js";
import { cliReference } from "../packages/sim/src/cli/reference.js";

it("docs/cli.md is generated from the command definitions (run `pnpm docs:cli` after changing a command)", () => {
  const onDisk = readFileSync(new URL("../docs/cli.md", import.meta.url), "utf8");
  expect(onDisk).toBe(cliReference(COMMANDS));
});
