/**
 * What an operator trying `gwsim serve` on 127.0.0.1 ran into, each pinned live with the real
 * core: requests in absolute-form (RFC 9112 §3.2.2: a server MUST accept them; `curl -x`, and
 * any client configured with the gateway as its HTTP proxy, sends them); TLS connections refused
 * in the handshake (no listener for the SNI, plain HTTP on a TLS port), which left no trace; a
 * listener that is not programmed (a missing certificate Secret), silently left unbound; a
 * refused reload whose /config said only "2 problem(s)"; a gRPC call the gateway answered itself
 * (HTTP 200, grpc-status 12), recorded as a plain 200; error bodies that named the Service,
 * namespace, listener and rule behind a route, or undici's error codes, to any client; startup and
 * reload lines that did not say which listeners a socket serves, nor which sockets a reload
 * opened or closed; `--endpoints` problems all reported at line 1:1, a bad address not named; a
 * backend answering with invalid HTTP logged as "upstream reset"; an HTTP/2 backend that refuses
 * the connection logged as "connect error ERR_HTTP2_STREAM_CANCEL"; a backendRef that answers 500
 * (its Service missing) not mentioned at start or reload; a gRPC call to an HTTP/1.1-only backend
 * logged as a bare "upstream reset ERR_HTTP2_ERROR"; /config listeners without their routes;
 * mirrored copies that fail (shadow backend down), counted as sent and never as failed; TCP
 * connections relayed and refused by their backend, both status 0 in the metrics.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { clientReason } from "../packages/sim/src/serve/respond.js";
import { parseEndpointsFile } from "../packages/sim/src/serve/endpoints.js";
import { EXAMPLE_CERT, EXAMPLE_KEY } from "./helpers/example-cert.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";
import { runServe } from "./helpers/serve-cli.js";

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

const TLS_WORLD = `${edgeGateway(`
  - {name: web, protocol: HTTPS, port: 443, hostname: store.example.com, tls: {mode: Terminate, certificateRefs: [{name: store-cert}]}}
  - {name: vault, protocol: TLS, port: 8443, hostname: vault.example.com, tls: {mode: Passthrough}}`)}
---
apiVersion: v1
kind: Secret
metadata: {name: store-cert, namespace: app}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(EXAMPLE_CERT).toString("base64")}
  tls.key: ${Buffer.from(EXAMPLE_KEY).toString("base64")}
`;

describe("serve: TLS connections refused in the handshake are logged and counted", () => {
  let tgw: LiveGateway;
  const log: Record<string, unknown>[] = [];
  const portOf = (listenerPort: number) => tgw.addresses().find((a) => a.port === listenerPort)!.address.port;

  beforeAll(async () => {
    tgw = await startServe({
      world: buildWorld(parseManifests(TLS_WORLD, { file: "tls.yaml" }).objects),
      decide,
      listen: new Map([
        ["443", { host: "127.0.0.1", port: 0 }],
        ["8443", { host: "127.0.0.1", port: 0 }],
      ]),
      accessLog: (line) => log.push(JSON.parse(line) as Record<string, unknown>),
      log: () => undefined,
      limits: { handshakeTimeoutMs: 1000 },
    });
  });
  afterAll(async () => {
    await tgw?.close({ drainMs: 0 });
  });

  /** A TLS handshake with this server name: whether it succeeded (bounded). */
  function handshake(port: number, servername: string): Promise<boolean> {
    return new Promise((resolve) => {
      const c = tls.connect({ port, host: "127.0.0.1", servername, rejectUnauthorized: false });
      const timer = setTimeout(() => (c.destroy(), resolve(false)), 3000);
      c.on("secureConnect", () => (clearTimeout(timer), c.destroy(), resolve(true)));
      c.on("error", () => (clearTimeout(timer), resolve(false)));
    });
  }

  /** Raw bytes to a port, then wait for the server to close (bounded). */
  function rawThenClose(port: number, text: string | null): Promise<void> {
    return new Promise((resolve) => {
      const c = net.connect(port, "127.0.0.1", () => (text === null ? c.end() : c.write(text)));
      const timer = setTimeout(() => (c.destroy(), resolve()), 3000);
      c.on("error", () => undefined);
      c.on("close", () => (clearTimeout(timer), resolve()));
    });
  }

  async function waitForLog(n: number): Promise<void> {
    for (let i = 0; i < 100 && log.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  }

  async function rejected(frontend: string, reason: string): Promise<number> {
    const v = (await tgw.metrics.tlsRejected.get()).values.find((s) => s.labels.frontend === frontend && s.labels.reason === reason);
    return v?.value ?? 0;
  }

  it.each([
    { port: 443, sni: "other.example.com", frontend: "app/edge:443/tls", takes: "store.example.com" },
    { port: 8443, sni: "other.example.com", frontend: "app/edge:8443/tls", takes: "vault.example.com" },
  ])("port $port, SNI $sni: no listener takes it → access log line (saying what the port takes) and counter", async ({ port, sni, frontend, takes }) => {
    const before = log.length;
    const count = await rejected(frontend, "no_listener");
    expect(await handshake(portOf(port), sni)).toBe(false);
    await waitForLog(before + 1);
    expect(log.slice(before)).toEqual([
      expect.objectContaining({ frontend, outcome: "reject", sni, reason: `no listener for server name "${sni}" on this port (its listeners take ${takes})` }),
    ]);
    expect(await rejected(frontend, "no_listener")).toBe(count + 1);
  });

  it("plain HTTP sent to a TLS port is logged as such", async () => {
    const before = log.length;
    await rawThenClose(portOf(443), "GET / HTTP/1.1\r\nHost: store.example.com\r\n\r\n");
    await waitForLog(before + 1);
    expect(log.slice(before)).toEqual([expect.objectContaining({ frontend: "app/edge:443/tls", outcome: "reject", reason: expect.stringContaining("plain HTTP") })]);
    expect(await rejected("app/edge:443/tls", "not_tls")).toBeGreaterThan(0);
  });

  it("a served handshake and a client that closes before its ClientHello log nothing", async () => {
    const before = log.length;
    expect(await handshake(portOf(443), "store.example.com")).toBe(true);
    await rawThenClose(portOf(443), null);
    await new Promise((r) => setTimeout(r, 200));
    expect(log.slice(before).filter((l) => l.outcome === "reject")).toEqual([]);
  });
});

