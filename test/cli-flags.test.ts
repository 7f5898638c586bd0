import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSplitMode } from "../packages/sim/src/replay/replay.js";
import { runCli } from "./helpers/cli.js";

const root = join(import.meta.dirname, "..");
const world = "packages/examples/world";
const trace = "test/fixtures/traces/small.jsonl";
const weight = ["--set-weight", "store/checkout/split/checkout-v2=50"];

/** The commands that take a trace's default flags (--gateway, --port, --scheme), as argv heads. */
const TRACE_COMMANDS: [string, string[]][] = [
  ["replay", ["replay", "-f", world, "--trace", trace]],
  ["whatif", ["whatif", "-f", world, ...weight, "--trace", trace]],
];

function expectUsage(r: { code: number; stdout: string; stderr: string }, message: string | RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.split("\n")[0]).toMatch(message);
  expect(r.stderr).not.toContain("internal error");
}

describe("--gateway names a Gateway of the manifests", () => {
  const commands: [string, string[]][] = [
    ...TRACE_COMMANDS,
    ["route", ["route", "-f", world, "--requests", trace]],
    ["explain", ["explain", "-f", world, "GET http://store.example.com/cart"]],
  ];
  it.each(commands)("%s", async (_, argv) => {
    expectUsage(await runCli([...argv, "--gateway", "nope/nope"], { cwd: root }), "gwsim: --gateway nope/nope: no such Gateway in the manifests (Gateways: infra/edge)");
    expectUsage(await runCli([...argv, "--gateway", "noslash"], { cwd: root }), 'gwsim: --gateway "noslash": must be namespace/name');
    expectUsage(await runCli([...argv, "--gateway", "a/b/c"], { cwd: root }), /must be namespace\/name/);
    const ok = await runCli([...argv, "--gateway", "infra/edge"], { cwd: root });
    expect(ok.stderr).not.toMatch(/--gateway/);
    expect(ok.code).toBe(0);
  });

  describe("whatif: a Gateway only the proposed manifests declare", () => {
    const scratch = mkdtempSync(join(tmpdir(), "gwsim-flags-"));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));
    cpSync(join(root, world), join(scratch, "proposed"), { recursive: true });
    writeFileSync(
      join(scratch, "proposed", "90-second-gateway.yaml"),
      "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge2, namespace: infra}\n" +
        "spec:\n  gatewayClassName: gwsim\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n",
    );
    it("is accepted there, and only there", async () => {
      const argv = ["whatif", "-f", world, "--proposed", join(scratch, "proposed"), "--trace", trace, "--gateway", "infra/edge2", "--json"];
      const r = await runCli(argv, { cwd: root });
      expect(r.code).toBe(0);
      // Requests that named no Gateway went to edge2: refused before (no such Gateway), answered after.
      expect(JSON.parse(r.stdout).before.outcomes.reject).toBeGreaterThan(0);
      expectUsage(await runCli(["replay", "-f", world, "--trace", trace, "--gateway", "infra/edge2"], { cwd: root }), /no such Gateway in the manifests \(Gateways: infra\/edge\)/);
    });
  });
});

describe("--scheme and --port", () => {
  it.each(TRACE_COMMANDS)("%s", async (_, argv) => {
    expectUsage(await runCli([...argv, "--scheme", "ftp"], { cwd: root }), 'gwsim: --scheme takes one of http, https, tls, tcp, udp, got "ftp"');
    expectUsage(await runCli([...argv, "--port", "0"], { cwd: root }), "gwsim: --port takes a port from 1 to 65535, got 0");
    expectUsage(await runCli([...argv, "--port", "99999"], { cwd: root }), "gwsim: --port takes a port from 1 to 65535, got 99999");
    expectUsage(await runCli([...argv, "--port=-1"], { cwd: root }), /--port takes a port from 1 to 65535/);
    expectUsage(await runCli([...argv, "--port", "http"], { cwd: root }), /--port takes a whole number/);
    for (const ok of [["--scheme", "https"], ["--scheme", "tcp"], ["--port", "1"], ["--port", "65535"]]) {
      expect((await runCli([...argv, ...ok], { cwd: root })).code).toBe(0);
    }
  });
});

