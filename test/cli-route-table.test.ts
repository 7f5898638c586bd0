import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Decision } from "../packages/core/src/index.js";
import { afterAll, describe, expect, it } from "vitest";
import { decisionSummary } from "../packages/sim/src/cli/render-decision.js";
import { idText, tableRow } from "../packages/sim/src/cli/route.js";
import { middleTruncate } from "../packages/sim/src/report/table.js";
import { runCli } from "./helpers/cli.js";
import { decision } from "./helpers/serve-world.js";

const base: Decision = decision({ outcome: "forward" });
const listener = { gateway: "default/gw", name: "https-wild", port: 443 };
const route = { kind: "HTTPRoute", namespace: "default", name: "r", rule: 7, ruleName: null, match: 0 };
const svc = { group: "", kind: "Service", namespace: "default", name: "s", port: 80 };

describe("decisionSummary", () => {
  it.each<[string, Partial<Decision>, string]>([
    [
      "421 is misdirected, not 'no route'",
      {
        outcome: "error",
        status: 421,
        listener,
        reason: "MisdirectedRequest",
        message: "Host store.example.com belongs to listener default/gw/https-store (hostname store.example.com), not to default/gw/https-wild chosen by SNI a.example.com: 421 Misdirected Request",
      },
      "✗ 421 misdirected request on listener default/gw/https-wild: Host store.example.com belongs to listener default/gw/https-store (hostname store.example.com), not to default/gw/https-wild chosen by SNI a.example.com",
    ],
    [
      "a gRPC status is shown beside the HTTP one",
      { outcome: "notFound", status: 404, grpcStatus: 12, listener: { ...listener, name: "http", port: 80 }, reason: "NoMatchingRoute" },
      "✗ 404 grpc-status 12 UNIMPLEMENTED no matching route on listener default/gw/http",
    ],
    [
      "an error whose backends are valid says why",
      { outcome: "error", status: 500, grpcStatus: 14, listener, route, backends: [{ ...svc, weight: 1, probability: 1, valid: true, reason: null }], reason: "InvalidKind", message: "ExtensionRef filter is invalid: rule 7 filter 0 (ExtensionRef): ..." },
      "✗ 500 grpc-status 14 UNAVAILABLE HTTPRoute default/r rule 7 match 0: ExtensionRef filter is invalid",
    ],
    [
      "an error with invalid backends names them",
      { outcome: "error", status: 500, listener, route, backends: [{ ...svc, name: "gone", weight: 1, probability: 1, valid: false, reason: "BackendNotFound" }] },
      "✗ 500 HTTPRoute default/r rule 7 match 0 [gone: BackendNotFound]",
    ],
    [
      "a request that cannot be read is a bad request, not a missing route",
      { outcome: "error", status: 400, listener: { ...listener, name: "http", port: 80 }, reason: "BadRequest", message: 'path "/%zz" is not valid: malformed percent-encoding at offset 1' },
      '✗ 400 bad request on listener default/gw/http: path "/%zz" is not valid',
    ],
    [
      "a ListenerSet listener is named by its set",
      { outcome: "notFound", status: 404, listener: { gateway: "default/gw", name: "a-1", port: 80, listenerSet: "default/set-a" }, reason: "NoMatchingRoute" },
      "✗ 404 no matching route on listener default/set-a/a-1",
    ],
    [
      "a Host no listener takes",
      { outcome: "notFound", status: 404, reason: "NoListenerForHost", message: "Host zzz.test matches no HTTP listener on port 80 of default/gw (listener hostnames: a.test): 404" },
      "✗ 404 no HTTP listener on port 80 takes host zzz.test",
    ],
    [
      "a 500 names the invalid backend drawn, not the others",
      {
        outcome: "error",
        status: 500,
        route,
        backend: { ...svc, name: "gone" },
        backends: [
          { ...svc, name: "other-bad", weight: 1, probability: 0.5, valid: false, reason: "RefNotPermitted" },
          { ...svc, name: "gone", weight: 1, probability: 0.5, valid: false, reason: "BackendNotFound" },
        ],
        reason: "BackendNotFound",
      },
      "✗ 500 HTTPRoute default/r rule 7 match 0: backend default/gone:80 invalid (BackendNotFound)",
    ],
    [
      "mesh traffic to a pod IP goes where it was sent",
      { outcome: "forward", reason: "NotAServiceAddress", message: "address 10.1.2.3 is not a Service frontend" },
      "→ as addressed, unrouted: address 10.1.2.3 is not a Service frontend",
    ],
    [
      "mesh traffic with no route goes to the Service itself",
      { outcome: "forward", backend: { ...svc, port: 9000 }, backends: [{ ...svc, port: 9000, weight: 1, probability: 1, valid: true, reason: null }], mesh: { service: "default/s", port: 9000, from: null, routes: null } },
      "→ default/s:9000 (p=100%) via Service default/s itself (no route)",
    ],
    [
      "a mesh 404 names the Service",
      { outcome: "notFound", status: 404, mesh: { service: "default/s", port: 80, from: null, routes: [] } },
      "✗ 404 no matching route for Service default/s",
    ],
    ["a refused connection says why", { outcome: "reject", reason: "ServiceNotFound" }, "✗ connection refused (ServiceNotFound)"],
    ["a refused connection by a listener", { outcome: "reject", listener, reason: "NoMatchingRoute" }, "✗ connection refused by default/gw/https-wild (NoMatchingRoute)"],
    ["a refusal without a reason", { outcome: "reject" }, "✗ connection refused: no listener"],
  ])("%s", (_, d, want) => expect(decisionSummary({ ...base, ...d })).toBe(want));
});

