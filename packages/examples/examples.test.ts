/** Every example script runs, as a user would run it (tsx), and prints what its header promises. */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const exec = promisify(execFile);

async function example(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ["--conditions=development", "--import", "tsx", join("packages/examples", script), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { code: err.code, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

describe("packages/examples", () => {
  it("explain-request: the canary split and why", async () => {
    const r = await example("explain-request.ts");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^POST http:\/\/store\.example\.com\/checkout → forward to store\/checkout-v[12]:8080/);
    expect(r.stdout).toContain("split: store/checkout-v1 90%");
    expect(r.stdout).toContain("matched HTTPRoute store/checkout rule 1 (split) match 0");
    const miss = await example("explain-request.ts", "GET", "http://store.example.com/catalogue");
    expect(miss.stdout).toMatch(/→ notFound 404/);
    expect(miss.stdout).toContain("nearest miss");
    const forced = await example("explain-request.ts", "POST", "http://store.example.com/checkout", "x-canary: always");
    expect(forced.stdout).toMatch(/→ forward to store\/checkout-v2:8080/);
  });

  it("lint-directory: clean world exits 0, a planted mistake exits 1", async () => {
    const clean = await example("lint-directory.ts");
    expect(clean).toMatchObject({ code: 0, stdout: expect.stringContaining("0 finding(s) in 5 file(s)") });
    const bad = await example("lint-directory.ts", "test/fixtures/lint/backend-port-not-found");
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/10-routes\.yaml:16:13: error \[backend-port-not-found\]/);
    expect(bad.stdout).toContain("fix: set port: 8080");
  });

  it("canary-whatif: moving the canary to 50/50 moves only checkout traffic", async () => {
    const r = await example("canary-whatif.ts");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("New 404: 0  New 500: 0");
    const m = /checkout-v2: ([\d.]+)% → ([\d.]+)% of all requests/.exec(r.stdout);
    expect(m).not.toBeNull();
    // v2 had 10% of the split, now 50% (requests with x-canary: always go to v2 either way).
    expect(Number(m![2])).toBeGreaterThan(3 * Number(m![1]));
    expect(r.stdout).toMatch(/store\/checkout-v1:8080 → store\/checkout-v2:8080: [\d.,]+ expected\n +POST store\.example\.com\/checkout +[\d.,]+/);
  });

  it("argo-rollout: five route snapshots, canary exposure growing step by step", async () => {
    const r = await example("argo-rollout.ts");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Rollout store/checkout: 20000 requests over 5 steps");
    const shares = [...r.stdout.matchAll(/canary +([\d.]+)%/g)].map((m) => Number(m[1]));
    expect(shares).toHaveLength(5);
    for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeGreaterThan(shares[i - 1]!);
    expect(r.stdout).toMatch(/^overall: [\d.]+% of requests met v2, \d+ users, [\d.]+ failed requests expected$/m);
  });

  it("serve-live: real requests through the live adapter reach the echo backends the decisions name", async () => {
    const r = await example("serve-live.ts");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/GET \/catalog\/shoes +→ 200 catalog-svc got GET \/catalog\/shoes/);
    expect(r.stdout).toMatch(/POST \/cart\/items +→ 200 cart-svc got POST \/cart\/items/);
    expect(r.stdout).toMatch(/x-canary: always\) → 200 checkout-v2 got POST \/checkout/);
    expect(r.stdout).toMatch(/GET \/catalogue +→ 404/);
    const split = /10 × POST \/checkout +→ (.*)$/m.exec(r.stdout)?.[1] ?? "";
    const total = [...split.matchAll(/×(\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
    expect(total).toBe(10);
    expect(split).toMatch(/checkout-v1 ×\d/);
  });

  it("nginx-replay: every line replayed; the HTTPS-only /pay lines come out 404", async () => {
    const r = await example("nginx-replay.ts");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("60 request(s) replayed, 0 line(s) skipped");
    expect(r.stdout).toContain("would answer 404: 5");
    expect(r.stdout).toMatch(/404 +\d+ +POST store\.example\.com\/pay\/intent/);
  });
});
