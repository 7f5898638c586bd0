/**
 * matchCovers is sound against decide's own matching: whenever it says A covers B, every
 * request B matches is matched by A. And lint's unreachable findings agree with decide on
 * random worlds: no request is ever decided by a rule lint calls unreachable.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CompiledGrpcMatch, CompiledMatch, RouteTable } from "../compile/table.js";
import { grpcMatches, type GrpcInput } from "../decide/grpc.js";
import { fullMatch, type MatchInput } from "../decide/match.js";
import { runtimeOf } from "../decide/runtime.js";
import { decide } from "../world.js";
import { requests } from "../testing/requests.js";
import { worlds } from "../testing/worlds.js";
import { worldFrom } from "../testing/world-from.js";
import { grpcMatchCovers, matchCovers } from "./cover.js";
import { lint } from "./index.js";

const value = (names: string[], values: string[]) =>
  fc.uniqueArray(
    fc.record({ type: fc.constantFrom<"Exact" | "RegularExpression">("Exact", "RegularExpression"), name: fc.constantFrom(...names), value: fc.constantFrom(...values) }),
    { selector: (h) => h.name, maxLength: 2 },
  );

const match: fc.Arbitrary<CompiledMatch> = fc
  .record({
    path: fc.oneof(
      fc.record({ type: fc.constant<"PathPrefix">("PathPrefix"), value: fc.constantFrom("/", "/a", "/a/", "/a/b", "/ab") }),
      fc.record({ type: fc.constant<"Exact">("Exact"), value: fc.constantFrom("/", "/a", "/a/", "/a/b", "/ab") }),
      fc.record({ type: fc.constant<"RegularExpression">("RegularExpression"), value: fc.constantFrom(".*", "/a/.*", "/a/b", "/a.*", "/[ab]+") }),
    ),
    method: fc.constantFrom(null, "GET", "POST"),
    headers: value(["x", "y"], ["1", "2", "1.*", "[12]"]),
    queryParams: value(["q"], ["1", "1.*"]),
  })
  .map((m): CompiledMatch => ({ id: "m", route: 0, rule: 0, ruleIndex: 0, matchIndex: 0, never: null, ...m }));

const input: fc.Arbitrary<MatchInput> = fc
  .record({
    path: fc.constantFrom("/", "/a", "/a/", "/a/b", "/a/b/c", "/ab", "/b", "/aa"),
    query: fc.constantFrom("", "q=1", "q=12", "q=2"),
    method: fc.constantFrom("GET", "POST", "PUT"),
    headers: fc.record({ x: fc.constantFrom("1", "2", "12"), y: fc.constantFrom("1", "2") }, { requiredKeys: [] }),
  })
  .map((i): MatchInput => ({ ...i, headers: Object.fromEntries(Object.entries(i.headers).filter(([, v]) => v !== undefined)) as Record<string, string>, host: undefined, params: null }));

describe("matchCovers", () => {
  it("is sound: A covers B ⇒ every request B matches, A matches", () => {
    fc.assert(
      fc.property(match, match, fc.array(input, { minLength: 1, maxLength: 20 }), (a, b, inputs) => {
        if (!matchCovers(a, b)) return;
        const rt = runtimeOf({ gateways: {}, listeners: [], rules: [], routes: [], services: {}, backendTLSPolicies: [], matches: [a, b] } as unknown as RouteTable);
        for (const i of inputs) {
          if (fullMatch(b, rt.matches[1]!, { ...i })) expect(fullMatch(a, rt.matches[0]!, { ...i })).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("is not vacuous: covers are found", () => {
    const found = fc.sample(fc.tuple(match, match), { numRuns: 3000, seed: 5 }).filter(([a, b]) => matchCovers(a, b)).length;
    expect(found).toBeGreaterThan(50);
  });
});

const grpcMatch: fc.Arbitrary<CompiledGrpcMatch> = fc
  .record({
    method: fc.oneof(
      fc.constant(null),
      fc.record(
        {
          type: fc.constantFrom<"Exact" | "RegularExpression">("Exact", "RegularExpression"),
          service: fc.constantFrom("a.S", "a.T", "a\\.S", "a\\..*", ".*"),
          method: fc.constantFrom("Get", "Put", "G.*", "[GP]ut"),
        },
        { requiredKeys: ["type"] },
      ),
    ),
    headers: value(["x", "y"], ["1", "2", "1.*", "[12]"]),
  })
  .map((m): CompiledGrpcMatch => ({ id: "g", route: 0, rule: 0, ruleIndex: 0, matchIndex: 0, never: null, ...m }) as CompiledGrpcMatch);

const grpcInput: fc.Arbitrary<GrpcInput> = fc
  .record({
    service: fc.constantFrom("a.S", "a.T", "aXS", "b.S"),
    grpcMethod: fc.constantFrom("Get", "Put", "Gx", "Post"),
    headers: fc.record({ x: fc.constantFrom("1", "2", "12"), y: fc.constantFrom("1", "2") }, { requiredKeys: [] }),
  })
  .map((i): GrpcInput => ({
    path: `/${i.service}/${i.grpcMethod}`,
    query: "",
    method: "POST",
    host: undefined,
    params: null,
    service: i.service,
    grpcMethod: i.grpcMethod,
    headers: Object.fromEntries(Object.entries(i.headers).filter(([, v]) => v !== undefined)) as Record<string, string>,
  }));

describe("grpcMatchCovers", () => {
  it("is sound: A covers B ⇒ every call B matches, A matches", () => {
    fc.assert(
      fc.property(grpcMatch, grpcMatch, fc.array(grpcInput, { minLength: 1, maxLength: 20 }), (a, b, inputs) => {
        if (!grpcMatchCovers(a, b)) return;
        const rt = runtimeOf({ gateways: {}, listeners: [], rules: [], routes: [], services: {}, backendTLSPolicies: [], matches: [], grpcMatches: [a, b] } as unknown as RouteTable);
        for (const i of inputs) if (grpcMatches(b, rt.grpcMatches[1]!, i)) expect(grpcMatches(a, rt.grpcMatches[0]!, i)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("is not vacuous: covers of distinct matches are found, regex over Exact among them", () => {
    const pairs = fc.sample(fc.tuple(grpcMatch, grpcMatch), { numRuns: 3000, seed: 5 }).filter(([a, b]) => grpcMatchCovers(a, b));
    expect(pairs.filter(([a, b]) => JSON.stringify(a) !== JSON.stringify(b)).length).toBeGreaterThan(50);
    expect(pairs.some(([a, b]) => a.method?.type === "RegularExpression" && b.method?.type === "Exact")).toBe(true);
  });
});

describe("lint on random worlds", () => {
  it("no request is ever decided by a rule lint calls unreachable; findings do not depend on document order", () => {
    fc.assert(
      fc.property(worlds(), fc.nat(), (objects, rot) => {
        const world = worldFrom(objects);
        const findings = lint(world);
        const dead = new Set(
          findings.filter((f) => f.rule === "unreachable-rule").map((f) => `${f.object.namespace}/${f.object.name}/${/spec\.rules\[(\d+)\]/.exec(f.path)![1]}`),
        );
        for (const r of fc.sample(requests(world), { numRuns: 150, seed: rot })) {
          const d = decide(world, r);
          if (d.route) expect(dead.has(`${d.route.namespace}/${d.route.name}/${d.route.rule}`)).toBe(false);
        }
        const rotated = [...objects.slice(rot % objects.length), ...objects.slice(0, rot % objects.length)];
        const again = lint(worldFrom(rotated)).map((f) => `${f.rule} ${f.object.name} ${f.path} ${f.message}`);
        expect(again).toEqual(findings.map((f) => `${f.rule} ${f.object.name} ${f.path} ${f.message}`));
      }),
      { numRuns: 150 },
    );
  });

  it("random worlds do produce unreachable rules (the check above is not vacuous)", () => {
    const count = fc.sample(worlds(), { numRuns: 150, seed: 11 }).filter((o) => lint(worldFrom(o)).some((f) => f.rule === "unreachable-rule")).length;
    expect(count).toBeGreaterThan(5);
  });
});
