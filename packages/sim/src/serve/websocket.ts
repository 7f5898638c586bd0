/**
 * WebSocket: HTTP/1.1 upgrades (`Upgrade: websocket`, RFC 6455) and WebSocket over HTTP/2
 * (RFC 8441 extended CONNECT with `:protocol websocket`). Each is decided like any request, then
 * the forwarded request is sent to an endpoint of the picked backend as an HTTP/1.1 upgrade
 * (over TLS when a BackendTLSPolicy applies) and the two sides are joined byte for byte: frames
 * are the same bytes in both (RFC 8441 §5). An HTTP/1.1 client gets the backend's handshake
 * answer unchanged (response header edits do not apply to a 101; they do to the gateway's own
 * answers, as for any request); an HTTP/2 client gets
 * `:status 200` with the backend's subprotocol and extensions.
 */
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import net, { type Socket } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { Decision, GatewayRequest } from "@gwsim/core";
import { backendKey } from "./endpoints.js";
import { upstreamTarget, type UpstreamTarget } from "./forward.js";
import { firstValue, responseHeaders, type HeaderRecord } from "./headers.js";
import { socketFacts, type FrontendInfo, type HttpContext } from "./proxy.js";
import { endSocket, rawResponse } from "./raw.js";
import { toGatewayRequest } from "./request.js";
import { abortResponse, answer, answerBody, answerFields } from "./respond.js";
import type { Exchange, Snapshot } from "./types.js";
import { tlsConnectOptions } from "./upstream.js";

/** RFC 6455 §1.3: the GUID the accept key is derived with. */
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** The backend's handshake answer must fit in this much. */
const MAX_HANDSHAKE = 64 * 1024;

/** Splits `host:port` / `[v6]:port`. */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port: Number(address.slice(i + 1)) };
}

/**
 * An answer the gateway gives itself to an HTTP/1.1 upgrade (redirect, 404, 500, 503, connect
 * error), written on the raw socket: the same fields as answer() writes for any other request,
 * the rule's response header edits included.
 */
function rawAnswer(socket: Duplex, x: Exchange, status: number, reason: string, headers: HeaderRecord = {}): void {
  x.status = status;
  x.reason ??= reason;
  const body = answerBody(status, reason);
  endSocket(socket, rawResponse(status, answerFields(x, headers, body), body));
}

function newExchange(ctx: HttpContext, fe: FrontendInfo, snap: Snapshot, request: GatewayRequest): Exchange {
  // Decided at the clock's time, as HTTP requests are (proxy.ts handleHttp).
  const started = Date.now();
  request.time = started;
  const x: Exchange = { index: ctx.nextIndex(), started, frontend: fe.key, generation: snap.generation, request, decision: null, status: 0, backend: null, endpoint: null, attempts: 0, durationMs: 0, upstreamMs: null, reason: null, mirrors: 0, aborted: false };
  ctx.began(x);
  return x;
}

/** A decided WebSocket: where it goes, or the answer the gateway gives instead. */
type Plan =
  | { kind: "forward"; address: string; target: UpstreamTarget; lines: string[]; fwd: NonNullable<Decision["forwarded"]> }
  | { kind: "answer"; status: number; reason: string; headers?: HeaderRecord }
  | { kind: "drop" };

