/**
 * HTTP/2 header blocks too large for the gateway: answered 431 as over HTTP/1.1 when serve sees
 * the request, and counted and logged when node's http2 layer refuses them before serve does
 * (a stream reset for too many fields, a connection closed for too many CONTINUATION frames).
 */
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { decision, fakeWorld, httpListener } from "./helpers/serve-world.js";

const gateways: LiveGateway[] = [];
const clients: http2.ClientHttp2Session[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
});

async function serve(): Promise<{ gw: LiveGateway; port: number; log: Record<string, unknown>[] }> {
  const log: Record<string, unknown>[] = [];
  const gw = await startServe({
    world: fakeWorld([httpListener(80)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    decide: () => decision({ outcome: "notFound" }),
    accessLog: (line) => void log.push(JSON.parse(line) as Record<string, unknown>),
    log: () => undefined,
  });
  gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port, log };
}

async function connect(port: number): Promise<http2.ClientHttp2Session> {
  // A large send limit, so that the client sends what the server must judge.
  const c = http2.connect(`http://127.0.0.1:${port}`, { maxSendHeaderBlockLength: 4 * 1024 * 1024 });
  c.on("error", () => undefined);
  clients.push(c);
  await new Promise((r) => c.once("remoteSettings", r));
  return c;
}

/** One request: its status, or the stream's reset code (bounded). */
function send(c: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<{ status: number | null; rstCode: number | undefined; body: string }> {
  return new Promise((resolve) => {
    const r = c.request({ ":path": "/", ...headers });
    let status: number | null = null;
    let body = "";
    const timer = setTimeout(() => r.close(), 3000);
    r.on("response", (h) => (status = Number(h[":status"])));
    r.on("data", (d: Buffer) => (body += d.toString()));
    r.on("error", () => undefined);
    r.on("close", () => {
      clearTimeout(timer);
      resolve({ status, rstCode: r.rstCode, body });
    });
    r.end();
  });
}

async function refused(gw: LiveGateway, status: string): Promise<number> {
  return (await gw.metrics.refused.get()).values.find((v) => v.labels.status === status)?.value ?? 0;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-field-${i}`, "v"]));

describe("serve: HTTP/2 header blocks over the limits are answered or at least counted and logged", () => {
  it("a header list over maxHeaderSize (16 KiB) gets 431 on its stream, counted and logged; the connection serves on", async () => {
    const { gw, port, log } = await serve();
    const c = await connect(port);
    const big = await send(c, { "x-big": "a".repeat(20_000) });
    expect(big.status).toBe(431);
    expect(big.body).toMatch(/^gwsim: header list of \d+ bytes exceeds 16384/);
    expect((await send(c, {})).status).toBe(404);
    expect(await refused(gw, "431")).toBe(1);
    await until(() => log.some((l) => l.status === 431));
    expect(log.find((l) => l.status === 431)).toMatchObject({ frontend: "infra/edge:80/http", reason: expect.stringContaining("exceeds 16384") });
  });

  it("a request just under the limit is served (the limit is the size RFC 9113 §6.5.2 counts)", async () => {
    const { gw, port } = await serve();
    const c = await connect(port);
    expect((await send(c, { "x-big": "a".repeat(15_000) })).status).toBe(404);
    expect(await refused(gw, "431")).toBe(0);
  });

  it("more header fields than node's http2 layer takes: the stream is reset before serve sees it, and still counted and logged", async () => {
    const { gw, port, log } = await serve();
    const c = await connect(port);
    expect((await send(c, {})).status).toBe(404);
    const reset = await send(c, many(2100));
    expect(reset.status).toBeNull();
    expect(reset.rstCode).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    // Noticed on the next stream (stream 3 is missing between 1 and 5) ...
    expect((await send(c, {})).status).toBe(404);
    expect(await refused(gw, "0")).toBe(1);
    await until(() => log.some((l) => l.status === 0));
    expect(log.filter((l) => l.status === 0)).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^HTTP\/2 stream 3 reset before its request reached serve: more than 2000 header fields/) })]);
    // ... or when the session ends.
    await send(c, many(2100));
    c.close();
    await until(() => log.filter((l) => l.status === 0).length === 2);
    expect(log.filter((l) => l.status === 0).map((l) => l.reason)).toEqual([expect.stringContaining("stream 3 "), expect.stringContaining("stream 7 ")]);
    expect(await refused(gw, "0")).toBe(2);
  });

  it("a header block in more CONTINUATION frames than nghttp2 takes: the connection closes, counted and logged", async () => {
    const { gw, port, log } = await serve();
    const c = await connect(port);
    const huge = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-big-${i}`, "a".repeat(8000)]));
    const r = await send(c, huge);
    expect(r.status).toBeNull();
    await until(() => log.some((l) => l.status === 0));
    expect(log.filter((l) => l.status === 0)).toEqual([expect.objectContaining({ reason: expect.stringContaining("CONTINUATION") })]);
    expect(await refused(gw, "0")).toBe(1);
  });
});
