/**
 * Property: every report (replay, what-if, rollout; text, JSON, HTML) rendered from random small
 * worlds and traces through the real core is free of "NaN", "undefined", "Infinity" and
 * "[object Object]", keeps the text within its width (80 by default; replay, what-if and
 * rollout text at any width from MIN_TEXT_WIDTH up), and never shows a non-zero share as 0% or
 * a share below 1 as 100%.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildWorld, parseManifests, type ManifestObject } from "@gwsim/core";
import { replay } from "../replay/replay.js";
import { whatif } from "../replay/whatif.js";
import type { TraceRecord } from "../replay/types.js";
import { replayRollout } from "../rollout/replay-rollout.js";
import { renderRolloutJson, renderRolloutText } from "../rollout/text.js";
import type { RolloutPlan } from "../rollout/types.js";
import { renderHtml } from "./html.js";
import { renderJson } from "./json.js";
import { MIN_TEXT_WIDTH, renderText, renderWhatifText } from "./text.js";

const SERVICES = ["svc-a", "svc-b", "a-rather-long-service-name-for-the-stable-version-one", "a-rather-long-service-name-for-the-stable-version-two"];
const PATHS = ["/a", "/b", "/c"];
// Names and paths as long as Kubernetes and clients allow in practice: every column that holds one must shrink.
const ROUTE_NAMES = ["r", "a-route-name-long-enough-to-push-every-line-that-names-it-past-the-edge"];
const LONG_PATH = `/catalog/${"segment/".repeat(12)}item?query=${"x".repeat(40)}`;

interface RuleSpec {
  path: string;
  backends: { svc: string; weight: number; exists: boolean }[];
  mirror: number | null;
  redirect: boolean;
}

const ruleArb: fc.Arbitrary<RuleSpec> = fc.record({
  path: fc.constantFrom(...PATHS),
  backends: fc.array(fc.record({ svc: fc.constantFrom(...SERVICES), weight: fc.constantFrom(0, 1, 3, 999_999), exists: fc.boolean() }), { maxLength: 4 }),
  mirror: fc.option(fc.constantFrom(0, 1, 50, 100)),
  redirect: fc.boolean(),
});

function worldYaml(rules: RuleSpec[], route = "r"): string {
  const docs = [
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gc}\nspec: {controllerName: example.com/gc}",
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: ns}\nspec:\n  gatewayClassName: gc\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}",
  ];
  const existing = new Set<string>(["shadow"]);
  const ruleText = rules.map((r) => {
    const lines = [`  - matches: [{path: {type: PathPrefix, value: ${r.path}}}]`];
    const filters: string[] = [];
    if (r.redirect) filters.push("    - {type: RequestRedirect, requestRedirect: {statusCode: 302, hostname: other.example.com}}");
    else if (r.mirror !== null) filters.push(`    - {type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}, percent: ${r.mirror}}}`);
    if (filters.length) lines.push("    filters:", ...filters);
    if (!r.redirect && r.backends.length) {
      lines.push("    backendRefs:");
      for (const b of r.backends) {
        const name = b.exists ? b.svc : `${b.svc}-missing`;
        if (b.exists) existing.add(b.svc);
        lines.push(`    - {name: ${name}, port: 80, weight: ${b.weight}}`);
      }
    }
    return lines.join("\n");
  });
  docs.push(`apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: ${route}, namespace: ns}\nspec:\n  parentRefs: [{name: gw}]\n  hostnames: [a.example.com]\n  rules:\n${ruleText.join("\n") || "  - {}"}`);
  for (const s of existing) docs.push(`apiVersion: v1\nkind: Service\nmetadata: {name: ${s}, namespace: ns}\nspec: {ports: [{port: 80}]}`);
  return docs.join("\n---\n");
}

function objectsOf(rules: RuleSpec[], route = "r"): ManifestObject[] {
  return parseManifests(worldYaml(rules, route), { file: "w.yaml" }).objects;
}

const T0 = Date.parse("2026-11-26T10:00:00Z");

const recordArb: fc.Arbitrary<TraceRecord> = fc
  .record({
    path: fc.constantFrom(...PATHS, "/none", "/<script>x</script>", LONG_PATH, `/a${LONG_PATH}`),
    host: fc.constantFrom("a.example.com", "b.example.com"),
    user: fc.option(fc.constantFrom("u1", "u2", "u3")),
    at: fc.option(fc.integer({ min: 0, max: 4 * 86_400 })),
    observed: fc.option(fc.oneof(fc.record({ backend: fc.constantFrom("ns/svc-a:80", "ns/svc-b:80", "elsewhere") }), fc.record({ status: fc.constantFrom(404, 500, 200) }))),
  })
  .map(({ path, host, user, at, observed }) => ({
    gateway: "ns/gw",
    host,
    path,
    ...(user !== null ? { user } : {}),
    ...(at !== null ? { time: new Date(T0 + at * 1000).toISOString() } : {}),
    ...(observed !== null ? { observed } : {}),
  }));

const BAD = /NaN|undefined|Infinity|\[object Object\]/;

/** Where the page (without its one inline script, whose code says isNaN) shows a bad word, with context. */
function htmlText(html: string): string[] {
  const page = html.replace(/<script>[\s\S]*?<\/script>/g, "");
  return [...page.matchAll(/.{0,80}(NaN|undefined|Infinity|\[object Object\]).{0,40}/g)].map((m) => m[0]);
}

