/**
 * `gwsim serve -f DIR` reloads on every kind of save, not only the first: in-place writes,
 * atomic rename-replace (`sed -i`, editors, kubectl), appends, new files and directories,
 * deleted files; a broken save keeps the old configuration. Live, on 127.0.0.1.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";
import { runServe, type RunningServe } from "./helpers/serve-cli.js";

let dir: string;
let echo: EchoServer;
let running: RunningServe | null = null;

function route(name: string, path: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
  - matches: [{path: {type: PathPrefix, value: ${path}}}]
    backendRefs: [{name: web, port: 8080}]
`;
}

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
`;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwsim-reload-"));
  echo = await startEcho({ service: "app/web" });
  mkdirSync(join(dir, "world"));
  writeFileSync(join(dir, "world", "gw.yaml"), `${edgeGateway("[{name: http, protocol: HTTP, port: 80}]")}\n---\n${SERVICE}`);
  writeFileSync(join(dir, "world", "route.yaml"), route("r1", "/a"));
  writeFileSync(join(dir, "endpoints.yaml"), `app/web:8080: ["${echo.address}"]\n`);
});

afterEach(async () => {
  if (running) {
    running.signals.emit("SIGTERM");
    await running.exit;
    running = null;
  }
  await echo.close();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("gwsim serve -f DIR: reload on file change", () => {
  it("reloads after in-place writes, rename-replace, sed -i, appends, new files and dirs, deletions; a broken save keeps the old world", async () => {
    const r = await runServe(["-f", "world", "--listen", "80=127.0.0.1:0", "--endpoints", "endpoints.yaml", "--no-access-log"], dir);
    running = r;
    expect(r.stdout()).toBe("gwsim: ready\n");
    const port = r.ports.get(80)!;
    const status = async (path: string) => (await request(port, { path, host: "x.example.com" })).status;
    const routeFile = join(dir, "world", "route.yaml");
    let generation = 1;
    const reloaded = async () => {
      generation += 1;
      await r.waitFor(new RegExp(`reloaded \\(files changed\\): generation ${generation}\\n`), 5000);
    };
    expect(await status("/a")).toBe(200);
    expect(await status("/b")).toBe(404);

    // 1. In place.
    writeFileSync(routeFile, route("r1", "/b"));
    await reloaded();
    expect(await status("/b")).toBe(200);
    expect(await status("/a")).toBe(404);

    // 2. Rename-replace (a temp file renamed over), twice: Node 20's recursive watcher lost the
    //    file after the first one.
    for (const path of ["/c", "/d"]) {
      const temp = join(dir, "world", ".route.yaml.tmp~");
      writeFileSync(temp, route("r1", path));
      renameSync(temp, routeFile);
      await reloaded();
      expect(await status(path)).toBe(200);
    }

    // 3. sed -i (GNU sed writes a temp file and renames it over).
    execFileSync("sed", ["-i", "s#value: /d#value: /e#", routeFile]);
    await reloaded();
    expect(await status("/e")).toBe(200);
    expect(await status("/d")).toBe(404);

    // 4. In place again after all those renames, then an append.
    writeFileSync(routeFile, route("r1", "/f"));
    await reloaded();
    expect(await status("/f")).toBe(200);
    appendFileSync(routeFile, `---\n${route("r2", "/g")}`);
    await reloaded();
    expect(await status("/g")).toBe(200);
    expect(await status("/f")).toBe(200);

    // 5. A new file, a new subdirectory with a file, then an edit inside that new subdirectory.
    writeFileSync(join(dir, "world", "extra.yaml"), route("r3", "/h"));
    await reloaded();
    expect(await status("/h")).toBe(200);
    mkdirSync(join(dir, "world", "sub"));
    writeFileSync(join(dir, "world", "sub", "deep.yaml"), route("r4", "/i"));
    await reloaded();
    expect(await status("/i")).toBe(200);
    writeFileSync(join(dir, "world", "sub", "deep.yaml"), route("r4", "/j"));
    await reloaded();
    expect(await status("/j")).toBe(200);
    expect(await status("/i")).toBe(404);

    // 6. Deletions: a file, then the subdirectory.
    unlinkSync(join(dir, "world", "extra.yaml"));
    await reloaded();
    expect(await status("/h")).toBe(404);
    rmSync(join(dir, "world", "sub"), { recursive: true });
    await reloaded();
    expect(await status("/j")).toBe(404);

    // 7. A broken save (by rename) is refused and the old world stays; fixing it reloads.
    const good = readFileSync(routeFile, "utf8");
    const temp = join(dir, "world", "sedXYZ");
    writeFileSync(temp, `${good}---\nkind: [broken\n`);
    renameSync(temp, routeFile);
    await r.waitFor("reload (files changed) refused", 5000);
    expect(r.stderr()).toContain(`generation ${generation} stays in force`);
    expect(await status("/g")).toBe(200);
    writeFileSync(routeFile, route("r1", "/k"));
    await reloaded();
    expect(await status("/k")).toBe(200);
    expect(await status("/g")).toBe(404);

    // An editor's swap file is no manifest: no reload.
    writeFileSync(join(dir, "world", ".route.yaml.swp"), "swap");
    await new Promise((res) => setTimeout(res, 600));
    expect(r.stderr()).not.toMatch(new RegExp(`generation ${generation + 1}\\n`));
  }, 60_000);
});
