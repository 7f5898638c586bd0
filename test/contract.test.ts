/**
 * CONTRACT.md, item by item. Each test is named after the contract sentence it checks, so a
 * change that renames or drops a command, flag, entry point or JSON field fails a test whose name
 * says which promise broke. The live adapter (`gwsim serve`) is in contract-serve.test.ts.
 *
 * World: test/fixtures/contract/world.yaml (a listener of each protocol, an mTLS Gateway, a Gateway
 * of a foreign controller and one of a class the manifests lack, routes of every kind, mesh).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, statusOf, type Decision, type GatewayRequest } from "../packages/core/src/index.js";
import { replay, type Report } from "../packages/sim/src/index.js";
import { runCli } from "./helpers/cli.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURE = join(import.meta.dirname, "fixtures/contract");
const WORLD_FILE = join(FIXTURE, "world.yaml");
const WORLD_TEXT = readFileSync(WORLD_FILE, "utf8");
const CLIENT_PEM = readFileSync(join(FIXTURE, "client.pem"), "utf8");
const STRANGER_PEM = readFileSync(join(FIXTURE, "stranger.pem"), "utf8");
const CONTROLLER = "contract.gwsim.dev/controller";

const parsed = parseManifests(WORLD_TEXT, { file: "world.yaml" });
const world = buildWorld(parsed.objects, { controllerName: undefined });

const scratch = mkdtempSync(join(tmpdir(), "gwsim-contract-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const path = join(scratch, rel);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");

/** `gwsim route --json` over the contract world with the requests on stdin. */
async function route(requests: readonly object[], extra: string[] = []): Promise<{ code: number; decisions: Decision[]; stderr: string }> {
  const r = await runCli(["route", "-f", WORLD_FILE, "--requests", "-", "--json", ...extra], { stdin: jsonl(requests) });
  return { code: r.code, decisions: lines(r.stdout).map((l) => JSON.parse(l) as Decision), stderr: r.stderr };
}

async function routeOne(request: object, extra: string[] = []): Promise<Decision> {
  const { code, decisions, stderr } = await route([request], extra);
  expect(code, stderr).toBe(0);
  expect(decisions, stderr).toHaveLength(1);
  return decisions[0]!;
}

const EDGE = { gateway: "infra/edge", host: "www.example.com" } as const;
const backendName = (d: Decision) => (d.backend ? `${d.backend.namespace}/${d.backend.name}:${d.backend.port}` : null);
const routeName = (d: Decision) => (d.route ? `${d.route.kind} ${d.route.namespace}/${d.route.name}` : null);