describe("serve: a listener that is not programmed is said, with why and where", () => {
  it("HTTPS listener whose certificate Secret is missing: no socket, and a note naming the Secret at the listener's line", async () => {
    const text = TLS_WORLD.replace("certificateRefs: [{name: store-cert}]", "certificateRefs: [{name: lost-cert}]");
    const lines: string[] = [];
    const gw = await startServe({
      world: buildWorld(parseManifests(text, { file: "tls.yaml" }).objects),
      decide,
      listen: new Map([
        ["443", { host: "127.0.0.1", port: 0 }],
        ["8443", { host: "127.0.0.1", port: 0 }],
      ]),
      accessLog: null,
      log: (t) => void lines.push(t),
    });
    try {
      expect(gw.addresses().map((a) => a.port)).toEqual([8443]);
      const line = text.split("\n").findIndex((l) => l.includes("name: web, protocol: HTTPS")) + 1;
      expect(lines.join("")).toContain(
        `gwsim: tls.yaml:${line}:5: listener app/edge/web (HTTPS port 443) is not served: ResolvedRefs=False (InvalidCertificateRef): certificateRefs[0]: Secret app/lost-cert not found\n`,
      );
    } finally {
      await gw.close({ drainMs: 0 });
    }
  });
});

describe("serve: /config says what a refused reload found wrong", () => {
  it("lastReload.problems holds each problem as stderr printed it (file:line:col), not only a count", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-op-"));
    const file = join(dir, "world.yaml");
    writeFileSync(file, WORLD);
    const running = await runServe(["-f", file, "--listen", "80=127.0.0.1:0", "--admin", "127.0.0.1:0", "--no-watch", "--no-access-log"]);
    try {
      expect(running.stdout()).toContain("gwsim: ready");
      writeFileSync(file, WORLD.replace("value: /cart}}]", "value: /cart}]"));
      running.signals.emit("SIGHUP");
      await running.waitFor("refused");
      const config = await new Promise<{ lastReload: { applied: boolean; problems: string[] } }>((resolve, reject) => {
        http.get({ host: "127.0.0.1", port: running.admin!, path: "/config" }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve(JSON.parse(body) as { lastReload: { applied: boolean; problems: string[] } }));
        }).on("error", reject);
      });
      expect(config.lastReload.applied).toBe(false);
      const printed = running.stderr().split("\n").filter((l) => l.startsWith(`gwsim: ${file}:`));
      expect(printed.length).toBeGreaterThan(0);
      expect(config.lastReload.problems).toEqual(printed.map((l) => l.slice("gwsim: ".length)));
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("serve: a gRPC call the gateway answers itself is logged and recorded with its grpc-status", () => {
  it("no GRPCRoute for the call: Trailers-Only 200 with grpc-status 12; access log and --record carry grpcStatus 12", async () => {
    const lines: Record<string, unknown>[] = [];
    const records: Record<string, unknown>[] = [];
    const g = await startServe({
      world: buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects),
      decide,
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      accessLog: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      record: (line) => records.push(JSON.parse(line) as Record<string, unknown>),
      log: () => undefined,
    });
    const session = http2.connect(`http://127.0.0.1:${g.addresses()[0]!.address.port}`);
    session.on("error", () => undefined);
    try {
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": "/lab.Nothing/Call", ":authority": "shop.lab.test", "content-type": "application/grpc", te: "trailers" });
        stream.on("response", (h) => resolve(h));
        stream.on("error", reject);
        stream.setTimeout(3000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        stream.end();
      });
      expect(headers[":status"]).toBe(200);
      expect(headers["grpc-status"]).toBe("12");
      for (let i = 0; i < 100 && (lines.length === 0 || records.length === 0); i++) await new Promise((r) => setTimeout(r, 20));
      expect(lines.at(-1)).toMatchObject({ status: 200, grpcStatus: 12, path: "/lab.Nothing/Call" });
      expect(records.at(-1)).toMatchObject({ decision: { grpcStatus: 12 }, observed: { status: 200, grpcStatus: 12 } });
    } finally {
      session.destroy();
      await g.close({ drainMs: 0 });
    }
  });
});

