/**
 * The reports on hand-made worlds and traces whose figures can be worked out by hand, through
 * the real core: the same numbers in text, JSON and HTML, the statistics, and the cases that
 * used to print misleading text (0% for a non-zero share, "0.0% agree" with nothing compared,
 * an empty Outcomes heading, chart labels cut to the same text, lines past 80 columns).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildWorld, decide, parseManifests } from "@gwsim/core";
import { replay } from "../replay/replay.js";
import { whatif } from "../replay/whatif.js";
import type { Report, TraceRecord } from "../replay/types.js";
import { replayRollout } from "../rollout/replay-rollout.js";
import { renderRolloutText } from "../rollout/text.js";
import { renderHtml } from "./html.js";
import { renderJson } from "./json.js";
import { fitLabels, pct, signedPct, tickPct } from "./table.js";
import { renderText, renderWhatifText } from "./text.js";

const LONG1 = "a-very-long-backend-service-name-that-goes-on-version-one";
const LONG2 = "a-very-long-backend-service-name-that-goes-on-version-two";

const WORLD = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: example.com/gc}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gc
  listeners:
  - {name: http, protocol: HTTP, port: 80}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  hostnames: [a.example.com]
  rules:
  - name: split
    matches: [{path: {type: PathPrefix, value: /split}}]
    backendRefs:
    - {name: ${LONG1}, port: 8080, weight: 50}
    - {name: ${LONG2}, port: 8080, weight: 30}
    - {name: missing-svc, port: 8080, weight: 20}
    - {name: zero-svc, port: 8080, weight: 0}
  - name: mirror
    matches: [{path: {type: PathPrefix, value: /mirror}}]
    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: shadow, port: 8080}, percent: 50}
    backendRefs:
    - {name: zero-svc, port: 8080}
  - name: redirect
    matches: [{path: {type: PathPrefix, value: /old}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {statusCode: 301, path: {type: ReplaceFullPath, replaceFullPath: /new}}
  - name: broken
    matches: [{path: {type: PathPrefix, value: /broken}}]
    backendRefs:
    - {name: missing-svc, port: 8080}
---
apiVersion: v1
kind: Service
metadata: {name: ${LONG1}, namespace: ns}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: ${LONG2}, namespace: ns}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: zero-svc, namespace: ns}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: shadow, namespace: ns}
spec: {ports: [{port: 8080}]}
`;

const objects = parseManifests(WORLD, { file: "world.yaml" }).objects;
const world = buildWorld(objects);

function req(path: string, extra: Partial<TraceRecord> = {}): TraceRecord {
  return { gateway: "ns/gw", host: "a.example.com", path, ...extra };
}

/** 125: 100 split requests from 10 users, 10 mirrored, 3 redirects, 7 broken, 2 + 2 unrouted (a tie), 1 with a <script> path. */
function handTrace(): TraceRecord[] {
  return [
    ...Array.from({ length: 100 }, (_, i) => req("/split", { user: `u${i % 10}` })),
    ...Array.from({ length: 10 }, () => req("/mirror")),
    ...Array.from({ length: 3 }, () => req("/old")),
    ...Array.from({ length: 7 }, () => req("/broken")),
    req("/nothing/1", { host: "b.example.com" }),
    req("/nothing/2"),
    req("/nothing/3", { host: "b.example.com" }),
    req("/nothing/4"),
    req("/x/<script>alert(1)</script>"),
  ];
}

const lineOf = (text: string, needle: string): string => text.split("\n").find((l) => l.includes(needle)) ?? "";

