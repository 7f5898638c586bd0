/**
 * WebSocket: HTTP/1.1 upgrades (`Upgrade: websocket`, RFC 6455) and WebSocket over HTTP/2
 * (RFC 8441 extended CONNECT with `:protocol websocket`). Each is decided like any request, then
 * the forwarded request is sent to an endpoint of the picked backend as an HTTP/1.1 upgrade
 * (over TLS when a BackendTLSPolicy applies) and the two sides are joined byte for byte: frames
 * are the same bytes in both (RFC 8441 §5). The backend's handshake answer (a 101, or a refusal
 * with its body) reaches the client with the rule's response header edits applied, as every
 * other answer does: over HTTP/1.1 re-written from its parsed head (clientHandshakeHead), over
 * HTTP/2 a 101 becomes `:status 200` and any other answer an HTTP/2 response. A rule's session
 * persistence keeps the token's endpoint and starts or moves the session on that answer, and the
 * rule's timeouts bound the wait for it, as for any request (forward.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import net, { type Socket } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { Decision, GatewayRequest, HeaderEdits } from "@gwsim/core";
import { timeoutMs } from "./duration.js";
import { addressesOf, backendKey } from "./endpoints.js";
import { upstreamTarget, type UpstreamTarget } from "./forward.js";
import { applyHeaderEdits, firstValue, responseHeaders, type HeaderRecord } from "./headers.js";
import { socketFacts, type FrontendInfo, type HttpContext } from "./proxy.js";
import { endSocket, rawResponse } from "./raw.js";
import { toGatewayRequest } from "./request.js";
import { keepAlive } from "./keepalive.js";
import { abortResponse, answer, answerBody, answerFields } from "./respond.js";
import { sessionField, sessionOf, type SessionPlan } from "./session.js";
import type { Exchange, Snapshot } from "./types.js";
import { tlsConnectOptions } from "./upstream.js";

/** RFC 6455 §1.3: the GUID the accept key is derived with. */
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** The backend's handshake answer must fit in this much. */
const MAX_HANDSHAKE = 64 * 1024;
/**
 * Implementation-specific (HTTPRouteTimeouts: "When this field is unspecified, request timeout
 * behavior is implementation-specific"): how long a backend gets to answer a handshake when the
 * rule sets no timeout. Normal requests then get none (a slow answer may be the point); a
 * handshake answer takes no application work, so a backend silent this long is stuck, and the
 * client would otherwise wait forever. Envoy's default route timeout, which it applies to the
 * upgrade request until the upgrade answer (envoyproxy/envoy#41075).
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000;

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
  const body = answerBody(status, reason, x);
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

/**
 * How long the gateway waits for the backend's handshake answer and what it calls the wait's end,
 * or null for no limit. The rule's timeouts bound the handshake only (a 101's head, or a
 * refusal's whole answer), never the tunnel after a 101: `request` covers "the whole
 * request-response transaction", which an upgrade's transaction is (HTTPRouteTimeouts says
 * nothing of upgrades; Envoy disarms its route timeout on the upgrade answer, and a tunnel that
 * lives longer than a request timeout is what WebSocket is for). There is no retry, so `request`
 * (from arrival) and `backendRequest` (from the connect) both end the one attempt: the shorter
 * wins. `0s` disables either (the spec's SHOULD); neither set: DEFAULT_HANDSHAKE_TIMEOUT_MS.
 */
export function handshakeDeadline(timeouts: Decision["timeouts"]): { ms: number; reason: string } | null {
  if (timeouts?.request == null && timeouts?.backendRequest == null) return { ms: DEFAULT_HANDSHAKE_TIMEOUT_MS, reason: "handshake timeout" };
  const request = timeoutMs(timeouts.request);
  const backend = timeoutMs(timeouts.backendRequest);
  if (backend !== null && (request === null || backend < request)) return { ms: backend, reason: "backend timeout" };
  return request === null ? null : { ms: request, reason: "request timeout" };
}

/**
 * A timer for the handshake deadline; `stop()` once the handshake is over (upgraded, answered, or
 * the client gone). `expired` runs at most once, and never after `stop()`.
 */
function startDeadline(deadline: { ms: number } | null, expired: () => void): { stop(): void } {
  if (!deadline) return { stop: () => undefined };
  const timer = setTimeout(expired, deadline.ms);
  return { stop: () => clearTimeout(timer) };
}