describe("serve: what a client is told of a failure names no internals", () => {
  it.each([
    { status: 404, reason: "no rule of the routes on listener infra/edge/http matches GET a.test/x", outcome: "notFound", want: "no route matches this request" },
    { status: 500, reason: "backend prod/payments:8080 is invalid (RefNotPermitted: rule 2 (pay) backendRef 0: ...)", outcome: "error", want: "no valid backend for this request" },
    { status: 400, reason: 'path "/a%00b" is not valid: encoded NUL (%00) in path', outcome: "error", want: 'path "/a%00b" is not valid: encoded NUL (%00) in path' },
    { status: 503, reason: "no endpoints for prod/payments:8080", outcome: "forward", want: "no endpoints for the backend" },
    { status: 503, reason: "connect error ECONNREFUSED", outcome: "forward", want: "cannot connect to the backend: connection refused" },
    { status: 503, reason: "connect error UND_ERR_CONNECT_TIMEOUT", outcome: "forward", want: "cannot connect to the backend: connect timeout" },
    { status: 503, reason: "connect error", outcome: "forward", want: "cannot connect to the backend" },
    { status: 502, reason: "upstream reset UND_ERR_SOCKET", outcome: "forward", want: "the backend closed the connection before a complete response" },
    { status: 502, reason: "upstream reset ERR_HTTP2_ERROR", outcome: "forward", want: "the backend closed the connection before a complete response" },
    { status: 502, reason: "invalid response from backend: invalid header value for x-a", outcome: "forward", want: "invalid response from the backend" },
    { status: 502, reason: "malformed WebSocket handshake answer from backend (no status line)", outcome: "forward", want: "invalid response from the backend" },
    { status: 504, reason: "backend timeout", outcome: "forward", want: "backend timeout" },
    { status: 504, reason: "request timeout", outcome: "forward", want: "request timeout" },
    { status: 503, reason: "retry budget exceeded", outcome: "forward", want: "retry budget exceeded" },
    { status: 503, reason: "BackendTLSPolicy prod/p: CA ConfigMap prod/ca has no ca.crt", outcome: "forward", want: "backend unavailable" },
    { status: 500, reason: "internal error", outcome: null, want: "internal error" },
    {
      status: 421,
      reason: "Host a.test belongs to listener infra/edge/web (hostname *.test), not to infra/edge/api chosen by SNI api.test: 421 Misdirected Request",
      outcome: "error",
      want: "misdirected request: the TLS server name (SNI) of this connection does not cover this Host; connect again with the Host as the server name",
    },
  ])("$status $reason → $want", ({ status, reason, outcome, want }) => {
    expect(clientReason(status, reason, outcome)).toBe(want);
  });

  it("live: the 404 body says no route, the access log keeps the listener", async () => {
    const before = access.length;
    const answer = await exchange("GET /nothing HTTP/1.1\r\nHost: shop.lab.test\r\nConnection: close\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer.endsWith("\r\n\r\ngwsim: no route matches this request\n")).toBe(true);
    for (let i = 0; i < 50 && access.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(String(access.at(-1)!.reason)).toContain("app/edge/http");
  });
});

describe("serve: startup and reload say what is served where", () => {
  const two = (withAdmin: boolean) =>
    WORLD.replace(
      "[{name: http, protocol: HTTP, port: 80}]",
      withAdmin ? "[{name: http, protocol: HTTP, port: 80}, {name: ops, protocol: HTTP, port: 8080, hostname: ops.lab.test}]" : "[{name: http, protocol: HTTP, port: 80}]",
    );

  it("each listening line names its listeners; a reload names the sockets it closed and opened", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-op-"));
    const file = join(dir, "world.yaml");
    writeFileSync(file, two(true));
    const running = await runServe(["-f", file, "--listen", "80=127.0.0.1:0", "--listen", "8080=127.0.0.1:0", "--no-watch", "--no-access-log"]);
    try {
      const p80 = running.ports.get(80)!;
      const p8080 = running.ports.get(8080)!;
      expect(running.stderr()).toContain(`gwsim: listening app/edge port 80 (http) on 127.0.0.1:${p80} for http (HTTP any host)\n`);
      expect(running.stderr()).toContain(`gwsim: listening app/edge port 8080 (http) on 127.0.0.1:${p8080} for ops (HTTP ops.lab.test)\n`);
      writeFileSync(file, two(false));
      running.signals.emit("SIGHUP");
      await running.waitFor("generation 2");
      await running.waitFor(`gwsim: stopped listening app/edge port 8080 (http) on 127.0.0.1:${p8080}\n`);
      writeFileSync(file, two(true));
      running.signals.emit("SIGHUP");
      await running.waitFor("generation 3");
      await running.waitFor(/gwsim: reloaded \(SIGHUP\): generation 3\ngwsim: listening app\/edge port 8080 \(http\) on 127\.0\.0\.1:\d+ for ops \(HTTP ops\.lab\.test\)\n/);
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("serve: --endpoints problems say where and which address", () => {
  const text = ['app/web:8080: ["127.0.0.1:9001"]', "app/api: [\"127.0.0.1:9002\"]", 'app/db:5432: ["127.0.0.1:5432", "db-host"]', "app/ok:80: [127.0.0.1:80]", "app/bad:80: [127.0.0.1:99999]"].join("\n");

  it("each problem has the line and column of its entry, and names the address at fault", () => {
    const { problems } = parseEndpointsFile(text, "eps.yaml");
    expect(problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [2, 1, '"app/api": key must be namespace/service:port'],
      [3, 33, 'app/db:5432: "db-host" is not host:port'],
      [5, 14, 'app/bad:80: "127.0.0.1:99999": port must be 1-65535'],
    ]);
  });

  it("a YAML syntax error has its line", () => {
    const { problems } = parseEndpointsFile('app/web:8080: ["127.0.0.1:1"]\napp/x:80: [unclosed', "eps.yaml");
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(2);
  });

  it("gwsim serve prints them as file:line:col and exits 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-op-"));
    writeFileSync(join(dir, "world.yaml"), WORLD);
    writeFileSync(join(dir, "eps.yaml"), text);
    try {
      const running = await runServe(["-f", join(dir, "world.yaml"), "--listen", "80=127.0.0.1:0", "--endpoints", join(dir, "eps.yaml"), "--no-access-log"]);
      expect(await running.exit).toBe(2);
      expect(running.stderr()).toContain(`gwsim: ${join(dir, "eps.yaml")}:3:33: app/db:5432: "db-host" is not host:port\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("serve: a backend that answers with invalid HTTP", () => {
  it.each([
    { name: "a control character in a field value", answer: "HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 2\r\n\r\nok", log: "Invalid header value char" },
    { name: "no status line", answer: "NOT HTTP AT ALL\r\n\r\n", log: "Expected HTTP/" },
  ])("$name: 502 invalid response, the parser's words in the access log", async ({ answer, log }) => {
    const bad = net.createServer((s) => s.once("data", () => s.end(answer)));
    await new Promise<void>((r) => bad.listen(0, "127.0.0.1", () => r()));
    const lines: Record<string, unknown>[] = [];
    const g = await startServe({
      world: buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects),
      decide,
      endpoints: new Map([["app/web:8080", [`127.0.0.1:${(bad.address() as AddressInfo).port}`]]]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      accessLog: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      log: () => undefined,
    });
    try {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port: g.addresses()[0]!.address.port, path: "/cart", headers: { host: "shop.lab.test" }, agent: false }, (r) => {
            let body = "";
            r.on("data", (c: Buffer) => (body += c.toString()));
            r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
          })
          .on("error", reject);
      });
      expect(res).toEqual({ status: 502, body: "gwsim: invalid response from the backend\n" });
      for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(String(lines[0]!.reason)).toContain(log);
    } finally {
      await g.close({ drainMs: 0 });
      bad.close();
    }
  });
});

describe("serve: an HTTP/2 backend that refuses the connection", () => {
  it("503 cannot connect: connection refused, ECONNREFUSED in the access log (not the stream's cancel code)", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const lines: Record<string, unknown>[] = [];
    const g = await startServe({
      world: buildWorld(parseManifests(WORLD.replace("ports: [{name: http, port: 8080}]", "ports: [{name: http, port: 8080, appProtocol: kubernetes.io/h2c}]"), { file: "world.yaml" }).objects),
      decide,
      endpoints: new Map([["app/web:8080", [`127.0.0.1:${deadPort}`]]]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      accessLog: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      log: () => undefined,
    });
    try {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port: g.addresses()[0]!.address.port, path: "/cart", headers: { host: "shop.lab.test" }, agent: false }, (r) => {
            let body = "";
            r.on("data", (c: Buffer) => (body += c.toString()));
            r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
          })
          .on("error", reject);
      });
      expect(res).toEqual({ status: 503, body: "gwsim: cannot connect to the backend: connection refused\n" });
      for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(lines[0]!.reason).toBe("connect error ECONNREFUSED");
    } finally {
      await g.close({ drainMs: 0 });
    }
  });
});

describe("serve: invalid backendRefs of served routes are warned about at start, with their share", () => {
  it("a missing Service (all of a rule) and a canary half whose port is wrong: one warning each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-op-"));
    const file = join(dir, "world.yaml");
    writeFileSync(
      file,
      WORLD.replace(
        "    backendRefs: [{name: web, port: 8080}]",
        `    backendRefs: [{name: web, port: 8080}]
  - name: gone
    matches: [{path: {type: PathPrefix, value: /gone}}]
    backendRefs: [{name: nope, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /canary}}]
    backendRefs: [{name: web, port: 8080, weight: 3}, {name: web, port: 9999, weight: 1}]`,
      ),
    );
    const running = await runServe(["-f", file, "--listen", "80=127.0.0.1:0", "--no-watch", "--no-access-log"]);
    try {
      expect(running.stdout()).toContain("gwsim: ready");
      const warnings = running.stderr().split("\n").filter((l) => l.includes("will answer 500"));
      expect(warnings).toEqual([
        "gwsim: warning: HTTPRoute app/shop rule 1 (gone) backendRef 0: Service app/nope not found (BackendNotFound): its requests will answer 500",
        expect.stringMatching(/^gwsim: warning: HTTPRoute app\/shop rule 2 backendRef 1: .*9999.* \(BackendNotFound\): 25% of its requests will answer 500$/),
      ]);
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("serve: a gRPC call routed to a backend that speaks only HTTP/1.1", () => {
  it("502 (grpc-status 14) and the access log says the hop was HTTP/2 and why", async () => {
    const h1 = http.createServer((_q, r) => r.end("h1 only"));
    await new Promise<void>((r) => h1.listen(0, "127.0.0.1", () => r()));
    const lines: Record<string, unknown>[] = [];
    const g = await startServe({
      world: buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects),
      decide,
      endpoints: new Map([["app/web:8080", [`127.0.0.1:${(h1.address() as AddressInfo).port}`]]]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      accessLog: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      log: () => undefined,
    });
    const session = http2.connect(`http://127.0.0.1:${g.addresses()[0]!.address.port}`);
    session.on("error", () => undefined);
    try {
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": "/cart/Get", ":authority": "shop.lab.test", "content-type": "application/grpc", te: "trailers" });
        stream.on("response", (h) => resolve(h));
        stream.on("error", reject);
        stream.setTimeout(3000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        stream.end();
      });
      expect(headers["grpc-status"]).toBe("14");
      for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(String(lines[0]!.reason)).toMatch(/upstream reset ERR_HTTP2_\w+ \(sent as HTTP\/2: a gRPC call/);
    } finally {
      session.destroy();
      await g.close({ drainMs: 0 });
      h1.closeAllConnections();
      h1.close();
    }
  });
});

describe("serve: /config says which routes each served listener carries", () => {
  it("listeners carry their TLS mode and attached routes", () => {
    const config = gw.config() as { listeners: { id: string; tls: string | null; routes: string[] }[] };
    expect(config.listeners).toEqual([expect.objectContaining({ id: "gateway/app/edge/listener/http", tls: null, routes: ["HTTPRoute app/shop"] })]);
  });
});

describe("serve: mirrored copies that fail are counted", () => {
  it("a mirror backend that refuses the connection: gwsim_mirror_failures_total{backend, reason=connect_error}; the client's answer is unaffected", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const world = WORLD.replace(
      "    backendRefs: [{name: web, port: 8080}]",
      `    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: shadow, port: 8080}}
    backendRefs: [{name: web, port: 8080}]`,
    ) + "---\napiVersion: v1\nkind: Service\nmetadata: {name: shadow, namespace: app}\nspec: {ports: [{name: http, port: 8080}]}\n";
    const g = await startServe({
      world: buildWorld(parseManifests(world, { file: "world.yaml" }).objects),
      decide,
      endpoints: new Map([
        ["app/web:8080", [`127.0.0.1:${(backend.address() as AddressInfo).port}`]],
        ["app/shadow:8080", [`127.0.0.1:${deadPort}`]],
      ]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      accessLog: null,
      log: () => undefined,
    });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port: g.addresses()[0]!.address.port, path: "/cart", headers: { host: "shop.lab.test" }, agent: false }, (r) => {
            r.resume();
            r.on("end", () => resolve(r.statusCode ?? 0));
          })
          .on("error", reject);
      });
      expect(status).toBe(200);
      const failures = async () => (await g.metrics.mirrorFailures.get()).values.find((v) => v.labels.backend === "app/shadow:8080" && v.labels.reason === "connect_error")?.value ?? 0;
      for (let i = 0; i < 100 && (await failures()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await failures()).toBe(1);
    } finally {
      await g.close({ drainMs: 0 });
    }
  });
});

