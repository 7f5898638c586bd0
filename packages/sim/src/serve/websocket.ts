/**
 * WebSocket upgrades (HTTP/1.1 `Upgrade: websocket`, RFC 6455): decided like any request, then
 * the forwarded request is written to an endpoint of the picked backend and the two connections
 * are joined byte for byte. The backend's handshake answer reaches the client unchanged
 * (response header edits do not apply to a 101).
 */
import type { IncomingMessage } from "node:http";
import net, { type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Decision } from "@gwsim/core";
import { backendKey } from "./endpoints.js";
import { firstValue, type HeaderRecord } from "./headers.js";
import type { FrontendInfo, HttpContext } from "./proxy.js";
import { toGatewayRequest } from "./request.js";
import type { Exchange } from "./types.js";

const REASON: Record<number, string> = { 400: "Bad Request", 404: "Not Found", 421: "Misdirected Request", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" };

/** Splits `host:port` / `[v6]:port`. */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port: Number(address.slice(i + 1)) };
}

function rawAnswer(socket: Duplex, x: Exchange, status: number, reason: string, headers: HeaderRecord = {}): void {
  x.status = status;
  x.reason ??= reason;
  const body = status >= 400 ? `gwsim: ${reason}\n` : "";
  const lines = [`HTTP/1.1 ${status} ${REASON[status] ?? "Status"}`];
  for (const [name, value] of Object.entries({ ...headers, "content-length": String(Buffer.byteLength(body)), connection: "close" })) {
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  if (socket.writable) socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
  else socket.destroy();
}

/** Serves one upgrade request. Never throws. */
export function handleWebSocket(ctx: HttpContext, fe: FrontendInfo, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const t0 = performance.now();
  const snap = ctx.snapshot();
  const index = ctx.nextIndex();
  const request = toGatewayRequest(req, { gateway: fe.gateway, port: fe.port, scheme: fe.scheme, remoteAddress: req.socket.remoteAddress }, { websocket: true });
  const x: Exchange = { index, started: Date.now(), frontend: fe.key, generation: snap.generation, request, decision: null, status: 0, backend: null, endpoint: null, attempts: 0, durationMs: 0, upstreamMs: null, reason: null, mirrors: 0, aborted: false };
  ctx.track(1);
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    x.durationMs = performance.now() - t0;
    ctx.track(-1);
    ctx.done(x);
  };
  socket.once("close", finish);
  socket.on("error", () => undefined);
  let d: Decision;
  try {
    d = ctx.decide(snap.world, request, { seed: ctx.seed, index });
  } catch (e) {
    ctx.log(`gwsim: decide failed (a bug): ${(e as Error)?.message ?? String(e)}\n`);
    return rawAnswer(socket, x, 500, "internal error");
  }
  x.decision = d;
  if (d.outcome === "redirect" && d.redirect) return rawAnswer(socket, x, d.redirect.status, "redirect", { location: d.redirect.location });
  if (d.outcome !== "forward" || !d.backend || !d.forwarded) {
    if (d.outcome === "reject" && !d.status) {
      x.reason = "rejected";
      return void socket.destroy();
    }
    return rawAnswer(socket, x, d.status ?? (d.outcome === "notFound" ? 404 : 500), typeof d.message === "string" ? d.message : d.outcome);
  }
  const key = backendKey(d.backend);
  x.backend = key;
  const address = ctx.balancer.pick(key, snap.endpoints.get(key) ?? []);
  if (!address) return rawAnswer(socket, x, 503, `no endpoints for ${key}`);
  x.endpoint = address;
  x.attempts = 1;
  const { host, port } = splitAddress(address);
  const fwd = d.forwarded;
  const headers: HeaderRecord = { ...fwd.headers };
  const sentHost = request.host;
  headers.host = sentHost && sentHost.toLowerCase().replace(/:\d+$/, "") === fwd.host ? sentHost : fwd.host || sentHost || address;
  headers.connection = "Upgrade";
  headers.upgrade = firstValue(request.headers ?? {}, "upgrade") ?? req.headers.upgrade ?? "websocket";
  const lines = [`${fwd.method} ${fwd.path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  const upstream: Socket = net.connect({ host, port });
  const started = performance.now();
  let connected = false;
  upstream.setNoDelay(true);
  upstream.once("connect", () => {
    connected = true;
    upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length) upstream.write(head);
    upstream.once("data", (chunk: Buffer) => {
      x.upstreamMs = performance.now() - started;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.subarray(0, 16).toString("latin1"));
      x.status = m ? Number(m[1]) : 502;
    });
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on("error", (e: NodeJS.ErrnoException) => {
    if (!connected) return rawAnswer(socket, x, 503, `connect error ${e.code ?? ""}`.trim());
    x.reason ??= `upstream ${e.code ?? "error"}`;
    socket.destroy();
  });
  upstream.once("close", () => socket.destroy());
  socket.once("close", () => upstream.destroy());
}
