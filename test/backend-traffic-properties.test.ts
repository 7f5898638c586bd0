/**
 * Properties of XBackendTrafficPolicy session persistence over random worlds (rules with random
 * backends, weights and inline sessionPersistence; policies with random targets, timestamps and
 * sessions) and random requests (session tokens for random backends under random names):
 * decide never throws; a session pins only a backend of its rule that carries it; a rule's own
 * config always wins over a policy; policy sessions never share a name across rules; the
 * winning policy on a Service is the oldest; lean decisions agree with full ones.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildWorld, decide, encodeSessionToken, parseManifests, type Decision } from "../packages/core/src/index.js";

const SERVICES = ["s0", "s1", "s2", "s3"];
const ruleArb = fc.record({
  backends: fc.uniqueArray(fc.record({ name: fc.constantFrom(...SERVICES, "missing"), weight: fc.integer({ min: 0, max: 3 }) }), { selector: (b) => b.name, minLength: 1, maxLength: 3 }),
  // One rule in four has its own sessionPersistence.
  inline: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.record({ sessionName: fc.constantFrom("in-a", "in-b"), type: fc.constantFrom("Cookie", "Header") }) },
  ),
});
const sessionArb = fc.record(
  { sessionName: fc.constantFrom("p", "q"), type: fc.constantFrom("Cookie", "Header"), absoluteTimeout: fc.constantFrom("1h", "10s") },
  { requiredKeys: [] },
);
const policyArb = fc.record({
  targets: fc.uniqueArray(fc.constantFrom(...SERVICES, "nowhere"), { minLength: 1, maxLength: 3 }),
  day: fc.option(fc.integer({ min: 1, max: 28 }), { nil: undefined }),
  session: fc.option(sessionArb, { nil: undefined, freq: 4 }),
  retry: fc.boolean(),
});
const worldArb = fc.record({ rules: fc.array(ruleArb, { minLength: 1, maxLength: 4 }), policies: fc.array(policyArb, { maxLength: 4 }) });

type WorldSpec = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

/** A session config as the API server stores it (type defaulted), keys sorted. */
function norm(s: Record<string, unknown>): string {
  const d: Record<string, unknown> = { ...s, type: s.type ?? "Cookie" };
  return JSON.stringify(Object.fromEntries(Object.keys(d).sort().map((k) => [k, d[k]])));
}

function manifests(w: WorldSpec): string {
  const docs: object[] = [
    { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "gwsim" }, spec: { controllerName: "gwsim.dev/simulator" } },
    { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "gw", namespace: "ns" }, spec: { gatewayClassName: "gwsim", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } },
    ...SERVICES.map((name) => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "ns" }, spec: { ports: [{ port: 8080 }] } })),
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "r", namespace: "ns" },
      spec: {
        parentRefs: [{ name: "gw" }],
        rules: w.rules.map((r, i) => ({
          matches: [{ path: { type: "PathPrefix", value: `/r${i}` } }],
          backendRefs: r.backends.map((b) => ({ name: b.name, port: 8080, weight: b.weight })),
          ...(r.inline ? { sessionPersistence: r.inline } : {}),
        })),
      },
    },
    ...w.policies.map((p, i) => ({
      apiVersion: "gateway.networking.x-k8s.io/v1alpha1",
      kind: "XBackendTrafficPolicy",
      metadata: { name: `p${i}`, namespace: "ns", ...(p.day ? { creationTimestamp: `2026-01-${String(p.day).padStart(2, "0")}T00:00:00Z` } : {}) },
      spec: { targetRefs: p.targets.map((name) => ({ group: "", kind: "Service", name })), ...(p.session ? { sessionPersistence: p.session } : {}), ...(p.retry ? { retryConstraint: {} } : {}) },
    })),
  ];
  return docs.map((d) => JSON.stringify(d)).join("\n---\n");
}

/** The policy that wins Service `name`: the oldest (no timestamp counts as newest), then by name; only among policies all of whose existing targets it wins. */
function winnerOf(w: WorldSpec, name: string): number | null {
  const order = w.policies.map((p, i) => ({ p, i })).sort((a, b) => (a.p.day ?? 99) - (b.p.day ?? 99) || (`p${a.i}` < `p${b.i}` ? -1 : 1));
  const claimed = new Map<string, number>();
  for (const { p, i } of order) {
    const existing = p.targets.filter((t) => SERVICES.includes(t));
    if (existing.length === 0 || existing.some((t) => claimed.has(t))) continue;
    for (const t of existing) claimed.set(t, i);
  }
  return claimed.get(name) ?? null;
}