describe("serve: a mirror without endpoints is said once per configuration, not per request", () => {
  it("three requests: one stderr line, three no_endpoints failures", async () => {
    const world = WORLD.replace(
      "    backendRefs: [{name: web, port: 8080}]",
      `    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: shadow, port: 8080}}
    backendRefs: [{name: web, port: 8080}]`,
    ) + "---\napiVersion: v1\nkind: Service\nmetadata: {name: shadow, namespace: app}\nspec: {ports: [{name: http, port: 8080}]}\n";
    const said: string[] = [];
    const g = await startServe({
      world: buildWorld(parseManifests(world, { file: "world.yaml" }).objects),
      decide,
      endpoints: new Map([["app/web:8080", [`127.0.0.1:${(backend.address() as AddressInfo).port}`]]]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      accessLog: null,
      log: (t) => void said.push(t),
    });
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          http
            .get({ host: "127.0.0.1", port: g.addresses()[0]!.address.port, path: "/cart", headers: { host: "shop.lab.test" }, agent: false }, (r) => {
              r.resume();
              r.on("end", () => resolve());
            })
            .on("error", reject);
        });
      }
      expect(said.filter((l) => l.includes("mirror app/shadow:8080"))).toEqual(["gwsim: mirror app/shadow:8080: no endpoints (copies not sent; counted in gwsim_mirror_failures_total)\n"]);
      const v = (await g.metrics.mirrorFailures.get()).values.find((x) => x.labels.backend === "app/shadow:8080" && x.labels.reason === "no_endpoints");
      expect(v?.value).toBe(3);
    } finally {
      await g.close({ drainMs: 0 });
    }
  });
});