describe("idText", () => {
  it.each<[unknown, string]>([
    ["get-api", "get-api"],
    [42, "42"],
    [{ trace: "t1", n: 2 }, '{"trace":"t1","n":2}'],
    [["a", 1], '["a",1]'],
    [undefined, "7"],
    [null, "7"],
  ])("%j → %s", (id, want) => expect(idText(id, 7)).toBe(want));
});

describe("gwsim route's table", () => {
  const scratch = mkdtempSync(join(tmpdir(), "gwsim-table-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  writeFileSync(
    join(scratch, "world.yaml"),
    `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gwsim}
spec: {controllerName: example.com/gwsim}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: gwsim
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: prod}
spec: {clusterIP: 10.96.0.12, ports: [{name: http, port: 80}, {name: tcp, port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {name: grpc, namespace: default}
spec: {ports: [{name: grpc, port: 50051}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [grpc.example.com]
  rules:
  - matches: [{method: {service: pkg.Svc}}]
    backendRefs: [{name: grpc, port: 50051}]
`,
  );
  const requests = [
    { id: { trace: "t1", n: 1 }, host: "grpc.example.com", grpc: { service: "pkg.Svc", method: "Call" } },
    { id: "unimplemented", host: "grpc.example.com", grpc: { service: "pkg.Nope", method: "X" } },
    { id: "pod-ip", address: "10.1.2.3", path: "/v2/x" },
    { id: "tcp", service: "prod/echo", scheme: "tcp", port: 9000 },
    { host: "grpc.example.com", grpc: { service: "pkg.Svc", method: "Other" } },
  ];
  writeFileSync(join(scratch, "requests.jsonl"), requests.map((r) => JSON.stringify(r)).join("\n"));

  it("shows object ids as JSON, gRPC statuses, and mesh traffic without a route", async () => {
    const r = await runCli(["route", "-f", "world.yaml", "--requests", "requests.jsonl"], { cwd: scratch });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '{"trace":"t1","n":1}  gRPC grpc.example.com pkg.Svc/Call',
        "  → default/grpc:50051 (p=100%) via GRPCRoute default/g rule 0 match 0",
        "unimplemented  gRPC grpc.example.com pkg.Nope/X",
        "  ✗ 404 grpc-status 12 UNIMPLEMENTED no matching route on listener",
        "      default/gw/http",
        "pod-ip  GET mesh 10.1.2.3 /v2/x",
        "  → as addressed, unrouted: address 10.1.2.3 is not a Service frontend",
        "tcp  TCP mesh prod/echo:9000",
        "  → prod/echo:9000 (p=100%) via Service prod/echo itself (no route)",
        // A request without an id shows its number.
        "5  gRPC grpc.example.com pkg.Svc/Other",
        "  → default/grpc:50051 (p=100%) via GRPCRoute default/g rule 0 match 0",
        "",
      ].join("\n"),
    );
    expect(r.stdout).not.toContain("[object Object]");
  });

  it("fits 80 columns: long ids and request lines are cut in the middle, the decision wraps, no name is lost", async () => {
    const long = "a-very-long-namespace-name-for-a-team/an-even-longer-service-name-that-keeps-going";
    const objectId = { trace: "0123456789abcdef0123456789abcdef", span: 42 };
    const reqs = [
      { id: objectId, host: `${"x".repeat(60)}.grpc.example.com`, grpc: { service: "pkg.Svc", method: "Call" } },
      { id: "short", service: "prod/echo", path: `/${"segment/".repeat(12)}end` },
    ];
    writeFileSync(join(scratch, "long.jsonl"), reqs.map((r) => JSON.stringify(r)).join("\n"));
    const r = await runCli(["route", "-f", "world.yaml", "--requests", "long.jsonl"], { cwd: scratch });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    // The id keeps its start and end; the request line its method and host start, and its end.
    expect(lines).toEqual([
      '{"trace":"0…","span":42}  gRPC xxxxxxxxxxxxxxxxxxxxx…pc.example.com pkg.Svc/Call',
      "  ✗ 404 grpc-status 12 UNIMPLEMENTED no matching route on listener",
      "      default/gw/http",
      "short  GET mesh prod/echo /segment/segment/…/segment/segment/segment/segment/end",
      "  → prod/echo:80 (p=100%) via Service prod/echo itself (no route)",
    ]);
    // A decision word longer than a line (a name) is cut in the middle; the row still fits.
    expect(tableRow("1", "GET http://a/", `→ ${long}${long}:80 (p=100%) via HTTPRoute ${long}/r rule 0 match 0`).split("\n").every((l) => [...l].length <= 80)).toBe(true);
    const name = long.slice(0, 70);
    expect(tableRow("1", "GET http://a/", `→ ${name}:80 (p=100%)`)).toBe(`1  GET http://a/\n  → ${name}:80\n      (p=100%)`);
    expect(tableRow("1", "GET http://a/", `→ ${long}:80 (p=100%)`)).toBe(`1  GET http://a/\n  → ${middleTruncate(`${long}:80`, 74)}\n      (p=100%)`);
  });

  it("--json is unchanged: one decision per line, exactly decide's", async () => {
    const r = await runCli(["route", "-f", "world.yaml", "--requests", "requests.jsonl", "--json"], { cwd: scratch });
    const { buildWorld, decide, parseManifestFiles } = await import("../packages/core/src/index.js");
    const { readFileSync } = await import("node:fs");
    const world = buildWorld(parseManifestFiles([{ file: "world.yaml", text: readFileSync(join(scratch, "world.yaml"), "utf8") }]).objects);
    const want = requests.map((q, index) => JSON.stringify(decide(world, ("service" in q || "address" in q ? q : { gateway: "default/gw", ...q }) as never, { seed: 1, index, explain: false })));
    expect(r.stdout.trimEnd().split("\n")).toEqual(want);
  });
});
