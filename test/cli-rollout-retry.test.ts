/**
 * gwsim whatif --rollout with --error-rate codes and a route rule that retries: the figures a user
 * sees after retries, the retries sent, and --fail-if gates on both (docs/decisions.md
 * "Rollout replay: retries").
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const WORLD = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: example.com/gc}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gc
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: stable, namespace: ns}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: canary, namespace: ns}
spec: {ports: [{port: 8080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  hostnames: [app.test]
  rules:
  - backendRefs: [{name: stable, port: 8080, weight: 100}, {name: canary, port: 8080, weight: 0}]
    retry: {attempts: 2, codes: [502, 503], backoff: 100ms}
`;

// setWeight 10, then a pause without a duration: it holds for the whole trace.
const ROLLOUT = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: app, namespace: ns}
spec:
  strategy:
    canary:
      canaryService: canary
      stableService: stable
      trafficRouting:
        plugins:
          argoproj-labs/gatewayAPI: {httpRoute: app, namespace: ns}
      steps:
      - setWeight: 10
      - pause: {}
`;

const N = 2000;
const T0 = Date.parse("2026-11-26T10:00:00Z");

let dir = "";
const path = (name: string) => join(dir, name);
const run = (...args: string[]) => runCli(["whatif", "-f", path("world.yaml"), "--rollout", path("rollout.yaml"), "--trace", path("trace.jsonl"), ...args]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gwsim-retry-"));
  writeFileSync(path("world.yaml"), WORLD);
  writeFileSync(path("rollout.yaml"), ROLLOUT);
  const lines = Array.from({ length: N }, (_, i) => JSON.stringify({ gateway: "ns/gw", host: "app.test", path: "/", time: new Date(T0 + i * 1000).toISOString(), user: `u${i % 100}` }));
  writeFileSync(path("trace.jsonl"), `${lines.join("\n")}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Failed {
  expected: number;
  drawn: number;
  expectedWithoutRetries: number;
  drawnWithoutRetries: number;
  expectedRetries: number;
  retries: number;
}

async function failedOf(...rates: string[]): Promise<{ failed: Failed; report: { errorCodes: Record<string, unknown>; warnings: string[] } }> {
  const r = await run(...rates.flatMap((x) => ["--error-rate", x]), "--json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  const step = report.steps.find((s: { weight: number | null; exposure: { requests: number } }) => s.weight === 10);
  expect(step.exposure.requests).toBe(N);
  return { failed: report.overall.exposure.failed, report };
}

describe("gwsim whatif --rollout --error-rate with route rule retries", () => {
  it.each([
    // 10% of the traffic on the canary, failing 10% with 503; retried twice: 0.1·0.1³ of N.
    { rates: ["ns/canary=10%:503"], failed: N * 0.1 * 0.1 ** 3, without: N * 0.1 * 0.1, retries: N * 0.1 * (0.1 + 0.01) },
    // The code defaults to 503, and `new` names the canary's Service.
    { rates: ["new=0.1"], failed: N * 0.1 * 0.1 ** 3, without: N * 0.1 * 0.1, retries: N * 0.1 * (0.1 + 0.01) },
    // 500 is not among the rule's codes: not retried.
    { rates: ["new=10%:500"], failed: N * 0.1 * 0.1, without: N * 0.1 * 0.1, retries: 0 },
    // A connection error: any retry stanza retries it.
    { rates: ["new=10%:reset", "old=1%:500"], failed: N * (0.1 * 0.1 ** 3 + 0.9 * 0.01), without: N * (0.1 * 0.1 + 0.9 * 0.01), retries: N * 0.1 * 0.11 },
  ])("--error-rate $rates", async ({ rates, failed, without, retries }) => {
    const { failed: f } = await failedOf(...rates);
    expect(f.expected).toBeCloseTo(failed, 6);
    expect(f.expectedWithoutRetries).toBeCloseTo(without, 6);
    expect(f.expectedRetries).toBeCloseTo(retries, 6);
    expect(f.drawn).toBeLessThanOrEqual(f.drawnWithoutRetries);
  });

  it("the JSON names each rate's code; the same seed gives the same drawn figures", async () => {
    const a = await failedOf("new=30%:502", "old=1%");
    expect(a.report.errorCodes).toEqual({ new: 502, old: 503 });
    const b = await failedOf("new=30%:502", "old=1%");
    expect(b.failed).toEqual(a.failed);
    expect(a.failed.retries).toBeGreaterThan(0);
  });

  it("text: failed after retries, without them, and the retries sent", async () => {
    const r = await run("--error-rate", "new=10%");
    expect(r.code).toBe(0);
    const text = r.stdout.replace(/\n\s+/g, " ");
    expect(text).toContain("failed requests after retries: 0.2 expected");
    expect(text).toContain("failed requests without retries: 20.0 expected");
    expect(text).toContain("retries sent (attempts beyond the first): 22.0 expected");
    expect(text).toContain("error rates: new 10.00% (503)");
  });

  it("--fail-if gates on failures after retries, and on the retries and failures without them", async () => {
    const held = async (expr: string) => (await run("--error-rate", "new=10%", "--fail-if", expr)).code;
    expect(await held("expectedFailed > 1")).toBe(0);
    expect(await held("expectedFailedWithoutRetries > 1")).toBe(1);
    expect(await held("expectedRetries > 20")).toBe(1);
    expect(await held("failed > failedWithoutRetries")).toBe(0);
  });

  it.each(["new=10%:abc", "new=10%:200", "new=10%:", "new=10%:1000"])("a bad code is a usage error: %s", async (spec) => {
    const r = await run("--error-rate", spec);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--error-rate ${spec}: code`);
  });
});
