import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";

const root = join(import.meta.dirname, "..");
const cli = join(root, "packages/sim/dist/cli.js");

/**
 * The real `gwsim` binary as a user starts it: real sockets on 127.0.0.1, real signals.
 * SIGHUP reloads the manifests, a broken change keeps the old world, SIGTERM drains and exits 0.
 */
describe("gwsim serve, the binary", () => {
  const scratch = mkdtempSync(join(tmpdir(), "gwsim-serve-bin-"));
  const echoes: EchoServer[] = [];
  let child: ChildProcess | null = null;
  let stderr = "";
  let stdout = "";

  beforeAll(async () => {
    if (!existsSync(cli)) execFileSync("npx", ["-y", "pnpm@10.34.9", "run", "build"], { cwd: root, stdio: "pipe" });
    cpSync(join(root, "packages/examples/world"), join(scratch, "world"), { recursive: true });
    const endpoints: Record<string, string[]> = {};
    for (const [svc, port] of [["store/catalog-svc", 8080], ["store/cart-svc", 8080], ["store/checkout-v1", 8080], ["store/checkout-v2", 8080], ["payments/payments-api", 8443]] as const) {
      const e = await startEcho({ service: svc });
      echoes.push(e);
      endpoints[`${svc}:${port}`] = [e.address];
    }
    writeFileSync(join(scratch, "endpoints.json"), JSON.stringify(endpoints));
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await Promise.all(echoes.map((e) => e.close()));
    rmSync(scratch, { recursive: true, force: true });
  });

  const waitFor = async (pattern: RegExp, stream: () => string, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!pattern.test(stream())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; stderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it("serves, reloads on SIGHUP, keeps the old world on a broken change, drains on SIGTERM", async () => {
    child = spawn(
      process.execPath,
      [cli, "serve", "-f", "world", "--endpoints", "endpoints.json", "--listen", "80=127.0.0.1:0", "--listen", "443=127.0.0.1:0", "--no-watch", "--no-access-log", "--admin", "127.0.0.1:0"],
      { cwd: scratch, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    await waitFor(/gwsim: ready/, () => stdout);
    const port = Number(/listening infra\/edge port 80 \(\w+\) on [^\s]+:(\d+)/.exec(stderr)![1]);

    const catalog = await request(port, { host: "store.example.com", path: "/catalog/shoes" });
    expect(catalog.status).toBe(200);
    expect(catalog.json().service).toBe("store/catalog-svc");
    expect((await request(port, { host: "store.example.com", path: "/catalogue" })).status).toBe(404);

    // Send every checkout to v2, then SIGHUP.
    const canary = join(scratch, "world/20-checkout-canary.yaml");
    const original = readFileSync(canary, "utf8");
    writeFileSync(canary, original.replace("weight: 90", "weight: 0"));
    child.kill("SIGHUP");
    await waitFor(/reloaded \(SIGHUP\)/, () => stderr);
    for (let i = 0; i < 20; i++) {
      const r = await request(port, { host: "store.example.com", path: "/checkout", method: "POST" });
      expect(r.json().service).toBe("store/checkout-v2");
    }

    // A broken change is refused; the world in force stays.
    writeFileSync(canary, `${original}\n---\nkind: [broken\n`);
    child.kill("SIGHUP");
    await waitFor(/reload \(SIGHUP\) refused/, () => stderr);
    expect(stderr).toMatch(/gwsim: world\/20-checkout-canary\.yaml:\d+:\d+: /);
    expect((await request(port, { host: "store.example.com", path: "/checkout", method: "POST" })).json().service).toBe("store/checkout-v2");

    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain("gwsim: stopped");
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
