// Findings from using gwsim as a platform engineer would, on manifests written for it
// (test/fixtures/engineer/): each case is a problem the CLI output had, named after it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { runServe } from "./helpers/serve-cli.js";
import { elsewhereHints } from "../packages/sim/src/cli/status.js";
import { versionsLine } from "../packages/sim/src/rollout/text.js";
import { wrap } from "../packages/sim/src/cli/render-decision.js";

const fixtures = join(import.meta.dirname, "fixtures", "engineer");
const canary = join(fixtures, "canary.yaml");

describe("explain and route --explain show the rule's timeouts and retry", () => {
  it("a rule with timeouts and retry says both, as the spec defines them", async () => {
    const { code, stdout } = await runCli(["explain", "-f", canary, "POST http://pay.corp.test/checkout/1"]);
    expect(code).toBe(0);
    expect(stdout).toContain("timeouts: 10s for the whole request, 2s per backend attempt");
    expect(stdout).toContain("retry: retried up to 3 time(s) on 502, 503, backoff 200ms");
  });

  it("a rule without them says neither", async () => {
    const { stdout } = await runCli(["explain", "-f", canary, "GET http://pay.corp.test/orders/7"]);
    expect(stdout).not.toMatch(/timeouts:|retry:/);
  });
});

describe("route --explain names each request as route's table does", () => {
  it("leads each block with the request's id, or its line number when it has none", async () => {
    const stdin = ['{"id":"beta","host":"pay.corp.test","path":"/checkout/1","headers":{"x-beta":"yes"}}', '{"host":"pay.corp.test","path":"/orders/7"}'].join("\n");
    const table = await runCli(["route", "-f", canary, "--requests", "-"], { stdin });
    const explained = await runCli(["route", "-f", canary, "--requests", "-", "--explain"], { stdin });
    const heads = (text: string) => text.split(/\n(?=\S)/).map((b) => b.split("\n")[0]);
    expect(heads(explained.stdout)).toEqual(["beta  GET http://pay.corp.test/checkout/1", "2  GET http://pay.corp.test/orders/7"]);
    expect(heads(explained.stdout)).toEqual(heads(table.stdout));
  });
});

const tenants = "test/fixtures/engineer/tenants.yaml";
const root = join(import.meta.dirname, "..");
const wide = (text: string) => text.split("\n").filter((l) => [...l].length > 80);

describe("status text: within 80 columns, and says where each problem is", () => {
  it("wraps every line to 80 columns", async () => {
    const { code, stdout } = await runCli(["status", "-f", tenants], { cwd: root });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^8 unhealthy condition\(s\):/);
    expect(wide(stdout)).toEqual([]);
  });

  it.each([
    // A typo in sectionName: the parentRef.
    ["HTTPRoute team-red/shop on Gateway infra/public/wbe: Accepted=False", `${tenants}:25:5 (spec.parentRefs[0])`],
    // A port the Service lacks, a cross-namespace ref without grant: the backendRef the message names.
    ["HTTPRoute team-red/shop on Gateway infra/public/wbe: ResolvedRefs=False", `${tenants}:31:7 (spec.rules[0].backendRefs[0])`],
    ["HTTPRoute team-red/storefront on Gateway infra/public/web:", `${tenants}:47:19 (spec.rules[1].backendRefs[0])`],
    // A cert Secret in another namespace: the certificateRef.
    ["Gateway team-blue/team-gw listener https: ResolvedRefs=False", `${tenants}:89:9 (spec.listeners[0].tls.certificateRefs[0])`],
    ["Gateway team-blue/team-gw: Accepted=False", `${tenants}:77:1`],
  ])("%s → at %s", async (head, at) => {
    const { stdout } = await runCli(["status", "-f", tenants], { cwd: root });
    // One block per condition, its wrapped lines joined back.
    const block = stdout
      .split("\n  ✗ ")
      .map((b) => b.replace(/\n\s+/g, " "))
      .find((b) => b.startsWith(head));
    expect(block, head).toBeDefined();
    expect(block).toContain(` at ${at}`);
  });
});

