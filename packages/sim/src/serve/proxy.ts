/**
 * Carries out one HTTP decision on real sockets: forward to an endpoint of the backend the core
 * picked (with the decision's method, path, host and headers), or answer as the decision says.
 * No routing happens here; the only choices made are the ones the core leaves to a data plane:
 * which endpoint of the picked backend (round robin), and how to fail when a backend does.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { constants as h2, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { PassThrough, type Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import seedrandom from "seedrandom";
import type { BackendId, Decision, GatewayRequest } from "@gwsim/core";
import { timeoutMs, parseDuration } from "./duration.js";
import { upstreamTls } from "./backend-tls.js";
import { backendKey, type RoundRobin } from "./endpoints.js";
import { applyHeaderEdits, responseHeaders, type HeaderRecord } from "./headers.js";
import { toGatewayRequest, type SocketFacts } from "./request.js";
import { derToPem } from "./tls.js";
import type { DecideFn, Exchange, Snapshot } from "./types.js";
import { discardBody, type Upstream, type UpstreamProtocol, type UpstreamResponse, type Upstreams, type UpstreamTls } from "./upstream.js";

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

export interface FrontendInfo {
  key: string;
  gateway: string;
  port: number;
  scheme: "http" | "https";
}

export interface HttpContext {
  snapshot(): Snapshot;
  decide: DecideFn;
  seed: number;
  nextIndex(): number;
  upstreams: Upstreams;
  balancer: RoundRobin;
  /** Called once per request when its response is complete or abandoned. */
  done(exchange: Exchange): void;
  /** Counts requests in flight (drain on SIGTERM waits for zero). */
  track(delta: 1 | -1): void;
  log(text: string): void;
  /** A copy of a request went to a mirror backend. */
  mirrored?(backend: string): void;
}

/** Bodies up to this size are kept in memory when a retry policy may need to send them again. */
const RETRY_BUFFER_LIMIT = 64 * 1024;
/** A mirror that falls this far behind the main request is dropped rather than slowing it. */
const MIRROR_BUFFER_LIMIT = 1024 * 1024;
/** Implementation-specific retry defaults (HTTPRouteRetry leaves them open): Envoy's. */
const DEFAULT_RETRY_ATTEMPTS = 1;
const DEFAULT_BACKOFF_MS = 25;
const MIRROR_TIMEOUT_MS = 30_000;

const CONNECT_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT"]);

const certCache = new WeakMap<object, string | null>();

function socketFacts(fe: FrontendInfo, req: AnyRequest): SocketFacts {
  const socket = req.socket as TLSSocket;
  const facts: SocketFacts = { gateway: fe.gateway, port: fe.port, scheme: fe.scheme, remoteAddress: socket.remoteAddress };
  if (fe.scheme === "https") {
    facts.sni = typeof socket.servername === "string" ? socket.servername : null;
    let pem = certCache.get(socket);
    if (pem === undefined) {
      const raw = typeof socket.getPeerCertificate === "function" ? socket.getPeerCertificate(false)?.raw : undefined;
      pem = raw && raw.length ? derToPem(raw) : null;
      certCache.set(socket, pem);
    }
    facts.clientCertificate = pem;
  }
  return facts;
}

/** Serves one HTTP request (HTTP/1.1 or HTTP/2, any frontend). Never throws. */
export function handleHttp(ctx: HttpContext, fe: FrontendInfo, req: AnyRequest, res: AnyResponse): void {
  const t0 = performance.now();
  const snap = ctx.snapshot();
  const index = ctx.nextIndex();
  const request = toGatewayRequest(req, socketFacts(fe, req));
  const x: Exchange = {
    index,
    started: Date.now(),
    frontend: fe.key,
    generation: snap.generation,
    request,
    decision: null,
    status: 0,
    backend: null,
    endpoint: null,
    attempts: 0,
    durationMs: 0,
    upstreamMs: null,
    reason: null,
    mirrors: 0,
    aborted: false,
  };
  ctx.track(1);
  let finished = false;
  res.once("close", () => {
    if (finished) return;
    finished = true;
    x.durationMs = performance.now() - t0;
    x.aborted = !res.writableFinished;
    ctx.track(-1);
    ctx.done(x);
  });
  let decision: Decision;
  try {
    decision = ctx.decide(snap.world, request, { seed: ctx.seed, index });
  } catch (e) {
    ctx.log(`gwsim: decide failed (a bug): ${(e as Error)?.message ?? String(e)}\n`);
    answer(res, x, 500, "internal error");
    return;
  }
  x.decision = decision;
  carryOut(ctx, snap, req, res, x, decision).catch((e: unknown) => {
    ctx.log(`gwsim: request ${index}: ${(e as Error)?.message ?? String(e)}\n`);
    if (!res.headersSent) answer(res, x, 502, "proxy error");
    else abortResponse(res);
  });
}