// ---------------------------------------------------------------------------------------------
describe("CONTRACT: Library entry points", () => {
  it('import { parseManifests, buildWorld, decide, statusOf } from "@gwsim/core" and import { replay } from "@gwsim/sim" work exactly as written', () => {
    // Resolved the way a consumer resolves them (package names through the workspace), not by path.
    const code = `
import { readFileSync } from "node:fs";
import { parseManifests, buildWorld, decide, statusOf } from "@gwsim/core";
import { replay } from "@gwsim/sim";
const text = readFileSync(${JSON.stringify(WORLD_FILE)}, "utf8");
const { objects, diagnostics } = parseManifests(text, { file: "gw.yaml" });
const world = buildWorld(objects, { controllerName: undefined });
const request = { gateway: "infra/edge", host: "www.example.com", path: "/shop" };
const decision = decide(world, request, { seed: 1, index: 0 });
const list = statusOf(world);
const report = await replay(world, [request, request] /* Iterable */, { seed: 1 });
console.log(JSON.stringify({ objects: objects.length, diagnostics: diagnostics.length, outcome: decision.outcome, kind: list.kind, requests: report.requests }));
`;
    const out = execFileSync(process.execPath, ["--conditions=development", "--import", "tsx", "--input-type=module", "-e", code], { cwd: join(ROOT, "packages/examples"), encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ objects: parsed.objects.length, diagnostics: 0, outcome: "forward", kind: "List", requests: 2 });
  }, 60_000);

  it("parseManifests(text, { file }) → { objects, diagnostics }: pure, text in; the file names the objects' and problems' source", () => {
    // CONTRACT's two fields; gwsim adds `skipped` (objects of kinds it does not read, for buildWorld's foreignObjects).
    expect(Object.keys(parsed)).toEqual(expect.arrayContaining(["diagnostics", "objects"]));
    expect(Object.keys(parsed).filter((k) => k !== "diagnostics" && k !== "objects")).toEqual(["skipped"]);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.objects.length).toBeGreaterThan(20);
    expect(parseManifests(WORLD_TEXT, { file: "world.yaml" })).toEqual(parsed);
    const bad = parseManifests("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nkind: [\n", { file: "bad.yaml" });
    expect(bad.objects).toHaveLength(1);
    expect(bad.diagnostics.length).toBeGreaterThan(0);
    expect(bad.diagnostics[0]).toMatchObject({ file: "bad.yaml", line: expect.any(Number), column: expect.any(Number), message: expect.any(String) });
    expect(bad.diagnostics[0]!.line).toBeGreaterThanOrEqual(5);
  });

  it("buildWorld(objects, { controllerName: undefined }): resolve + compile once, immutable", () => {
    expect(Object.isFrozen(world)).toBe(true);
    expect(() => {
      (world as { table: unknown }).table = null;
    }).toThrow();
    // controllerName: undefined is the default: every class.
    expect(statusOf(buildWorld(parsed.objects))).toEqual(statusOf(world));
    // The world does not hold on to the caller's array.
    const objects = [...parsed.objects];
    const w = buildWorld(objects, { controllerName: undefined });
    objects.length = 0;
    expect(decide(w, { ...EDGE, path: "/shop" }, { seed: 1, index: 0 }).outcome).toBe("forward");
  });

  it("buildWorld: immutable; writing to what the world exposes (its options, diagnostics, graph, table) changes nothing it decides", () => {
    const text = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: any
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: exact-host, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  hostnames: [www.example.com]
  rules: [{matches: [{path: {type: PathPrefix, value: /a}}], backendRefs: [{name: svc, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wildcard-host, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["*.example.com"]
  rules: [{matches: [{path: {type: PathPrefix, value: /b}}], backendRefs: [{name: svc, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: ns}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: bad, namespace: ns}
spec: {ports: [{port: 700000}]}
`;
    const w = buildWorld(parseManifests(text, { file: "w.yaml" }).objects, { controllerName: undefined });
    const request = { gateway: "ns/gw", host: "www.example.com", path: "/b" };
    const before = decide(w, request, { seed: 1, index: 0 });
    const status = JSON.stringify(statusOf(w));
    const diagnostics = JSON.stringify(w.diagnostics);
    expect(w.diagnostics.length).toBeGreaterThan(0);
    const attempts: (() => void)[] = [
      () => ((w.options as { hostnameFallthrough?: boolean }).hostnameFallthrough = true),
      () => ((w.options as { controllerName?: string }).controllerName = "someone.else/controller"),
      () => (w.diagnostics as unknown[]).splice(0),
      () => ((w.diagnostics[0] as { message: string }).message = "changed"),
      () => (w.graph.listeners as unknown[]).splice(0),
      () => ((w.graph.listeners[0] as { port: number }).port = 81),
    ];
    for (const attempt of attempts) {
      try {
        attempt();
      } catch {
        // Frozen: the write throws (ES modules are strict). Either way, nothing may change.
      }
    }
    expect(decide(w, request, { seed: 1, index: 0 })).toEqual(before);
    expect(JSON.stringify(statusOf(w))).toBe(status);
    expect(JSON.stringify(w.diagnostics)).toBe(diagnostics);
  });

  it("decide(world, request, { seed, index }) → the decision shape below", () => {
    const d = decide(world, { ...EDGE, path: "/shop" }, { seed: 1, index: 0 });
    expect(d).toMatchObject({ outcome: "forward", route: { kind: "HTTPRoute", namespace: "shop", name: "web", rule: 0 } });
    expect(["shop/shop-v1:8080", "shop/shop-v2:8080"]).toContain(backendName(d));
  });

  it("decide with the same world, request, seed and index always returns the same decision", () => {
    const requests: GatewayRequest[] = [
      { ...EDGE, path: "/shop/a" },
      { ...EDGE, method: "POST", path: "/submit" },
      { ...EDGE, path: "/api?x=1", headers: { version: "two" } },
      { gateway: "infra/edge", scheme: "tcp", port: 9000 },
      { service: "shop/mesh-svc", port: 80, from: "client" },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...requests), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(1_000_000), (request, seed, index) => {
        const a = decide(world, request, { seed, index });
        // Other draws in between change nothing: a draw depends on (seed, index) only.
        decide(world, request, { seed: seed + 1, index: index + 1 });
        const again = decide(buildWorld(parseManifests(WORLD_TEXT, { file: "world.yaml" }).objects), structuredClone(request), { seed, index });
        expect(again).toEqual(a);
        expect(decide(world, request, { seed, index })).toEqual(a);
      }),
      { numRuns: 60 },
    );
  });

  it("index is the request's position in a trace, so a replay is reproducible and can be split across workers", async () => {
    const trace = Array.from({ length: 300 }, (_, i) => ({ ...EDGE, path: `/shop/${i}` }));
    const whole = trace.map((r, index) => backendName(decide(world, r, { seed: 5, index })));
    // The second half decided alone, with its trace positions, draws the same backends.
    const secondHalf = trace.slice(150).map((r, i) => backendName(decide(world, r, { seed: 5, index: 150 + i })));
    expect(secondHalf).toEqual(whole.slice(150));
    expect(new Set(whole)).toEqual(new Set(["shop/shop-v1:8080", "shop/shop-v2:8080"]));
    const a = await replay(world, trace, { seed: 5 });
    const b = await replay(world, trace, { seed: 5 });
    expect(a).toEqual(b);
    const v2 = whole.filter((b) => b === "shop/shop-v2:8080").length;
    expect(a.backends.find((b) => b.name === "shop-v2")!.count).toBe(v2);
  });

  it("statusOf(world) is the `gwsim status --json` List", async () => {
    const cli = await runCli(["status", "-f", WORLD_FILE, "--json"]);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(JSON.parse(JSON.stringify(statusOf(world))));
  });

  it("await replay(world, requests, { seed }) takes an Iterable or an AsyncIterable of requests", async () => {
    const requests: GatewayRequest[] = Array.from({ length: 50 }, (_, i) => ({ ...EDGE, path: i % 5 === 0 ? "/nowhere" : `/shop/${i}` }));
    async function* stream() {
      for (const r of requests) {
        await Promise.resolve();
        yield r;
      }
    }
    function* sync() {
      yield* requests;
    }
    const fromArray = await replay(world, requests, { seed: 1 });
    const fromGenerator = await replay(world, sync(), { seed: 1 });
    const fromAsync = await replay(world, stream(), { seed: 1 });
    expect(fromArray.requests).toBe(50);
    expect(fromArray.statuses).toEqual({ "404": 10 });
    expect(fromGenerator).toEqual(fromArray);
    expect(fromAsync).toEqual(fromArray);
  });
});

// ---------------------------------------------------------------------------------------------
describe("CONTRACT: -f PATH, exit codes, errors on stderr", () => {
  const gateway = (name: string) => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: "ns" },
    spec: { gatewayClassName: "c", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
  });
  const gatewayYaml = (name: string) => `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: ${name}, namespace: ns}\nspec:\n  gatewayClassName: c\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n`;
  const gatewayNames = (stdout: string) =>
    (JSON.parse(stdout) as { items: { kind: string; metadata: { name: string } }[] }).items.filter((i) => i.kind === "Gateway").map((i) => i.metadata.name).sort();

  it("-f takes a YAML or JSON file holding one or many documents (--- separated)", async () => {
    const yamlFile = write("forms/many.yaml", `${gatewayYaml("a")}---\n${gatewayYaml("b")}---\n${gatewayYaml("c")}`);
    expect(gatewayNames((await runCli(["status", "--json", "-f", yamlFile])).stdout)).toEqual(["a", "b", "c"]);
    const jsonFile = write("forms/one.json", JSON.stringify(gateway("j")));
    expect(gatewayNames((await runCli(["status", "--json", "-f", jsonFile])).stdout)).toEqual(["j"]);
  });

  it("-f takes a Kubernetes List with items, as kubectl get -o yaml prints (YAML and JSON)", async () => {
    const list = { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: [gateway("l1"), gateway("l2")] };
    const jsonFile = write("forms/list.json", JSON.stringify(list, null, 2));
    expect(gatewayNames((await runCli(["status", "--json", "-f", jsonFile])).stdout)).toEqual(["l1", "l2"]);
    const yamlFile = write("forms/list.yaml", `apiVersion: v1\nkind: List\nitems:\n- ${gatewayYaml("y1").trimEnd().split("\n").join("\n  ")}\n- ${gatewayYaml("y2").trimEnd().split("\n").join("\n  ")}\n`);
    expect(gatewayNames((await runCli(["status", "--json", "-f", yamlFile])).stdout)).toEqual(["y1", "y2"]);
  });

  it("-f takes a directory read recursively (*.yaml, *.yml, *.json)", async () => {
    write("tree/a.yaml", gatewayYaml("d-yaml"));
    write("tree/sub/b.yml", gatewayYaml("d-yml"));
    write("tree/sub/deeper/c.json", JSON.stringify(gateway("d-json")));
    write("tree/sub/notes.txt", gatewayYaml("d-txt"));
    write("tree/README.md", "not a manifest\n");
    const r = await runCli(["status", "--json", "-f", join(scratch, "tree")]);
    expect(r.code, r.stderr).toBe(0);
    expect(gatewayNames(r.stdout)).toEqual(["d-json", "d-yaml", "d-yml"]);
  });

  it("-f - reads standard input", async () => {
    const r = await runCli(["status", "--json", "-f", "-"], { stdin: `${gatewayYaml("stdin-a")}---\n${gatewayYaml("stdin-b")}` });
    expect(r.code, r.stderr).toBe(0);
    expect(gatewayNames(r.stdout)).toEqual(["stdin-a", "stdin-b"]);
  });

  it("-f is repeatable", async () => {
    const a = write("rep/a.yaml", gatewayYaml("rep-a"));
    const b = write("rep/b.json", JSON.stringify(gateway("rep-b")));
    write("rep/dir/c.yaml", gatewayYaml("rep-c"));
    const r = await runCli(["status", "--json", "-f", a, "-f", b, "-f", join(scratch, "rep/dir"), "-f", "-"], { stdin: gatewayYaml("rep-stdin") });
    expect(r.code, r.stderr).toBe(0);
    expect(gatewayNames(r.stdout)).toEqual(["rep-a", "rep-b", "rep-c", "rep-stdin"]);
  });

  // "Every command that takes manifests accepts -f PATH": the contract world given whole, split over a
  // directory tree (.yaml, .yml, .json), as one List, on stdin and over repeated -f reads the same.
  describe("every command that takes manifests accepts each -f form", () => {
    const texts = WORLD_TEXT.split(/^---\n/m);
    const asJson = (text: string) => {
      const { objects } = parseManifests(text, { file: "doc.yaml" });
      expect(objects).toHaveLength(1);
      return JSON.parse(JSON.stringify(objects[0])) as object;
    };
    const ext = ["yaml", "yml", "json"] as const;
    const dir = join(scratch, "split");
    texts.forEach((text, i) => {
      const e = ext[i % 3]!;
      write(`split/${i % 2 ? "nested/deeper/" : ""}${String(i).padStart(2, "0")}.${e}`, e === "json" ? JSON.stringify(asJson(text)) : text);
    });
    const list = write("forms/world-list.json", JSON.stringify({ apiVersion: "v1", kind: "List", items: texts.map(asJson) }));
    const half = Math.ceil(texts.length / 2);
    const first = write("forms/first.yaml", texts.slice(0, half).join("---\n"));
    const second = write("forms/second.yaml", texts.slice(half).join("---\n"));
    const reqs = write("forms/requests.jsonl", jsonl([{ ...EDGE, path: "/shop" }, { ...EDGE, path: "/api?x=1" }, { gateway: "infra/edge", scheme: "tcp", port: 9000 }, { service: "shop/mesh-svc", port: 80, from: "client" }]));
    const trace = write("forms/trace.jsonl", jsonl(Array.from({ length: 20 }, (_, i) => ({ ...EDGE, path: i % 4 ? `/shop/${i}` : "/zzz" }))));
    const forms: { form: string; f: string[]; stdin?: string }[] = [
      { form: "a directory read recursively", f: ["-f", dir] },
      { form: "a Kubernetes List", f: ["-f", list] },
      { form: "- for standard input", f: ["-f", "-"], stdin: WORLD_TEXT },
      { form: "repeated -f", f: ["-f", first, "-f", second] },
    ];
    const commands: { name: string; argv: (f: string[]) => string[] }[] = [
      { name: "status --json", argv: (f) => ["status", ...f, "--json"] },
      { name: "route --json", argv: (f) => ["route", ...f, "--requests", reqs, "--json"] },
      { name: "explain --json", argv: (f) => ["explain", ...f, "--gateway", "infra/edge", "--json", "GET http://www.example.com/api?x=1"] },
      { name: "replay --json", argv: (f) => ["replay", ...f, "--trace", trace, "--json"] },
      { name: "whatif --json", argv: (f) => ["whatif", ...f, "--set-weight", "shop/web/split/shop-v2=90", "--trace", trace, "--json"] },
      { name: "lint --json", argv: (f) => ["lint", ...f, "--json"] },
      // validate's text lists objects in the order files are read; its --json is order-free.
      { name: "validate --json", argv: (f) => ["validate", ...f, "--json"] },
    ];
    const cases = commands.flatMap((c) => forms.map((form) => ({ ...c, ...form })));
    // Titles built by hand: vitest cuts $-interpolated strings at 40 characters.
    it.each(cases.map((c) => [`${c.name}: -f ${c.form}`, c] as const))("%s", async (_, { name, argv, f, stdin }) => {
      const baseline = await runCli(argv(["-f", WORLD_FILE]));
      expect(baseline.code, baseline.stderr).toBe(0);
      const r = await runCli(argv(f), stdin === undefined ? {} : { stdin });
      expect(r.code, r.stderr).toBe(0);
      // validate --json names the files it read, and lint's findings where they are written;
      // everything else is the same.
      const withoutFiles = (t: string) => {
        if (name === "validate --json") return JSON.stringify({ ...(JSON.parse(t) as object), files: null });
        if (name !== "lint --json") return t;
        const lint = JSON.parse(t) as { findings: { file: unknown; line: unknown; column: unknown; related: { file: unknown; line: unknown; column: unknown }[] }[] };
        const unplaced = <T extends object>(o: T) => ({ ...o, file: null, line: null, column: null });
        return JSON.stringify({ ...lint, findings: lint.findings.map((f) => ({ ...unplaced(f), related: f.related.map(unplaced) })) });
      };
      expect(withoutFiles(r.stdout)).toBe(withoutFiles(baseline.stdout));
    });
  });

  // Each command that takes manifests: success 0, bad usage 2, unreadable input 2.
  const trace = () => write("exit/trace.jsonl", jsonl([{ ...EDGE, path: "/shop" }]));
  const requests = () => write("exit/requests.jsonl", jsonl([{ ...EDGE, path: "/shop" }]));
  const profile = () => write("exit/profile.yaml", "defaults: {gateway: infra/edge, host: www.example.com}\nclasses:\n  - {name: all, share: 1, path: /shop}\n");
  const commands: { name: string; ok: () => string[] }[] = [
    { name: "validate", ok: () => ["validate", "-f", WORLD_FILE] },
    { name: "status", ok: () => ["status", "-f", WORLD_FILE] },
    { name: "route", ok: () => ["route", "-f", WORLD_FILE, "--requests", requests()] },
    { name: "explain", ok: () => ["explain", "-f", WORLD_FILE, "--gateway", "infra/edge", "GET http://www.example.com/shop"] },
    { name: "lint", ok: () => ["lint", "-f", WORLD_FILE] },
    { name: "replay", ok: () => ["replay", "-f", WORLD_FILE, "--trace", trace()] },
    { name: "whatif", ok: () => ["whatif", "-f", WORLD_FILE, "--set-weight", "shop/web/split/shop-v2=50", "--trace", trace()] },
    { name: "synth", ok: () => ["synth", "--profile", profile(), "--count", "3"] },
  ];

  it.each(commands.map((c) => [c.name, c] as const))("exit code 0 success: gwsim %s", async (_, { ok }) => {
    const r = await runCli(ok());
    expect(r.code, r.stderr).toBe(0);
  });

  it.each(commands.map((c) => [c.name, c] as const))("exit code 2 bad usage: gwsim %s with an unknown flag", async (_, { ok }) => {
    const r = await runCli([...ok(), "--no-such-flag"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^gwsim: /);
  });

  it.each(commands.filter((c) => c.name !== "synth").map((c) => [c.name, c] as const))("exit code 2 unreadable input: gwsim %s -f a path that does not exist", async (_, { ok }) => {
    const argv = ok();
    argv[argv.indexOf("-f") + 1] = join(scratch, "does-not-exist.yaml");
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gwsim: .*does-not-exist\.yaml/m);
  });

  it("exit code 2 unreadable input: gwsim synth --profile a path that does not exist; route/replay with a missing --requests/--trace file", async () => {
    expect((await runCli(["synth", "--profile", join(scratch, "nope.yaml"), "--count", "1"])).code).toBe(2);
    expect((await runCli(["route", "-f", WORLD_FILE, "--requests", join(scratch, "nope.jsonl")])).code).toBe(2);
    expect((await runCli(["replay", "-f", WORLD_FILE, "--trace", join(scratch, "nope.jsonl")])).code).toBe(2);
  });

  it("exit code 2 bad usage: a command without its required -f; an unknown command", async () => {
    for (const argv of [["status"], ["route", "--requests", "-"], ["validate"], ["lint"], ["replay", "--trace", "-"], ["whatif", "--trace", "-", "--set-weight", "a/b/c=1"], ["synth", "--count", "1"], ["nonsense"]]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toMatch(/^gwsim: /);
    }
  });

  it("exit code 1: the command ran but found problems it was asked to check (validate, lint, whatif --fail-if, replay --fail-if)", async () => {
    const invalid = write("exit/invalid.yaml", "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: ns}\nspec:\n  rules: [{backendRefs: [{name: svc}]}]\n");
    expect((await runCli(["validate", "-f", invalid])).code).toBe(1);
    expect((await runCli(["lint", "-f", lintErrorFile()])).code).toBe(1);
    const t = trace();
    expect((await runCli(["whatif", "-f", WORLD_FILE, "--set-weight", "shop/web/split/shop-v1=0", "--trace", t, "--fail-if", "share(shop/shop-v2) > 0.5"])).code).toBe(1);
    expect((await runCli(["whatif", "-f", WORLD_FILE, "--set-weight", "shop/web/split/shop-v1=0", "--trace", t, "--fail-if", "new404 > 0"])).code).toBe(0);
    expect((await runCli(["replay", "-f", WORLD_FILE, "--trace", write("exit/404.jsonl", jsonl([{ ...EDGE, path: "/zzz" }])), "--fail-if", "status(404) > 0"])).code).toBe(1);
  });

  it("errors go to stderr as `gwsim: <file>:<line>:<col>: <what is wrong>` where a location is known", async () => {
    const invalid = write("loc/invalid.yaml", "# comment\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: ns}\nspec:\n  rules:\n  - backendRefs:\n    - name: svc\n");
    const v = await runCli(["validate", "-f", invalid]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(new RegExp(`^gwsim: ${escape(invalid)}:8:7: spec\\.rules\\[0\\]\\.backendRefs\\[0\\]\\.port: .+$`, "m"));
    const syntax = write("loc/syntax.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a\n");
    for (const cmd of ["status", "validate", "lint"]) {
      const r = await runCli([cmd, "-f", syntax]);
      expect(r.stderr, cmd).toMatch(new RegExp(`^gwsim: ${escape(syntax)}:\\d+:\\d+: \\S.*$`, "m"));
    }
    // A request line route cannot read: the requests file, its line and column.
    const reqs = write("loc/requests.jsonl", `${JSON.stringify({ ...EDGE, path: "/shop" })}\n{"gateway": "infra/edge", "port": "eighty"}\n`);
    const r = await runCli(["route", "-f", WORLD_FILE, "--requests", reqs, "--json"]);
    expect(r.stderr).toMatch(new RegExp(`^gwsim: ${escape(reqs)}:2:\\d+: .*port`, "m"));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function lintErrorFile(): string {
  return write(
    "lint/error.yaml",
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: any
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: svc, port: 9999}]}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: ns}
spec: {ports: [{port: 8080}]}
`,
  );
}

// ---------------------------------------------------------------------------------------------
type StatusList = { apiVersion: string; kind: string; items: StatusItemJson[] };
type Condition = { type: string; status: string; reason: string; message: string; observedGeneration: number };
type StatusItemJson = {
  apiVersion: string;
  kind: string;
  metadata: { namespace?: string; name: string };
  status: {
    conditions?: Condition[];
    listeners?: { name: string; attachedRoutes: number; supportedKinds: { group?: string; kind: string }[]; conditions: Condition[] }[];
    parents?: { parentRef: { name: string; namespace?: string; kind?: string; sectionName?: string }; controllerName: string; conditions: Condition[] }[];
    ancestors?: { ancestorRef: { name: string }; controllerName: string; conditions: Condition[] }[];
  };
};

async function statusJson(extra: string[] = []): Promise<StatusList> {
  const r = await runCli(["status", "-f", WORLD_FILE, "--json", ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusList;
}
const item = (list: StatusList, kind: string, name: string) => list.items.find((i) => i.kind === kind && i.metadata.name === name)!;

describe("CONTRACT: GatewayClasses", () => {
  it("by default gwsim acts as the controller of every GatewayClass it is given", async () => {
    const list = await statusJson();
    for (const name of ["contract", "foreign"]) {
      expect(item(list, "GatewayClass", name).status.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True" }));
    }
    expect(item(list, "Gateway", "elsewhere").status.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True" }));
    expect((await routeOne({ ...EDGE, gateway: "infra/elsewhere", path: "/shop" })).outcome).toBe("forward");
  });

  it("... and of a class that is named by a Gateway but absent from the manifests", async () => {
    const list = await statusJson();
    expect(item(list, "Gateway", "orphan").status.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True" }));
    expect((await routeOne({ ...EDGE, gateway: "infra/orphan", path: "/shop" })).outcome).toBe("forward");
  });

  it("--controller-name NAME restricts it to classes whose spec.controllerName is NAME; Gateways of other classes are left alone (no status, no routing)", async () => {
    const list = await statusJson(["--controller-name", CONTROLLER]);
    expect(item(list, "GatewayClass", "contract").status.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True" }));
    for (const [kind, name] of [["GatewayClass", "foreign"], ["Gateway", "elsewhere"], ["Gateway", "orphan"]] as const) {
      expect(item(list, kind, name).status.conditions ?? [], `${kind} ${name}`).toEqual([]);
      expect(item(list, kind, name).status.listeners ?? [], `${kind} ${name}`).toEqual([]);
    }
    const parents = item(list, "HTTPRoute", "web").status.parents!.map((p) => p.parentRef.name);
    expect(parents).toContain("edge");
    expect(parents).not.toContain("elsewhere");
    expect(parents).not.toContain("orphan");
    expect(new Set(item(list, "HTTPRoute", "web").status.parents!.map((p) => p.controllerName))).toEqual(new Set([CONTROLLER]));
    const { decisions } = await route(
      [
        { ...EDGE, gateway: "infra/elsewhere", path: "/shop" },
        { ...EDGE, gateway: "infra/orphan", path: "/shop" },
        { ...EDGE, path: "/shop" },
      ],
      ["--controller-name", CONTROLLER],
    );
    expect(decisions.map((d) => d.outcome)).toEqual(["reject", "reject", "forward"]);
    // Every command that routes leaves them alone too.
    const explained = await runCli(["explain", "-f", WORLD_FILE, "--gateway", "infra/elsewhere", "--json", "--controller-name", CONTROLLER, "GET http://www.example.com/shop"]);
    expect((JSON.parse(explained.stdout) as Decision).outcome).toBe("reject");
    const trace = write("controller/trace.jsonl", jsonl([{ ...EDGE, gateway: "infra/orphan", path: "/shop" }, { ...EDGE, path: "/shop" }]));
    const replayed = JSON.parse((await runCli(["replay", "-f", WORLD_FILE, "--trace", trace, "--json", "--controller-name", CONTROLLER])).stdout) as Report;
    expect(replayed.backends.reduce((n, b) => n + b.count, 0)).toBe(1);
    const unrestricted = JSON.parse((await runCli(["replay", "-f", WORLD_FILE, "--trace", trace, "--json"])).stdout) as Report;
    expect(unrestricted.backends.reduce((n, b) => n + b.count, 0)).toBe(2);
    // The library takes the same option.
    const restricted = buildWorld(parsed.objects, { controllerName: CONTROLLER });
    expect(decide(restricted, { ...EDGE, gateway: "infra/elsewhere", path: "/shop" }, { seed: 1, index: 0 }).outcome).toBe("reject");
    expect(statusOf(restricted)).toEqual(list);
  });
});

// ---------------------------------------------------------------------------------------------
describe("CONTRACT: gwsim route, request fields", () => {
  it("usage: gwsim route -f MANIFESTS --requests FILE|- [--seed N] [--json] [--explain]", async () => {
    const help = (await runCli(["route", "--help"])).stdout;
    expect(usageLine(help)).toSatisfy(containsContractUsage("gwsim route -f MANIFESTS --requests FILE|- [--seed N] [--json] [--explain]"));
  });

  // One row per field of the contract's request shape: the request, and the effect the contract documents.
  const rows: { field: string; requests: object[]; check: (d: Decision[]) => void }[] = [
    {
      field: '"id": anything, echoed back',
      requests: [{ ...EDGE, path: "/shop", id: { any: ["thing", 1] } }, { ...EDGE, path: "/zzz", id: 7 }, { gateway: "infra/edge", port: 81, id: "s" }, { ...EDGE, path: "/shop" }],
      check: (d) => {
        expect(d.map((x) => x.id)).toEqual([{ any: ["thing", 1] }, 7, "s", undefined]);
      },
    },
    {
      field: '"gateway": entry point, a Gateway namespace/name',
      requests: [{ ...EDGE, path: "/shop" }, { ...EDGE, gateway: "infra/mtls", scheme: "https", host: "mtls.example.com", path: "/shop", clientCertificate: CLIENT_PEM }],
      check: (d) => expect(d.map((x) => x.listener?.gateway)).toEqual(["infra/edge", "infra/mtls"]),
    },
    {
      field: '"service": entry point, a Service namespace/name, for mesh (GAMMA) routing',
      requests: [{ service: "shop/mesh-svc", port: 80 }],
      check: ([d]) => expect([d!.outcome, routeName(d!), backendName(d!)]).toEqual(["forward", "HTTPRoute shop/mesh-producer", "shop/mesh-v1:80"]),
    },
    {
      field: '"address": entry point, a destination IP (a Service\'s clusterIP), for mesh',
      requests: [{ address: "10.96.0.12", port: 80 }, { address: "10.96.0.99", port: 80 }],
      check: ([d, unknown]) => {
        expect([d!.outcome, routeName(d!), backendName(d!)]).toEqual(["forward", "HTTPRoute shop/mesh-producer", "shop/mesh-v1:80"]);
        // An address no Service has is not routed by any route (the mesh passes it through).
        expect([unknown!.route, unknown!.backend]).toEqual([null, null]);
      },
    },
    {
      field: '"from": mesh only, the namespace the caller runs in',
      requests: [{ service: "shop/mesh-svc", port: 80, from: "client" }, { service: "shop/mesh-svc", port: 80, from: "shop" }, { address: "10.96.0.12", port: 80, from: "client" }],
      check: (d) => expect(d.map(routeName)).toEqual(["HTTPRoute client/mesh-consumer", "HTTPRoute shop/mesh-producer", "HTTPRoute client/mesh-consumer"]),
    },
    {
      field: '"port": listener (or Service) port; default from scheme',
      requests: [
        { ...EDGE, path: "/shop" },
        { ...EDGE, scheme: "https", host: "secure.example.com", path: "/shop" },
        { gateway: "infra/edge", scheme: "tcp", port: 9000 },
        { gateway: "infra/edge", port: 81 },
        { service: "shop/mesh-svc", port: 8081 },
      ],
      check: ([http, https, tcp, none, meshNone]) => {
        expect(http!.listener).toEqual({ gateway: "infra/edge", name: "http", port: 80 });
        expect(https!.listener).toEqual({ gateway: "infra/edge", name: "https", port: 443 });
        expect(tcp!.listener).toEqual({ gateway: "infra/edge", name: "tcp", port: 9000 });
        expect(none!.outcome).toBe("reject");
        expect(meshNone!.outcome).not.toBe("forward");
      },
    },
    {
      field: '"scheme": http | https | tls | tcp | udp',
      requests: [
        { ...EDGE, scheme: "http", path: "/shop" },
        { ...EDGE, scheme: "https", host: "secure.example.com", path: "/shop" },
        { gateway: "infra/edge", scheme: "tls", port: 8443, sni: "pass.example.com" },
        { gateway: "infra/edge", scheme: "tcp", port: 9000 },
        { gateway: "infra/edge", scheme: "udp", port: 5353 },
      ],
      check: (d) => {
        expect(d.map((x) => x.outcome)).toEqual(["forward", "forward", "forward", "forward", "forward"]);
        expect(d.map((x) => x.route?.kind)).toEqual(["HTTPRoute", "HTTPRoute", "TLSRoute", "TCPRoute", "UDPRoute"]);
        expect(d[0]!.forwarded!.scheme).toBe("http");
        expect(d[1]!.forwarded!.scheme).toBe("https");
      },
    },
    {
      field: '"protocol": HTTP/1.1 | HTTP/2 | h2c | websocket; default HTTP/1.1',
      requests: ["HTTP/1.1", "HTTP/2", "h2c", "websocket"].map((protocol) => ({ ...EDGE, path: "/shop", protocol })),
      check: (d) => {
        expect(d.map((x) => x.outcome)).toEqual(["forward", "forward", "forward", "forward"]);
        expect(d.map(routeName)).toEqual(Array(4).fill("HTTPRoute shop/web"));
      },
    },
    {
      field: '"host": the Host/:authority as sent; may carry a port',
      requests: [{ ...EDGE, host: "WWW.Example.com:80", path: "/shop" }, { ...EDGE, host: "unknown.example.org", path: "/shop" }],
      check: ([withPort, other]) => {
        expect([withPort!.outcome, routeName(withPort!), withPort!.listener?.name]).toEqual(["forward", "HTTPRoute shop/web", "http"]);
        // As sent: the backend receives the port too.
        expect(withPort!.forwarded!.host).toMatch(/^www\.example\.com(:80)?$/);
        expect(other!.outcome).toBe("notFound");
      },
    },
    {
      field: '"sni": TLS server name; defaults to host\'s name for https/tls',
      requests: [
        { ...EDGE, scheme: "https", host: "other.example.com", path: "/shop" },
        { ...EDGE, scheme: "https", host: "other.example.com", sni: "secure.example.com", path: "/shop" },
        { gateway: "infra/edge", scheme: "tls", port: 8443, host: "pass.example.com" },
        { gateway: "infra/edge", scheme: "tls", port: 8443, sni: "nope.example.com" },
        { ...EDGE, scheme: "https", host: "other.example.com:443", path: "/shop" },
      ],
      check: ([byHost, misdirected, tlsByHost, noSni, byHostWithPort]) => {
        expect(byHost!.listener?.name).toBe("https-other");
        expect(byHostWithPort!.listener?.name).toBe("https-other");
        expect([misdirected!.listener?.name, misdirected!.status]).toEqual(["https", 421]);
        expect(routeName(tlsByHost!)).toBe("TLSRoute shop/pass");
        expect(noSni!.outcome).toBe("reject");
      },
    },
    {
      field: '"clientCertificate": PEM the client presents (mTLS)',
      requests: [
        { gateway: "infra/mtls", scheme: "https", host: "mtls.example.com", path: "/shop", clientCertificate: CLIENT_PEM },
        { gateway: "infra/mtls", scheme: "https", host: "mtls.example.com", path: "/shop", clientCertificate: STRANGER_PEM },
        { gateway: "infra/mtls", scheme: "https", host: "mtls.example.com", path: "/shop" },
      ],
      check: (d) => expect(d.map((x) => x.outcome)).toEqual(["forward", "reject", "reject"]),
    },
    {
      field: '"method": GET',
      requests: [{ ...EDGE, method: "POST", path: "/submit" }, { ...EDGE, method: "GET", path: "/submit" }, { ...EDGE, path: "/submit" }],
      check: ([post, get, byDefault]) => {
        expect(post!.route?.rule).toBe(4);
        expect(post!.forwarded?.method ?? post!.status).toSatisfy((v: unknown) => v === "POST" || v === 500);
        expect(get!.outcome).toBe("notFound");
        expect(byDefault!.outcome).toBe("notFound");
      },
    },
    {
      field: '"path": path plus optional query string, as sent',
      requests: [{ ...EDGE, path: "/api/z?x=1" }, { ...EDGE, path: "/api/z?x=2" }, { ...EDGE, path: "/rewrite/q?k=v" }],
      check: ([query, otherQuery, rewritten]) => {
        expect([query!.route?.rule, query!.route?.match, query!.forwarded?.path]).toEqual([2, 1, "/api/z?x=1"]);
        expect(otherQuery!.outcome).toBe("notFound");
        expect(rewritten!.forwarded?.path).toBe("/v2/q?k=v");
      },
    },
    {
      field: '"headers": {"version": "two", "x-multi": ["a", "b"]}',
      requests: [{ ...EDGE, path: "/api/z", headers: { Version: "two", "x-multi": ["a", "b"] } }, { ...EDGE, path: "/api/z", headers: { version: "three" } }],
      check: ([matched, unmatched]) => {
        expect([matched!.route?.rule, matched!.route?.match]).toEqual([2, 0]);
        expect(matched!.forwarded?.headers["x-multi"]).toEqual(["a", "b"]);
        expect(matched!.forwarded?.headers.version).toBe("two");
        expect(unmatched!.outcome).toBe("notFound");
      },
    },
    {
      field: '"grpc": a gRPC call (HTTP/2 POST /pkg.Svc/Call)',
      requests: [
        { ...EDGE, host: "grpc.example.com", grpc: { service: "pkg.Svc", method: "Call" } },
        { ...EDGE, host: "grpc.example.com", grpc: { service: "pkg.Svc", method: "Other" } },
      ],
      check: ([call, unknown]) => {
        expect(routeName(call!)).toBe("GRPCRoute shop/rpc");
        expect(backendName(call!)).toBe("shop/grpc-svc:9090");
        expect(call!.forwarded).toMatchObject({ method: "POST", path: "/pkg.Svc/Call" });
        expect(unknown!.grpcStatus).toBe(12);
      },
    },
    {
      field: '"user": optional user/client key (accepted by route; its effect, sticky splits and exposure, is in replay)',
      requests: [{ ...EDGE, path: "/shop", user: "client-42" }],
      check: ([d]) => expect(d!.outcome).toBe("forward"),
    },
    {
      field: '"time": optional, RFC 3339 or epoch milliseconds (a client certificate is checked against it)',
      requests: [
        { gateway: "infra/mtls", scheme: "https", host: "mtls.example.com", path: "/shop", clientCertificate: CLIENT_PEM, time: "2030-01-01T00:00:00Z" },
        { gateway: "infra/mtls", scheme: "https", host: "mtls.example.com", path: "/shop", clientCertificate: CLIENT_PEM, time: Date.parse("2030-01-01T00:00:00Z") },
        { gateway: "infra/mtls", scheme: "https", host: "mtls.example.com", path: "/shop", clientCertificate: CLIENT_PEM, time: "2020-01-01T00:00:00Z" },
        { gateway: "infra/mtls", scheme: "https", host: "mtls.example.com", path: "/shop", clientCertificate: CLIENT_PEM, time: Date.parse("2020-01-01T00:00:00Z") },
      ],
      check: (d) => expect(d.map((x) => x.outcome)).toEqual(["forward", "forward", "reject", "reject"]),
    },
  ];

  it.each(rows.map((r) => [r.field, r] as const))("request %s", async (_, { requests, check }) => {
    const { code, decisions, stderr } = await route(requests);
    expect(code, stderr).toBe(0);
    expect(decisions, stderr).toHaveLength(requests.length);
    check(decisions);
    // The library gives the same decisions.
    check(requests.map((r, index) => JSON.parse(JSON.stringify(decide(world, r as GatewayRequest, { seed: 1, index }))) as Decision));
  });

  it("every field optional except the entry point: a request without gateway, service or address is refused, not routed", async () => {
    const r = await runCli(["route", "-f", WORLD_FILE, "--requests", "-", "--json"], { stdin: jsonl([{ host: "www.example.com", path: "/shop" }, { gateway: "infra/edge" }]) });
    expect(r.code).toBe(0);
    const [noEntry, gatewayOnly] = lines(r.stdout).map((l) => JSON.parse(l) as Decision);
    expect([noEntry!.outcome, noEntry!.listener, noEntry!.route, noEntry!.backend]).toEqual(["error", null, null, null]);
    // The gateway-only request is routed with every other field defaulted (http, port 80, GET /).
    expect(gatewayOnly!.listener).toEqual({ gateway: "infra/edge", name: "http", port: 80 });
    expect(gatewayOnly!.outcome).toBe("notFound");
  });
});

// ---------------------------------------------------------------------------------------------
const BACKEND_ID = { group: expect.any(String), kind: expect.any(String), namespace: expect.any(String), name: expect.any(String), port: expect.any(Number) };

/** Every decision field the contract names, with its type and null/absent rule. */
function expectDecisionShape(d: Decision, explain: boolean): void {
  const nullOr = (v: unknown, shape: unknown) => (v === null ? undefined : expect(v).toMatchObject(shape as object));
  for (const key of ["outcome", "status", "listener", "route", "backend", "backends", "forwarded", "redirect", "responseHeaders", "mirrors", "timeouts", "retry", "sessionPersistence", "backendTLS"]) {
    expect(d, key).toHaveProperty(key);
  }
  expect(["forward", "redirect", "respond", "notFound", "error", "reject"]).toContain(d.outcome);
  expect(d.status === null || Number.isInteger(d.status)).toBe(true);
  expect(d.grpcStatus === undefined || d.grpcStatus === null || Number.isInteger(d.grpcStatus)).toBe(true);
  nullOr(d.listener, { gateway: expect.any(String), name: expect.any(String), port: expect.any(Number) });
  if (d.route !== null) {
    expect(d.route).toMatchObject({ kind: expect.any(String), namespace: expect.any(String), name: expect.any(String) });
    for (const k of ["rule", "ruleName", "match"] as const) expect(d.route).toHaveProperty(k);
    expect(d.route.rule === null || Number.isInteger(d.route.rule)).toBe(true);
    expect(d.route.ruleName === null || typeof d.route.ruleName === "string").toBe(true);
    expect(d.route.match === null || Number.isInteger(d.route.match)).toBe(true);
  }
  nullOr(d.backend, BACKEND_ID);
  expect(Array.isArray(d.backends)).toBe(true);
  for (const b of d.backends) {
    expect(b).toMatchObject({ ...BACKEND_ID, weight: expect.any(Number), probability: expect.any(Number), valid: expect.any(Boolean) });
    expect(b).toHaveProperty("reason");
    expect(b.reason === null || typeof b.reason === "string").toBe(true);
  }
  nullOr(d.forwarded, { method: expect.any(String), scheme: expect.any(String), host: expect.any(String), path: expect.any(String), headers: expect.any(Object) });
  if (d.forwarded) for (const name of Object.keys(d.forwarded.headers)) expect(name).toBe(name.toLowerCase());
  nullOr(d.redirect, { status: expect.any(Number), location: expect.any(String) });
  nullOr(d.responseHeaders, { set: expect.any(Object), add: expect.any(Object), remove: expect.any(Array) });
  expect(Array.isArray(d.mirrors)).toBe(true);
  for (const m of d.mirrors) expect(m).toMatchObject({ backend: BACKEND_ID, percent: expect.any(Number) });
  if (d.timeouts !== null) expect(d.timeouts).toBeTypeOf("object");
  if (d.retry !== null) expect(d.retry).toBeTypeOf("object");
  nullOr(d.backendTLS, { policy: expect.any(String), sni: expect.any(String), caCertificateRefs: expect.any(Array), subjectAltNames: expect.any(Array) });
  if (d.backendTLS) {
    expect(d.backendTLS).toHaveProperty("wellKnownCACertificates");
    expect(d.backendTLS).toHaveProperty("clientCertificate");
  }
  if (explain) {
    expect(Array.isArray(d.explain)).toBe(true);
    expect(d.explain!.length).toBeGreaterThan(0);
    for (const line of d.explain!) expect(line).toBeTypeOf("string");
  } else expect(d).not.toHaveProperty("explain");
  // null when forwarded
  if (d.outcome === "forward") expect(d.status).toBeNull();
}

/** A request for each outcome and each optional decision field. */
const OUTCOME_REQUESTS: { outcome: string; why: string; request: object; status: number | null }[] = [
  { outcome: "forward", why: "a route forwards", request: { ...EDGE, path: "/shop" }, status: null },
  { outcome: "redirect", why: "3xx redirect", request: { ...EDGE, path: "/old" }, status: 301 },
  { outcome: "respond", why: "2xx for respond (a CORS preflight)", request: { ...EDGE, method: "OPTIONS", path: "/cors", headers: { origin: "https://app.example.com", "access-control-request-method": "POST" } }, status: 200 },
  { outcome: "notFound", why: "404 no route", request: { ...EDGE, path: "/zzz" }, status: 404 },
  { outcome: "error", why: "500 no valid backend", request: { ...EDGE, path: "/broken" }, status: 500 },
  { outcome: "error", why: "421 misdirected", request: { ...EDGE, scheme: "https", host: "other.example.com", sni: "secure.example.com", path: "/shop" }, status: 421 },
  { outcome: "reject", why: "no listener on the port", request: { gateway: "infra/edge", port: 81 }, status: null },
  { outcome: "reject", why: "TLS with no matching certificate or SNI", request: { gateway: "infra/edge", scheme: "tls", port: 8443, sni: "nope.example.com" }, status: null },
  { outcome: "reject", why: "a client certificate that fails the listener's validation", request: { gateway: "infra/mtls", scheme: "https", host: "mtls.example.com", path: "/", clientCertificate: STRANGER_PEM }, status: null },
  { outcome: "reject", why: "TCP with no route", request: { gateway: "infra/edge", scheme: "tcp", port: 9001 }, status: null },
];

describe("CONTRACT: gwsim route, decision fields", () => {
  it.each(OUTCOME_REQUESTS.map((o) => [`${o.outcome} (${o.why}), status ${o.status}`, o] as const))("outcome: %s", async (_, { request, outcome, status }) => {
    const d = await routeOne(request);
    expect(d.outcome).toBe(outcome);
    expect(d.status).toBe(status);
    expectDecisionShape(d, false);
  });

  it('outcome: reject for "TCP/UDP with no route" holds for UDP too', () => {
    const w = buildWorld(parseManifests(WORLD_TEXT.replace("sectionName: udp}]", "sectionName: tcp}]"), { file: "w.yaml" }).objects);
    expect(decide(w, { gateway: "infra/edge", scheme: "udp", port: 5353 }, { seed: 1, index: 0 }).outcome).toBe("reject");
  });

  it("every decision field is present with the documented type (fields that do not apply are null or absent)", async () => {
    const requests = [...OUTCOME_REQUESTS.map((o) => o.request), ...decisionFieldRows.map((r) => r.request)];
    const { decisions } = await route(requests);
    expect(decisions).toHaveLength(requests.length);
    for (const d of decisions) expectDecisionShape(d, false);
  });

  const decisionFieldRows: { field: string; request: object; want: (d: Decision) => void }[] = [
    { field: '"id": "echoed"', request: { ...EDGE, id: "echoed", path: "/shop" }, want: (d) => expect(d.id).toBe("echoed") },
    {
      field: '"grpcStatus": for gRPC calls the gateway answers itself (e.g. 12 Unimplemented)',
      request: { ...EDGE, host: "grpc.example.com", grpc: { service: "pkg.Svc", method: "Missing" } },
      want: (d) => expect(d.grpcStatus).toBe(12),
    },
    { field: '"listener": {"gateway": "ns/gw", "name": "http", "port": 80}', request: { ...EDGE, path: "/shop" }, want: (d) => expect(d.listener).toEqual({ gateway: "infra/edge", name: "http", port: 80 }) },
    {
      field: '"route": {"kind", "namespace", "name", "rule", "ruleName", "match"}',
      request: { ...EDGE, path: "/shop" },
      want: (d) => expect(d.route).toEqual({ kind: "HTTPRoute", namespace: "shop", name: "web", rule: 0, ruleName: "split", match: 0 }),
    },
    { field: '"route".ruleName null for an unnamed rule', request: { ...EDGE, path: "/api?x=1" }, want: (d) => expect(d.route).toEqual({ kind: "HTTPRoute", namespace: "shop", name: "web", rule: 2, ruleName: null, match: 1 }) },
    {
      field: '"backend": the one picked for this request (seeded draw)',
      request: { ...EDGE, path: "/shop" },
      want: (d) => {
        expect(d.backend).toEqual({ group: "", kind: "Service", namespace: "shop", name: expect.stringMatching(/^shop-v[12]$/), port: 8080 });
        expect(d.backends.map((b) => b.name)).toContain(d.backend!.name);
      },
    },
    {
      field: '"backends": the whole split',
      request: { ...EDGE, path: "/shop" },
      want: (d) =>
        expect(d.backends).toEqual([
          { group: "", kind: "Service", namespace: "shop", name: "shop-v1", port: 8080, weight: 90, probability: 0.9, valid: true, reason: null },
          { group: "", kind: "Service", namespace: "shop", name: "shop-v2", port: 8080, weight: 10, probability: 0.1, valid: true, reason: null },
        ]),
    },
    {
      field: '"backends": invalid refs keep their share and answer 500',
      request: { ...EDGE, method: "POST", path: "/submit" },
      want: (d) => {
        expect(d.backends.map((b) => [b.name, b.probability, b.valid])).toEqual([["api", 0.5, true], ["missing", 0.5, false]]);
        expect(d.backends[1]!.reason).toEqual(expect.any(String));
      },
    },
    {
      field: '"forwarded": as the backend receives it, after filters; header names lower-case',
      request: { ...EDGE, path: "/api/z?x=1", headers: { "X-Upper": "v" } },
      want: (d) => expect(d.forwarded).toEqual({ method: "GET", scheme: "http", host: "www.example.com", path: "/api/z?x=1", headers: { "x-upper": "v", "x-added": "yes" } }),
    },
    { field: '"redirect": {"status": 302, "location": ...}', request: { ...EDGE, path: "/old" }, want: (d) => expect(d.redirect).toEqual({ status: 301, location: "https://secure.example.com/new" }) },
    {
      field: '"responseHeaders": {"set", "add", "remove"}',
      request: { ...EDGE, path: "/api?x=1" },
      want: (d) => expect(d.responseHeaders).toMatchObject({ set: { "x-a": "1" }, add: { "x-b": "2" }, remove: ["x-c"] }),
    },
    {
      field: '"mirrors": [{"backend", "percent"}]',
      request: { ...EDGE, path: "/api?x=1" },
      want: (d) => expect(d.mirrors).toEqual([expect.objectContaining({ backend: { group: "", kind: "Service", namespace: "shop", name: "shadow", port: 8080 }, percent: 100 })]),
    },
    { field: '"timeouts": from the rule, when set', request: { ...EDGE, path: "/shop" }, want: (d) => expect(d.timeouts).toEqual({ request: "10s", backendRequest: "2s" }) },
    { field: '"timeouts": null when the rule sets none', request: { ...EDGE, path: "/api?x=1" }, want: (d) => expect(d.timeouts).toBeNull() },
    { field: '"retry": {"attempts", "backoff", "codes"}', request: { ...EDGE, path: "/shop" }, want: (d) => expect(d.retry).toEqual({ attempts: 2, backoff: "100ms", codes: [503] }) },
    { field: '"sessionPersistence": the rule\'s, when set', request: { ...EDGE, path: "/sticky" }, want: (d) => expect(d.sessionPersistence).toMatchObject({ sessionName: "shop-session", type: "Cookie" }) },
    { field: '"sessionPersistence": null when the rule has none', request: { ...EDGE, path: "/shop" }, want: (d) => expect(d.sessionPersistence).toBeNull() },
    {
      field: '"backendTLS": when a BackendTLSPolicy applies to the picked backend',
      request: { ...EDGE, scheme: "https", host: "secure.example.com", path: "/secure-backend" },
      want: (d) =>
        expect(d.backendTLS).toEqual({ policy: "shop/secure-tls", sni: "backend.example.com", caCertificateRefs: ["shop/backend-ca"], wellKnownCACertificates: null, subjectAltNames: [], clientCertificate: null }),
    },
    { field: '"backendTLS": else null', request: { ...EDGE, path: "/shop" }, want: (d) => expect(d.backendTLS).toBeNull() },
    { field: '"status": null when forwarded', request: { ...EDGE, path: "/shop" }, want: (d) => expect([d.outcome, d.status]).toEqual(["forward", null]) },
    {
      field: "TLS passthrough: route.kind is TLSRoute and forwarded is null",
      request: { gateway: "infra/edge", scheme: "tls", port: 8443, sni: "pass.example.com" },
      want: (d) => expect([d.route?.kind, d.forwarded, backendName(d)]).toEqual(["TLSRoute", null, "shop/pass-svc:8443"]),
    },
    { field: "TCP: route.kind is TCPRoute and forwarded is null", request: { gateway: "infra/edge", scheme: "tcp", port: 9000 }, want: (d) => expect([d.route?.kind, d.forwarded]).toEqual(["TCPRoute", null]) },
    { field: "UDP: route.kind is UDPRoute and forwarded is null", request: { gateway: "infra/edge", scheme: "udp", port: 5353 }, want: (d) => expect([d.route?.kind, d.forwarded]).toEqual(["UDPRoute", null]) },
  ];

  it.each(decisionFieldRows.map((r) => [r.field, r] as const))("decision %s", async (_, { request, want }) => {
    const d = await routeOne(request);
    want(d);
    want(JSON.parse(JSON.stringify(decide(world, request as GatewayRequest, { seed: 1, index: 0 }))) as Decision);
  });

  it('"backends": invalid refs answer 500 for their share of the seeded draws', async () => {
    const { decisions } = await route(Array.from({ length: 60 }, () => ({ ...EDGE, method: "POST", path: "/submit" })));
    const byBackend = new Map<string, Decision[]>();
    for (const d of decisions) byBackend.set(d.backend!.name, [...(byBackend.get(d.backend!.name) ?? []), d]);
    expect([...byBackend.keys()].sort()).toEqual(["api", "missing"]);
    for (const d of byBackend.get("missing")!) expect([d.outcome, d.status, d.forwarded]).toEqual(["error", 500, null]);
    for (const d of byBackend.get("api")!) expect([d.outcome, d.status]).toEqual(["forward", null]);
  });

  it("explain is filled only when asked (--explain, or decide(world, request, { explain: true }); gwsim explain always asks)", async () => {
    const request = { ...EDGE, path: "/shop" };
    const plain = await routeOne(request);
    expectDecisionShape(plain, false);
    const asked = await routeOne(request, ["--explain"]);
    expectDecisionShape(asked, true);
    expect({ ...asked, explain: undefined }).toEqual({ ...plain, explain: undefined });
    expect(decide(world, request, { seed: 1, index: 0 })).not.toHaveProperty("explain");
    const lib = decide(world, request, { seed: 1, index: 0, explain: true });
    expectDecisionShape(JSON.parse(JSON.stringify(lib)) as Decision, true);
    const replayed = await replay(world, [request], { seed: 1 });
    expect(JSON.stringify(replayed)).not.toContain("explain");
    const cmd = await runCli(["explain", "-f", WORLD_FILE, "--gateway", "infra/edge", "--json", "GET http://www.example.com/shop"]);
    expect(cmd.code, cmd.stderr).toBe(0);
    expectDecisionShape(JSON.parse(cmd.stdout) as Decision, true);
  });

  it("--json writes one decision per request, in order, as JSON Lines", async () => {
    const requests = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? { ...EDGE, id: i, path: "/zzz" } : i % 3 === 1 ? { gateway: "infra/edge", scheme: "tcp", port: 9000, id: i } : { ...EDGE, id: i, path: `/shop/${i}` }));
    const r = await runCli(["route", "-f", WORLD_FILE, "--requests", "-", "--json"], { stdin: jsonl(requests) });
    expect(r.code).toBe(0);
    const out = r.stdout.split("\n");
    expect(out.pop()).toBe("");
    expect(out).toHaveLength(40);
    expect(out.map((l) => (JSON.parse(l) as Decision).id)).toEqual(requests.map((q) => q.id));
  });

  it("--requests FILE reads JSON Lines from a file like - from stdin", async () => {
    const requests = [{ ...EDGE, id: 1, path: "/shop" }, { ...EDGE, id: 2, path: "/zzz" }];
    const file = write("route/requests.jsonl", jsonl(requests));
    const fromFile = await runCli(["route", "-f", WORLD_FILE, "--requests", file, "--json"]);
    const fromStdin = await runCli(["route", "-f", WORLD_FILE, "--requests", "-", "--json"], { stdin: jsonl(requests) });
    expect(fromFile.stdout).toBe(fromStdin.stdout);
    expect(lines(fromFile.stdout)).toHaveLength(2);
  });

  it("without --json: a readable table, a row per request in order", async () => {
    const r = await runCli(["route", "-f", WORLD_FILE, "--requests", "-"], { stdin: jsonl([{ ...EDGE, path: "/api?x=1" }, { ...EDGE, path: "/zzz" }]) });
    expect(r.code).toBe(0);
    expect(() => JSON.parse(lines(r.stdout)[0]!)).toThrow();
    expect(r.stdout).toContain("shop/api:8080");
    expect(r.stdout).toContain("404");
    expect(r.stdout.indexOf("shop/api:8080")).toBeLessThan(r.stdout.indexOf("404"));
  });

  it("--seed N: the seed of the draw; the same seed gives the same decisions, decide(world, request, { seed: N, index })", async () => {
    const requests = Array.from({ length: 200 }, (_, i) => ({ ...EDGE, path: `/shop/${i}` }));
    const seeded = async (seed: number) => (await route(requests, ["--seed", String(seed)])).decisions.map(backendName);
    const one = await seeded(11);
    expect(await seeded(11)).toEqual(one);
    expect(await seeded(12)).not.toEqual(one);
    expect(one).toEqual(requests.map((r, index) => backendName(decide(world, r, { seed: 11, index }))));
    expect((await runCli(["route", "-f", WORLD_FILE, "--requests", "-", "--seed", "x"], { stdin: "" })).code).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
describe("CONTRACT: objects are taken as read back from the API server", () => {
  const routeYaml = (name: string, created: string | null, namespace = "ns") => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ${namespace}${created ? `, creationTimestamp: "${created}"` : ""}}
spec:
  parentRefs: [{name: gw, namespace: ns}]
  rules: [{matches: [{path: {type: PathPrefix, value: /same}}], backendRefs: [{name: ${name}-svc, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: ${name}-svc, namespace: ${namespace}}
spec: {ports: [{port: 80}]}
`;
  const base = `apiVersion: v1
kind: Namespace
metadata: {name: ns}
---
apiVersion: v1
kind: Namespace
metadata: {name: aa}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: any
  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
`;
  const winner = (...routes: string[]) => {
    const w = buildWorld(parseManifests(base + routes.join(""), { file: "age.yaml" }).objects);
    return decide(w, { gateway: "ns/gw", host: "x.example.com", path: "/same" }, { seed: 1, index: 0 }).route?.name;
  };

  it("metadata.generation defaults to 1 and is what observedGeneration reports", async () => {
    const list = await statusJson();
    const gens = (i: StatusItemJson) => [...(i.status.conditions ?? []), ...(i.status.parents ?? []).flatMap((p) => p.conditions), ...(i.status.listeners ?? []).flatMap((l) => l.conditions)].map((c) => c.observedGeneration);
    expect(new Set(gens(item(list, "HTTPRoute", "web")))).toEqual(new Set([3]));
    expect(new Set(gens(item(list, "Gateway", "edge")))).toEqual(new Set([1]));
    expect(new Set(gens(item(list, "GatewayClass", "contract")))).toEqual(new Set([1]));
  });

  it("route age is metadata.creationTimestamp (the oldest route wins a conflict)", () => {
    expect(winner(routeYaml("zeta", "2026-01-01T00:00:00Z"), routeYaml("alpha", "2026-06-01T00:00:00Z"))).toBe("zeta");
  });

  it("an object without creationTimestamp counts as newer than every object that has one", () => {
    expect(winner(routeYaml("alpha", null), routeYaml("zeta", "2030-01-01T00:00:00Z"))).toBe("zeta");
  });

  it("ties then fall to namespace/name", () => {
    expect(winner(routeYaml("b", null), routeYaml("a", null))).toBe("a");
    expect(winner(routeYaml("b", "2026-01-01T00:00:00Z"), routeYaml("a", "2026-01-01T00:00:00Z"))).toBe("a");
    expect(winner(routeYaml("a", null), routeYaml("z", null, "aa"))).toBe("z");
  });
});

// ---------------------------------------------------------------------------------------------
describe("CONTRACT: gwsim status", () => {
  it("usage: gwsim status -f MANIFESTS [--json]", async () => {
    expect(usageLine((await runCli(["status", "--help"])).stdout)).toSatisfy(containsContractUsage("gwsim status -f MANIFESTS [--json]"));
  });

  it('--json: one JSON object {"apiVersion": "v1", "kind": "List", "items": [...]}', async () => {
    const r = await runCli(["status", "-f", WORLD_FILE, "--json"]);
    const list = JSON.parse(r.stdout) as StatusList;
    expect(Object.keys(list).sort()).toEqual(["apiVersion", "items", "kind"]);
    expect([list.apiVersion, list.kind]).toEqual(["v1", "List"]);
  });

  it("items are the given GatewayClasses, Gateways, Routes and policies, each with apiVersion, kind, metadata.namespace, metadata.name and status", async () => {
    const list = await statusJson();
    const names = list.items.map((i) => `${i.kind} ${i.metadata.namespace ?? ""}/${i.metadata.name}`).sort();
    expect(names).toEqual(
      [
        "GatewayClass /contract",
        "GatewayClass /foreign",
        "Gateway infra/edge",
        "Gateway infra/mtls",
        "Gateway infra/elsewhere",
        "Gateway infra/orphan",
        "HTTPRoute shop/web",
        "HTTPRoute shop/mesh-producer",
        "HTTPRoute client/mesh-consumer",
        "GRPCRoute shop/rpc",
        "TLSRoute shop/pass",
        "TCPRoute shop/tcp",
        "UDPRoute shop/udp",
        "BackendTLSPolicy shop/secure-tls",
      ].sort(),
    );
    for (const i of list.items) {
      expect(i.apiVersion, i.kind).toMatch(/^gateway\.networking\.k8s\.io\/v1/);
      expect(i.status).toBeTypeOf("object");
      if (i.kind !== "GatewayClass") expect(i.metadata.namespace).toEqual(expect.any(String));
    }
  });

  it("ListenerSets are items too", async () => {
    const ls = write(
      "status/listenerset.yaml",
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: any
  allowedListeners: {namespaces: {from: Same}}
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: extra, namespace: ns}
spec:
  parentRef: {name: gw}
  listeners: [{name: more, port: 8080, protocol: HTTP}]
`,
    );
    const r = await runCli(["status", "-f", ls, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const set = (JSON.parse(r.stdout) as StatusList).items.find((i) => i.kind === "ListenerSet")!;
    expect(set.metadata).toMatchObject({ namespace: "ns", name: "extra" });
    expect(set.status.conditions!.map((c) => c.type)).toContain("Accepted");
    expect(set.status.listeners![0]).toMatchObject({ name: "more", attachedRoutes: 0, supportedKinds: expect.any(Array), conditions: expect.any(Array) });
  });

  it("conditions have type, status, reason, message, observedGeneration", async () => {
    const list = await statusJson();
    let n = 0;
    for (const i of list.items) {
      const all = [...(i.status.conditions ?? []), ...(i.status.listeners ?? []).flatMap((l) => l.conditions), ...(i.status.parents ?? []).flatMap((p) => p.conditions), ...(i.status.ancestors ?? []).flatMap((a) => a.conditions)];
      for (const c of all) {
        n++;
        expect(c, `${i.kind} ${i.metadata.name}`).toEqual(expect.objectContaining({ type: expect.any(String), status: expect.stringMatching(/^(True|False|Unknown)$/), reason: expect.any(String), message: expect.any(String), observedGeneration: expect.any(Number) }));
      }
    }
    expect(n).toBeGreaterThan(30);
  });

  it("Gateway listeners[] with attachedRoutes, supportedKinds and conditions", async () => {
    const edge = item(await statusJson(), "Gateway", "edge");
    const byName = new Map(edge.status.listeners!.map((l) => [l.name, l]));
    expect([...byName.keys()].sort()).toEqual(["http", "https", "https-other", "passthrough", "tcp", "tcp-unrouted", "udp"]);
    expect(byName.get("http")!.attachedRoutes).toBe(2); // web and rpc
    expect(byName.get("tcp-unrouted")!.attachedRoutes).toBe(0);
    expect(byName.get("passthrough")!.supportedKinds).toEqual([expect.objectContaining({ kind: "TLSRoute" })]);
    expect(byName.get("udp")!.supportedKinds).toEqual([expect.objectContaining({ kind: "UDPRoute" })]);
    for (const l of byName.values()) expect(l.conditions.map((c) => c.type)).toEqual(expect.arrayContaining(["Accepted", "Programmed", "ResolvedRefs"]));
  });

  it("Route parents[] with parentRef, controllerName and conditions", async () => {
    const web = item(await statusJson(), "HTTPRoute", "web");
    expect(web.status.parents!.length).toBe(6);
    for (const p of web.status.parents!) {
      expect(p.parentRef).toMatchObject({ name: expect.any(String) });
      expect(p.controllerName).toEqual(expect.any(String));
      expect(p.conditions.map((c) => c.type)).toEqual(expect.arrayContaining(["Accepted", "ResolvedRefs"]));
    }
    expect(web.status.parents!.find((p) => p.parentRef.sectionName === "http")!.conditions.find((c) => c.type === "ResolvedRefs")).toMatchObject({ status: "False", reason: "BackendNotFound" });
  });

  it("without --json: a readable summary that leads with every condition that is not healthy", async () => {
    const r = await runCli(["status", "-f", WORLD_FILE]);
    expect(r.code).toBe(0);
    expect(() => JSON.parse(r.stdout)).toThrow();
    const text = r.stdout;
    const unhealthy = text.indexOf("ResolvedRefs=False");
    expect(unhealthy).toBeGreaterThanOrEqual(0);
    // Every unhealthy parent of shop/web is named, before anything healthy.
    for (const parent of ["infra/edge/http", "infra/edge/https", "infra/edge/https-other", "infra/mtls", "infra/elsewhere", "infra/orphan"]) {
      expect(text).toMatch(new RegExp(`HTTPRoute shop/web on Gateway ${escape(parent)}: ResolvedRefs=False`));
    }
    const healthy = text.indexOf("GatewayClass contract");
    expect(healthy).toBeGreaterThan(0);
    expect(text.lastIndexOf("ResolvedRefs=False")).toBeLessThan(healthy);
    expect(lines(text)[0]).toMatch(/unhealthy|✗|False/);
  });
});

// ---------------------------------------------------------------------------------------------
describe("CONTRACT: gwsim validate", () => {
  it("usage: gwsim validate -f MANIFESTS", async () => {
    expect(usageLine((await runCli(["validate", "--help"])).stdout)).toSatisfy(containsContractUsage("gwsim validate -f MANIFESTS"));
  });

  it("checks every document against the schema (OpenAPI and CEL rules), reports each violation with file and line; exit 1 if any", async () => {
    const file = write(
      "validate/two.yaml",
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: any
  listeners: [{name: http, port: 80, protocol: HTTP, tls: {mode: Terminate, certificateRefs: [{name: c}]}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs:
    - {name: svc, port: 700000}
`,
    );
    const r = await runCli(["validate", "-f", file]);
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith(`gwsim: ${file}:`) && !l.includes("warning"));
    // CEL: no tls on an HTTP listener (line 6); OpenAPI: port maximum (line 15).
    expect(errors.map((l) => Number(/:(\d+):\d+: /.exec(l)![1]))).toEqual([6, 15]);
    expect(errors[0]).toContain("tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
    expect((await runCli(["validate", "-f", WORLD_FILE])).code).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe("CONTRACT: gwsim lint", () => {
  it("usage: gwsim lint -f MANIFESTS [--json | --sarif]", async () => {
    expect(usageLine((await runCli(["lint", "--help"])).stdout)).toSatisfy(containsContractUsage("gwsim lint -f MANIFESTS [--json | --sarif]"));
  });

  it("findings each with a location, a severity and a fix (--json); exit 1 when a finding of severity error exists", async () => {
    const file = lintErrorFile();
    const r = await runCli(["lint", "-f", file, "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { findings: { severity: string; file: string; line: number; column: number; fix: string; message: string }[] };
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({ severity: "error", file, line: 13, column: expect.any(Number), fix: expect.stringMatching(/8080/), message: expect.any(String) });
    const text = await runCli(["lint", "-f", file]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`${escape(file)}:13:\\d+: error`));
  });

  it("a finding of severity warning only: exit 0", async () => {
    // Two routes that claim the same path, told apart only by name: a warning (conflict-by-name).
    const route = (name: string) => `---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: ${name}, namespace: ns}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{matches: [{path: {type: PathPrefix, value: /same}}], backendRefs: [{name: svc, port: 8080}]}]\n`;
    const file = write("lint/warning.yaml", readFileSync(lintErrorFile(), "utf8").replace("port: 9999", "port: 8080") + route("a") + route("b"));
    const r = await runCli(["lint", "-f", file, "--json"]);
    const out = JSON.parse(r.stdout) as { findings: { severity: string; rule: string }[] };
    expect(out.findings.map((f) => f.rule)).toContain("conflict-by-name");
    expect(out.findings.some((f) => f.severity === "error")).toBe(false);
    expect(r.code).toBe(0);
  });

  it("--sarif writes SARIF 2.1.0 for code-scanning tools", async () => {
    const file = lintErrorFile();
    const r = await runCli(["lint", "-f", file, "--sarif"]);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout) as { version: string; $schema: string; runs: { tool: { driver: { name: string } }; results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    expect(sarif.runs).toHaveLength(1);
    expect(sarif.runs[0]!.results).toHaveLength(1);
    expect(sarif.runs[0]!.results[0]).toMatchObject({ ruleId: expect.any(String), level: "error" });
    expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine).toBe(13);
    expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/error\.yaml$/);
  });
});

// ---------------------------------------------------------------------------------------------
type ReplayJson = Report & { requests: number };

describe("CONTRACT: gwsim replay / synth / whatif", () => {
  it.each([
    ["synth", "gwsim synth --profile PROFILE.yaml --count N [--seed N]"],
    ["replay", "gwsim replay -f MANIFESTS --trace FILE|- [--format jsonl|har|envoy|nginx|csv] [--seed N] [--json|--html FILE]"],
    ["whatif", "gwsim whatif -f MANIFESTS (--proposed MANIFESTS | --set-weight REF=W ...) --trace FILE [--json|--html FILE]"],
  ])("usage: %s", async (cmd, contract) => {
    expect(usageLine((await runCli([cmd, "--help"])).stdout)).toSatisfy(containsContractUsage(contract));
  });

  const profileYaml = "defaults: {gateway: infra/edge, host: www.example.com}\nstart: \"2026-11-26T00:00:00Z\"\nrate: 10\nclasses:\n  - {name: shop, share: 3, path: \"/shop/{int:1-100}\"}\n  - {name: miss, share: 1, path: /zzz}\n";

  it("gwsim synth --profile PROFILE.yaml --count N [--seed N] > trace.jsonl: N request lines in the request shape, seeded", async () => {
    const profile = write("synth/profile.yaml", profileYaml);
    const a = await runCli(["synth", "--profile", profile, "--count", "25", "--seed", "3"]);
    expect(a.code, a.stderr).toBe(0);
    const reqs = lines(a.stdout).map((l) => JSON.parse(l) as GatewayRequest);
    expect(reqs).toHaveLength(25);
    for (const r of reqs) expect(r).toMatchObject({ gateway: "infra/edge", host: "www.example.com", path: expect.stringMatching(/^\/(shop\/\d+|zzz)$/) });
    expect((await runCli(["synth", "--profile", profile, "--count", "25", "--seed", "3"])).stdout).toBe(a.stdout);
    expect((await runCli(["synth", "--profile", profile, "--count", "25", "--seed", "4"])).stdout).not.toBe(a.stdout);
  });

  it('replay --json prints one object with at least {"requests", "backends": [{namespace, name, port, count, share, expectedShare}], "routes": [{kind, namespace, name, rule, count}], "statuses": {"404": n, "500": n}}', async () => {
    const trace = write("replay/trace.jsonl", jsonl([...Array.from({ length: 30 }, (_, i) => ({ ...EDGE, path: `/shop/${i}` })), { ...EDGE, path: "/zzz" }, { ...EDGE, path: "/zzz" }, { ...EDGE, path: "/broken" }]));
    const r = await runCli(["replay", "-f", WORLD_FILE, "--trace", trace, "--json", "--seed", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReplayJson;
    expect(report.requests).toBe(33);
    expect(report.statuses).toEqual({ "404": 2, "500": 1 });
    for (const b of report.backends) expect(b).toMatchObject({ namespace: expect.any(String), name: expect.any(String), port: expect.any(Number), count: expect.any(Number), share: expect.any(Number), expectedShare: expect.any(Number) });
    for (const x of report.routes) expect(x).toMatchObject({ kind: expect.any(String), namespace: expect.any(String), name: expect.any(String), rule: expect.any(Number), count: expect.any(Number) });
    expect(report.routes.map((x) => [x.kind, x.name, x.rule, x.count])).toEqual([["HTTPRoute", "web", 0, 30], ["HTTPRoute", "web", 5, 1]]);
    const v1 = report.backends.find((b) => b.name === "shop-v1")!;
    const v2 = report.backends.find((b) => b.name === "shop-v2")!;
    expect(v1.count + v2.count).toBe(30);
    // share: what the seeded draw produced; expectedShare: the exact expectation from the weights.
    expect(v1.share).toBeCloseTo(v1.count / 33, 12);
    expect(v1.expectedShare).toBeCloseTo((30 * 0.9) / 33, 12);
    expect(v2.expectedShare).toBeCloseTo((30 * 0.1) / 33, 12);
    const again = JSON.parse((await runCli(["replay", "-f", WORLD_FILE, "--trace", trace, "--json", "--seed", "2"])).stdout) as ReplayJson;
    expect(again).toEqual(report);
    // --trace - reads standard input.
    const fromStdin = await runCli(["replay", "-f", WORLD_FILE, "--trace", "-", "--json", "--seed", "2"], { stdin: readFileSync(trace, "utf8") });
    expect(JSON.parse(fromStdin.stdout)).toEqual(report);
  });

  it('a trace\'s request lines use the request shape, plus an optional "time": RFC 3339 or epoch milliseconds', async () => {
    const t0 = Date.parse("2026-11-26T10:00:00Z");
    const trace = write(
      "replay/times.jsonl",
      jsonl([
        { ...EDGE, path: "/shop", time: "2026-11-26T10:00:00Z" },
        { ...EDGE, path: "/shop", time: t0 + 60_000 },
        { ...EDGE, path: "/shop", time: "2026-11-26T10:02:00.500Z" },
        { ...EDGE, path: "/shop" },
      ]),
    );
    const r = await runCli(["replay", "-f", WORLD_FILE, "--trace", trace, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReplayJson & { timeline: { start: string | number; end: string | number } | null; warnings: unknown[] };
    expect(report.requests).toBe(4);
    expect(report.timeline).not.toBeNull();
    expect(JSON.stringify(report.timeline)).toMatch(/2026-11-26T10:0[0-2]/);
    const bad = write("replay/bad-time.jsonl", jsonl([{ ...EDGE, path: "/shop", time: "yesterday" }, { ...EDGE, path: "/shop", time: t0 }]));
    const b = await runCli(["replay", "-f", WORLD_FILE, "--trace", bad, "--json"]);
    expect((JSON.parse(b.stdout) as ReplayJson).requests).toBe(1);
    expect(b.stderr).toMatch(new RegExp(`${escape(bad)}:1`));
  });

  it('"user" in a trace: counted per backend (exposure) and keys sticky splits', async () => {
    const requests = Array.from({ length: 200 }, (_, i) => ({ ...EDGE, path: "/shop", user: `u${i % 10}` }));
    const report = await replay(world, requests, { seed: 1, split: "cookie" });
    const users = report.backends.filter((b) => b.name.startsWith("shop-v")).reduce((n, b) => n + b.users, 0);
    // Sticky: each of the 10 users reaches exactly one backend of the split.
    expect(users).toBe(10);
    const free = await replay(world, requests, { seed: 1 });
    expect(free.backends.filter((b) => b.name.startsWith("shop-v")).reduce((n, b) => n + b.users, 0)).toBeGreaterThan(10);
  });

  const formatTraces: Record<string, string> = {
    jsonl: jsonl([{ ...EDGE, path: "/shop/1" }, { ...EDGE, path: "/zzz" }]),
    har: JSON.stringify({
      log: {
        version: "1.2",
        creator: { name: "contract", version: "1" },
        entries: ["/shop/1", "/zzz"].map((p) => ({
          startedDateTime: "2026-11-26T10:00:00.000Z",
          time: 1,
          request: { method: "GET", url: `http://www.example.com${p}`, httpVersion: "HTTP/1.1", headers: [{ name: "Host", value: "www.example.com" }], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
          response: { status: 200, statusText: "OK", httpVersion: "HTTP/1.1", headers: [], cookies: [], content: { size: 0, mimeType: "text/plain" }, redirectURL: "", headersSize: -1, bodySize: 0 },
          cache: {},
          timings: { send: 0, wait: 1, receive: 0 },
        })),
      },
    }),
    envoy: ["/shop/1", "/zzz"].map((p) => `[2026-11-26T10:00:00.000Z] "GET ${p} HTTP/1.1" 200 - 0 12 3 2 "-" "curl/8" "id-1" "www.example.com" "10.0.0.1:8080"`).join("\n") + "\n",
    nginx: ["/shop/1", "/zzz"].map((p) => `10.0.0.9 - - [26/Nov/2026:10:00:00 +0000] "GET ${p} HTTP/1.1" 200 12 "-" "curl/8"`).join("\n") + "\n",
    csv: "method,host,path\nGET,www.example.com,/shop/1\nGET,www.example.com,/zzz\n",
  };

  it.each(Object.keys(formatTraces))("replay --format %s", async (format) => {
    const trace = write(`formats/trace.${format}`, formatTraces[format]!);
    // Log formats name no Gateway (and nginx's combined format no Host): the flags replay has for that.
    const extra = format === "jsonl" ? [] : format === "nginx" ? ["--gateway", "infra/edge", "--host", "www.example.com"] : ["--gateway", "infra/edge"];
    const r = await runCli(["replay", "-f", WORLD_FILE, "--trace", trace, "--format", format, "--json", ...extra]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReplayJson;
    expect(report.requests, r.stderr).toBe(2);
    expect(report.statuses).toEqual({ "404": 1 });
  });

  it("replay --format with a value the contract does not list: bad usage, exit 2", async () => {
    const r = await runCli(["replay", "-f", WORLD_FILE, "--trace", "-", "--format", "xml"], { stdin: "" });
    expect(r.code).toBe(2);
  });

  it("replay --html FILE writes an HTML report", async () => {
    const trace = write("replay/html.jsonl", jsonl([{ ...EDGE, path: "/shop" }]));
    const out = join(scratch, "replay/report.html");
    const r = await runCli(["replay", "-f", WORLD_FILE, "--trace", trace, "--html", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toMatch(/^<!doctype html>/i);
  });

  it("whatif -f MANIFESTS --proposed MANIFESTS --trace FILE [--json]: two replays and a diff", async () => {
    const trace = write("whatif/trace.jsonl", jsonl(Array.from({ length: 100 }, (_, i) => ({ ...EDGE, path: `/shop/${i}` }))));
    const proposed = write("whatif/proposed.yaml", WORLD_TEXT.replace("weight: 90", "weight: 50").replace("weight: 10", "weight: 50"));
    const r = await runCli(["whatif", "-f", WORLD_FILE, "--proposed", proposed, "--trace", trace, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const byProposed = JSON.parse(r.stdout) as Record<string, unknown>;
    const s = await runCli(["whatif", "-f", WORLD_FILE, "--set-weight", "shop/web/split/shop-v1=50", "--set-weight", "shop/web/split/shop-v2=50", "--trace", trace, "--json"]);
    expect(s.code, s.stderr).toBe(0);
    const bySetWeight = JSON.parse(s.stdout) as Record<string, unknown>;
    expect(byProposed).toMatchObject({ requests: 100, before: expect.any(Object), after: expect.any(Object) });
    expect(JSON.stringify(byProposed)).toContain("shop-v2");
    // The same proposal written as manifests or as --set-weight: the same "after".
    expect(bySetWeight.after).toEqual(byProposed.after);
    expect(bySetWeight.before).toEqual(byProposed.before);
    expect(byProposed.after).not.toEqual(byProposed.before);
    const html = join(scratch, "whatif/report.html");
    expect((await runCli(["whatif", "-f", WORLD_FILE, "--proposed", proposed, "--trace", trace, "--html", html])).code).toBe(0);
    expect(readFileSync(html, "utf8")).toMatch(/^<!doctype html>/i);
  });
});

// ---------------------------------------------------------------------------------------------
/** The usage, its continuation lines (help wraps at 80 columns, continuing indented) joined back. */
function usageLine(help: string): string {
  const lines = help.split("\n");
  const at = lines.findIndex((l) => l.startsWith("usage: "));
  expect(at, help).toBeGreaterThanOrEqual(0);
  const rest = lines.slice(at + 1);
  const more = rest.slice(0, Math.max(0, rest.findIndex((l) => !/^ +\S/.test(l)))).map((l) => l.trim());
  return [lines[at]!.slice("usage: ".length), ...more].join(" ");
}

/**
 * The usage line keeps every word of the contract's, in order (gwsim may add options, and values
 * to a `a|b|c` list, never drop one).
 */
function containsContractUsage(contract: string): (usage: string) => boolean {
  return (usage) => {
    const words = (s: string) => s.replace(/> \S+$/, "").split(/[\s[\]()]+/).filter((w) => w && w !== "|" && w !== "...");
    const have = words(usage);
    let at = 0;
    for (const w of words(contract)) {
      const alts = w.split("|");
      const found = have.findIndex((h, i) => i >= at && (h === w || (alts.length > 1 && alts.every((a) => h.split("|").includes(a)))));
      if (found < 0) {
        console.error(`usage "${usage}" lacks "${w}" of the contract's "${contract}"`);
        return false;
      }
      at = found + 1;
    }
    return true;
  };
}
