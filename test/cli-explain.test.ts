import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requestFromArgs } from "../packages/sim/src/cli/explain.js";
import { UsageError } from "../packages/sim/src/cli/io.js";
import { requestLine } from "../packages/sim/src/cli/render-decision.js";
import { runCli } from "./helpers/cli.js";

const root = join(import.meta.dirname, "..");
const world = "packages/examples/world";

describe("explain's REQUEST argument", () => {
  it.each([
    ["GET http://store.example.com/cart", { method: "GET", scheme: "http", host: "store.example.com", path: "/cart" }],
    ["http://store.example.com/cart", { method: "GET", scheme: "http", host: "store.example.com", path: "/cart" }],
    ["post https://store.example.com/checkout?x=1", { method: "POST", scheme: "https", host: "store.example.com", path: "/checkout?x=1" }],
    // Without a scheme: host/path means http://host/path.
    ["GET store.example.com/cart", { method: "GET", scheme: "http", host: "store.example.com", path: "/cart" }],
    ["store.example.com", { method: "GET", scheme: "http", host: "store.example.com", path: "/" }],
    ["store.example.com:8080/a?b", { scheme: "http", host: "store.example.com:8080", port: 8080, path: "/a?b" }],
    ["store.example.com?q=1", { host: "store.example.com", path: "/?q=1" }],
    ["https://store.example.com:8443/cart", { scheme: "https", host: "store.example.com:8443", port: 8443, path: "/cart" }],
    ["http://store.example.com:80/cart", { host: "store.example.com", path: "/cart" }],
    // The path as typed (not re-encoded); the fragment is not sent.
    ["GET http://s.example.com/a%2Fb/../c d", null],
    ["GET http://s.example.com/a%2Fb/../c#frag", { path: "/a%2Fb/../c" }],
    ["GET http://[::1]:8080/x", { host: "[::1]:8080", port: 8080 }],
    ["tcp://db.example.com:5432", { scheme: "tcp", port: 5432 }],
    ["PURGE http://s.example.com/", { method: "PURGE" }],
  ] as const)("%s", (line, want) => {
    if (want === null) {
      expect(() => requestFromArgs(line, [], {})).toThrow(UsageError);
      return;
    }
    const r = requestFromArgs(line, [], {});
    expect(r).toMatchObject(want);
    if (!("port" in want)) expect(r.port).toBeUndefined();
  });

  it.each([
    ["GET /cart", /names no host/],
    ["/cart", /names no host/],
    ["http:///cart", /names no host/],
    ["http:/cart", /names no host/],
    ["http://store.example.com/cart extra", /is not a method/],
    ["not a url", /3 words/],
    ["GET", /missing URL after GET/],
    ["  ", /missing REQUEST/],
    ["ftp://store.example.com/", /unsupported scheme ftp/],
    ["GET http://user:pw@store.example.com/", /user info/],
    ["GET http://store.example.com:99999/", /host\[:port\]/],
    ["GET http://store.example.com:0/", /port 0/],
    ["GET store.example.com:x/", /host\[:port\]/],
    ["G(T http://store.example.com/", /is not a method/],
  ])("%s is a usage error", (line, message) => {
    expect(() => requestFromArgs(line, [], {})).toThrow(message);
    expect(() => requestFromArgs(line, [], {})).toThrow(UsageError);
  });
});

describe("requestLine", () => {
  it.each([
    [{ scheme: "https", host: "store.example.com:8443", port: 8443, path: "/cart" }, "GET https://store.example.com:8443/cart"],
    [{ scheme: "http", host: "store.example.com", port: 8080, path: "/" }, "GET http://store.example.com:8080/"],
    [{ scheme: "http", host: "a.com:8080", port: 80, path: "/" }, "GET http://a.com:8080/ (port 80)"],
    [{ host: "a.com", path: "/x" }, "GET http://a.com/x"],
    [{ service: "prod/echo", path: "/v2/x" }, "GET mesh prod/echo /v2/x"],
    [{ service: "prod/echo", port: 81, path: "/" }, "GET mesh prod/echo:81 /"],
    [{ address: "10.96.0.12", path: "/v2/x" }, "GET mesh 10.96.0.12 /v2/x"],
    [{ scheme: "tls", sni: "db.example.org:8443", port: 443 }, "TLS db.example.org:8443 (port 443)"],
  ] as const)("%o → %s", (r, want) => expect(requestLine(r as never)).toBe(want));
});

describe("gwsim explain", () => {
  it("reads host/path without a scheme as http://host/path", async () => {
    const r = await runCli(["explain", "-f", world, "GET store.example.com/cart"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("GET http://store.example.com/cart");
    expect(r.stdout).toContain("→ store/cart-svc");
  });

  it("shows a port the URL names once", async () => {
    const r = await runCli(["explain", "-f", world, "GET https://store.example.com:8443/cart"], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("GET https://store.example.com:8443/cart");
  });

  it("a 404 on a listener that refused a route accepted through another names the listener and its allowedRoutes", async () => {
    const dir = "test/scenarios/http";
    const files = ["-f", `${dir}/_base.yaml`, "-f", `${dir}/gwsim-explain-refused-by-one-listener/world.yaml`];
    const kinds = await runCli(["explain", ...files, "--gateway", "infra/edge", "GET http://www.example.net:8080/shop/cart"], { cwd: root });
    expect(kinds.stderr).toBe("");
    expect(kinds.stdout).toContain("404");
    const text = kinds.stdout.replace(/\n\s+/g, " ");
    expect(text).toContain("HTTPRoute apps/shop (parentRef Gateway infra/edge) is attached to listener open but not to listener infra/edge/rpc: its allowedRoutes.kinds admits only GRPCRoute, not HTTPRoute");
    const ns = await runCli(["explain", ...files, "--gateway", "infra/edge", "GET http://www.example.net:9090/shop/cart"], { cwd: root });
    expect(ns.stdout.replace(/\n\s+/g, " ")).toContain("but not to listener infra/edge/internal: its allowedRoutes.namespaces does not admit namespace apps");
    for (const line of [...kinds.stdout.split("\n"), ...ns.stdout.split("\n")]) expect(line.length).toBeLessThanOrEqual(80);
  });

  it.each([["GET /cart"], ["http://store.example.com/cart extra"], ["not a url"], ["http:///cart"]])(
    "answers %j with a usage error, exit 2, no stack",
    async (line) => {
      const r = await runCli(["explain", "-f", world, line], { cwd: root });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^gwsim: /);
      expect(r.stderr).toContain("usage: gwsim explain");
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    },
  );
});