async function carryOut(ctx: HttpContext, snap: Snapshot, req: AnyRequest, res: AnyResponse, x: Exchange, d: Decision): Promise<void> {
  if (x.request.grpc && d.outcome !== "forward" && typeof d.grpcStatus === "number") {
    answerGrpc(res, x, d.grpcStatus, d.outcome === "notFound" ? "no route" : d.outcome);
    return;
  }
  switch (d.outcome) {
    case "forward":
      return forward(ctx, snap, req, res, x, d);
    case "redirect": {
      const status = d.redirect?.status ?? d.status ?? 302;
      const headers: HeaderRecord = d.redirect ? { location: d.redirect.location } : {};
      answer(res, x, status, "redirect", applyHeaderEdits(headers, d.responseHeaders));
      return;
    }
    case "respond": {
      const respond = d.respond as { status?: number; headers?: Record<string, string> } | null | undefined;
      const status = d.status ?? respond?.status ?? 200;
      answer(res, x, status, "answered by the gateway", applyHeaderEdits({ ...(respond?.headers ?? {}) }, d.responseHeaders));
      return;
    }
    case "notFound":
      answer(res, x, d.status ?? 404, errorReason(d) === "error" ? "no route" : errorReason(d));
      return;
    case "error":
      answer(res, x, d.status ?? 500, errorReason(d));
      return;
    case "reject":
      if (d.status) answer(res, x, d.status, "rejected");
      else {
        x.reason = "rejected";
        req.socket.destroy();
      }
      return;
    default:
      answer(res, x, 500, `unknown outcome ${String(d.outcome)}`);
  }
}

function errorReason(d: Decision): string {
  // The core explains itself in `message` (prose) and `reason` (a stable code).
  const message = (d as { message?: unknown }).message;
  if (typeof message === "string" && message) return message;
  const extra = (d as { reason?: unknown }).reason;
  if (typeof extra === "string" && extra) return extra;
  const b = d.backend;
  const share = b ? d.backends.find((s) => s.name === b.name && s.namespace === b.namespace && s.port === b.port && !s.valid) : undefined;
  if (share) return `invalid backend ${backendKey(share)}${share.reason ? ` (${share.reason})` : ""}`;
  return d.status === 400 ? "bad request" : "error";
}

interface RetryPolicy {
  retries: number;
  codes: ReadonlySet<number>;
  backoffMs: number;
}

function retryPolicy(retry: Decision["retry"]): RetryPolicy | null {
  if (!retry) return null;
  return {
    retries: retry.attempts ?? DEFAULT_RETRY_ATTEMPTS,
    codes: new Set(retry.codes ?? []),
    backoffMs: parseDuration(retry.backoff) ?? DEFAULT_BACKOFF_MS,
  };
}

/** Backoff before retry n (1-based): the minimum, doubling, capped at ten times the minimum (HTTPRouteRetry.backoff allows both). */
export function backoffFor(policy: Pick<RetryPolicy, "backoffMs">, retry: number): number {
  return Math.min(policy.backoffMs * 2 ** (retry - 1), policy.backoffMs * 10);
}

/** The wire protocol to a backend: TLS when a BackendTLSPolicy applies, h2c when the Service port says so. */
export function upstreamProtocol(snap: Pick<Snapshot, "world" | "tls">, backend: BackendId, d: Decision | null): { protocol: UpstreamProtocol; tls?: UpstreamTls; problem?: string } {
  const world = snap.world;
  if (d?.backendTLS) {
    const r = upstreamTls(d.backendTLS, snap.tls);
    return "problem" in r ? { protocol: "https", problem: r.problem } : { protocol: "https", tls: r.tls };
  }
  const service = world.graph.services.find((s) => s.namespace === backend.namespace && s.name === backend.name);
  const appProtocol = service?.ports.find((p) => p.port === backend.port)?.appProtocol ?? null;
  return { protocol: appProtocol === "kubernetes.io/h2c" ? "h2c" : "http" };
}

