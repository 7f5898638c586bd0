import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

const WORLD = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules: [{matches: [{path: {type: PathPrefix, value: /api}}], backendRefs: [{name: api, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80}]}
`;
const pnpm = ["-y", "pnpm@10.34.9"];

// Packs both packages as a registry would publish them and installs them into a project outside the
// workspace: the exports maps, types and the bin must work there. Uses the npm registry for zod and yaml.
describe("published packages", () => {
  const scratch = mkdtempSync(join(tmpdir(), "gwsim-pack-"));
  beforeAll(() => {
    const built = existsSync(join(root, "packages/core/dist/index.js")) && existsSync(join(root, "packages/sim/dist/cli.js"));
    if (!built) execFileSync("npx", [...pnpm, "run", "build"], { cwd: root, stdio: "pipe" });
  }, 180_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const app = join(scratch, "app");
  const tarball = (pkg: string) => join(scratch, `gwsim-${pkg}-0.1.0.tgz`);
  const listing = (pkg: string) => execFileSync("tar", ["-tzf", tarball(pkg)], { encoding: "utf8" }).split("\n").filter(Boolean);
  const packed = (pkg: string, file: string) => readFileSync(join(scratch, `x-${pkg}`, "package", file), "utf8");

  // Packing runs each package's prepack (a fresh build), so the tarballs hold what src builds to now.
  beforeAll(() => {
    for (const pkg of ["core", "sim"]) {
      execFileSync("npx", [...pnpm, "pack", "--pack-destination", scratch], { cwd: join(root, "packages", pkg), stdio: "pipe" });
      mkdirSync(join(scratch, `x-${pkg}`));
      execFileSync("tar", ["-xzf", tarball(pkg), "-C", join(scratch, `x-${pkg}`)]);
    }
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  }, 300_000);

  it.each(["core", "sim"])("@gwsim/%s: the published exports map names only files the tarball holds (no development condition pointing at src/)", (pkg) => {
    const files = new Set(listing(pkg).map((f) => f.replace(/^package\//, "")));
    const manifest = JSON.parse(packed(pkg, "package.json")) as { exports: Record<string, unknown>; main: string; types: string };
    expect(JSON.stringify(manifest.exports)).not.toContain("development");
    const targets: string[] = [manifest.main, manifest.types];
    const walk = (v: unknown): void => {
      if (typeof v === "string") targets.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(manifest.exports);
    for (const t of targets) expect(files, `${pkg} exports ${t}`).toContain(t.replace(/^\.\//, ""));
    expect([...files].filter((f) => f.startsWith("src/"))).toEqual([]);
  });

  it.each(["core", "sim"])("@gwsim/%s: ships a README that says what it is, how to install it and its entry points", (pkg) => {
    expect(listing(pkg)).toContain("package/README.md");
    const readme = packed(pkg, "README.md");
    expect(readme).toMatch(new RegExp(`^# @gwsim/${pkg}\n`));
    expect(readme).toContain(`npm install @gwsim/${pkg}`);
    expect(readme).toContain("## Entry points");
    expect(readme).toContain("docs/how-gwsim-decides.md");
  });

  // Neither src/ nor source maps ship: tsc's output is unbundled and unminified, readable as it is,
  // and maps would point at src/*.ts files the tarball does not hold.
  it.each(["core", "sim"])("@gwsim/%s: no source map, and no JavaScript that points at one", (pkg) => {
    const files = listing(pkg);
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    const js = files.filter((f) => f.endsWith(".js"));
    expect(js.length).toBeGreaterThan(10);
    const withMapComment = js.filter((f) => packed(pkg, f.replace(/^package\//, "")).includes("sourceMappingURL"));
    expect(withMapComment).toEqual([]);
  });

  it("install into an unrelated project; the library imports and the bin runs", () => {
    const tarballs = readdirSync(scratch).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).toHaveLength(2);
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((t) => join(scratch, t))], { cwd: app, stdio: "pipe" });
    writeFileSync(join(app, "world.yaml"), WORLD);
    writeFileSync(
      join(app, "main.js"),
      `import { readFileSync } from "node:fs";
import { parseManifests, buildWorld, decide, statusOf } from "@gwsim/core";
import { replay } from "@gwsim/sim";
const { objects, diagnostics } = parseManifests(readFileSync("world.yaml", "utf8"), { file: "world.yaml" });
const world = buildWorld(objects);
const d = decide(world, { gateway: "default/gw", host: "a.example.com", path: "/api/x" }, { seed: 1, index: 0 });
const report = await replay(world, [{ gateway: "default/gw", host: "a.example.com", path: "/api" }, { gateway: "default/gw", host: "a.example.com", path: "/nope" }], { seed: 1 });
const accepted = statusOf(world).items.find((i) => i.kind === "HTTPRoute").status.parents[0].conditions.find((c) => c.type === "Accepted").status;
console.log(JSON.stringify({ n: objects.length, d: diagnostics.length, backend: d.backend.name, requests: report.requests, statuses: report.statuses, accepted }));`,
    );
    expect(JSON.parse(execFileSync("node", ["main.js"], { cwd: app, encoding: "utf8" }))).toEqual({
      n: 3, d: 0, backend: "api", requests: 2, statuses: { "404": 1 }, accepted: "True",
    });
    const cliOut = execFileSync(join(app, "node_modules/.bin/gwsim"), ["explain", "-f", "world.yaml", "GET http://a.example.com/api"], { cwd: app, encoding: "utf8" });
    expect(cliOut).toContain("default/api:80");
    const help = execFileSync(join(app, "node_modules/.bin/gwsim"), ["--help"], { encoding: "utf8" });
    expect(help).toContain("usage: gwsim <command>");
    expect(existsSync(join(app, "node_modules/@gwsim/core/dist/index.d.ts"))).toBe(true);
    // A consumer whose own tooling sets the development condition (vite, tsx --conditions) still loads the packages.
    const dev = execFileSync(
      "node",
      ["--conditions=development", "-e", 'Promise.all([import("@gwsim/core"), import("@gwsim/sim")]).then(([c, s]) => console.log(typeof c.buildWorld, typeof s.replay))'],
      { cwd: app, encoding: "utf8" },
    );
    expect(dev.trim()).toBe("function function");
    // CommonJS test setups (Jest, ts-jest) require() the packages: Node 20.19+ loads ESM that way when the exports map allows it.
    // (The testing entry is only resolved: loading it needs fast-check, which this app does not install.)
    writeFileSync(join(app, "cjs.cjs"), 'const c = require("@gwsim/core"), s = require("@gwsim/sim");\nconsole.log(typeof c.decide, typeof s.replay, require.resolve("@gwsim/core/testing").endsWith("dist/testing/index.js"));');
    expect(execFileSync("node", ["cjs.cjs"], { cwd: app, encoding: "utf8" }).trim()).toBe("function function true");
  }, 180_000);
});