const requestArb = (rules: number) =>
  fc.record({
    rule: fc.integer({ min: 0, max: rules - 1 }),
    token: fc.option(fc.record({ service: fc.constantFrom(...SERVICES, "missing"), carrier: fc.constantFrom("cookie", "header"), name: fc.constantFrom("p", "q", "in-a", "in-b", "x") }), { nil: undefined }),
    index: fc.nat(1000),
  });

describe("XBackendTrafficPolicy session persistence: properties", () => {
  it("decide never throws, and sessions follow the rule, its backends and the policy that wins", () => {
    fc.assert(
      fc.property(
        worldArb.chain((w) => fc.tuple(fc.constant(w), fc.array(requestArb(w.rules.length), { minLength: 1, maxLength: 8 }))),
        ([w, requests]) => {
          const { objects, diagnostics } = parseManifests(manifests(w), { file: "w.yaml" });
          expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
          const world = buildWorld(objects);
          const names = new Map<string, number>();
          for (const q of requests) {
            const headers: Record<string, string> = {};
            if (q.token) {
              const token = encodeSessionToken({ backend: { group: "", kind: "Service", namespace: "ns", name: q.token.service, port: 8080 }, issuedAtMs: Date.parse("2026-01-01T00:00:00Z") });
              // Half the time under the rule's own session name and carrier, so that pins happen often.
              const own = q.index % 2 ? decide(world, { gateway: "ns/gw", host: "h", path: `/r${q.rule}` } as never, { seed: 1, index: q.index }).session : null;
              const name = own?.name ?? q.token.name;
              if ((own ? own.type === "Cookie" : q.token.carrier === "cookie")) headers.cookie = `${name}=${token}`;
              else headers[name.toLowerCase()] = token;
            }
            const request = { gateway: "ns/gw", host: "h", path: `/r${q.rule}`, headers, time: "2026-01-01T00:00:05Z" };
            const d: Decision = decide(world, request as never, { seed: 1, index: q.index });
            const lean = decide(world, request as never, { seed: 1, index: q.index, lean: true });
            expect(lean.session ?? null).toEqual(d.session ?? null);
            expect(lean.sessionSource ?? null).toEqual(d.sessionSource ?? null);
            expect(lean.backend).toEqual(d.backend);

            const rule = w.rules[q.rule]!;
            const withPolicy = rule.backends.map((b) => {
              const i = SERVICES.includes(b.name) ? winnerOf(w, b.name) : null;
              return i !== null && w.policies[i]!.session ? i : null;
            });
            if (rule.inline) {
              expect(d.sessionSource?.from).toBe("rule");
              expect(d.sessionPersistence).toMatchObject(rule.inline);
              continue;
            }
            const first = withPolicy.find((i) => i !== null);
            if (first === undefined) {
              expect(d.sessionSource).toBeUndefined();
              expect(d.sessionPersistence).toBeNull();
              continue;
            }
            expect(d.sessionSource).toEqual({ from: "policy", policy: `ns/p${first}`, overrides: [] });
            const sp = d.sessionPersistence as { sessionName?: string; type: string };
            expect(sp.type).toBe(w.policies[first]!.session!.type ?? "Cookie");
            // A policy's session name is the rule's alone.
            if (sp.sessionName) {
              const owner = names.get(sp.sessionName);
              if (owner !== undefined) expect(owner).toBe(q.rule);
              names.set(sp.sessionName, q.rule);
            }
            const firstSession = w.policies[first]!.session!;
            const carries = withPolicy.map((i) => i !== null && norm(w.policies[i]!.session!) === norm(firstSession));
            const picked = rule.backends.findIndex((b) => b.name === d.backend?.name);
            const nameless = firstSession.type === "Header" && !firstSession.sessionName;
            if (d.session?.pinned) expect(carries[picked], "only a backend carrying the session is pinned").toBe(true);
            if (d.outcome === "forward") expect(d.session != null, "a session exactly when the backend carries it").toBe(carries[picked]! && !nameless);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