/** Whether a request carries a body, and its length when known. */
function bodyOf(req: AnyRequest): { present: boolean; length: number | null } {
  const cl = req.headers["content-length"];
  const length = typeof cl === "string" && /^\d+$/.test(cl) ? Number(cl) : null;
  if ((req as Http2ServerRequest).stream !== undefined) {
    const ended = (req as Http2ServerRequest).stream.endAfterHeaders;
    return { present: !ended && length !== 0, length };
  }
  if (req.headers["transfer-encoding"] !== undefined) return { present: true, length: null };
  return { present: length !== null && length > 0, length };
}

function readAll(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        stream.destroy();
        reject(new Error("body larger than announced"));
        return;
      }
      chunks.push(c);
    });
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
    stream.once("aborted", () => reject(new Error("client aborted")));
  });
}

/**
 * Copies a body to the main request and to mirrors. The main request sets the pace (backpressure
 * reaches the client); a mirror that cannot keep up is cut off, never waited for.
 */
function tee(source: Readable, copies: number): { main: PassThrough; mirrors: PassThrough[] } {
  const main = new PassThrough();
  const mirrors = Array.from({ length: copies }, () => new PassThrough());
  source.on("data", (chunk: Buffer) => {
    for (const m of mirrors) {
      if (m.destroyed) continue;
      if (m.writableLength > MIRROR_BUFFER_LIMIT) m.destroy();
      else m.write(chunk);
    }
    if (!main.write(chunk)) {
      source.pause();
      main.once("drain", () => source.resume());
    }
  });
  source.once("end", () => {
    main.end();
    for (const m of mirrors) if (!m.destroyed) m.end();
  });
  const fail = () => {
    main.destroy(new Error("client aborted"));
    for (const m of mirrors) m.destroy();
  };
  source.once("error", fail);
  source.once("aborted", fail);
  return { main, mirrors };
}

/** The Host the backend receives: the decision's, keeping the port the client sent unless a filter rewrote the host. */
function hostHeader(forwardedHost: string, sent: string | undefined): string | undefined {
  if (!forwardedHost) return sent;
  if (sent && sent.toLowerCase().replace(/:\d+$/, "") === forwardedHost.toLowerCase()) return sent;
  return forwardedHost;
}

type Attempt =
  | { kind: "response"; response: UpstreamResponse; timer: NodeJS.Timeout | null; timedOut: () => boolean }
  | { kind: "error"; status: number; reason: string };