describe("validate's inventory", () => {
  const world = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: gc
  listeners: [{name: db, port: 5432, protocol: TCP}, {name: web, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: red-extra, namespace: team-red}
spec:
  parentRef: {name: edge, namespace: infra}
  listeners: [{name: admin, port: 8080, protocol: HTTP, hostname: admin.red.corp.test}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: pg, namespace: data}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: db}]
  rules: [{backendRefs: [{name: pg, port: 5432}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: admin, namespace: team-red}
spec:
  parentRefs: [{kind: ListenerSet, name: red-extra, sectionName: admin}]
  rules: [{backendRefs: [{name: admin, port: 80}]}]
`;
  it("lists ListenerSets with their listeners, names a parent's kind when not a Gateway, and gives TCPRoutes no hosts", async () => {
    const { code, stdout } = await runCli(["validate", "-f", "-"], { stdin: world });
    expect(code).toBe(0);
    expect(stdout).toContain("ListenerSet team-red/red-extra (on Gateway infra/edge)\n  listener admin HTTP :8080 admin.red.corp.test\n");
    expect(stdout).toContain("TCPRoute data/pg → infra/edge/db 1 rule(s)\n");
    // 81 columns: wrapped, continued 4 in.
    expect(stdout).toContain("HTTPRoute team-red/admin → ListenerSet team-red/red-extra/admin hosts\n    *, 1 rule(s)\n");
    expect(wide(stdout)).toEqual([]);
  });
});

describe("wrapped text keeps a number with its words", () => {
  it.each([
    // Was `... rule 0 match` / `0`.
    ["via HTTPRoute team-blue/billing rule 0 match 0", 46, ["  via HTTPRoute team-blue/billing", "      rule 0 match 0"]],
    ["via HTTPRoute team-blue/billing rule 0 match 0", 48, ["  via HTTPRoute team-blue/billing rule 0 match 0"]],
    ["a route hosts *, 1 rule(s)", 22, ["  a route hosts", "      *, 1 rule(s)"]],
    // A run longer than a line by itself is split at its spaces.
    ["x 1 2 3 4 5 6 7 8 9", 12, ["  x 1 2 3 4", "      5 6 7", "      8 9"]],
  ] as const)("%s in %i columns", (text, width, want) => expect(wrap(text, "  ", "      ", width)).toEqual(want));
});

describe("replay text: the mirror table's expected column is a share, like the other tables'", () => {
  it("a 10% mirror on a rule that takes every request expects 10.00%", async () => {
    const trace = Array.from({ length: 400 }, (_, i) => JSON.stringify({ host: "pay.corp.test", method: "POST", path: `/checkout/${i}` })).join("\n");
    const { code, stdout } = await runCli(["replay", "-f", canary, "--trace", "-"], { stdin: trace });
    expect(code).toBe(0);
    const row = stdout.split("\n").find((l) => l.startsWith("  prod/checkout-shadow:8080"))!;
    expect(row).toMatch(/ \d+\.\d\d% +10\.00%$/);
    const json = await runCli(["replay", "-f", canary, "--trace", "-", "--json"], { stdin: trace });
    expect((JSON.parse(json.stdout) as { mirrors: { expected: number }[] }).mirrors[0]!.expected).toBeCloseTo(40, 6);
  });
});

describe("help fits 80 columns", () => {
  const commands = ["validate", "status", "route", "explain", "lint", "replay", "whatif", "synth", "serve"];
  it.each(commands)("gwsim %s --help: every line but the examples (kept whole to copy) within 80", async (command) => {
    const { code, stdout } = await runCli([command, "--help"]);
    expect(code).toBe(0);
    const beforeExamples = stdout.split("\nexamples:\n")[0]!;
    expect(wide(beforeExamples)).toEqual([]);
    // Options keep their column; a description continues under it.
    for (const line of beforeExamples.split("\n").filter((l) => /^ {35}\S/.test(l))) expect(line.slice(0, 35).trim()).toBe("");
  });

  it("gwsim --help lists the commands within 80 columns", async () => {
    const { stdout } = await runCli(["--help"]);
    expect(wide(stdout)).toEqual([]);
    expect(stdout).toContain("  validate  check manifests against the Gateway API schema (CRD OpenAPI and CEL\n            rules)\n");
  });

  it("the usage breaks between its words, never inside brackets", async () => {
    const { stdout } = await runCli(["whatif", "--help"]);
    expect(stdout).toContain(
      "usage: gwsim whatif -f MANIFESTS\n             (--proposed MANIFESTS | --set-weight REF=W ... | --rollout FILE)\n             --trace FILE",
    );
  });
});

describe("lint text", () => {
  it("keeps each finding's first line one record and wraps the lines under it to 80 columns", async () => {
    const { code, stdout } = await runCli(["lint", "-f", tenants], { cwd: root });
    expect(code).toBe(1);
    const lines = stdout.split("\n");
    const records = lines.filter((l) => /^test\/fixtures\/engineer\/tenants\.yaml:\d+:\d+: (error|warning|info): .* \[[a-z-]+\]$/.test(l));
    expect(records.length).toBeGreaterThanOrEqual(4);
    expect(wide(lines.filter((l) => l.startsWith("    ")).join("\n"))).toEqual([]);
    // The missing grant's fix, wrapped, still reads whole.
    expect(stdout.replace(/\n {8}/g, " ")).toContain(
      "    fix: create a ReferenceGrant in namespace shared with from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-red}] and to: [{group: \"\", kind: Service, name: cdn-cache}]",
    );
  });
});

describe("serve warns at start about backends with no endpoints", () => {
  it("names each backend of a served route that --endpoints and EndpointSlices leave without addresses, once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-engineer-"));
    // checkout-v1 and the shadow have endpoints; v2 (two rules), orders and the gRPC stock Service do not.
    writeFileSync(join(dir, "endpoints.yaml"), 'prod/checkout-v1:8080: ["127.0.0.1:9"]\nprod/checkout-shadow:8080: ["127.0.0.1:9"]\n');
    const r = await runServe(["-f", canary, "--listen", "80=127.0.0.1:0", "--endpoints", "endpoints.yaml", "--no-access-log"], dir);
    try {
      const warnings = r.stderr().split("\n").filter((l) => l.startsWith("gwsim: warning: no endpoints"));
      expect(warnings).toEqual([
        "gwsim: warning: no endpoints for prod/checkout-v2:8080 (a backend of HTTPRoute prod/checkout rule 0 (beta-testers)): its requests will answer 503; list it in --endpoints or add an EndpointSlice",
        "gwsim: warning: no endpoints for prod/orders:80 (a backend of HTTPRoute prod/checkout rule 2 (orders)): its requests will answer 503; list it in --endpoints or add an EndpointSlice",
        "gwsim: warning: no endpoints for prod/stock:9090 (a backend of GRPCRoute prod/stock rule 0): its requests will answer 503; list it in --endpoints or add an EndpointSlice",
      ]);
    } finally {
      r.signals.emit("SIGTERM");
      await r.exit;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("whatif --set-weight says which backendRefs it changed", () => {
  it("without a rule, every rule of the route that sends to the backend, with the old and new weight", async () => {
    const trace = '{"host":"pay.corp.test","method":"POST","path":"/checkout/1"}\n';
    const r = await runCli(["whatif", "-f", canary, "--set-weight", "prod/checkout/checkout-v2=50", "--trace", "-"], { stdin: trace });
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("gwsim: --set-weight: "))).toEqual([
      "gwsim: --set-weight: HTTPRoute prod/checkout rule 0 (beta-testers) backendRef 0 checkout-v2:8080: weight 1 → 50",
      "gwsim: --set-weight: HTTPRoute prod/checkout rule 1 (split) backendRef 1 checkout-v2:8080: weight 5 → 50",
    ]);
    const named = await runCli(["whatif", "-f", canary, "--set-weight", "prod/checkout/split/checkout-v2=5", "--trace", "-"], { stdin: trace });
    // The weight it already has: nothing changes, nothing said.
    expect(named.stderr).not.toContain("--set-weight:");
  });
});

describe("validate with invalid objects says how many were read", () => {
  it("does not print \"0 objects: none\" for a file whose only object is invalid", async () => {
    const bad = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: a}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: api}}]
    backendRefs: [{name: svc, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: a}
spec: {ports: [{port: 80}]}
`;
    const r = await runCli(["validate", "-f", "-"], { stdin: bad });
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toBe("1 of 2 objects valid: 1 Service");
    expect(r.stdout).toMatch(/\n1 problem\(s\) in 1 file; 1 of 2 objects pass the schema\n$/);
    expect(r.stderr).toMatch(/^gwsim: <stdin>:7:\d+: spec\.rules\[0\]\.matches\[0\]\.path\.value: /);
  });
});