describe("number formats", () => {
  it.each([
    [0, "0.00%"],
    [1, "100.00%"],
    [0.00004, "<0.01%"],
    [0.00005, "0.01%"],
    [0.99996, ">99.99%"],
    [0.9999, "99.99%"],
    [0.5, "50.00%"],
  ])("pct(%s) = %s", (x, want) => expect(pct(x)).toBe(want));

  it("pct with 1 digit: <0.1% and >99.9%", () => {
    expect(pct(0.0004, 1)).toBe("<0.1%");
    expect(pct(0.9996, 1)).toBe(">99.9%");
  });

  it("signedPct: float noise is no change, a tiny change keeps its sign", () => {
    expect(signedPct(1e-17)).toBe("0.00%");
    expect(signedPct(-0.00001)).toBe("-<0.01%");
    expect(signedPct(0.0194)).toBe("+1.94%");
  });

  it("tickPct prints quarter ticks exactly", () => {
    expect([0, 0.125, 0.25, 0.375, 0.5].map(tickPct)).toEqual(["0%", "12.5%", "25%", "37.5%", "50%"]);
  });

  it("property: fitLabels keeps distinct labels distinct and within the width when it can", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: fc.constantFrom("a", "b", "-", "/", ":"), maxLength: 70 }), { maxLength: 8 }), fc.integer({ min: 24, max: 60 }), (labels, max) => {
        const out = fitLabels(labels, max);
        expect(new Set(out).size).toBe(labels.length);
        out.forEach((o, i) => {
          if ([...labels[i]!].length <= max) expect(o).toBe(labels[i]);
        });
      }),
    );
  });

  it("fitLabels keeps the differing middle of two names that share both ends", () => {
    const [a, b] = fitLabels([`ns/${LONG1}-with-a-tail:80 (invalid)`, `ns/${LONG2}-with-a-tail:80 (invalid)`], 33);
    expect(a).not.toBe(b);
    expect([...a!].length).toBeLessThanOrEqual(33);
    expect(a).toContain("one");
    expect(b).toContain("two");
  });
});