/**
 * Where a proxied handshake stands: connecting; waiting for the backend's answer head; tunnel,
 * joined after an upgrade; body, relaying a refusal's body; over, the client's answer complete or
 * the gateway answered itself.
 */
type HandshakeState = "connecting" | "waiting" | "tunnel" | "body" | "over";

interface Handshake {
  state: HandshakeState;
  /** The gateway answers instead of the backend (`answer`): the handshake is over. */
  fail(status: number, reason: string): void;
  /** The client's answer is complete (or cut): the backend connection goes. */
  end(): void;
  /** Stops the deadline (upgraded, or the client gone). */
  stop(): void;
}

/**
 * The state and deadline of a handshake proxied to `upstream`, on either protocol: when the rule's
 * deadline passes before the answer head the gateway answers 504; during a refusal's body the
 * client's connection is cut (`cut`), never a truncated answer. An upstream error before the
 * answer head is the gateway's 503 (connect) or 502.
 */
function handshake(x: Exchange, upstream: Duplex, answer: (status: number, reason: string) => void, cut: () => void): Handshake {
  const limit = handshakeDeadline(x.decision?.timeouts ?? null);
  const hs: Handshake = {
    state: "connecting",
    fail(status, reason) {
      hs.state = "over";
      deadline.stop();
      upstream.destroy();
      answer(status, reason);
    },
    end() {
      hs.state = "over";
      deadline.stop();
      upstream.destroy();
    },
    stop: () => deadline.stop(),
  };
  const deadline = startDeadline(limit, () => {
    if (hs.state === "connecting" || hs.state === "waiting") return hs.fail(504, limit!.reason);
    if (hs.state !== "body") return;
    x.reason ??= limit!.reason;
    hs.state = "over";
    upstream.destroy();
    cut();
  });
  upstream.on("error", (e: NodeJS.ErrnoException) => {
    if (hs.state === "connecting") return hs.fail(503, `connect error ${e.code ?? ""}`.trim());
    if (hs.state === "waiting") return hs.fail(502, `upstream ${e.code ?? "error"}`);
    x.reason ??= `upstream ${e.code ?? "error"}`;
  });
  return hs;
}

/**
 * The field that starts or moves the rule's session on the backend's handshake answer (a 101,
 * or a refusal): a new session, or a token whose endpoint is not the one that served, as on any
 * other answer from a backend (forward.ts clientHead); null when the presented token stands.
 * The gateway's own answers (502, 503, 504) carry none, as for other requests.
 */
function sessionAnswerField(session: SessionPlan | null, d: Decision | null, endpoint: string | null): [string, string] | null {
  if (!session || !d?.backend || endpoint === null) return null;
  if (!session.renew && session.endpoint === endpoint) return null;
  return sessionField(session, d.backend, endpoint, Date.now());
}

/** `fields` with one more line, after the ones of that name it has (a set-cookie is never folded). */
function withField(fields: HeaderRecord, field: [string, string] | null): HeaderRecord {
  if (!field) return fields;
  const [name, value] = field;
  const prior = fields[name];
  fields[name] = prior === undefined ? value : ([] as string[]).concat(prior, value);
  return fields;
}

