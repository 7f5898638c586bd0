/**
 * What an operator trying `gwsim serve` on 127.0.0.1 ran into, each pinned live with the real
 * core: requests in absolute-form (RFC 9112 §3.2.2: a server MUST accept them; `curl -x`, and
 * any client configured with the gateway as its HTTP proxy, sends them).
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";

const WORLD = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}]")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: app}
spec:
  parentRefs: [{name: edge}]
  hostnames: [shop.lab.test]
  rules:
  - matches: [{path: {type: PathPrefix, value: /cart}}]
    backendRefs: [{name: web, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
`;

let gw: LiveGateway;
let port: number;
let backend: http.Server;
const seen: { url: string; host: string | undefined }[] = [];
const access: Record<string, unknown>[] = [];

beforeAll(async () => {
  backend = http.createServer((req, res) => {
    seen.push({ url: req.url ?? "", host: req.headers.host });
    res.end("from web");
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
  const world = buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects);
  gw = await startServe({
    world,
    decide,
    endpoints: new Map([["app/web:8080", [`127.0.0.1:${(backend.address() as AddressInfo).port}`]]]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    accessLog: (line) => access.push(JSON.parse(line) as Record<string, unknown>),
    log: () => undefined,
  });
  port = gw.addresses()[0]!.address.port;
});

afterAll(async () => {
  await gw?.close({ drainMs: 0 });
  backend?.closeAllConnections();
  await new Promise((r) => backend?.close(r));
});

/** Sends one raw request and reads the answer until the server closes (bounded). */
function exchange(text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write(text));
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (got += d));
    socket.on("error", () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, 3000);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

describe("serve: absolute-form request targets (RFC 9112 §3.2.2)", () => {
  it.each([
    { target: "http://shop.lab.test/cart/1?x=2", host: "elsewhere.test", wantPath: "/cart/1?x=2", wantHost: "shop.lab.test" },
    { target: "http://SHOP.lab.test:80/cart", host: "shop.lab.test", wantPath: "/cart", wantHost: "SHOP.lab.test:80" },
    { target: "http://shop.lab.test?q=1", host: "shop.lab.test", wantPath: null, wantHost: null }, // "/?q=1": no rule for /
  ])("GET $target (Host $host) is routed by the target's authority", async ({ target, host, wantPath, wantHost }) => {
    const before = seen.length;
    const answer = await exchange(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    if (wantPath === null) {
      expect(answer).toMatch(/^HTTP\/1\.1 404 /);
      expect(access.at(-1)).toMatchObject({ path: "/?q=1", host: "shop.lab.test", status: 404 });
      return;
    }
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain("from web");
    expect(seen.slice(before)).toEqual([{ url: wantPath, host: wantHost }]);
  });

  it("an absolute-form target whose authority is not a valid host is 400, not routed", async () => {
    const before = seen.length;
    const answer = await exchange("GET http://user@shop.lab.test/cart HTTP/1.1\r\nHost: shop.lab.test\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen.length).toBe(before);
  });
});