describe("a replay worked out by hand", async () => {
  const trace = handTrace();
  const r = await replay(world, trace, { seed: 7 });
  const text = renderText(r);
  const json = JSON.parse(renderJson(r)) as Report;
  const html = renderHtml(r);

  it("counts: 125 requests, the split's expected shares, mirrors, statuses", () => {
    expect(r.requests).toBe(125);
    const split = r.splits.find((s) => s.ruleName === "split")!;
    expect(split.count).toBe(100);
    expect(split.backends.map((b) => b.expectedShare)).toEqual([0.5, 0.3, 0.2, 0]);
    expect(r.statuses).toEqual(expect.objectContaining({ "301": 3, "404": 5 }));
    // Invalid missing-svc: the split's picks of it plus the 7 of /broken answer 500.
    const missing = split.backends.find((b) => b.name === "missing-svc")!;
    expect(r.statuses["500"]).toBe(missing.count + 7);
    expect(r.mirrors).toEqual([expect.objectContaining({ name: "shadow", expected: 5 })]);
    expect(lineOf(text, "ns/shadow:8080")).toMatch(/ns\/shadow:8080\s+\d+\s+[\d.]+%\s+4\.00%$/); // 5 expected copies of 125
  });

  it("chi-square: df counts the invalid backend, not the zero-weight one; the statistic from the counts", () => {
    const split = r.splits.find((s) => s.ruleName === "split")!;
    const expected = [50, 30, 20];
    const stat = split.backends.slice(0, 3).reduce((a, b, i) => a + (b.count - expected[i]!) ** 2 / expected[i]!, 0);
    expect(split.chiSquare!.df).toBe(2);
    expect(split.chiSquare!.statistic).toBeCloseTo(stat, 12);
    // df 2: the survival function is exp(-x/2).
    expect(split.chiSquare!.pValue).toBeCloseTo(Math.exp(-stat / 2), 10);
    expect(text).toContain(`chi-square ${stat.toFixed(2)} (df 2), p ${Math.exp(-stat / 2).toFixed(4)}`);
  });

  it("Wilson intervals by the formula (z = 1.96), and 0 of n starts at exactly 0", () => {
    const z = 1.959963984540054;
    for (const b of r.backends) {
      const n = r.requests;
      const p = b.count / n;
      const d = 1 + (z * z) / n;
      const c = (p + (z * z) / (2 * n)) / d;
      const h = (z / d) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
      expect(b.ci95[0]).toBeCloseTo(b.count === 0 ? 0 : c - h, 12);
      expect(b.ci95[1]).toBeCloseTo(c + h, 12);
    }
  });

  it("users who saw several backends of the split: as the seeded picks say, request by request", () => {
    const seen = new Map<string, Set<string>>();
    trace.forEach((t, index) => {
      if (!t.user) return;
      const d = decide(world, { ...t } as never, { seed: 7, index });
      if (!d.backend) return;
      let s = seen.get(t.user);
      if (!s) seen.set(t.user, (s = new Set()));
      s.add(d.backend.name);
    });
    const multi = [...seen.values()].filter((s) => s.size > 1).length;
    expect(r.splits.find((s) => s.ruleName === "split")!.usersMultiBackend).toBe(multi);
    expect(r.exposure.usersMultiBackend).toBe(multi);
  });

  it("failing classes: by count, ties by first appearance", () => {
    const missing = r.splits.find((s) => s.ruleName === "split")!.backends.find((b) => b.name === "missing-svc")!.count;
    const want = [
      { key: "500 a.example.com/split", count: missing, first: 0 },
      { key: "500 a.example.com/broken", count: 7, first: 113 },
      { key: "404 b.example.com/nothing/{n}", count: 2, first: 120 },
      { key: "404 a.example.com/nothing/{n}", count: 2, first: 121 },
      { key: "404 a.example.com/x/<script>alert(1)</script>", count: 1, first: 124 },
    ]
      .filter((w) => w.count > 0)
      .sort((x, y) => y.count - x.count || x.first - y.first)
      .map((w) => `${w.key} ${w.count}`);
    expect(r.failing.map((f) => `${f.status} ${f.host}${f.path} ${f.count}`)).toEqual(want);
  });

  it("every share, interval and expectation in the text and the HTML is the JSON's, rounded once", () => {
    for (const b of json.backends) {
      const cells = [pct(b.share), `${pct(b.ci95[0])}-${pct(b.ci95[1])}`, pct(b.expectedShare)];
      const row = text.split("\n").find((l) => l.includes(b.name.slice(-12)) && l.includes(`${b.port}`) && l.includes(cells[1]!));
      expect(row, b.name).toBeDefined();
      for (const c of cells) expect(row).toContain(c);
      expect(html).toContain(`>${pct(b.share)}<`);
      expect(html).toContain(`>${pct(b.ci95[0])} – ${pct(b.ci95[1])}<`);
      expect(html).toContain(`>${pct(b.expectedShare)}<`);
    }
  });

  it("fits 80 columns and says what the shares are of", () => {
    for (const line of text.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(text).toContain("Backends (share of all 125 requests");
    expect(text).toContain("Weighted splits (shares of the requests that reached each split)");
  });

  it("HTML: the two long names stay apart in the charts, and the <script> path is text", () => {
    const labels = [...html.matchAll(/<text class="label"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    const long = labels.filter((l) => l.startsWith("ns/a-very-long"));
    expect(long.length).toBeGreaterThanOrEqual(2);
    expect(new Set(long.slice(0, 2)).size).toBe(2);
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("/x/&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html.match(/<html/g)).toHaveLength(1);
    expect(html).toContain('<meta charset="utf-8">');
  });
});

describe("edges", () => {
  it("no request: the text says so and prints no empty section; the HTML has no NaN", async () => {
    const r = await replay(world, [], { seed: 1 });
    const text = renderText(r);
    expect(text).toContain("The trace has no requests");
    expect(text).not.toMatch(/Outcomes\s*\n\s*\n/);
    expect(text).not.toContain("Outcomes");
    const html = renderHtml(r);
    expect(html).toContain("The trace has no requests.");
    expect(html.replace(/<script>[\s\S]*<\/script>/, "")).not.toMatch(/NaN|undefined|Infinity/);
    const w = renderWhatifText(await whatif(world, world, [], { seed: 1 }));
    expect(w).toContain("nothing to compare");
    expect(w).not.toContain("backend  before");
  });

  it("observations that cannot be compared: no 0% agreement in any format", async () => {
    const r = await replay(world, [req("/split", { observed: { backend: "haproxy-pool/srv1" } }), req("/split", { observed: { status: 200 } })], { seed: 1 });
    expect(r.observed).toEqual(expect.objectContaining({ records: 2, compared: 0, agreement: null }));
    expect(JSON.parse(renderJson(r)).observed.agreement).toBeNull();
    expect(renderText(r)).toContain("Observed vs simulated: none of the 2 records with observations could be compared");
    const html = renderHtml(r);
    expect(html).not.toMatch(/0\.0%? agree/);
    expect(html).toContain("None of the 2 records");
  });

  it("a tiny canary share shows as <0.01%, not 0.00%", async () => {
    const tiny = parseManifests(WORLD.replace("weight: 50}", "weight: 999999}").replace("weight: 30}", "weight: 1}"), { file: "w.yaml" }).objects;
    const r = await replay(buildWorld(tiny), Array.from({ length: 50 }, () => req("/split")), { seed: 1 });
    const v2 = r.backends.find((b) => b.name === LONG2)!;
    expect(v2.expectedShare).toBeGreaterThan(0);
    expect(v2.expectedShare).toBeLessThan(0.00005);
    expect(lineOf(renderText(r), "version-two")).toContain("<0.01%");
    const one = r.backends.find((b) => b.name === LONG1)!;
    if (one.expectedShare < 1) expect(renderText(r)).not.toMatch(/version-one\S*\s+\d+\s+\S+\s+\S+\s+100\.00%/);
  });

  it("whatif text: moves grouped from → to, within 80 columns", async () => {
    const after = buildWorld(parseManifests(WORLD.replace("weight: 30}", "weight: 130}"), { file: "w.yaml" }).objects);
    const text = renderWhatifText(await whatif(world, after, handTrace(), { seed: 3 }));
    expect(text).toMatch(/→ .*: [\d.]+ expected\n {4}GET a\.example\.com\/split\s+[\d.]+/);
    for (const line of text.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(80);
  });

  it("rollout: a step no request reached shows no share on the new version", async () => {
    const t0 = Date.parse("2026-11-26T10:00:00Z");
    const trace = Array.from({ length: 20 }, (_, i) => req("/split", { user: `u${i % 4}`, time: new Date(t0 + i * 1000).toISOString() }));
    const report = await replayRollout(
      {
        ok: true,
        kind: "Rollout",
        name: "ns/r",
        before: objects,
        steps: [
          { name: "step 1", actions: [], weight: 30, duration: 60_000, hold: "timed", objects, canary: [`ns/${LONG2}`], stable: [`ns/${LONG1}`] },
          { name: "step 2", actions: [], weight: 60, duration: 60_000, hold: "timed", objects, canary: [`ns/${LONG2}`], stable: [`ns/${LONG1}`] },
        ],
        problems: [],
      },
      trace,
      { seed: 1 },
    );
    // By hand: 4 users × 5 requests, p(new) = 0.3, p(old) = 0.5 per request.
    const e = report.steps[0]!.exposure;
    expect(e.expectedUsersExposed).toBeCloseTo(4 * (1 - 0.7 ** 5), 12);
    expect(e.expectedUsersBoth).toBeCloseTo(4 * (1 - 0.7 ** 5 - 0.5 ** 5 + 0.2 ** 5), 12);
    const met = new Map<string, Set<string>>();
    trace.forEach((t, index) => {
      const d = decide(world, { ...t } as never, { seed: 1, index });
      if (!met.has(t.user!)) met.set(t.user!, new Set());
      if (d.backend) met.get(t.user!)!.add(d.backend.name);
    });
    expect(e.usersBoth).toBe([...met.values()].filter((m) => m.has(LONG1) && m.has(LONG2)).length);
    expect(e.usersExposed).toBe([...met.values()].filter((m) => m.has(LONG2)).length);
    const text = renderRolloutText(report);
    expect(text).toContain(`${(4 * (1 - 0.7 ** 5)).toFixed(1)} (${e.usersExposed})`);
    expect(text).toMatch(/\n {2}2\s+0\s+-\s+0\.0 \(0\)/);
    expect(text).toMatch(/\n {2}1\s+20\s+37\.5% \(\d+\)/);
    const html = renderHtml(report);
    expect(html).toContain("no requests");
    // The cards round expected users as the text does (one decimal).
    expect(html).toContain(`<div class="card-value">${(4 * (1 - 0.7 ** 5)).toFixed(1)}</div>`);
  });

  it("TCP: the share of an invalid backend is refused connections, counted in its split (as HTTP's 500s are)", async () => {
    const tcp = parseManifests(
      `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: example.com/gc}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gc
  listeners:
  - {name: tcp, protocol: TCP, port: 9001, allowedRoutes: {kinds: [{kind: TCPRoute}]}}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: db, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs:
    - {name: db-1, port: 5432, weight: 20}
    - {name: no-such-db, port: 5432, weight: 80}
---
apiVersion: v1
kind: Service
metadata: {name: db-1, namespace: ns}
spec: {ports: [{port: 5432}]}
`,
      { file: "tcp.yaml" },
    ).objects;
    const r = await replay(buildWorld(tcp), Array.from({ length: 200 }, () => ({ gateway: "ns/gw", scheme: "tcp", port: 9001 }) as TraceRecord), { seed: 1 });
    const split = r.splits[0]!;
    expect(split.count).toBe(200);
    expect(split.backends.map((b) => b.count).reduce((a, b) => a + b, 0)).toBe(200);
    expect(r.outcomes.reject).toBe(split.backends.find((b) => b.name === "no-such-db")!.count);
    const missing = r.backends.find((b) => b.name === "no-such-db")!;
    expect(missing.expectedShare).toBeCloseTo(0.8, 12);
    expect(split.chiSquare!.df).toBe(1);
    expect(renderText(r)).toContain("ns/no-such-db:5432 (invalid: refused)");
  });
});