/** A decided WebSocket: where it goes, or the answer the gateway gives instead. */
type Plan =
  | { kind: "forward"; address: string; target: UpstreamTarget; lines: string[]; fwd: NonNullable<Decision["forwarded"]>; session: SessionPlan | null }
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
  const addresses = addressesOf(snap.endpoints, d.backend);
  // A session keeps the token's endpoint while it is one of the backend's (session.ts), as a
  // normal request's first attempt does; otherwise round robin, and the session moves.
  const session = d.session ? sessionOf(d, x.request.headers, addresses, Date.now(), x.request.scheme === "https") : null;
  const address = session?.endpoint ?? ctx.balancer.pick(key, addresses);
  if (!address) return { kind: "answer", status: 503, reason: `no endpoints for ${key}` };
  x.endpoint = address;
  x.attempts = 1;
  const fwd = d.forwarded;
  const headers: HeaderRecord = { ...fwd.headers, ...upgradeHeaders };
  const sentHost = x.request.host;
  headers.host = sentHost && sentHost.toLowerCase().replace(/:\d+$/, "") === fwd.host ? sentHost : fwd.host || sentHost || address;
  const lines = [`${fwd.method} ${fwd.path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  return { kind: "forward", address, target, lines, fwd, session };
}

/** A connection to the endpoint: TLS (verified as the BackendTLSPolicy says, ALPN http/1.1) or plain. */
function connectUpstream(address: string, target: UpstreamTarget): { socket: Socket; ready: "connect" | "secureConnect" } {
  const { host, port } = splitAddress(address);
  if (target.tls) {
    const socket = tls.connect({ host, port, ...tlsConnectOptions(target.tls), ALPNProtocols: ["http/1.1"] });
    keepAlive(socket);
    return { socket, ready: "secureConnect" };
  }
  const socket = net.connect({ host, port });
  keepAlive(socket);
  return { socket, ready: "connect" };
}

/** RFC 9110 §5.6.2: the characters of a token (a field name). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters a field value or reason phrase cannot hold (RFC 9110 §5.5, RFC 9112 §4): all but HTAB. */
const CONTROL = /[\0-\x08\x0a-\x1f\x7f]/;
/** How long a client gets to take the last bytes of a relayed answer or tunnel before its socket is cut. */
const CLOSE_GRACE_MS = 5000;

/** The head of a backend's answer to an upgrade request. */
export interface HandshakeHead {
  status: number;
  /** The reason phrase as the backend sent it ("" when none). */
  reason: string;
  /** Fields by lower-case name; a name sent on several lines keeps each value, in order. */
  headers: HeaderRecord;
  /** The bytes after the head: a body, or the first frames after a 101. */
  rest: Buffer;
}

/**
 * The backend's answer head at the start of `buffer`, "incomplete" while its end has not arrived,
 * or why it cannot be relayed: over MAX_HANDSHAKE, no HTTP/1.x status line, a field line that is
 * not `token: value`, control characters, or obs-fold (RFC 9112 §5.2 lets a gateway answer 502
 * instead of unfolding). Whitespace before a field's colon is removed (RFC 9112 §5.1: a proxy
 * MUST, before forwarding a response).
 */
export function parseHead(buffer: Buffer): HandshakeHead | "incomplete" | { malformed: string } {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0 ? buffer.length > MAX_HANDSHAKE : end + 4 > MAX_HANDSHAKE) return { malformed: `head over ${MAX_HANDSHAKE / 1024} KiB` };
  if (end < 0) return "incomplete";
  const lines = buffer.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] ([1-9]\d\d)(?: (.*))?$/.exec(lines[0]!);
  if (!m || CONTROL.test(m[2] ?? "")) return { malformed: "bad status line" };
  const headers: HeaderRecord = {};
  for (const line of lines.slice(1)) {
    if (line.startsWith(" ") || line.startsWith("\t")) return { malformed: "obsolete line folding" };
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon).replace(/[ \t]+$/, "").toLowerCase();
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (!TOKEN.test(name) || CONTROL.test(value)) return { malformed: "bad field line" };
    // Not a plain object key; no WebSocket field is named so.
    if (name === "__proto__") continue;
    const prior = headers[name];
    headers[name] = prior === undefined ? value : ([] as string[]).concat(prior, value);
  }
  return { status: Number(m[1]), reason: m[2] ?? "", headers, rest: buffer.subarray(end + 4) };
}

/** How the body of a backend's answer ends (RFC 9112 §6.3). */
export type BodyFraming = { length: number } | "chunked" | "close";

/**
 * RFC 9112 §6.3: the framing of the body of a backend's answer that is not a 101: a length
 * (0 for 1xx, 204, 304), chunked, or the backend's close; `malformed` for Content-Length values
 * that disagree or are not a number.
 */
export function answerFraming(head: HandshakeHead): BodyFraming | { malformed: string } {
  if (head.status < 200 || head.status === 204 || head.status === 304) return { length: 0 };
  const te = head.headers["transfer-encoding"];
  if (te !== undefined) return /(?:^|,)[ \t]*chunked[ \t]*$/i.test([te].flat().join(",")) ? "chunked" : "close";
  const field = head.headers["content-length"];
  if (field === undefined) return "close";
  const values = new Set([field].flat().flatMap((v) => v.split(",").map((one) => one.trim())));
  const [only] = values;
  if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) return { malformed: "bad content-length" };
  return { length: Number(only) };
}

/**
 * Reads a body as it arrives, chunk by chunk: what of each chunk is body (the content, when
 * `decode`, else the bytes as framed) and whether it is complete; null once a chunked body is
 * malformed. Chunked decoding follows RFC 9112 §7.1 (extensions and trailers read and dropped).
 */
export function bodyReader(framing: BodyFraming, decode: boolean): (chunk: Buffer) => { out: Buffer[]; done: boolean } | null {
  if (framing === "close") return (chunk) => ({ out: chunk.length ? [chunk] : [], done: false });
  if (framing !== "chunked") {
    let left = framing.length;
    return (chunk) => {
      const part = chunk.subarray(0, left);
      left -= part.length;
      return { out: part.length ? [part] : [], done: left === 0 };
    };
  }
  let pending: Buffer = Buffer.alloc(0);
  let phase: "size" | "data" | "crlf" | "trailer" | "done" = "size";
  let size = 0;
  return (chunk) => {
    if (phase === "done") return { out: [], done: true };
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (phase !== "done") {
      if (phase === "data") {
        if (!pending.length) break;
        const part = pending.subarray(0, size);
        out.push(part);
        size -= part.length;
        pending = pending.subarray(part.length);
        if (size === 0) phase = "crlf";
        continue;
      }
      if (phase === "crlf") {
        if (pending.length < 2) break;
        if (pending[0] !== 13 || pending[1] !== 10) return null;
        pending = pending.subarray(2);
        phase = "size";
        continue;
      }
      const eol = pending.indexOf("\r\n");
      if (eol < 0) {
        if (pending.length > MAX_HANDSHAKE) return null;
        break;
      }
      const line = pending.subarray(0, eol).toString("latin1");
      pending = pending.subarray(eol + 2);
      if (phase === "trailer") {
        if (line === "") phase = "done";
        continue;
      }
      const m = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
      if (!m) return null;
      size = parseInt(m[1]!, 16);
      phase = size === 0 ? "trailer" : "data";
    }
    const done = phase === "done";
    // Framed bytes as they came: this chunk, less what follows the body's end.
    if (!decode) return { out: done ? [chunk.subarray(0, chunk.length - pending.length)] : [chunk], done };
    return { out, done };
  };
}

/**
 * The backend's answer head as an HTTP/1.1 client gets it. The rule's response header edits
 * apply (a ResponseHeaderModifier edits "an HTTP response before it is sent to the client";
 * Envoy applies a route's response header mutations to upgrade answers too) to its end-to-end
 * fields, as for any proxied answer (headers.ts applyHeaderEdits: each set-cookie, and each
 * line of a name sent on several lines and not edited, stays a line of its own). The fields
 * that belong to the connection are the backend's whatever the edits say, since the bytes after
 * the head are relayed as the backend framed them: on a 101 its `connection` and `upgrade` (the
 * client checks them, RFC 6455 §4.1), otherwise its `transfer-encoding`, and `connection: close`
 * (the gateway decides no further request on this connection); `content-length` always.
 * The backend's reason phrase is kept (the standard one when it sent none). `session`, the
 * field that starts or moves a session, comes after the edits (which do not touch it, as on any
 * other answer). Null when a field cannot go on the wire (an edit value with a control
 * character): then a 502, as when node's writeHead refuses a field of any other answer.
 */
export function clientHandshakeHead(head: HandshakeHead, edits: HeaderEdits | null | undefined, session: [string, string] | null = null): string | null {
  const fields = withField(applyHeaderEdits(responseHeaders(head.headers), edits), session);
  delete fields["content-length"];
  const own: [string, string | string[] | undefined][] =
    head.status === 101
      ? [
          ["connection", head.headers["connection"]],
          ["upgrade", head.headers["upgrade"]],
        ]
      : [
          ["transfer-encoding", head.headers["transfer-encoding"]],
          ["connection", "close"],
        ];
  own.push(["content-length", head.headers["content-length"]]);
  for (const [name, value] of own) if (value !== undefined) fields[name] = value;
  const lines = [`HTTP/1.1 ${head.status} ${head.reason || STATUS_CODES[head.status] || "Unknown"}`];
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (!TOKEN.test(name) || CONTROL.test(v)) return null;
      lines.push(`${name}: ${v}`);
    }
  }
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/**
 * Relays the body of a backend's answer that is not a 101 (after the `rest` that came with its
 * head) until `read` says it is complete, or, framed by the backend's close, until the backend
 * ends it; then `finish()`. A chunked body that turns out malformed calls `broken()`. A backend
 * that closes short is left to the caller's close handler (the client then gets a cut
 * connection or a reset, never a truncated success).
 */
function relayBody(upstream: Duplex, out: NodeJS.WritableStream, rest: Buffer, read: ReturnType<typeof bodyReader>, closeFramed: boolean, finish: () => void, broken: () => void): void {
  let over = false;
  const end = () => {
    if (over) return;
    over = true;
    upstream.off("data", onData);
    upstream.off("end", end);
    finish();
  };
  const take = (chunk: Buffer): boolean => {
    const got = read(chunk);
    if (got === null) {
      over = true;
      upstream.off("data", onData);
      upstream.off("end", end);
      broken();
      return true;
    }
    let flowing = true;
    for (const part of got.out) flowing = out.write(part) && flowing;
    if (got.done) end();
    return flowing;
  };
  function onData(chunk: Buffer) {
    if (take(chunk) || over) return;
    // The client reads slower than the backend sends: pause the backend until it catches up.
    upstream.pause();
    out.once("drain", () => upstream.resume());
  }
  take(rest);
  if (over) return;
  upstream.on("data", onData);
  if (closeFramed) upstream.once("end", end);
  upstream.resume();
}

/**
 * Closes a client socket after an answer or tunnel, once what was written to it has gone out
 * (a client that does not read is cut off after CLOSE_GRACE_MS). What it still sends is read
 * and dropped, so the close does not find unread bytes (which would reset the connection and
 * could lose the last bytes sent to it).
 */
function closeClient(socket: Duplex): void {
  if (socket.destroyed) return;
  if (socket.writableFinished || (!socket.writable && !socket.writableEnded)) return void socket.destroy();
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  socket.once("finish", () => socket.destroy());
  socket.on("data", () => undefined);
  socket.resume();
  if (!socket.writableEnded) socket.end();
}

/**
 * Serves one HTTP/1.1 upgrade request. The backend's answer head is read (interim 1xx answers
 * are passed on as they came), edited as clientHandshakeHead says and written to the client;
 * after a 101 the two sides are joined byte for byte, after any other answer its body is
 * relayed and the connection closed. The backend's Sec-WebSocket-Accept is not checked: the key
 * is the client's own, and the client checks the accept itself (RFC 6455 §4.1: MUST _Fail the
 * WebSocket Connection_), as it does every other handshake field. Never throws.
 */
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
  const hs = handshake(x, upstream, (status, reason) => rawAnswer(socket, x, status, reason), () => socket.destroy());
  upstream.setNoDelay(true);
  upstream.once(ready, () => {
    hs.state = "waiting";
    upstream.write(`${plan.lines.join("\r\n")}\r\n\r\n`);
    if (head.length) upstream.write(head);
    // The client's side is relayed from the start, as before the answer was read (a client
    // waits for it, RFC 6455 §4.1; bytes from one that does not still go on in order).
    socket.pipe(upstream);
    let buffer: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      let parsed = parseHead(buffer);
      // Interim answers (100, 103) are passed on as they came; the final one follows.
      while (typeof parsed === "object" && "status" in parsed && parsed.status < 200 && parsed.status !== 101) {
        socket.write(buffer.subarray(0, buffer.length - parsed.rest.length));
        buffer = parsed.rest;
        parsed = parseHead(buffer);
      }
      if (parsed === "incomplete") return;
      upstream.off("data", onData);
      upstream.pause();
      x.upstreamMs = performance.now() - started;
      if ("malformed" in parsed) return hs.fail(502, `malformed WebSocket handshake answer from backend (${parsed.malformed})`);
      const framing = parsed.status === 101 ? "close" : answerFraming(parsed);
      if (typeof framing === "object" && "malformed" in framing) return hs.fail(502, `malformed WebSocket handshake answer from backend (${framing.malformed})`);
      const text = clientHandshakeHead(parsed, x.decision?.responseHeaders, sessionAnswerField(plan.session, x.decision, x.endpoint));
      if (text === null) return hs.fail(502, "invalid response header field");
      x.status = parsed.status;
      socket.write(text);
      if (parsed.status === 101) {
        hs.state = "tunnel";
        hs.stop();
        if (parsed.rest.length) socket.write(parsed.rest);
        upstream.pipe(socket);
        return;
      }
      // Answered: what the client still sends is not a request anyone decided; read and dropped.
      socket.unpipe(upstream);
      socket.on("data", () => undefined);
      socket.resume();
      hs.state = "body";
      // The body goes on as framed; reading it tells where it ends, to close the connection then.
      relayBody(upstream, socket, parsed.rest, bodyReader(framing, false), framing === "close", () => (hs.end(), closeClient(socket)), () => (hs.end(), socket.destroy()));
    };
    upstream.on("data", onData);
  });
  upstream.once("close", () => {
    if (hs.state === "waiting") return hs.fail(502, "backend closed before its handshake answer");
    // A body cut short: the client's connection is cut too, never ended as if complete.
    if (hs.state === "body" || hs.state === "connecting") socket.destroy();
    else if (hs.state === "tunnel") closeClient(socket);
  });
  socket.once("close", () => {
    hs.stop();
    upstream.destroy();
  });
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
  const hs = handshake(x, upstream, (status, reason) => answer(res, x, status, reason), () => abortResponse(res));
  upstream.setNoDelay(true);
  upstream.once(ready, () => {
    hs.state = "waiting";
    upstream.write(`${plan.lines.join("\r\n")}\r\n\r\n`);
    let buffer: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      let head = parseHead(buffer);
      // Interim answers (100, 103) are not passed on: node's HTTP/2 response has no raw 1xx.
      while (typeof head === "object" && "status" in head && head.status < 200 && head.status !== 101) {
        buffer = head.rest;
        head = parseHead(buffer);
      }
      if (head === "incomplete") return;
      upstream.off("data", onData);
      upstream.pause();
      x.upstreamMs = performance.now() - started;
      if ("malformed" in head) return hs.fail(502, `malformed WebSocket handshake answer from backend (${head.malformed})`);
      const accept = createHash("sha1").update(key + WEBSOCKET_GUID).digest("base64");
      if (head.status === 101 && head.headers["sec-websocket-accept"] !== accept) return hs.fail(502, "backend WebSocket handshake without the right Sec-WebSocket-Accept");
      const edits = x.decision?.responseHeaders;
      const session = sessionAnswerField(plan.session, x.decision, x.endpoint);
      if (head.status !== 101) {
        // Not upgraded: the backend's answer (edited, its body decoded) goes back as an HTTP/2 response.
        const framing = answerFraming(head);
        if (typeof framing === "object" && "malformed" in framing) return hs.fail(502, `malformed WebSocket handshake answer from backend (${framing.malformed})`);
        const fields = withField(applyHeaderEdits(responseHeaders(head.headers), edits), session);
        // The length is the body's: the backend's when it framed the body so, none otherwise.
        delete fields["content-length"];
        if (typeof framing === "object" && head.headers["content-length"] !== undefined) fields["content-length"] = String(framing.length);
        try {
          res.writeHead(head.status, fields as Record<string, string | string[]>);
        } catch (e) {
          return hs.fail(502, `invalid response from backend: ${(e as Error).message}`);
        }
        x.status = head.status;
        hs.state = "body";
        relayBody(upstream, res as unknown as NodeJS.WritableStream, head.rest, bodyReader(framing, true), framing === "close", () => (hs.end(), res.end()), () => (hs.end(), abortResponse(res)));
        return;
      }
      // RFC 8441 §5: a 2xx answers the extended CONNECT. The backend's fields carry over
      // (subprotocol, extensions, cookies), edited as any answer is; not the accept, which is
      // HTTP/1.1's handshake, nor a content-length (RFC 9110 §9.3.6: none on a 2xx to CONNECT).
      const fields = withField(applyHeaderEdits(responseHeaders(head.headers), edits), session);
      delete fields["sec-websocket-accept"];
      delete fields["content-length"];
      try {
        res.writeHead(200, fields as Record<string, string | string[]>);
      } catch (e) {
        return hs.fail(502, `invalid response from backend: ${(e as Error).message}`);
      }
      x.status = 200;
      hs.state = "tunnel";
      hs.stop();
      const stream = res.stream;
      if (head.rest.length) stream.write(head.rest);
      upstream.pipe(stream);
      req.pipe(upstream);
      upstream.resume();
    };
    upstream.on("data", onData);
  });
  upstream.once("close", () => {
    if (hs.state === "waiting") return hs.fail(502, "backend closed before its handshake answer");
    if (hs.state === "tunnel" && !res.stream.destroyed) res.stream.end();
    // A body cut short: a reset, never a truncated success.
    else if (hs.state === "body") abortResponse(res);
  });
  res.once("close", () => {
    hs.stop();
    upstream.destroy();
  });
}
