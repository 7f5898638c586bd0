/**
 * Status scenarios: each folder under test/scenarios/status is one behaviour. Folders named in
 * PascalCase are gwsim's own versions of the upstream conformance test of that name (written
 * from what the test asserts); kebab-case folders cover one condition or reason each.
 *
 *   world.yaml      the manifests (parsed, validated and resolved; any diagnostic fails the test)
 *   expected.yaml   { options?: { controllerName }, objects: [ExpectedObject, ...] }  (see status-expect.ts)
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { statusList } from "../packages/core/src/resolve/index.js";
import { compareStatus, resolveWorld, type Expectation } from "./status-expect.js";

const ROOT = join(import.meta.dirname, "scenarios", "status");
// `yaml` is a dependency of @gwsim/core, not of the workspace root: load it from there.
const { parse } = createRequire(join(import.meta.dirname, "..", "packages", "core", "package.json"))("yaml") as { parse(text: string): unknown };

export const STATUS_SCENARIOS = readdirSync(ROOT)
  .filter((d) => statSync(join(ROOT, d)).isDirectory())
  .sort();

describe("status scenarios", () => {
  it("exist", () => {
    expect(STATUS_SCENARIOS.length).toBeGreaterThan(40);
  });

  it.each(STATUS_SCENARIOS)("%s", (name) => {
    const dir = join(ROOT, name);
    const expected = parse(readFileSync(join(dir, "expected.yaml"), "utf8")) as Expectation;
    expect(expected.objects?.length, "expected.yaml lists no objects").toBeGreaterThan(0);
    const { graph, problems } = resolveWorld(readFileSync(join(dir, "world.yaml"), "utf8"), `${name}/world.yaml`, expected.options ?? {});
    expect(problems, "world.yaml must be valid").toEqual([]);
    const items = statusList(graph).items;
    expect(compareStatus(items, expected.objects)).toEqual([]);
  });
});
