import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const root = join(import.meta.dirname, "..");
const world = "packages/examples/world";
const trace = "test/fixtures/traces/small.jsonl";

describe("gwsim route", () => {
  it("writes one JSON decision per line, in order, answering a bad line in its place and reporting its number", async () => {
    const r = await runCli(["route", "-f", world, "--requests", trace, "--json"], { cwd: root });
    expect(r.code).toBe(0);
    const decisions = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(decisions.map((d) => d.outcome)).toEqual(["forward", "forward", "error", "forward", "forward", "notFound", "forward"]);
    expect(decisions[0].backend).toMatchObject({ namespace: "store", name: "catalog-svc", port: 8080 });
    expect(decisions[2]).toMatchObject({ reason: "UnreadableRequest", status: null, line: 3 });
    expect(decisions[4].backend.name).toBe("checkout-v2");
    expect(decisions[5].status).toBe(404);
    expect(decisions[6].backend).toMatchObject({ namespace: "payments", name: "payments-api" });
    expect(r.stderr).toMatch(/^gwsim: test\/fixtures\/traces\/small\.jsonl:3:1: not read as a request: invalid JSON/m);
  });

  it("reads requests from stdin and explains each", async () => {
    const r = await runCli(["route", "-f", world, "--requests", "-", "--explain"], {
      cwd: root,
      stdin: '{"host":"store.example.com","path":"/catalogue"}\n',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("404");
    // The nearest miss is the rule whose path shares most of the request's: /catalog, not /checkout.
    // Steps are wrapped to 80 columns: continuation lines are indented by 6.
    const misses = r.stdout.replace(/\n {6}/g, " ").split("\n").filter((l) => l.includes("nearest miss"));
    expect(misses[0]).toContain("path PathPrefix /catalog does not match /catalogue");
  });

  it("is reproducible: the same seed gives the same picks", async () => {
    const a = await runCli(["route", "-f", world, "--requests", trace, "--json", "--seed", "9"], { cwd: root });
    const b = await runCli(["route", "-f", world, "--requests", trace, "--json", "--seed", "9"], { cwd: root });
    expect(a.stdout).toBe(b.stdout);
  });
});

describe("gwsim explain", () => {
  it("explains a forced canary in words", async () => {
    const r = await runCli(["explain", "-f", world, "POST http://store.example.com/checkout", "-H", "x-canary: always"], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("store/checkout-v2:8080");
    expect(r.stdout).toMatch(/forced-canary/);
    expect(r.stdout.replace(/\n {6}/g, " ")).toMatch(/beat HTTPRoute store\/checkout rule 1 \(split\) match 0/);
    for (const line of r.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it("is a usage error without a request", async () => {
    const r = await runCli(["explain", "-f", world], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing REQUEST");
  });
});

describe("gwsim status", () => {
  it("prints the List with --json and a healthy summary without", async () => {
    const json = await runCli(["status", "-f", world, "--json"], { cwd: root });
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as { kind: string; items: { kind: string; metadata: { name: string }; status: { listeners?: { name: string; attachedRoutes: number }[] } }[] };
    expect(list.kind).toBe("List");
    const gw = list.items.find((i) => i.kind === "Gateway")!;
    expect(gw.status.listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual([["http", 2], ["https", 3]]);
    const text = await runCli(["status", "-f", world], { cwd: root });
    expect(text.stdout).toMatch(/^all conditions healthy/);
  });

  it("leads with what is unhealthy", async () => {
    const broken = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orphan, namespace: store}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: admin}]
  rules: [{backendRefs: [{name: catalog-svc, port: 8080}]}]
`;
    const r = await runCli(["status", "-f", world, "-f", "-"], { cwd: root, stdin: broken });
    expect(r.stdout.split("\n")[0]).toMatch(/unhealthy/);
    expect(r.stdout).toContain("HTTPRoute store/orphan");
    expect(r.stdout).toMatch(/admin/);
  });
});

describe("gwsim synth / replay / whatif", () => {
  it("synth is byte-identical for the same seed", async () => {
    const args = ["synth", "--profile", "packages/examples/profiles/store.yaml", "--count", "300", "--seed", "5"];
    const a = await runCli(args, { cwd: root });
    const b = await runCli(args, { cwd: root });
    expect(a.code).toBe(0);
    expect(a.stdout.trim().split("\n")).toHaveLength(300);
    expect(a.stdout).toBe(b.stdout);
  });

  it("replay --json has the CONTRACT fields with exact counts on a small trace", async () => {
    const r = await runCli(["replay", "-f", world, "--trace", trace, "--json"], { cwd: root });
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.requests).toBe(6);
    const byName = Object.fromEntries(rep.backends.map((b: { name: string; count: number }) => [b.name, b]));
    expect(byName["catalog-svc"]).toMatchObject({ namespace: "store", port: 8080, count: 1, expectedShare: 1 / 6 });
    expect(byName["checkout-v1"].expectedShare + byName["checkout-v2"].expectedShare).toBeCloseTo(2 / 6, 12);
    expect(byName["checkout-v2"].expectedShare).toBeCloseTo((1 + 0.1) / 6, 12);
    expect(rep.statuses).toEqual({ "404": 1 });
    expect(rep.routes).toContainEqual(expect.objectContaining({ kind: "HTTPRoute", namespace: "store", name: "checkout", rule: 0, count: 1 }));
    expect(r.stderr).toContain("small.jsonl:3:1: skipped");
    // The bad-line count is in the report too, for readers of --json alone.
    expect(rep.warnings).toContainEqual(expect.stringMatching(/^test\/fixtures\/traces\/small\.jsonl: 1 of \d+ lines could not be read and were skipped \(first at line 3: /));
  });

  it("replay, whatif and whatif --rollout exit 2 when no line of the trace reads as a request", async () => {
    // A JSON Lines trace read as Envoy access logs: every line is bad, so the input is unreadable.
    const runs = [
      ["replay", "-f", world, "--trace", trace, "--format", "envoy", "--json"],
      ["replay", "-f", world, "--trace", "-", "--format", "envoy", "--json"],
      ["replay", "-f", world, "--trace", trace, "--format", "envoy", "--workers", "2"],
      ["whatif", "-f", world, "--set-weight", "store/checkout/split/checkout-v2=90", "--trace", trace, "--format", "envoy"],
      ["whatif", "-f", world, "--rollout", "packages/examples/rollouts/flagger-checkout.yaml", "--trace", trace, "--format", "envoy"],
    ];
    for (const args of runs) {
      const r = await runCli(args, { cwd: root, ...(args.includes("-") ? { stdin: readFileSync(join(root, trace), "utf8") } : {}) });
      expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/not an Envoy access log line/);
      expect(r.stderr).toMatch(/no line could be read as a request \(format envoy\); nothing was replayed/);
      expect(r.stdout).toBe("");
    }
    // One readable line is enough: the report is printed and the rest are counted as skipped.
    const ok = await runCli(["replay", "-f", world, "--trace", trace, "--json"], { cwd: root });
    expect(ok.code).toBe(0);
  });

  it("replays an nginx access log with --host", async () => {
    const r = await runCli(["replay", "-f", world, "--trace", "test/fixtures/traces/access.log", "--host", "store.example.com", "--json"], { cwd: root });
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.requests).toBe(3);
    expect(rep.statuses).toEqual({ "404": 1 });
  });

  it("whatif --fail-if exits 1 when the condition holds, 0 when not", async () => {
    const base = ["whatif", "-f", world, "--set-weight", "store/checkout/split/checkout-v2=90", "--trace", trace];
    const held = await runCli([...base, "--fail-if", "expectedShare(store/checkout-v2) > 0.2"], { cwd: root });
    expect(held.code).toBe(1);
    expect(held.stderr).toContain("--fail-if holds");
    const not = await runCli([...base, "--fail-if", "new404 > 0"], { cwd: root });
    expect(not.code).toBe(0);
  });

  it("whatif reports a bad --set-weight reference", async () => {
    const r = await runCli(["whatif", "-f", world, "--set-weight", "store/nope/x=1", "--trace", trace], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--set-weight store/nope/x=1");
  });
});

describe("reports and rollouts from the CLI", () => {
  it("replay --html writes a self-contained report beside the text table", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-html-"));
    try {
      const out = join(dir, "r.html");
      const r = await runCli(["replay", "-f", world, "--trace", trace, "--html", out], { cwd: root });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Backends");
      const html = readFileSync(out, "utf8");
      expect(html).toMatch(/^<!doctype html>/i);
      expect(html).toContain("catalog-svc");
      expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']https?:/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("whatif --rollout replays a timed trace across an Argo rollout's steps", async () => {
    const r = await runCli(
      ["whatif", "-f", world, "--rollout", "packages/examples/rollouts/argo-checkout.yaml", "--trace", "test/fixtures/traces/timed.jsonl", "--error-rate", "new=2%", "--json"],
      { cwd: root },
    );
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as { steps: { report: { requests: number } }[]; requests: number; untimed: number };
    expect(rep.requests).toBe(12);
    expect(rep.untimed).toBe(0);
    // 2h at 5%, 4h at 20%, ...: the 8 hours of requests fall into more than one step.
    expect(rep.steps.filter((s) => s.report.requests > 0).length).toBeGreaterThan(1);
  });

  it("whatif refuses two kinds of change at once, and --rollout refuses the names that compare two configurations", async () => {
    const both = await runCli(["whatif", "-f", world, "--rollout", "x.yaml", "--set-weight", "a/b/c=1", "--trace", trace], { cwd: root });
    expect(both.code).toBe(2);
    const gate = await runCli(["whatif", "-f", world, "--rollout", "x.yaml", "--fail-if", "new404 > 0", "--trace", trace], { cwd: root });
    expect(gate.code).toBe(2);
  });
});

describe("gwsim status for another controller", () => {
  it("lists the objects it does not act for apart from the healthy ones", async () => {
    const r = await runCli(["status", "-f", world, "--controller-name", "other.example/controller"], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("no object gwsim acts for");
    expect(r.stdout).toMatch(/not acted on[^\n]*\n(.*\n)*\s+-\s+Gateway infra\/edge/);
    expect(r.stdout).not.toContain("healthy:");
  });
});
