import { describe, expect, it } from "vitest";
import { compile } from "../compile/index.js";
import { decide } from "./index.js";
import { buildGraph, type WorldSpec } from "../../../../test/http-graph.js";
import type { GatewayRequest } from "../model/request.js";

const world = (spec: WorldSpec) => ({ table: compile(buildGraph(spec)) });
const req = (r: Partial<GatewayRequest>): GatewayRequest => ({ gateway: "infra/gw", ...r });

describe("precedence steps, one table row each", () => {
  // Two routes on one listener; each row differs in one precedence step.
  const w = world({
    gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
    routes: [
      {
        route: "infra/a",
        created: "2024-01-01T00:00:00Z",
        parents: [{ gateway: "infra/gw" }],
        rules: [
          { matches: [{ path: { type: "Exact", value: "/exact" } }], backends: [{ name: "exact" }] },
          { matches: [{ path: { value: "/api" } }], backends: [{ name: "api" }] },
          { matches: [{ path: { value: "/api/v2" } }], backends: [{ name: "api-v2" }] },
          { matches: [{ path: { value: "/m" }, method: "POST" }], backends: [{ name: "m-post" }] },
          { matches: [{ path: { value: "/m" }, headers: [{ name: "a", value: "1" }, { name: "b", value: "2" }] }], backends: [{ name: "m-2h" }] },
          { matches: [{ path: { value: "/q" }, headers: [{ name: "a", value: "1" }] }], backends: [{ name: "q-1h" }] },
          { matches: [{ path: { value: "/q" }, queryParams: [{ name: "x", value: "1" }, { name: "y", value: "2" }] }], backends: [{ name: "q-2q" }] },
          { matches: [{ path: { value: "/r" }, queryParams: [{ name: "x", value: "1" }] }], backends: [{ name: "r-1q" }] },
          { matches: [{ path: { value: "/r" } }], backends: [{ name: "r-none" }] },
          { matches: [{ path: { type: "RegularExpression", value: "/api/v[0-9]+/.*" } }], backends: [{ name: "regex" }] },
        ],
      },
      {
        route: "infra/b",
        created: "2023-01-01T00:00:00Z",
        parents: [{ gateway: "infra/gw" }],
        rules: [
          { matches: [{ path: { value: "/exact" } }], backends: [{ name: "b-exact-prefix" }] },
          { matches: [{ path: { value: "/age" } }], backends: [{ name: "b-age" }] },
        ],
      },
      {
        route: "infra/c",
        created: "2024-06-01T00:00:00Z",
        parents: [{ gateway: "infra/gw" }],
        rules: [{ matches: [{ path: { value: "/age" } }], backends: [{ name: "c-age" }] }],
      },
    ],
  });
  it.each([
    { path: "/exact", headers: {}, method: "GET", want: "exact" }, // 1. Exact over a prefix of equal text
    { path: "/api/v2/x", headers: {}, method: "GET", want: "regex" }, // 2. regex (gwsim) over prefixes
    { path: "/api/v2", headers: {}, method: "GET", want: "api-v2" }, // 3. longer prefix (regex needs /api/vN/...)
    { path: "/api/v3", headers: {}, method: "GET", want: "api" },
    { path: "/api2", headers: {}, method: "GET", want: undefined }, // not a segment prefix: 404
    { path: "/m", headers: { a: "1", b: "2" }, method: "POST", want: "m-post" }, // 4. method over header count
    { path: "/m", headers: { a: "1", b: "2" }, method: "GET", want: "m-2h" },
    { path: "/q", headers: { a: "1" }, method: "GET", want: "q-1h" }, // 5. headers over query params
    { path: "/q?x=1&y=2", headers: {}, method: "GET", want: "q-2q" },
    { path: "/r?x=1", headers: {}, method: "GET", want: "r-1q" }, // 6. query params
    { path: "/r?x=2", headers: {}, method: "GET", want: "r-none" },
    { path: "/age", headers: {}, method: "GET", want: "b-age" }, // 7. oldest route
  ])("$method $path $headers → $want", ({ path, headers, method, want }) => {
    const d = decide(w, req({ path, headers, method }), { seed: 0, index: 0 });
    expect(d.backend?.name).toBe(want);
    if (want === undefined) expect(d.status).toBe(404);
  });
});

describe("namespace/name tie-break compares one string", () => {
  const w = world({
    gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
    routes: [
      { route: "team/r", parents: [{ gateway: "infra/gw" }], rules: [{ backends: [{ name: "team" }] }] },
      { route: "team-a/r", parents: [{ gateway: "infra/gw" }], rules: [{ backends: [{ name: "team-a" }] }] },
    ],
  });
  it("team-a/r sorts before team/r ('-' < '/')", () => {
    expect(decide(w, req({ path: "/" })).backend?.name).toBe("team-a");
  });
});