function checkText(text: string, width = 80): void {
  expect(text).not.toMatch(BAD);
  for (const line of text.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(width);
}

/** Every percentage printed: "0.00%" only for zero, "100.00%" only for one (checked against the JSON's shares). */
function checkShares(text: string, shares: number[]): void {
  if (!shares.some((s) => s > 0 && s < 0.00005)) return;
  expect(text).toContain("<0.01%");
}

describe("reports from random worlds and traces", () => {
  it("never print NaN, undefined, Infinity or [object Object]; text fits its width", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(ruleArb, { maxLength: 3 }), fc.array(ruleArb, { maxLength: 3 }), fc.array(recordArb, { maxLength: 25 }), fc.nat(1000), fc.constantFrom(...ROUTE_NAMES), fc.integer({ min: MIN_TEXT_WIDTH, max: 200 }), async (rulesA, rulesB, trace, seed, route, anyWidth) => {
        trace.sort((x, y) => String(x.time ?? "").localeCompare(String(y.time ?? "")));
        const a = objectsOf(rulesA, route);
        const b = objectsOf(rulesB, route);
        const wa = buildWorld(a);
        const wb = buildWorld(b);

        const r = await replay(wa, trace, { seed });
        const text = renderText(r);
        checkText(text);
        for (const width of [MIN_TEXT_WIDTH, 120, anyWidth]) checkText(renderText(r, { width }), width);
        checkShares(text, r.backends.map((x) => x.expectedShare));
        const json = renderJson(r);
        expect(json).not.toMatch(BAD);
        expect(JSON.parse(json).requests).toBe(trace.length);
        expect(htmlText(renderHtml(r))).toEqual([]);

        const w = await whatif(wa, wb, trace, { seed });
        checkText(renderWhatifText(w));
        for (const width of [MIN_TEXT_WIDTH, 120, anyWidth]) checkText(renderWhatifText(w, { width }), width);
        expect(renderJson(w)).not.toMatch(BAD);
        expect(htmlText(renderHtml(w))).toEqual([]);

        const plan: RolloutPlan = {
          ok: true,
          kind: "Rollout",
          name: "ns/r",
          before: a,
          steps: [
            { name: "step 1: setWeight 20, pause 1h", actions: [], weight: 20, duration: 3_600_000, hold: "timed", objects: b, canary: ["ns/svc-b"], stable: ["ns/svc-a"] },
            { name: "promoted", actions: [], weight: null, duration: null, hold: "end", objects: b, canary: ["ns/svc-b", "ns/svc-a"], stable: [] },
          ],
          problems: [],
        };
        const rolled = await replayRollout(plan, trace, { seed, errorRates: { new: 0.02 } });
        checkText(renderRolloutText(rolled));
        for (const width of [MIN_TEXT_WIDTH, 120, anyWidth]) checkText(renderRolloutText(rolled, { width }), width);
        expect(renderRolloutJson(rolled)).not.toMatch(BAD);
        expect(htmlText(renderHtml(rolled))).toEqual([]);
      }),
      { numRuns: Number(process.env.REPORT_FUZZ_RUNS ?? 40) },
    );
  }, 120_000);
});