describe("--split hash:<key>", () => {
  it.each(["hash:user", "hash:header:x-user", "hash:cookie:session", "hash:query:uid", "hash:x-user", "hash:query:a b"])("%s is a split mode", (mode) => {
    expect(parseSplitMode(mode)).toEqual({ ok: true, split: mode });
  });

  it.each([
    ["hash:", /the hash key has no name/],
    ["hash:cookie:", /the cookie key has no name/],
    ["hash:header:", /the header key has no name/],
    ["hash:query:", /the query key has no name/],
    ["hash:cookie:a b", /"a b" is not a cookie name/],
    ["hash:x user", /"x user" is not a header name/],
    ["hash", /unknown split mode/],
  ])("%s is not", (mode, message) => {
    const r = parseSplitMode(mode);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(message);
  });

  it.each(TRACE_COMMANDS)("%s --split hash:cookie: is a usage error", async (_, argv) => {
    expectUsage(await runCli([...argv, "--split", "hash:cookie:"], { cwd: root }), /^gwsim: --split: "hash:cookie:": the cookie key has no name/);
  });
});

describe("standard input is read by one flag at most", () => {
  const request = '{"host":"store.example.com","path":"/cart"}\n';
  it.each([
    ["route -f - --requests -", ["route", "-f", "-", "--requests", "-"], "-f - and --requests -"],
    ["replay -f - --trace -", ["replay", "-f", "-", "--trace", "-"], "-f - and --trace -"],
    ["whatif -f - --trace -", ["whatif", "-f", "-", ...weight, "--trace", "-"], "-f - and --trace -"],
    ["whatif --proposed - --trace -", ["whatif", "-f", world, "--proposed", "-", "--trace", "-"], "--proposed - and --trace -"],
    ["status -f - -f -", ["status", "-f", "-", "-f", "-"], "-f - and -f -"],
  ])("%s is a usage error", async (_, argv, readers) => {
    const r = await runCli(argv, { cwd: root, stdin: request });
    expectUsage(r, `gwsim: ${readers} would all read standard input, which can be read once; give files for all but one`);
  });

  it("one reader of stdin still works", async () => {
    const r = await runCli(["route", "-f", world, "--requests", "-", "--json"], { cwd: root, stdin: request });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).backend.name).toBe("cart-svc");
  });
});

describe("whatif --fail-if on a backend neither world has", () => {
  const gate = (expr: string, ...more: string[]) => runCli(["whatif", "-f", world, ...weight, "--trace", trace, "--fail-if", expr, ...more], { cwd: root });

  it("is a usage error naming it (before: 0 in both reports, so the gate never fired)", async () => {
    const r = await gate("share(store/checkout-v3) > 0.01");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^gwsim: --fail-if "share\(store\/checkout-v3\) > 0\.01": no backend store\/checkout-v3 in the current or the proposed manifests, so it would be 0 in both \(backends: [^)]*store\/checkout-v2/);
  });

  it("every unknown ref of every condition is named", async () => {
    const r = await gate("share(nope) > 0 || share(store/checkout-v2) > 0", "--fail-if", "delta(store/checkout-v2:1) > 0");
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").map((l) => /no backend (\S+)/.exec(l)?.[1])).toEqual(["nope", "store/checkout-v2:1"]);
  });

  it("a backend only the proposed manifests route to is known", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "gwsim-failif-"));
    try {
      cpSync(join(root, world), scratch, { recursive: true });
      const canary = join(scratch, "20-checkout-canary.yaml");
      writeFileSync(canary, readFileSync(canary, "utf8").replaceAll("checkout-v2", "checkout-v3"));
      const r = await runCli(["whatif", "-f", world, "--proposed", scratch, "--trace", trace, "--fail-if", "share(store/checkout-v3) > 0.99"], { cwd: root });
      expect(r.stderr).not.toContain("no backend");
      expect(r.code).toBe(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("known backends still gate", async () => {
    expect((await gate("expectedShare(store/checkout-v2) > 0")).code).toBe(1);
    expect((await gate("expectedShare(store/checkout-v2) > 0.99")).code).toBe(0);
  });
});
