/**
 * `gwsim serve` reloads when what a `-f` path names is replaced rather than edited: the `-f DIR`
 * itself swapped (`mv dir dir.old && mv dir.new dir`), a `-f FILE` symlink re-pointed
 * (`ln -sfn`), and a ConfigMap volume's `..data` swap, in kubelet's exact layout, as `-f DIR`
 * and as `-f DIR/key.yaml`. Live, on 127.0.0.1; the watcher's fallback stat on its own.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadManifests, nodeSource } from "../packages/sim/src/load/manifests.js";
import { resolutionPoints, watchPaths } from "../packages/sim/src/serve/reload.js";
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

const GATEWAY = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}]")}\n---\napiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
`;

/** A world directory (gw.yaml + route.yaml serving `path`) at `at`. */
function world(at: string, path: string): void {
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, "gw.yaml"), GATEWAY);
  writeFileSync(join(at, "route.yaml"), route("r1", path));
}

/**
 * A ConfigMap volume as kubelet's atomic writer lays it out: the keys in a timestamped directory,
 * `..data` linking to it, each key a link through `..data`.
 */
function configMapVolume(at: string, files: Record<string, string>, stamp: string): void {
  mkdirSync(at, { recursive: true });
  const data = `..2026_11_26_12_00_${stamp}.000000001`;
  mkdirSync(join(at, data));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(at, data, name), text);
  symlinkSync(data, join(at, "..data"));
  for (const name of Object.keys(files)) symlinkSync(join("..data", name), join(at, name));
}

/** kubelet's update: a new timestamped directory, `..data_tmp` renamed over `..data`, the old one removed. */
function configMapUpdate(at: string, files: Record<string, string>, stamp: string, old: string): void {
  const data = `..2026_11_26_12_00_${stamp}.000000001`;
  mkdirSync(join(at, data));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(at, data, name), text);
  symlinkSync(data, join(at, "..data_tmp"));
  renameSync(join(at, "..data_tmp"), join(at, "..data"));
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(join("..data", name), join(at, name));
    } catch {
      // The key existed already: its link through ..data stays.
    }
  }
  rmSync(join(at, `..2026_11_26_12_00_${old}.000000001`), { recursive: true });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwsim-replace-"));
  echo = await startEcho({ service: "app/web" });
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

async function serve(files: string[]) {
  const r = await runServe([...files.flatMap((f) => ["-f", f]), "--listen", "80=127.0.0.1:0", "--endpoints", "endpoints.yaml", "--no-access-log"], dir);
  running = r;
  expect(r.stdout()).toBe("gwsim: ready\n");
  const port = r.ports.get(80)!;
  let generation = 1;
  return {
    r,
    status: async (path: string) => (await request(port, { path, host: "x.example.com" })).status,
    reloaded: async () => {
      generation += 1;
      // Within inotify's reach: well before the fallback stat would (1.5 s) plus slack for a loaded machine.
      await r.waitFor(new RegExp(`reloaded \\(files changed\\): generation ${generation}\\n`), 8000);
    },
  };
}

describe("gwsim serve: reload when the watched path is replaced", () => {
  it("-f DIR replaced by mv dir dir.old && mv dir.new dir, twice; an edit in the new dir reloads too", async () => {
    world(join(dir, "world"), "/a");
    const { status, reloaded } = await serve(["world"]);
    expect(await status("/a")).toBe(200);
    for (const [i, path] of ["/b", "/c"].entries()) {
      world(join(dir, "world.new"), path);
      renameSync(join(dir, "world"), join(dir, `world.old${i}`));
      renameSync(join(dir, "world.new"), join(dir, "world"));
      await reloaded();
      expect(await status(path)).toBe(200);
      expect(await status("/a")).toBe(404);
    }
    writeFileSync(join(dir, "world", "route.yaml"), route("r1", "/d"));
    await reloaded();
    expect(await status("/d")).toBe(200);
    expect(await status("/c")).toBe(404);
  }, 60_000);

  it("-f FILE, a symlink re-pointed with ln -sfn; then its new target edited in place", async () => {
    world(join(dir, "world"), "/a");
    writeFileSync(join(dir, "route-v2.yaml"), route("r1", "/b"));
    symlinkSync(join("world", "route.yaml"), join(dir, "route.yaml"));
    const { status, reloaded } = await serve(["world/gw.yaml", "route.yaml"]);
    expect(await status("/a")).toBe(200);
    execFileSync("ln", ["-sfn", "route-v2.yaml", join(dir, "route.yaml")]);
    await reloaded();
    expect(await status("/b")).toBe(200);
    expect(await status("/a")).toBe(404);
    writeFileSync(join(dir, "route-v2.yaml"), route("r1", "/c"));
    await reloaded();
    expect(await status("/c")).toBe(200);
  }, 60_000);

  it.each([
    { as: "-f DIR", files: ["cm"] },
    { as: "-f DIR/key.yaml", files: ["cm/gw.yaml", "cm/route.yaml"] },
  ])("a ConfigMap volume's ..data swap, watched as $as: each update reloads once, every object once", async ({ files }) => {
    configMapVolume(join(dir, "cm"), { "gw.yaml": GATEWAY, "route.yaml": route("r1", "/a") }, "00");
    const { r, status, reloaded } = await serve(files);
    // Each object read once: the `..` directory holding the real files is not read beside the links.
    expect(r.stderr()).not.toContain("duplicate");
    expect(await status("/a")).toBe(200);
    let old = "00";
    for (const [stamp, path] of [["01", "/b"], ["02", "/c"]] as const) {
      configMapUpdate(join(dir, "cm"), { "gw.yaml": GATEWAY, "route.yaml": route("r1", path) }, stamp, old);
      old = stamp;
      await reloaded();
      expect(await status(path)).toBe(200);
      expect(await status("/a")).toBe(404);
    }
    expect(r.stderr()).not.toContain("duplicate");
    expect(r.stderr()).not.toContain("refused");
    // One burst, one reload: nothing past generation 3.
    await new Promise((res) => setTimeout(res, 500));
    expect(r.stderr()).not.toContain("generation 4");
  }, 60_000);
});

