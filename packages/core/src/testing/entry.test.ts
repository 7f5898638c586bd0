/** The core's main entry stays light: nothing it imports, directly or not, loads fast-check or vitest. */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const src = join(import.meta.dirname, "..");

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?["']([^"']+)["']/gm)].map((m) => m[1]!);
}

function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith(".")) todo.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
    }
  }
  return { files, packages };
}

describe("@gwsim/core entry points", () => {
  it("the main entry imports neither fast-check nor vitest, nor the testing module", () => {
    const { files, packages } = closure(join(src, "index.ts"));
    expect(files.size).toBeGreaterThan(20);
    expect([...packages]).not.toContain("fast-check");
    expect([...packages]).not.toContain("vitest");
    expect([...files].filter((f) => f.includes("/testing/"))).toEqual([]);
  });

  it("the testing entry imports vitest only lazily (installMatchers)", () => {
    const { packages } = closure(join(src, "testing/index.ts"));
    expect([...packages]).toContain("fast-check");
    expect([...packages]).not.toContain("vitest");
  });

  it("docs/testing.md covers every function the testing entry exports", async () => {
    const doc = readFileSync(join(src, "../../../docs/testing.md"), "utf8");
    const api = await import("./index.js");
    const missing = Object.keys(api).filter((name) => typeof (api as Record<string, unknown>)[name] === "function" && !doc.includes(name));
    expect(missing).toEqual([]);
  });

  it("package.json exports ./testing with fast-check and vitest as optional peers", () => {
    const pkg = JSON.parse(readFileSync(join(src, "../package.json"), "utf8"));
    expect(pkg.exports["./testing"]).toEqual({ development: "./src/testing/index.ts", types: "./dist/testing/index.d.ts", import: "./dist/testing/index.js", default: "./dist/testing/index.js" });
    expect(Object.keys(pkg.peerDependencies)).toEqual(expect.arrayContaining(["fast-check", "vitest"]));
    expect(pkg.peerDependenciesMeta["fast-check"].optional).toBe(true);
    expect(pkg.peerDependenciesMeta.vitest.optional).toBe(true);
    expect(pkg.dependencies["fast-check"]).toBeUndefined();
  });
});
