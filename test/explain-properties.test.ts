/**
 * Properties of the explanations users read (`gwsim explain`, `gwsim route --explain`), over
 * random worlds and requests: no junk ("undefined", "null", "NaN", "[object Object]") in the
 * lines or the rendered text, and the lines always name the cause of the outcome: the backend
 * a forward picked, the invalid backend a 500 drew, the route that matched, the listener.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildWorld } from "../packages/core/src/world.js";
import { compile } from "../packages/core/src/compile/index.js";
import { decide } from "../packages/core/src/decide/index.js";
import { backendLabel } from "../packages/core/src/decide/forward.js";
import { requests, worlds } from "../packages/core/src/testing/index.js";
import type { Decision } from "../packages/core/src/model/decision.js";
import type { GatewayRequest } from "../packages/core/src/model/request.js";
import type { ManifestObject } from "../packages/core/src/manifest/object.js";
import { renderExplained, decisionSummary } from "../packages/sim/src/cli/render-decision.js";
import { buildGrpcGraph, buildTlsGraph, grpcRequest, grpcWorldSpec, tlsRequest, tlsWorldSpec } from "./arbitraries-grpc-tls.js";

const JUNK = /\b(undefined|null|NaN)\b|\[object Object\]/;

/** What every explanation must say, whatever the world. */
export function checkExplanation(request: GatewayRequest, d: Decision): void {
  const lines = d.explain ?? [];
  const context = `request ${JSON.stringify(request)}\n${renderExplained(request, d)}`;
  expect(lines.length, context).toBeGreaterThan(0);
  for (const line of lines) expect(line, context).not.toMatch(JUNK);
  const rendered = renderExplained(request, d);
  expect(rendered, context).not.toMatch(JUNK);
  // 80 columns, but for a single word longer than a line.
  for (const line of rendered.split("\n")) if (line.length > 80) expect(line.trim().includes(" ") ? line.trim().split(" ").at(-1)!.length : 81, line).toBeGreaterThan(70);
  // The text's steps are the explanation lines, word for word.
  expect(rendered.replace(/\n {6}/g, " ").split("\n").filter((l) => l.startsWith("    - ")).map((l) => l.slice(6)), context).toEqual(lines);
  expect(decisionSummary(d), context).not.toMatch(JUNK);
  const text = lines.join("\n");
  // The route the decision names, named the same way the summary names it.
  if (d.route) expect(text, context).toContain(`${d.route.kind} ${d.route.namespace}/${d.route.name} rule ${d.route.rule}`);
  if (d.listener) expect(text, context).toContain(`${d.listener.listenerSet ?? d.listener.gateway}/${d.listener.name}`);
  if (d.outcome === "forward" && d.backend) expect(text, context).toContain(`backend ${backendLabel(d.backend)}`);
  if (d.status === 500 && d.backend) {
    // A 500 from the draw names the invalid backend drawn and why.
    const share = d.backends.find((b) => backendLabel(b) === backendLabel(d.backend!));
    if (share && !share.valid) expect(text, context).toMatch(new RegExp(`backend ${escape(backendLabel(d.backend))} is invalid \\(${share.reason}`));
  }
  // The draw lands in the slice the line gives the picked backend.
  const drawn = /picked by seeded draw ([0-9.]+) .* slice \[([0-9.]+), ([0-9.]+)\)/.exec(text);
  if (drawn) {
    const [u, from, to] = drawn.slice(1).map(Number) as [number, number, number];
    expect(u, context).toBeGreaterThanOrEqual(from - 1e-4);
    expect(u, context).toBeLessThanOrEqual(to + 1e-4);
    expect(to, context).toBeGreaterThan(from);
  }
  if (d.outcome === "notFound") expect(text, context).toMatch(/no (rule|route|HTTPRoute|GRPCRoute)|matches no|not a gRPC call|match gRPC calls only/);
  if (d.outcome === "reject" || (d.outcome === "error" && d.status !== 500)) {
    expect(lines, context).toContain(d.message);
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("explanations: no junk, and the cause named", () => {
  it("HTTPRoute worlds (testing kit's worlds() and requests())", () => {
    fc.assert(
      fc.property(
        worlds().chain((objects) => {
          const world = buildWorld(objects as ManifestObject[]);
          return fc.tuple(fc.constant(world), fc.array(requests(world), { minLength: 1, maxLength: 10 }), fc.boolean());
        }),
        ([world, reqs, fallthrough]) => {
          reqs.forEach((r, index) => checkExplanation(r, decide(world, r, { seed: 3, index, explain: true, hostnameFallthrough: fallthrough })));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("GRPCRoute worlds", () => {
    fc.assert(
      fc.property(grpcWorldSpec, fc.array(grpcRequest, { minLength: 1, maxLength: 10 }), (spec, reqs) => {
        const world = { table: compile(buildGrpcGraph(spec)) };
        reqs.forEach((r, index) => checkExplanation(r as GatewayRequest, decide(world, r as GatewayRequest, { index, explain: true })));
      }),
      { numRuns: 150 },
    );
  });

  it("TLSRoute worlds", () => {
    fc.assert(
      fc.property(tlsWorldSpec, fc.array(tlsRequest, { minLength: 1, maxLength: 10 }), (spec, reqs) => {
        const world = { table: compile(buildTlsGraph(spec)) };
        reqs.forEach((r, index) => checkExplanation(r as GatewayRequest, decide(world, r as GatewayRequest, { index, explain: true })));
      }),
      { numRuns: 150 },
    );
  });
});
