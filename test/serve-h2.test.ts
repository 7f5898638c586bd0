import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { startEcho, type EchoServer } from "./helpers/echo.js";
import { backend, fakeWorld, forwardTo, httpListener, service } from "./helpers/serve-world.js";

const open: { gateways: LiveGateway[]; echoes: EchoServer[]; h2: http2.Http2Server[] } = { gateways: [], echoes: [], h2: [] };

afterEach(async () => {
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
  await Promise.all(open.echoes.splice(0).map((e) => e.close()));
  for (const s of open.h2.splice(0)) s.close();
});

/** An h2c backend speaking gRPC's framing: echoes the call path and answers with trailers. */
async function grpcBackend(): Promise<{ address: string; seen: { path: string; te: string | undefined; contentType: string | undefined }[] }> {
  const seen: { path: string; te: string | undefined; contentType: string | undefined }[] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    seen.push({ path: String(headers[":path"]), te: headers.te as string | undefined, contentType: headers["content-type"] as string | undefined });
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "grpc-message": "ok" }));
      stream.end(Buffer.concat(chunks));
    });
  });
  const close = server.close.bind(server);
  server.close = ((cb?: () => void) => {
    for (const s of sessions) s.destroy();
    return close(cb);
  }) as typeof server.close;
  open.h2.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function h2call(port: number, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on("error", reject);
    const req = client.request(headers);
    let resHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => (resHeaders = h));
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      client.close();
      resolve({ headers: resHeaders, trailers, body: Buffer.concat(chunks) });
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("serve: HTTP/2", () => {
  it("h2c with prior knowledge on an HTTP listener, forwarded to an HTTP/1.1 backend", async () => {
    const e = await startEcho({ service: "web" });
    open.echoes.push(e);
    const seen: string[] = [];
    const gw = await startServe({
      world: fakeWorld([httpListener(80)], [service("app", "web", 8080)]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      endpoints: new Map([["app/web:8080", [e.address]]]),
      decide: (_w, r) => {
        seen.push(`${r.protocol} ${r.host} ${r.path}`);
        return forwardTo(r, backend("app", "web", 8080));
      },
    });
    open.gateways.push(gw);
    const res = await h2call(gw.addresses()[0]!.address.port, { ":path": "/h2/x?y=1", ":authority": "a.example.com" });
    expect(res.headers[":status"]).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ path: "/h2/x?y=1", host: "a.example.com", protocol: "HTTP/1.1" });
    expect(seen).toEqual(["HTTP/2 a.example.com /h2/x?y=1"]);
  });

  it("gRPC to an h2c backend (Service appProtocol kubernetes.io/h2c): the call, te: trailers and the grpc-status trailers pass", async () => {
    const upstream = await grpcBackend();
    const calls: unknown[] = [];
    const gw = await startServe({
      world: fakeWorld([httpListener(80)], [service("app", "grpc", 9000, "kubernetes.io/h2c")]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      endpoints: new Map([["app/grpc:9000", [upstream.address]]]),
      decide: (_w, r) => {
        calls.push(r.grpc);
        return forwardTo(r, backend("app", "grpc", 9000));
      },
    });
    open.gateways.push(gw);
    const message = Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]);
    const res = await h2call(gw.addresses()[0]!.address.port, { ":method": "POST", ":path": "/pkg.Echo/Say", ":authority": "grpc.example.com", "content-type": "application/grpc", te: "trailers" }, message);
    expect(calls).toEqual([{ service: "pkg.Echo", method: "Say" }]);
    expect(upstream.seen).toEqual([{ path: "/pkg.Echo/Say", te: "trailers", contentType: "application/grpc" }]);
    expect(res.headers[":status"]).toBe(200);
    expect(res.body.equals(message)).toBe(true);
    expect(res.trailers["grpc-status"]).toBe("0");
    expect(res.trailers["grpc-message"]).toBe("ok");
  });

  it("a gRPC call the gateway answers itself gets a grpc-status, not an HTTP error page", async () => {
    const gw = await startServe({
      world: fakeWorld([httpListener(80)]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      decide: (_w, r) => ({ ...forwardTo(r, backend("app", "grpc", 9000)), outcome: "notFound", status: 404, grpcStatus: 12, backend: null, forwarded: null }),
    });
    open.gateways.push(gw);
    const res = await h2call(gw.addresses()[0]!.address.port, { ":method": "POST", ":path": "/pkg.Nope/X", "content-type": "application/grpc" });
    expect(res.headers[":status"]).toBe(200);
    expect(res.headers["grpc-status"]).toBe("12");
  });
});
