import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import type { Io } from "./io.js";
import { lintCommand } from "./lint.js";
import { routeCommand } from "./route.js";
import { statusCommand } from "./status.js";
import { nodeSource } from "../load/manifests.js";
import { createServer, get as httpGet } from "node:http";
import type { AddressInfo } from "node:net";
import { runServe } from "../../../../test/helpers/serve-cli.js";

// A GatewayClass naming the implementation's own parameters object (a kind gwsim skips), in
// another file than the object: every command that builds a world must know the object exists.
const dir = mkdtempSync(join(tmpdir(), "gwsim-foreign-"));
writeFileSync(join(dir, "10-class.yaml"), `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lb}
spec:
  controllerName: lb.example.net/controller
  parametersRef: {group: proxy.example.net, kind: ProxyTuning, name: tuned, namespace: infra}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: front, namespace: edge}
spec:
  gatewayClassName: lb
  listeners: [{name: web, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: edge}
spec:
  parentRefs: [{name: front}]
  rules: [{backendRefs: [{name: shop-svc, port: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: shop-svc, namespace: edge}
spec: {ports: [{port: 8080}]}
`);
writeFileSync(join(dir, "20-tuning.yaml"), `apiVersion: proxy.example.net/v1beta2
kind: ProxyTuning
metadata: {name: tuned, namespace: infra}
spec: {workers: 4}
`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(command: (argv: string[], io: Io) => Promise<number>, argv: string[], stdin = "") {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    ...nodeSource(dir),
    readStdin: async () => stdin,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdin: Readable.from([stdin]),
    stderrIsTTY: false,
    env: {},
  };
  const code = await command(argv, io);
  return { code, stdout, stderr };
}

describe("CLI: a parametersRef to a skipped kind that the manifests hold", () => {
  it("status: the class and Gateway are accepted; no InvalidParameters", async () => {
    const r = await run(statusCommand, ["-f", ".", "--json"]);
    const items = (JSON.parse(r.stdout) as { items: { kind: string; status: { conditions?: { type: string; status: string; message: string }[] } }[] }).items;
    const cls = items.find((i) => i.kind === "GatewayClass")!;
    expect(cls.status.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True", message: expect.stringContaining("not simulated") }));
    expect(items.find((i) => i.kind === "Gateway")!.status.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True" }));
    expect(r.stderr).toBe("");
  });

  it("lint: no listener-not-programmed finding", async () => {
    const r = await run(lintCommand, ["-f", ".", "--json"]);
    expect((JSON.parse(r.stdout) as { findings: { rule: string }[] }).findings.map((f) => f.rule)).not.toContain("listener-not-programmed");
    expect(r.code).toBe(0);
  });

  it("route: the request is forwarded", async () => {
    const r = await run(routeCommand, ["-f", ".", "--json", "-r", "-"], `${JSON.stringify({ host: "shop.test", path: "/" })}\n`);
    expect(r.stdout).toContain('"outcome":"forward"');
  });

  it("serve: the Gateway's listener is served and the request reaches the backend's endpoint", async () => {
    const backend = createServer((_, res) => res.end("shop"));
    await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
    const at = (backend.address() as AddressInfo).port;
    writeFileSync(join(dir, "endpoints.yaml"), `edge/shop-svc:8080: [127.0.0.1:${at}]\n`);
    const served = await runServe(["-f", "10-class.yaml", "-f", "20-tuning.yaml", "--endpoints", "endpoints.yaml", "--listen", "80=127.0.0.1:0", "--no-access-log"], dir);
    try {
      expect(served.stderr()).not.toContain("InvalidParameters");
      const port = served.ports.get(80)!;
      const body = await new Promise<string>((resolve, reject) => {
        httpGet({ host: "127.0.0.1", port, path: "/", headers: { host: "shop.test" } }, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve(text));
        }).on("error", reject);
      });
      expect(body).toBe("shop");
    } finally {
      await served.stop();
      backend.close();
    }
  });

  it("without the parameters object, the class is InvalidParameters and says the object is missing", async () => {
    const r = await run(statusCommand, ["-f", "10-class.yaml"]);
    expect(r.stdout.replace(/\s+/g, " ")).toContain("GatewayClass lb: Accepted=False (InvalidParameters) parametersRef proxy.example.net/ProxyTuning tuned: ProxyTuning infra/tuned is not in the manifests");
  });
});