describe("loading a ConfigMap volume", () => {
  it("reads each key once, through its link (the `..` entries are the atomic writer's internals)", async () => {
    configMapVolume(join(dir, "cm"), { "gw.yaml": GATEWAY, "route.yaml": route("r1", "/a") }, "00");
    const loaded = await loadManifests(["cm"], nodeSource(dir));
    expect(loaded.files).toEqual([join("cm", "gw.yaml"), join("cm", "route.yaml")]);
    expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(loaded.objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual(["Gateway/edge", "GatewayClass/gwsim", "HTTPRoute/r1", "Service/web"]);
  });
});

describe("resolutionPoints: what a path's meaning hangs on", () => {
  it("a ConfigMap key: the key link, the ..data link, the real file", async () => {
    configMapVolume(join(dir, "cm"), { "route.yaml": "x" }, "00");
    const points = await resolutionPoints(join(dir, "cm", "route.yaml"));
    expect(points).toEqual([
      { dir: join(dir, "cm"), name: "route.yaml" },
      { dir: join(dir, "cm"), name: "..data" },
      { dir: join(dir, "cm", "..2026_11_26_12_00_00.000000001"), name: "route.yaml" },
    ]);
  });

  it.each([
    { name: "a plain file: its own entry", setup: () => writeFileSync(join(dir, "a.yaml"), "x"), path: "a.yaml", want: [["", "a.yaml"]] },
    { name: "a missing file: its entry, to see it appear", setup: () => undefined, path: "nope/a.yaml", want: [["", "nope"]] },
    {
      name: "an absolute link to a link",
      setup: () => {
        writeFileSync(join(dir, "c.yaml"), "x");
        symlinkSync("c.yaml", join(dir, "b.yaml"));
        symlinkSync(join(dir, "b.yaml"), join(dir, "a.yaml"));
      },
      path: "a.yaml",
      want: [["", "a.yaml"], ["", "b.yaml"], ["", "c.yaml"]],
    },
    {
      name: "a link loop ends",
      setup: () => {
        symlinkSync("b.yaml", join(dir, "a.yaml"));
        symlinkSync("a.yaml", join(dir, "b.yaml"));
      },
      path: "a.yaml",
      want: null,
    },
  ])("$name", async ({ setup, path, want }) => {
    setup();
    const points = await resolutionPoints(join(dir, path));
    if (want === null) expect(points.length).toBeGreaterThan(2);
    else expect(points).toEqual(want.map(([d, name]) => ({ dir: join(dir, d!), name })));
  });
});

describe("watchPaths: the fallback stat", () => {
  /** Replaces the parent of the watched directory: no inotify watch of the watcher's sees it. */
  async function replaceParent(pollMs: number): Promise<number> {
    world(join(dir, "p", "world"), "/a");
    let calls = 0;
    const stop = await watchPaths([join(dir, "p", "world")], () => void calls++, { debounceMs: 50, pollMs });
    try {
      world(join(dir, "p.new", "world"), "/b");
      renameSync(join(dir, "p"), join(dir, "p.old"));
      renameSync(join(dir, "p.new"), join(dir, "p"));
      const deadline = Date.now() + (pollMs > 0 ? 5000 : 800);
      while (calls === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      return calls;
    } finally {
      stop();
    }
  }

  it("sees a replaced parent directory within a few periods", async () => {
    expect(await replaceParent(100)).toBe(1);
  });

  it("without it, that replacement goes unseen (what the fallback is for)", async () => {
    expect(await replaceParent(0)).toBe(0);
  });
});
