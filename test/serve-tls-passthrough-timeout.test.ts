/**
 * A port with a TLS Passthrough listener reads the ClientHello itself (for its SNI) before it
 * relays or terminates. A client that connects and sends no ClientHello in time is closed, and
 * counted and logged as a handshake timeout, as a stalled handshake on a terminating port is.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { decision, fakeWorld, httpListener } from "./helpers/serve-world.js";

const gateways: LiveGateway[] = [];

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
});

const passthrough = httpListener(443, {
  name: "tls",
  protocol: "TLS",
  hostname: "db.example.com",
  tls: { mode: "Passthrough", certificates: [], frontendValidation: null, options: {} },
});

async function serve(handshakeTimeoutMs: number): Promise<{ gw: LiveGateway; port: number; log: Record<string, unknown>[] }> {
  const log: Record<string, unknown>[] = [];
  const gw = await startServe({
    world: fakeWorld([passthrough]),
    listen: new Map([["443", { host: "127.0.0.1", port: 0 }]]),
    decide: () => decision({ outcome: "reject" }),
    accessLog: (line) => void log.push(JSON.parse(line) as Record<string, unknown>),
    log: () => undefined,
    limits: { handshakeTimeoutMs },
  });
  gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port, log };
}

/** Connects, writes `bytes` (if any), then waits for the server to close: the time it took (bounded). */
function stall(port: number, bytes: Buffer | null, end = false): Promise<number> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = net.connect(port, "127.0.0.1", () => {
      if (bytes) socket.write(bytes);
      if (end) socket.end();
    });
    const timer = setTimeout(() => (socket.destroy(), resolve(Date.now() - t0)), 3000);
    socket.on("error", () => undefined);
    socket.on("close", () => (clearTimeout(timer), resolve(Date.now() - t0)));
  });
}

async function timeouts(gw: LiveGateway): Promise<number> {
  return (await gw.metrics.tlsRejected.get()).values.find((v) => v.labels.frontend === "infra/edge:443/tls" && v.labels.reason === "timeout")?.value ?? 0;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

describe("serve: a TLS passthrough port that gets no ClientHello in time", () => {
  it("a client that sends nothing is closed after the handshake timeout, counted (reason timeout) and logged", async () => {
    const { gw, port, log } = await serve(200);
    const took = await stall(port, null);
    expect(took).toBeGreaterThanOrEqual(180);
    expect(took).toBeLessThan(2500);
    await until(() => log.length > 0);
    expect(log).toEqual([{ time: expect.any(String), frontend: "infra/edge:443/tls", status: 0, outcome: "reject", sni: null, reason: "no ClientHello within 200ms" }]);
    expect(await timeouts(gw)).toBe(1);
  });

  it("a ClientHello cut short is said with the bytes that came", async () => {
    const { gw, port, log } = await serve(1000);
    // A TLS handshake record header announcing 512 bytes, and the first 4 of them.
    await stall(port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]));
    await until(() => log.length > 0);
    expect(log).toEqual([expect.objectContaining({ outcome: "reject", reason: "an incomplete ClientHello (9 bytes) within 1s" })]);
    expect(await timeouts(gw)).toBe(1);
  });

  it("a client that closes before its ClientHello (a port probe) is not a timeout", async () => {
    const { gw, port, log } = await serve(200);
    await stall(port, null, true);
    await new Promise((r) => setTimeout(r, 400));
    expect(log).toEqual([]);
    expect(await timeouts(gw)).toBe(0);
  });
});