async function forward(ctx: HttpContext, snap: Snapshot, req: AnyRequest, res: AnyResponse, x: Exchange, d: Decision): Promise<void> {
  const backend = d.backend;
  const fwd = d.forwarded;
  if (!backend || !fwd) return answer(res, x, 500, "decision forwards to no backend");
  const key = backendKey(backend);
  x.backend = key;
  const addresses = snap.endpoints.get(key) ?? [];
  if (addresses.length === 0) return answer(res, x, 503, `no endpoints for ${key}`);
  const { protocol, tls, problem } = upstreamProtocol(snap, backend, d);
  if (problem) return answer(res, x, 503, problem);

  const clientGone = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) clientGone.abort();
  });
  const requestMs = timeoutMs(d.timeouts?.request);
  const backendMs = timeoutMs(d.timeouts?.backendRequest);
  const deadline = new AbortController();
  let requestTimer: NodeJS.Timeout | null = null;
  if (requestMs !== null) {
    requestTimer = setTimeout(() => {
      deadline.abort();
      x.reason = "request timeout";
      if (!res.headersSent) answer(res, x, 504, "request timeout");
      else abortResponse(res);
    }, requestMs);
  }
  res.once("close", () => {
    if (requestTimer) clearTimeout(requestTimer);
  });
  const stop = AbortSignal.any([clientGone.signal, deadline.signal]);

  const policy = retryPolicy(d.retry);
  const info = bodyOf(req);
  const mirrors = d.mirrors.filter((m, i) => mirrorFires(m, ctx.seed, x.index, i));
  let body: Buffer | Readable | null = null;
  let mirrorBodies: (Buffer | Readable | null)[] = mirrors.map(() => null);
  let replayable = true;
  if (info.present) {
    if (policy && policy.retries > 0 && info.length !== null && info.length <= RETRY_BUFFER_LIMIT) {
      try {
        body = await readAll(req, RETRY_BUFFER_LIMIT);
      } catch {
        x.reason = "client aborted";
        return;
      }
      mirrorBodies = mirrors.map(() => body);
    } else if (mirrors.length) {
      const t = tee(req, mirrors.length);
      body = t.main;
      mirrorBodies = t.mirrors;
      replayable = false;
    } else {
      body = req;
      replayable = false;
    }
  }
  if (stop.aborted) return;

  const headers: HeaderRecord = { ...fwd.headers };
  const host = hostHeader(fwd.host, x.request.host);
  if (host) headers.host = host;
  // `te: trailers` is the one TE an HTTP/2 hop carries, and gRPC servers expect it (RFC 9113 §8.2.2).
  if (protocol === "h2c" && /(?:^|,)\s*trailers\s*(?:,|$)/i.test(String(req.headers.te ?? ""))) headers.te = "trailers";
  mirrors.forEach((m, i) => fireMirror(ctx, snap, m.backend, fwd.method, fwd.path, headers, mirrorBodies[i] ?? null, x));

  for (let attempt = 1; ; attempt++) {
    const address = ctx.balancer.pick(key, addresses)!;
    x.endpoint = address;
    x.attempts = attempt;
    const upstream = ctx.upstreams.get(address, protocol, tls);
    const r = await sendOnce(upstream, fwd.method, fwd.path, headers, body, stop, backendMs, x);
    if (stop.aborted) {
      if (r.kind === "response") discard(r);
      if (clientGone.signal.aborted) x.reason ??= "client aborted";
      return;
    }
    const canRetry = policy !== null && attempt <= policy.retries && replayable;
    if (r.kind === "response" && canRetry && policy.codes.has(r.response.statusCode)) {
      discard(r);
      if (!(await pause(backoffFor(policy, attempt), stop))) return;
      continue;
    }
    if (r.kind === "error") {
      if (canRetry) {
        if (!(await pause(backoffFor(policy, attempt), stop))) return;
        continue;
      }
      return answer(res, x, r.status, r.reason);
    }
    return relay(req, res, x, d, r, stop);
  }
}

async function sendOnce(
  upstream: Upstream,
  method: string,
  path: string,
  headers: HeaderRecord,
  body: Buffer | Readable | null,
  stop: AbortSignal,
  backendMs: number | null,
  x: Exchange,
): Promise<Attempt> {
  const ac = new AbortController();
  const onStop = () => ac.abort();
  stop.addEventListener("abort", onStop, { once: true });
  let timedOut = false;
  const timer = backendMs === null ? null : setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, backendMs);
  const t = performance.now();
  try {
    const response = await upstream.request({ method, path, headers, body, signal: ac.signal });
    x.upstreamMs = performance.now() - t;
    response.body.once("close", () => stop.removeEventListener("abort", onStop));
    return { kind: "response", response, timer, timedOut: () => timedOut };
  } catch (e) {
    stop.removeEventListener("abort", onStop);
    if (timer) clearTimeout(timer);
    if (timedOut) return { kind: "error", status: 504, reason: "backend timeout" };
    const code = (e as NodeJS.ErrnoException).code ?? "";
    const causeCode = ((e as { cause?: NodeJS.ErrnoException }).cause?.code) ?? "";
    if (CONNECT_ERRORS.has(code) || CONNECT_ERRORS.has(causeCode)) return { kind: "error", status: 503, reason: `connect error ${code || causeCode}` };
    return { kind: "error", status: 502, reason: `upstream reset${code ? ` ${code}` : ""}` };
  }
}

function discard(r: Extract<Attempt, { kind: "response" }>): void {
  if (r.timer) clearTimeout(r.timer);
  discardBody(r.response.body);
}

