/**
 * `gwsim serve` run as an operator runs it, for hours: what the adapter holds (connections,
 * HTTP/2 sessions, upstream pools, frontends, metric series, timers) comes back to a baseline
 * once traffic stops, however many requests, aborts and reloads went by. Counts only, never
 * time or memory; a few hundred requests at most, on 127.0.0.1.
 */
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { watchRefusedStreams } from "../packages/sim/src/serve/h2-limits.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { decision, fakeWorld, httpListener } from "./helpers/serve-world.js";
import { EventEmitter } from "node:events";
import type { ServerHttp2Session } from "node:http2";

const gateways: LiveGateway[] = [];
const clients: http2.ClientHttp2Session[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
});

/** Resolves once `read()` is true (checked every 10 ms); the test's own timeout bounds the wait. */
async function until(read: () => boolean): Promise<void> {
  while (!read()) await new Promise((r) => setTimeout(r, 10));
}

async function notFoundGateway(): Promise<{ gw: LiveGateway; port: number }> {
  const gw = await startServe({
    world: fakeWorld([httpListener(80)]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    decide: () => decision({ outcome: "notFound" }),
    log: () => undefined,
  });
  gateways.push(gw);
  return { gw, port: gw.addresses()[0]!.address.port };
}

function h2get(c: http2.ClientHttp2Session, path: string): Promise<number> {
  return new Promise((resolve) => {
    const s = c.request({ ":path": path });
    let status = 0;
    s.on("response", (h) => (status = Number(h[":status"])));
    s.on("error", () => undefined);
    s.on("close", () => resolve(status));
    s.resume();
    s.end();
  });
}

describe("serve soak: HTTP/2 sessions", () => {
  it("a client that closes its HTTP/2 session gracefully ends it on the gateway too, and the gateway keeps serving", async () => {
    const { gw, port } = await notFoundGateway();
    for (let round = 0; round < 5; round++) {
      const c = http2.connect(`http://127.0.0.1:${port}`);
      c.on("error", () => undefined);
      clients.push(c);
      expect(await Promise.all([h2get(c, "/a"), h2get(c, "/b")])).toEqual([404, 404]);
      // GOAWAY from the client: node's http2 then destroys the server session with destroy(null),
      // which h2-limits' wrapper read as an error (a TypeError that took the process down).
      await new Promise<void>((r) => c.close(() => r()));
      await until(() => gw.usage().connections === 0);
    }
    expect(gw.usage()).toMatchObject({ connections: 0, inflight: 0 });
  });

  it("watchRefusedStreams' destroy wrapper takes destroy(null), as node's own close path calls it", () => {
    const calls: unknown[][] = [];
    const session = Object.assign(new EventEmitter(), {
      destroyed: false,
      state: { lastProcStreamID: 0 },
      destroy(...args: unknown[]) {
        calls.push(args);
      },
    }) as unknown as ServerHttp2Session;
    const reports: string[] = [];
    watchRefusedStreams(session, 100, (r) => reports.push(r));
    expect(() => (session.destroy as unknown as (e: null) => void)(null)).not.toThrow();
    expect(calls).toEqual([[null]]);
    expect(reports).toEqual([]);
  });
});
