/**
 * `--listen` naming no listener is a usage error before anything binds: a typo used to be
 * ignored, and the listener it meant bound to 0.0.0.0. These tests bind nothing (every real
 * listener is also moved to 127.0.0.1:0, so even a regression would bind only loopback).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, parseManifests } from "../packages/core/src/index.js";
import { UsageError } from "../packages/sim/src/cli/io.js";
import { parseListen, unknownListen } from "../packages/sim/src/serve/index.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";
import { runServe, type RunningServe } from "./helpers/serve-cli.js";

const WORLD = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}, {name: other, protocol: HTTP, port: 8080, hostname: other.example.com}]")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: internal, namespace: ops}
spec:
  gatewayClassName: gwsim
  listeners: [{name: http, protocol: HTTP, port: 9090}]
`;

const world = buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects);
const check = (...flags: string[]) => {
  const parsed = parseListen(flags);
  expect(parsed.error).toBeNull();
  return unknownListen(world, parsed.map);
};

describe("unknownListen", () => {
  it.each([
    ["80=127.0.0.1:0"],
    ["8080=127.0.0.1:0", "9090=[::1]:0"],
    ["app/edge:80=127.0.0.1:0", "ops/internal:9090=127.0.0.1:0"],
  ])("accepts entries that name a listener: %s", (...flags) => {
    expect(check(...flags)).toBeNull();
  });

  it.each([
    [["81=127.0.0.1:18095"], "--listen 81=127.0.0.1:18095: no listener on port 81 (listeners: app/edge:80, app/edge:8080, ops/internal:9090)"],
    [["80=127.0.0.1:0", "default/nope:80=127.0.0.1:0"], "--listen default/nope:80=127.0.0.1:0: no Gateway default/nope with listeners (listeners: app/edge:80, app/edge:8080, ops/internal:9090)"],
    [["app/edge:9090=[::1]:0"], "--listen app/edge:9090=[::1]:0: Gateway app/edge has no listener on port 9090 (listeners: app/edge:80, app/edge:8080, ops/internal:9090)"],
  ])("names the listeners that exist when an entry names none: %j", (flags, message) => {
    expect(check(...flags)).toBe(message);
  });

  it("says when the manifests declare no listener at all", () => {
    expect(unknownListen(buildWorld([]), parseListen(["80=127.0.0.1:0"]).map)).toBe("--listen 80=127.0.0.1:0: no listener on port 80 (the manifests declare no listener)");
  });
});

describe("gwsim serve --listen naming no listener", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "gwsim-listen-"));
    writeFileSync(join(dir, "world.yaml"), WORLD);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["81=127.0.0.1:0", /--listen 81=127\.0\.0\.1:0: no listener on port 81 \(listeners: app\/edge:80, app\/edge:8080, ops\/internal:9090\)/],
    ["default/nope:80=127.0.0.1:0", /--listen default\/nope:80=127\.0\.0\.1:0: no Gateway default\/nope with listeners/],
  ])("%s is a usage error (exit 2) before any socket opens", async (stray, message) => {
    const loopbackOnly = ["--listen", "80=127.0.0.1:0", "--listen", "8080=127.0.0.1:0", "--listen", "9090=127.0.0.1:0"];
    const outcome: RunningServe | Error = await runServe(["-f", "world.yaml", ...loopbackOnly, "--listen", stray, "--no-access-log"], dir).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    if (!(outcome instanceof Error)) {
      await outcome.stop();
      expect.fail(`serve started:\n${outcome.stderr()}`);
    }
    // The CLI's main turns a UsageError into `gwsim: <message>`, the usage line and exit 2.
    expect(outcome).toBeInstanceOf(UsageError);
    expect((outcome as Error).message).toMatch(message);
  });
});