/** Streams the backend's answer to the client with the decision's response header edits. */
function relay(req: AnyRequest, res: AnyResponse, x: Exchange, d: Decision, r: Extract<Attempt, { kind: "response" }>, stop: AbortSignal): void {
  const { response, timer } = r;
  const body = response.body;
  if (res.headersSent || stop.aborted) {
    discard(r);
    return;
  }
  x.status = response.statusCode;
  const headers = applyHeaderEdits(responseHeaders(response.headers), d.responseHeaders);
  try {
    res.writeHead(response.statusCode, headers as Record<string, string | string[]>);
  } catch (e) {
    discard(r);
    answer(res, x, 502, `invalid response from backend: ${(e as Error).message}`);
    return;
  }
  const h2frontend = req.httpVersion === "2.0";
  // The backendRequest timer keeps running until the whole response has arrived: firing, it
  // aborts the body, and the client sees a reset (its status line has already gone out).
  body.on("error", () => {
    if (timer) clearTimeout(timer);
    x.reason ??= r.timedOut() ? "backend timeout" : stop.aborted ? "aborted" : "upstream reset during response";
    abortResponse(res);
  });
  body.once("end", () => {
    if (timer) clearTimeout(timer);
    const trailers = responseHeaders(response.trailers ?? {});
    if (h2frontend && Object.keys(trailers).length) (res as Http2ServerResponse).addTrailers(trailers as Record<string, string>);
    res.end();
  });
  res.once("close", () => {
    if (!body.destroyed && !res.writableFinished) body.destroy();
  });
  body.pipe(res as unknown as NodeJS.WritableStream, { end: false });
}

/**
 * Whether a mirror fires for this request. When the decision carries the core's draw for the
 * mirror (`fire` or `sampled`), that is final. Otherwise the percent is honoured with a draw
 * seeded by (seed, request index, mirror position), so a run with the same seed mirrors the
 * same requests.
 */
export function mirrorFires(m: Decision["mirrors"][number], seed: number, index: number, position: number): boolean {
  if (m.valid === false) return false;
  const drawn = (m as { fire?: unknown }).fire ?? (m as { sampled?: unknown }).sampled;
  if (typeof drawn === "boolean") return drawn;
  if (m.percent >= 100) return true;
  if (m.percent <= 0) return false;
  return seedrandom.alea(`${seed}\u0000${index}\u0000mirror\u0000${position}`)() * 100 < m.percent;
}

function fireMirror(ctx: HttpContext, snap: Snapshot, backend: BackendId, method: string, path: string, headers: HeaderRecord, body: Buffer | Readable | null, x: Exchange): void {
  const key = backendKey(backend);
  const addresses = snap.endpoints.get(key) ?? [];
  const address = ctx.balancer.pick(key, addresses);
  if (!address) {
    if (body && !Buffer.isBuffer(body)) body.destroy();
    ctx.log(`gwsim: mirror ${key}: no endpoints\n`);
    return;
  }
  x.mirrors++;
  ctx.mirrored?.(key);
  ctx.upstreams
    .get(address, upstreamProtocol(snap, backend, null).protocol)
    .request({ method, path, headers, body, signal: AbortSignal.timeout(MIRROR_TIMEOUT_MS) })
    .then((r) => discardBody(r.body))
    .catch(() => undefined);
}

function pause(ms: number, stop: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (stop.aborted) return resolve(false);
    const timer = setTimeout(() => {
      stop.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    stop.addEventListener("abort", onAbort, { once: true });
  });
}

/** The gateway answers itself: a short text body for errors, nothing for redirects and 2xx. */
export function answer(res: AnyResponse, x: Exchange, status: number, reason: string, headers: HeaderRecord = {}): void {
  x.status = status;
  x.reason ??= reason;
  if (res.headersSent) {
    abortResponse(res);
    return;
  }
  const body = status >= 400 ? `gwsim: ${reason}\n` : "";
  const out: HeaderRecord = { ...headers, "content-length": String(Buffer.byteLength(body)) };
  if (body) out["content-type"] = "text/plain; charset=utf-8";
  try {
    res.writeHead(status, out as Record<string, string | string[]>);
    res.end(body);
  } catch {
    abortResponse(res);
  }
}

/** A gRPC call the gateway answers itself: HTTP 200 with the status in a trailers-only response. */
function answerGrpc(res: AnyResponse, x: Exchange, grpcStatus: number, reason: string): void {
  x.status = 200;
  x.reason ??= `grpc-status ${grpcStatus} (${reason})`;
  if (res.headersSent) return abortResponse(res);
  res.writeHead(200, { "content-type": "application/grpc", "grpc-status": String(grpcStatus), "grpc-message": encodeURIComponent(reason) });
  res.end();
}

/** Ends a response that cannot be completed: the client sees a reset, never a truncated success. */
export function abortResponse(res: AnyResponse): void {
  const stream = (res as Http2ServerResponse).stream;
  if (stream !== undefined) {
    if (!stream.destroyed) stream.close(h2.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  (res as ServerResponse).destroy();
}

export type { GatewayRequest };
