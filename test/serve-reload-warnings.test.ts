/**
 * Warnings are said once while they stand: a reload prints only the warnings it adds and says
 * which ones it fixed, instead of every warning again on each save. A warning whose object only
 * moved in its file (its line number changed) is the same warning.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { warningChanges, warningKey } from "../packages/sim/src/serve/warnings.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";
import { runServe } from "./helpers/serve-cli.js";

const world = (withNope: boolean, shift = 0) => `${"# padding\n".repeat(shift)}${edgeGateway(`
  - {name: http, protocol: HTTP, port: 80}
  - {name: web, protocol: HTTPS, port: 443, tls: {mode: Terminate, certificateRefs: [{name: lost-cert}]}}`)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: app}
spec:
  parentRefs: [{name: edge, sectionName: http}]
  rules:
  - backendRefs: [{name: web, port: 8080}]
  - name: gone
    matches: [{path: {type: PathPrefix, value: /gone}}]
    backendRefs: [{name: nope, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: app, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 9}]
endpoints: [{addresses: [127.0.0.1]}]
${
  withNope
    ? `---
apiVersion: v1
kind: Service
metadata: {name: nope, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
`
    : ""
}`;

const count = (text: string, what: string) => text.split("\n").filter((l) => l.includes(what)).length;

describe("serve: warnings are printed once per configuration change, not on every reload", () => {
  it("a reload that changes nothing prints none again; one that fixes a warning says so; a new one is printed once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-warn-"));
    const file = join(dir, "world.yaml");
    writeFileSync(file, world(false));
    const running = await runServe(["-f", file, "--listen", "80=127.0.0.1:0", "--no-watch", "--no-access-log"]);
    try {
      expect(running.stdout()).toContain("gwsim: ready");
      const kinds = ["is not served: ResolvedRefs=False", "loopback range", "will answer 500"];
      for (const k of kinds) expect(count(running.stderr(), k)).toBe(1);

      running.signals.emit("SIGHUP");
      await running.waitFor("generation 2");
      for (const k of kinds) expect(count(running.stderr(), k)).toBe(1);
      expect(running.stderr()).not.toContain("gwsim: fixed:");

      // Service nope appears (its backendRef turns valid, but has no endpoints), and every object
      // moves down three lines: moved warnings are not new.
      writeFileSync(file, world(true, 3));
      running.signals.emit("SIGHUP");
      await running.waitFor("generation 3");
      const err = running.stderr();
      expect(count(err, "is not served: ResolvedRefs=False")).toBe(1);
      expect(count(err, "loopback range")).toBe(1);
      expect(err.split("\n").filter((l) => l.includes("will answer 500"))).toEqual([
        "gwsim: warning: HTTPRoute app/shop rule 1 (gone) backendRef 0: Service app/nope not found (BackendNotFound): its requests will answer 500",
        "gwsim: fixed: warning: HTTPRoute app/shop rule 1 (gone) backendRef 0: Service app/nope not found (BackendNotFound): its requests will answer 500",
      ]);
      expect(count(err, "no endpoints for app/nope:8080")).toBe(1);

      running.signals.emit("SIGHUP");
      await running.waitFor("generation 4");
      expect(count(running.stderr(), "no endpoints for app/nope:8080")).toBe(1);
      expect(count(running.stderr(), "gwsim: fixed:")).toBe(1);
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("warningChanges", () => {
  it.each([
    { before: [], after: ["gwsim: a.yaml:3:5: warning: x\n"], added: 1, fixed: 0 },
    { before: ["gwsim: a.yaml:3:5: warning: x\n"], after: ["gwsim: a.yaml:9:5: warning: x\n"], added: 0, fixed: 0 },
    { before: ["gwsim: a.yaml:3:5: warning: x\n"], after: ["gwsim: b.yaml:3:5: warning: x\n"], added: 1, fixed: 1 },
    { before: ["gwsim: warning: y\n"], after: [], added: 0, fixed: 1 },
    // The same text at two places: one more of it is new, one fewer is fixed.
    { before: ["gwsim: a.yaml:3:5: warning: x\n"], after: ["gwsim: a.yaml:3:5: warning: x\n", "gwsim: a.yaml:9:5: warning: x\n"], added: 1, fixed: 0 },
    { before: ["gwsim: a.yaml:3:5: warning: x\n", "gwsim: a.yaml:9:5: warning: x\n"], after: ["gwsim: a.yaml:3:5: warning: x\n"], added: 0, fixed: 1 },
  ])("$before → $after", ({ before, after, added, fixed }) => {
    const changes = warningChanges(before, after);
    expect([changes.added.length, changes.fixed.length]).toEqual([added, fixed]);
  });

  it("of several lines of one warning, the one at a new place is named", () => {
    const changes = warningChanges(["gwsim: a.yaml:3:5: warning: x\n"], ["gwsim: a.yaml:3:5: warning: x\n", "gwsim: a.yaml:9:5: warning: x\n"]);
    expect(changes.added).toEqual(["gwsim: a.yaml:9:5: warning: x\n"]);
  });

  it("the key keeps the file and drops only the position", () => {
    expect(warningKey("gwsim: dir/a.yaml:12:3: warning: w\n")).toBe("dir/a.yaml: warning: w");
    expect(warningKey("gwsim: warning: no endpoints for a/b:80\n")).toBe("warning: no endpoints for a/b:80");
  });
});
