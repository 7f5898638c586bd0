import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
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
    const manifest = JSON.parse(packed(pkg, "package.json")) as { exports: Record<string, unknown>; main: string; types: string; typesVersions?: Record<string, unknown> };
    expect(JSON.stringify(manifest.exports)).not.toContain("development");
    const targets: string[] = [manifest.main, manifest.types];
    const walk = (v: unknown): void => {
      if (typeof v === "string") targets.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(manifest.exports);
    walk(manifest.typesVersions ?? {});
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

  let installed = false;
  const install = () => {
    if (installed) return;
    const tarballs = readdirSync(scratch).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).toHaveLength(2);
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((t) => join(scratch, t))], { cwd: app, stdio: "pipe" });
    installed = true;
  };

  it("install into an unrelated project; the library imports and the bin runs", () => {
    install();
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
  // moduleResolution node10 ("node") ignores exports maps: without typesVersions it finds no types for
  // @gwsim/core/testing (TS2307). TypeScript 7 dropped node10, so this uses the TypeScript 5 that
  // tools/apidocs installs; the consumer's own tsc would be a 5.x too.
  it("a consumer on moduleResolution node10 gets the types of @gwsim/core and @gwsim/core/testing (typesVersions)", () => {
    install();
    const tsc = createRequire(join(root, "tools/apidocs/package.json")).resolve("typescript/bin/tsc");
    expect(execFileSync("node", [tsc, "-v"], { encoding: "utf8" })).toMatch(/^Version 5\./);
    const dir = join(app, "node10");
    mkdirSync(dir, { recursive: true });
    // fast-check and vitest are optional peers the app does not install: skipLibCheck, as such a consumer would.
    const options = { target: "es2022", strict: true, noEmit: true, skipLibCheck: true, types: [] };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { ...options, module: "commonjs", moduleResolution: "node10" }, files: ["consumer.ts"] }));
    writeFileSync(join(dir, "tsconfig.bundler.json"), JSON.stringify({ compilerOptions: { ...options, module: "esnext", moduleResolution: "bundler" }, files: ["consumer.ts"] }));
    writeFileSync(
      join(dir, "consumer.ts"),
      `import { buildWorld, type World } from "@gwsim/core";
import { worldFrom, type TestWorld } from "@gwsim/core/testing";
const w: TestWorld = worldFrom("kind: Service");
const world: World = buildWorld(w.objects);
const problems: number = w.problems.length;
// @ts-expect-error problems is a Diagnostic[]: the types are real, not any
const wrong: string = w.problems;
export { world, problems, wrong };
`,
    );
    const check = (project: string) => {
      try {
        return { code: 0, out: execFileSync("node", [tsc, "-p", join(dir, project), "--listFiles"], { cwd: dir, encoding: "utf8" }) };
      } catch (e) {
        const err = e as { status: number; stdout: string };
        return { code: err.status, out: err.stdout };
      }
    };
    const testingTypes = join(app, "node_modules/@gwsim/core/dist/testing/index.d.ts");
    for (const project of ["tsconfig.json", "tsconfig.bundler.json"]) {
      const r = check(project);
      expect(r.out.split("\n").filter((l) => l.includes("error TS")), project).toEqual([]);
      expect(r.code, project).toBe(0);
      expect(r.out.split("\n"), project).toContain(testingTypes);
    }
    // Without typesVersions, node10 finds no types for the subpath: what the field fixes.
    const manifestPath = join(app, "node_modules/@gwsim/core/package.json");
    const manifest = readFileSync(manifestPath, "utf8");
    try {
      const { typesVersions: _dropped, ...rest } = JSON.parse(manifest) as Record<string, unknown>;
      writeFileSync(manifestPath, JSON.stringify(rest));
      const r = check("tsconfig.json");
      expect(r.code).not.toBe(0);
      expect(r.out).toContain("TS2307: Cannot find module '@gwsim/core/testing'");
    } finally {
      writeFileSync(manifestPath, manifest);
    }
  }, 120_000);
});