describe("status hints where a ref's missing object is", () => {
  it("a cert Secret in another namespace: names that namespace, the namespace field and the grant", async () => {
    const { stdout } = await runCli(["status", "-f", tenants], { cwd: root });
    expect(stdout.replace(/\n {8}/g, " ")).toContain(
      "      hint: a Secret blue-cert exists in infra: to use it, give the ref namespace: infra (a ref without namespace means the referrer's own) and add a ReferenceGrant in infra that allows it\n",
    );
    // Only there: no other condition names a missing object that exists elsewhere.
    expect(stdout.match(/hint:/g)).toHaveLength(1);
  });

  it.each([
    ["Service a/api not found", [{ kind: "Service", metadata: { name: "api", namespace: "b" } }], ["a Service api exists in b"]],
    ["Service a/api not found", [{ kind: "Service", metadata: { name: "api", namespace: "a" } }], []],
    ["Secret a/tls not found", [{ kind: "ConfigMap", metadata: { name: "tls", namespace: "b" } }], []],
  ] as const)("%s with %j", (message, objects, want) => {
    const hints = elsewhereHints(message, objects as never);
    expect(hints.map((h) => h.split(":")[0])).toEqual(want);
  });
});

describe("rollout text: a Service that carried both versions is said once", () => {
  it.each([
    [["ns/v2", "ns/v1"], ["ns/v1"], "  new version: ns/v2; ns/v1: the old version, then the new one once promoted"],
    [["ns/canary"], ["ns/primary"], "  new version: ns/canary; old version: ns/primary"],
    [["ns/a", "ns/b"], ["ns/b", "ns/c"], "  new version: ns/a; old version: ns/c; ns/b: the old version, then the new one once promoted"],
    [[], [], "  new version: -; old version: -"],
  ] as const)("new %j, old %j", (canary, stable, want) => expect(versionsLine(canary, stable)).toBe(want));

  it("an Argo rollout that promotes names the stable Service once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-rollout-"));
    writeFileSync(
      join(dir, "rollout.yaml"),
      `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: checkout, namespace: prod}
spec:
  strategy:
    canary:
      stableService: checkout-v1
      canaryService: checkout-v2
      trafficRouting:
        plugins:
          argoproj-labs/gatewayAPI: {httpRoute: checkout, namespace: prod}
      steps:
      - setWeight: 20
      - pause: {duration: 1m}
`,
    );
    const trace = Array.from({ length: 50 }, (_, i) => JSON.stringify({ time: 1_700_000_000_000 + i * 3000, host: "pay.corp.test", method: "POST", path: "/checkout/1", user: `u${i % 7}` })).join("\n");
    try {
      const r = await runCli(["whatif", "-f", canary, "--rollout", join(dir, "rollout.yaml"), "--trace", "-", "--html", join(dir, "r.html")], { stdin: trace });
      expect(r.code).toBe(0);
      expect(r.stdout.replace(/\n {4}/g, " ")).toContain("  new version: prod/checkout-v2; prod/checkout-v1: the old version, then the new one once promoted\n");
      expect(readFileSync(join(dir, "r.html"), "utf8")).toContain("New version: prod/checkout-v2 · prod/checkout-v1: the old version, then the new one once promoted");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("validate on a file that does not parse", () => {
  it("counts no objects it never read", async () => {
    const r = await runCli(["validate", "-f", "-"], { stdin: "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   namespace: y\n" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\n\d+ problem\(s\) in 1 file\n$/);
    expect(r.stderr).toMatch(/^gwsim: <stdin>:\d+:\d+: /);
  });
});

describe("status names a parentRef in full", () => {
  it("a parentRef without namespace is the route's own namespace; a port is shown", async () => {
    const world = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: shop}
spec:
  parentRefs: [{name: gw}, {name: other, port: 8080}]
  rules: [{backendRefs: [{name: s, port: 80}]}]
`;
    const stdout = (await runCli(["status", "-f", "-"], { stdin: world })).stdout.replace(/\n {6}\(/g, " (");
    expect(stdout).toContain("  ✗ HTTPRoute shop/r on Gateway shop/gw: Accepted=False (NoMatchingParent)\n");
    expect(stdout).toContain("  ✗ HTTPRoute shop/r on Gateway shop/other:8080: Accepted=False (NoMatchingParent)\n");
  });
});

describe("status hints at the labels of a namespace an allowedRoutes selector refuses", () => {
  it.each([
    [[{ kind: "Namespace", metadata: { name: "team-blue", labels: { "gateway-acess": "true", tier: "web" } } }], ["namespace team-blue has labels gateway-acess=true, tier=web, kubernetes.io/metadata.name=team-blue"]],
    [[{ kind: "Namespace", metadata: { name: "team-blue" } }], ["namespace team-blue has labels kubernetes.io/metadata.name=team-blue"]],
    [[], ["the manifests have no Namespace team-blue: gwsim gives it only the label the API server adds, kubernetes.io/metadata.name=team-blue"]],
  ] as const)("%j", (objects, want) => {
    const message = "Gateway infra/public does not accept HTTPRoutes from namespace team-blue: listener secure: namespace team-blue does not match its allowedRoutes selector (gateway-access=true); listener plain: namespace team-blue does not match its allowedRoutes selector (gateway-access=true)";
    expect(elsewhereHints(message, objects as never)).toEqual(want);
  });
});

describe("status text shows the selector hint under the refusal", () => {
  it("a label key typo is visible beside the selector it fails", async () => {
    const world = `apiVersion: v1
kind: Namespace
metadata: {name: team-blue, labels: {gateway-acess: "true"}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: infra}
spec:
  gatewayClassName: edge
  listeners:
  - name: web
    port: 80
    protocol: HTTP
    allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {gateway-access: "true"}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: billing, namespace: team-blue}
spec:
  parentRefs: [{name: public, namespace: infra}]
  rules: [{backendRefs: [{name: billing, port: 80}]}]
`;
    const { stdout } = await runCli(["status", "-f", "-"], { stdin: world });
    expect(stdout.replace(/\n {8}/g, " ")).toContain("      hint: namespace team-blue has labels gateway-acess=true, kubernetes.io/metadata.name=team-blue\n");
    expect(wide(stdout)).toEqual([]);
  });
});

describe("a usage error's usage line fits 80 columns", () => {
  it("wraps it as --help does", async () => {
    const r = await runCli(["explain", "-f", canary, "GET http://pay.corp.test/", "-H", "bad"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "gwsim: header \"bad\" is not 'name: value'\nusage: gwsim explain -f MANIFESTS '[METHOD] URL' [-H 'name: value' ...]\n             [--gateway NS/NAME] [--json]\n",
    );
  });
});

describe("explain says when an https request reaches its backend in cleartext", () => {
  it.each([
    // The example's payments Service names its port https, but no BackendTLSPolicy applies.
    ["packages/examples/world", [], "GET https://store.example.com/pay/x", true],
    ["test/fixtures/contract/world.yaml", ["--gateway", "infra/edge"], "GET https://secure.example.com/secure-backend", false],
    ["test/fixtures/contract/world.yaml", ["--gateway", "infra/edge"], "GET http://secure.example.com/secure-backend", false],
  ] as const)("%s %s", async (world, extra, request, cleartext) => {
    const { code, stdout } = await runCli(["explain", "-f", world, ...extra, request], { cwd: root });
    expect(code).toBe(0);
    const line = stdout.replace(/\n {6}/g, " ").split("\n").find((l) => l.startsWith("  backend receives: "))!;
    expect(line.endsWith(" (over cleartext: TLS ends at the gateway)")).toBe(cleartext);
  });
});