function decideWebSocket(ctx: HttpContext, snap: Snapshot, x: Exchange, upgradeHeaders: HeaderRecord): Plan {
  let d: Decision;
  try {
    d = ctx.decide(snap.world, x.request, { seed: ctx.seed, index: x.index });
  } catch (e) {
    ctx.log(`gwsim: decide failed (a bug): ${(e as Error)?.message ?? String(e)}\n`);
    return { kind: "answer", status: 500, reason: "internal error" };
  }
  x.decision = d;
  if (d.outcome === "redirect" && d.redirect) return { kind: "answer", status: d.redirect.status, reason: "redirect", headers: { location: d.redirect.location } };
  if (d.outcome !== "forward" || !d.backend || !d.forwarded) {
    if (d.outcome === "reject" && !d.status) {
      x.reason = "rejected";
      return { kind: "drop" };
    }
    return { kind: "answer", status: d.status ?? (d.outcome === "notFound" ? 404 : 500), reason: typeof d.message === "string" ? d.message : d.outcome };
  }
  const key = backendKey(d.backend);
  x.backend = key;
  const target = upstreamTarget(snap, d.backend, { backendTLS: d.backendTLS, routeKind: d.route?.kind ?? null, grpc: false });
  if (target.problem) return { kind: "answer", status: 503, reason: target.problem };
  const address = ctx.balancer.pick(key, snap.endpoints.get(key) ?? []);
  if (!address) return { kind: "answer", status: 503, reason: `no endpoints for ${key}` };
  x.endpoint = address;
  x.attempts = 1;
  const fwd = d.forwarded;
  const headers: HeaderRecord = { ...fwd.headers, ...upgradeHeaders };
  const sentHost = x.request.host;
  headers.host = sentHost && sentHost.toLowerCase().replace(/:\d+$/, "") === fwd.host ? sentHost : fwd.host || sentHost || address;
  const lines = [`${fwd.method} ${fwd.path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  return { kind: "forward", address, target, lines, fwd };
}

/** A connection to the endpoint: TLS (verified as the BackendTLSPolicy says, ALPN http/1.1) or plain. */
function connectUpstream(address: string, target: UpstreamTarget): { socket: Socket; ready: "connect" | "secureConnect" } {
  const { host, port } = splitAddress(address);
  if (target.tls) {
    const socket = tls.connect({ host, port, ...tlsConnectOptions(target.tls), ALPNProtocols: ["http/1.1"] });
    return { socket, ready: "secureConnect" };
  }
  return { socket: net.connect({ host, port }), ready: "connect" };
}

/** Serves one HTTP/1.1 upgrade request. Never throws. */
export function handleWebSocket(ctx: HttpContext, fe: FrontendInfo, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const t0 = performance.now();
  const snap = ctx.snapshot();
  const request = toGatewayRequest(req, { gateway: fe.gateway, port: fe.port, scheme: fe.scheme, remoteAddress: req.socket.remoteAddress }, { websocket: true });
  const x = newExchange(ctx, fe, snap, request);
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
  const plan = decideWebSocket(ctx, snap, x, {
    connection: "Upgrade",
    upgrade: firstValue(request.headers ?? {}, "upgrade") ?? (req.headers.upgrade as string | undefined) ?? "websocket",
  });
  if (plan.kind === "drop") return void socket.destroy();
  if (plan.kind === "answer") return rawAnswer(socket, x, plan.status, plan.reason, plan.headers);
  const { socket: upstream, ready } = connectUpstream(plan.address, plan.target);
  const started = performance.now();
  let connected = false;
  upstream.setNoDelay(true);
  upstream.once(ready, () => {
    connected = true;
    upstream.write(`${plan.lines.join("\r\n")}\r\n\r\n`);
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

/** The backend's handshake answer: status line and fields, and what came after them. */
function parseHead(buffer: Buffer): { status: number; headers: Record<string, string | string[]>; rest: Buffer } | "incomplete" | null {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0) return buffer.length > MAX_HANDSHAKE ? null : "incomplete";
  const lines = buffer.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
  if (!m) return null;
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prior = headers[name];
    headers[name] = prior === undefined ? value : ([] as string[]).concat(prior, value);
  }
  return { status: Number(m[1]), headers, rest: buffer.subarray(end + 4) };
}

/**
 * Serves one RFC 8441 extended CONNECT (`:protocol websocket`) on an HTTP/2 stream. The core sees
 * the HTTP/1.1 request it stands for (RFC 8441 §5): GET, protocol websocket. Never throws.
 */
export function handleWebSocketH2(ctx: HttpContext, fe: FrontendInfo, req: Http2ServerRequest, res: Http2ServerResponse): void {
  const t0 = performance.now();
  const snap = ctx.snapshot();
  const request = toGatewayRequest(req, socketFacts(fe, req), { websocket: true });
  request.method = "GET";
  const x = newExchange(ctx, fe, snap, request);
  ctx.track(1);
  let done = false;
  res.once("close", () => {
    if (done) return;
    done = true;
    x.durationMs = performance.now() - t0;
    ctx.track(-1);
    ctx.done(x);
  });
  const key = randomBytes(16).toString("base64");
  const plan = decideWebSocket(ctx, snap, x, {
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-key": key,
    "sec-websocket-version": firstValue(request.headers ?? {}, "sec-websocket-version") ?? "13",
  });
  if (plan.kind === "drop") return abortResponse(res);
  if (plan.kind === "answer") return answer(res, x, plan.status, plan.reason, plan.headers);
  const { socket: upstream, ready } = connectUpstream(plan.address, plan.target);
  const started = performance.now();
  let connected = false;
  let tunnel = false;
  upstream.setNoDelay(true);
  upstream.once(ready, () => {
    connected = true;
    upstream.write(`${plan.lines.join("\r\n")}\r\n\r\n`);
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const head = parseHead(buffer);
      if (head === "incomplete") return;
      upstream.off("data", onData);
      upstream.pause();
      x.upstreamMs = performance.now() - started;
      if (head === null) {
        upstream.destroy();
        return answer(res, x, 502, "malformed WebSocket handshake from backend");
      }
      const accept = createHash("sha1").update(key + WEBSOCKET_GUID).digest("base64");
      if (head.status === 101 && head.headers["sec-websocket-accept"] !== accept) {
        upstream.destroy();
        return answer(res, x, 502, "backend WebSocket handshake without the right Sec-WebSocket-Accept");
      }
      if (head.status !== 101) {
        // Not upgraded: the backend's answer (and body) goes back as an HTTP/2 response.
        x.status = head.status;
        try {
          res.writeHead(head.status, responseHeaders(head.headers) as Record<string, string | string[]>);
        } catch {
          upstream.destroy();
          return answer(res, x, 502, "invalid response from backend");
        }
        if (head.rest.length) res.write(head.rest);
        upstream.pipe(res as unknown as NodeJS.WritableStream);
        upstream.resume();
        return;
      }
      // RFC 8441 §5: a 2xx answers the extended CONNECT; subprotocol and extensions carry over.
      tunnel = true;
      x.status = 200;
      const out: Record<string, string | string[]> = {};
      for (const name of ["sec-websocket-protocol", "sec-websocket-extensions"]) if (head.headers[name] !== undefined) out[name] = head.headers[name]!;
      res.writeHead(200, out);
      const stream = res.stream;
      if (head.rest.length) stream.write(head.rest);
      upstream.pipe(stream);
      req.pipe(upstream);
      upstream.resume();
    };
    upstream.on("data", onData);
  });
  upstream.on("error", (e: NodeJS.ErrnoException) => {
    if (!connected) return answer(res, x, 503, `connect error ${e.code ?? ""}`.trim());
    x.reason ??= `upstream ${e.code ?? "error"}`;
    if (!res.headersSent) answer(res, x, 502, `upstream ${e.code ?? "error"}`);
    else abortResponse(res);
  });
  upstream.once("close", () => {
    if (tunnel && !res.stream.destroyed) res.stream.end();
    else if (!res.headersSent) answer(res, x, 502, "backend closed before its handshake answer");
  });
  res.once("close", () => upstream.destroy());
}
