/**
 * `--endpoints` entries that no route uses are warned about at start and on reload, at the
 * entry's line, with the used backend they most likely meant: a typo in a key otherwise left its
 * backend without endpoints (503) and the entry silently unused.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildWorld, parseManifests } from "../packages/core/src/index.js";
import { backendsInUse, nearest, unusedEndpoints } from "../packages/sim/src/serve/endpoint-usage.js";
import { parseEndpointsFile } from "../packages/sim/src/serve/endpoints.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";
import { runServe } from "./helpers/serve-cli.js";

const WORLD = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}, {name: db, protocol: TCP, port: 5432}]")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: app}
spec:
  parentRefs: [{name: edge, sectionName: http}]
  rules:
  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}}}]
    backendRefs: [{name: web, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: api, namespace: backend, port: 9000}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: pg, namespace: app}
spec:
  parentRefs: [{name: edge, sectionName: db}]
  rules: [{backendRefs: [{name: postgres, port: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: shadow, namespace: app}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: app}
spec: {ports: [{name: pg, port: 5432}]}
`;

const table = () => buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects).table;

describe("serve: --endpoints entries no route uses", () => {
  it("backends in use: rule backendRefs of every route kind (valid or not), and mirror backendRefs", () => {
    expect([...backendsInUse(table())].sort()).toEqual(["app/postgres:5432", "app/shadow:80", "app/web:8080", "backend/api:9000"]);
  });

  it("each unused entry is named at its line, with the used backend it most likely meant", () => {
    const text = [
      'app/web:8080: ["127.0.0.1:9001"]',
      'app/wbe:8080: ["127.0.0.1:9002"]',
      'app/shadow:8080: ["127.0.0.1:9003"]',
      'app/postgres:5432: ["127.0.0.1:5432"]',
      'other/thing:7000: ["127.0.0.1:7000"]',
      'backend/apj:9000: ["127.0.0.1:9000"]',
    ].join("\n");
    const parsed = parseEndpointsFile(text, "eps.yaml");
    expect(parsed.problems).toEqual([]);
    expect(unusedEndpoints(table(), parsed.table, "eps.yaml", parsed.positions).map((p) => [p.line, p.column, p.message])).toEqual([
      // app/web:8080 is listed, so the nearest used backend overall.
      [2, 1, "endpoints: app/wbe:8080 is used by no route (typo of app/web:8080?)"],
      // Same Service, another port.
      [3, 1, "endpoints: app/shadow:8080 is used by no route (typo of app/shadow:80?)"],
      [5, 1, "endpoints: other/thing:7000 is used by no route"],
      // An unlisted used backend is the likelier meaning.
      [6, 1, "endpoints: backend/apj:9000 is used by no route (typo of backend/api:9000?)"],
    ]);
  });

  it.each([
    { key: "app/wbe:8080", candidates: ["app/web:8080"], want: "app/web:8080" },
    { key: "ap/web:8080", candidates: ["app/web:8080"], want: "app/web:8080" },
    { key: "app/web:80", candidates: ["app/web:8080", "app/wex:80"], want: "app/web:8080" },
    { key: "app/catalog:8080", candidates: ["app/web:8080"], want: null },
    { key: "app/a:1", candidates: [], want: null },
  ])("nearest($key) = $want", ({ key, candidates, want }) => {
    expect(nearest(key, candidates)).toBe(want);
  });

  it("gwsim serve warns at start (file:line:col), keeps serving, and says the fix on reload", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-eps-"));
    const world = join(dir, "world.yaml");
    const eps = join(dir, "eps.yaml");
    writeFileSync(world, WORLD);
    writeFileSync(eps, ['app/shadow:80: ["127.0.0.1:9003"]', 'app/wbe:8080: ["127.0.0.1:9001"]'].join("\n"));
    const running = await runServe(["-f", world, "--endpoints", eps, "--listen", "80=127.0.0.1:0", "--listen", "5432=127.0.0.1:0", "--no-watch", "--no-access-log"]);
    try {
      expect(running.stdout()).toContain("gwsim: ready");
      const line = `gwsim: ${eps}:2:1: warning: endpoints: app/wbe:8080 is used by no route (typo of app/web:8080?)`;
      expect(running.stderr().split("\n").filter((l) => l.includes("used by no route"))).toEqual([line]);
      writeFileSync(eps, ['app/shadow:80: ["127.0.0.1:9003"]', 'app/web:8080: ["127.0.0.1:9001"]'].join("\n"));
      running.signals.emit("SIGHUP");
      await running.waitFor("generation 2");
      expect(running.stderr().split("\n").filter((l) => l.includes("used by no route"))).toEqual([line, line.replace("gwsim: ", "gwsim: fixed: ")]);
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