describe("serve: TCP connections say in the metrics whether they were relayed", () => {
  it("relayed, connect_error and no_endpoints are told apart in gwsim_stream_connections_total", async () => {
    const live = net.createServer((sock) => sock.end("hi"));
    await new Promise<void>((r) => live.listen(0, "127.0.0.1", () => r()));
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const world = `${edgeGateway("[{name: live, protocol: TCP, port: 7001}, {name: dead, protocol: TCP, port: 7002}, {name: none, protocol: TCP, port: 7003}]")}
${["live", "dead", "none"]
  .map(
    (n) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: ${n}, namespace: app}
spec:
  parentRefs: [{name: edge, sectionName: ${n}}]
  rules: [{backendRefs: [{name: ${n}, port: 9000}]}]
---
apiVersion: v1
kind: Service
metadata: {name: ${n}, namespace: app}
spec: {ports: [{name: tcp, port: 9000}]}`,
  )
  .join("\n")}
`;
    const g = await startServe({
      world: buildWorld(parseManifests(world, { file: "tcp.yaml" }).objects),
      decide,
      endpoints: new Map([
        ["app/live:9000", [`127.0.0.1:${(live.address() as AddressInfo).port}`]],
        ["app/dead:9000", [`127.0.0.1:${deadPort}`]],
      ]),
      listen: new Map(["7001", "7002", "7003"].map((p) => [p, { host: "127.0.0.1", port: 0 }])),
      accessLog: null,
      log: () => undefined,
    });
    try {
      for (const port of [7001, 7002, 7003]) {
        const local = g.addresses().find((a) => a.port === port)!.address.port;
        await new Promise<void>((resolve) => {
          const c = net.connect(local, "127.0.0.1");
          c.on("data", () => undefined);
          c.on("error", () => undefined);
          c.on("close", () => resolve());
          setTimeout(() => c.destroy(), 2000);
        });
      }
      const want = { "app/live:9000": "relayed", "app/dead:9000": "connect_error", "app/none:9000": "no_endpoints" };
      const got = async () => Object.fromEntries((await g.metrics.streams.get()).values.map((v) => [v.labels.backend, v.labels.result]));
      for (let i = 0; i < 100 && Object.keys(await got()).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await got()).toEqual(want);
    } finally {
      await g.close({ drainMs: 0 });
      live.close();
    }
  });
});
