/**
 * `OPTIONS *` (asterisk-form, RFC 9112 §3.2.4; RFC 9110 §9.3.7) asks about the server, not a
 * resource: the gateway answers it itself (200, Allow), never routes, never records it, and counts
 * and logs it. Any other method with `*` is still the core's 400.
 */
import http2 from "node:http2";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayRequest } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { decision, fakeWorld, httpListener } from "./helpers/serve-world.js";

const gateways: LiveGateway[] = [];
const sessions: http2.ClientHttp2Session[] = [];

afterEach(async () => {
  for (const s of sessions.splice(0)) s.destroy();
  await Promise.all(gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
});

async function serve(): Promise<{ gw: LiveGateway; port: number; seen: GatewayRequest[]; log: Record<string, unknown>[]; record: string[] }> {
  const seen: GatewayRequest[] = [];
  const log: Record<string, unknown>[] = [];
  const record: string[] = [];
  const gw = await startServe({
    world: fakeWorld([httpListener(80)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    // As the core: a path that does not start with "/" is 400 BadRequest.
    decide: (_w, r) => {
      seen.push(r);
      return r.path?.startsWith("/") ? decision({ outcome: "notFound" }) : decision({ outcome: "error", status: 400 });
    },
    accessLog: (line) => void log.push(JSON.parse(line) as Record<string, unknown>),
    record: (line) => void record.push(line),
    log: () => undefined,
  });
  gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port, seen, log, record };
}

/** Raw bytes in, the answer's head and body out (bounded; the connection is kept alive, so read until the body's length). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    let out = "";
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, 3000);
    socket.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      const head = out.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(out);
      if (head >= 0 && length && out.length >= head + 4 + Number(length[1])) done();
    });
    socket.on("error", () => undefined);
    socket.on("close", done);
  });
}

async function requests(gw: LiveGateway, status: string): Promise<number> {
  return (await gw.metrics.requests.get()).values.filter((v) => v.labels.status === status).reduce((n, v) => n + v.value, 0);
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

describe("serve: OPTIONS * is answered by the gateway itself", () => {
  it("HTTP/1.1: 200 with Allow and no body, not decided, not recorded, counted and logged", async () => {
    const { gw, port, seen, log, record } = await serve();
    const answer = await raw(port, "OPTIONS * HTTP/1.1\r\nHost: shop.lab.test\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/i);
    expect(answer).toMatch(/\r\ncontent-length: 0\r\n/i);
    expect(seen).toEqual([]);
    expect(await requests(gw, "200")).toBe(1);
    await until(() => log.length > 0);
    expect(log).toEqual([expect.objectContaining({ frontend: "infra/edge:80/http", method: "OPTIONS", host: "shop.lab.test", path: "*", protocol: "HTTP/1.1", status: 200, reason: expect.stringContaining("OPTIONS *") })]);
    // A request after it is routed and recorded as index 0: the asterisk took no index.
    expect(await raw(port, "GET / HTTP/1.1\r\nHost: shop.lab.test\r\n\r\n")).toMatch(/^HTTP\/1\.1 404 /);
    await until(() => record.length > 0);
    expect(record.map((l) => JSON.parse(l) as { id: number; path: string })).toEqual([expect.objectContaining({ id: 0, path: "/" })]);
  });

  it("HTTP/1.1: an invalid Host is still 400, and GET * is still the core's 400", async () => {
    const { port, seen } = await serve();
    expect(await raw(port, "OPTIONS * HTTP/1.1\r\nHost: a b\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen).toEqual([]);
    expect(await raw(port, "GET * HTTP/1.1\r\nHost: shop.lab.test\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen.map((r) => r.path)).toEqual(["*"]);
  });

  it("HTTP/2: OPTIONS with :path * gets the same answer", async () => {
    const { gw, port, seen, log } = await serve();
    const c = http2.connect(`http://127.0.0.1:${port}`);
    c.on("error", () => undefined);
    sessions.push(c);
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const r = c.request({ ":method": "OPTIONS", ":path": "*" });
      r.on("response", resolve);
      r.on("error", reject);
      r.resume();
      r.end();
    });
    expect(headers[":status"]).toBe(200);
    expect(headers.allow).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    expect(seen).toEqual([]);
    expect(await requests(gw, "200")).toBe(1);
    await until(() => log.length > 0);
    expect(log).toEqual([expect.objectContaining({ method: "OPTIONS", path: "*", protocol: "HTTP/2", status: 200 })]);
  });
});
