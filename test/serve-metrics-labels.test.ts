/**
 * gwsim_requests_total and gwsim_request_duration_seconds label a listener one way:
 * `namespace/gateway/listener` (the access log's `listener`), or "" when the decision names none.
 * Before, a request no listener took was labelled with the frontend key (`infra/edge:80/http`).
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Decision, GatewayRequest } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { exchangeLabels } from "../packages/sim/src/serve/metrics.js";
import type { Exchange } from "../packages/sim/src/serve/types.js";
import { decision, fakeWorld, httpListener } from "./helpers/serve-world.js";

const open: { gateways: LiveGateway[]; sockets: net.Socket[] } = { gateways: [], sockets: [] };

afterEach(async () => {
  for (const s of open.sockets.splice(0)) s.destroy();
  await Promise.all(open.gateways.splice(0).map((g) => g.close({ drainMs: 0 })));
});

const LISTENER = /^[^/:]+\/[^/:]+\/[^/:]+$/; // namespace/gateway/listener, no port

function exchangeOf(d: Decision | null, status: number): Exchange {
  const request: GatewayRequest = { gateway: "infra/edge", port: 80, host: "a.example.com", path: "/" };
  return {
    index: 0, started: 0, frontend: "infra/edge:80/http", generation: 1, request, decision: d, status,
    backend: null, endpoint: null, attempts: 0, durationMs: 1, upstreamMs: null, reason: null, mirrors: 0, aborted: false,
  };
}

describe("gwsim_requests_total: one spelling of the listener label", () => {
  it.each([
    { name: "a listener and a route", d: decision({ outcome: "respond", status: 204, listener: { gateway: "infra/edge", name: "http", port: 80 } }), status: 204, listener: "infra/edge/http" },
    { name: "a listener, no route (404)", d: decision({ outcome: "notFound", status: 404, listener: { gateway: "infra/edge", name: "http", port: 80 } }), status: 404, listener: "infra/edge/http" },
    { name: "no listener for the Host (404)", d: decision({ outcome: "notFound", status: 404 }), status: 404, listener: "" },
    { name: "nothing decided", d: null, status: 502, listener: "" },
  ])("$name → listener=$listener", ({ d, status, listener }) => {
    const labels = exchangeLabels(exchangeOf(d, status));
    expect(labels.listener).toBe(listener);
    expect(labels.listener).not.toContain(":");
  });

  it("live: a routed request and one no listener takes are labelled alike (no frontend key)", async () => {
    const gw = await startServe({
      world: fakeWorld([httpListener(80, { name: "http" })]),
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      decide: (_w, r): Decision =>
        r.host === "a.example.com"
          ? decision({ outcome: "respond", status: 204, listener: { gateway: "infra/edge", name: "http", port: 80 } })
          : decision({ outcome: "notFound", status: 404 }),
    });
    open.gateways.push(gw);
    const port = gw.addresses()[0]!.address.port;
    for (const host of ["a.example.com", "nobody.example.com"]) await get(port, host);

    const series = (await gw.metrics.requests.get()).values.map((v) => ({ listener: v.labels.listener, status: v.labels.status, value: v.value }));
    expect(series).toEqual(expect.arrayContaining([{ listener: "infra/edge/http", status: "204", value: 1 }, { listener: "", status: "404", value: 1 }]));
    expect(series).toHaveLength(2);
    for (const s of series) expect(s.listener === "" || LISTENER.test(String(s.listener))).toBe(true);
    const durations = (await gw.metrics.duration.get()).values.filter((v) => v.metricName === "gwsim_request_duration_seconds_count");
    expect(durations.map((v) => v.labels.listener).sort()).toEqual(["", "infra/edge/http"]);
  });
});

/** One HTTP/1.1 GET, resolved when the server has answered and closed. */
function get(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    open.sockets.push(socket);
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (got += d));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(got));
  });
}
