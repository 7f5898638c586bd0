/**
 * Carries out a `forward` decision: the request goes to an endpoint of the backend the core
 * picked, with the decision's method, path, host and headers, and the answer streams back with
 * the decision's response header edits. The choices made here are only the ones the core leaves
 * to a data plane: which endpoint (round robin), timeouts, retries and how to fail.
 *
 * One `Flight` per request, driven by the upstream's callbacks (no promise, stream or
 * AbortSignal per request): this is the adapter's hot path.
 */
import type { ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { PassThrough, type Readable } from "node:stream";
import seedrandom from "seedrandom";
import type { BackendId, BackendTLS, Decision } from "@gwsim/core";
import { appProtocolMeansHttp2 } from "@gwsim/core";
import { upstreamTls } from "./backend-tls.js";
import { parseDuration, timeoutMs } from "./duration.js";
import { addressesOf, backendKey } from "./endpoints.js";
import { responseHeaderList, trailerRecord } from "./headers.js";
import type { AnyRequest, AnyResponse, HttpContext } from "./proxy.js";
import { abortResponse, answer } from "./respond.js";
import { retryBudgetFor, type RetryBudget } from "./retry-budget.js";
import { sessionField, sessionOf, type SessionPlan } from "./session.js";
import type { Exchange, Snapshot } from "./types.js";
import { DiscardHandler, type ResponseHandler, type UpstreamCall, type UpstreamProtocol, type UpstreamTls } from "./upstream.js";

/** Bodies up to this size are kept in memory when a retry policy may need to send them again. */
const RETRY_BUFFER_LIMIT = 64 * 1024;
/** A mirror that falls this far behind the main request is dropped rather than slowing it. */
const MIRROR_BUFFER_LIMIT = 1024 * 1024;
/** Implementation-specific retry defaults (HTTPRouteRetry leaves them open): Envoy's. */
const DEFAULT_RETRY_ATTEMPTS = 1;
const DEFAULT_BACKOFF_MS = 25;
const MIRROR_TIMEOUT_MS = 30_000;

const H2_HINT = " (sent as HTTP/2: a gRPC call, or the Service port's appProtocol asks for it; does the backend speak HTTP/2?)";

const CONNECT_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT"]);

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

/** How to reach a backend: the wire protocol and TLS settings, or why it cannot be reached. */
export interface UpstreamTarget {
  protocol: UpstreamProtocol;
  tls?: UpstreamTls;
  /** Names the TLS settings for connection reuse; "" without TLS. */
  tlsId: string;
  problem?: string;
}

/** Per configuration: the same backend (and BackendTLSPolicy) always gets the same target. */
const targetCache = new WeakMap<Snapshot, Map<string, UpstreamTarget>>();

/** What decides how a backend is reached, besides the backend itself. */
export interface TargetHints {
  backendTLS: Decision["backendTLS"];
  /** The kind of the route that picked the backend (GRPCRoute backends speak HTTP/2). */
  routeKind: string | null;
  /** The request is a gRPC call (which needs HTTP/2 end to end). */
  grpc: boolean;
}

/**
 * The wire protocol to a backend: TLS when a BackendTLSPolicy applies; HTTP/2 when the Service
 * port's appProtocol says so (KEP-3726 `kubernetes.io/h2c`, or `h2c`, `grpc`, `http2`), or when
 * it says nothing and the backend serves gRPC: GRPCBackendRef lets an implementation "infer the
 * protocol from the Route type", and a gRPC call cannot travel over HTTP/1.1. Otherwise HTTP/1.1.
 */
export function upstreamTarget(snap: Snapshot, backend: BackendId, hints: TargetHints): UpstreamTarget {
  if (backend.kind === "XBackend" && backend.hostname !== undefined) return xBackendTarget(snap, backend, hints);
  const btls = hints.backendTLS;
  const grpcish = hints.grpc || hints.routeKind === "GRPCRoute";
  const id = `${backendKey(backend)}${grpcish ? "\u0000g" : ""}${btls ? `\u0000${btls.policy}\u0000${btls.sni}` : ""}`;
  let cache = targetCache.get(snap);
  if (!cache) targetCache.set(snap, (cache = new Map()));
  const cached = cache.get(id);
  if (cached) return cached;
  const service = snap.world.graph.services.find((s) => s.namespace === backend.namespace && s.name === backend.name);
  const appProtocol = service?.ports.find((p) => p.port === backend.port)?.appProtocol ?? null;
  const http2 = appProtocol === null ? grpcish : appProtocolMeansHttp2(appProtocol);
  let target: UpstreamTarget;
  if (btls) {
    const r = upstreamTls(btls, snap.tls);
    const protocol: UpstreamProtocol = http2 ? "h2" : "https";
    target = "problem" in r ? { protocol, tlsId: "", problem: r.problem } : { protocol, tls: r.tls, tlsId: JSON.stringify(r.tls) };
  } else {
    target = { protocol: http2 ? "h2c" : "http", tlsId: "" };
  }
  cache.set(id, target);
  return target;
}

/** XBackend protocols that mean HTTP/2 (H2C in cleartext; over TLS, HTTP/2 by ALPN). */
const XBACKEND_HTTP2 = new Set(["HTTP2", "H2C"]);

/**
 * An XBackend: its own spec.tls (SNI, CAs, subjectAltNames, client certificate, as the decision
 * carries them), never a BackendTLSPolicy; HTTP/2 when spec.protocol says HTTP2 or H2C, or when it
 * leaves the choice (unset or HTTP) and the traffic is gRPC.
 */
function xBackendTarget(snap: Snapshot, backend: BackendId, hints: TargetHints): UpstreamTarget {
  const grpcish = hints.grpc || hints.routeKind === "GRPCRoute";
  const id = `XBackend\u0000${backendKey(backend)}\u0000${backend.hostname}${grpcish ? "\u0000g" : ""}`;
  let cache = targetCache.get(snap);
  if (!cache) targetCache.set(snap, (cache = new Map()));
  const cached = cache.get(id);
  if (cached) return cached;
  const protocol = backend.protocol ?? null;
  const http2 = protocol !== null && XBACKEND_HTTP2.has(protocol) ? true : (protocol === null || protocol === "HTTP") && grpcish;
  let target: UpstreamTarget;
  const t = backend.tls;
  if (t) {
    const as: BackendTLS = { policy: `XBackend ${backend.namespace}/${backend.name}`, ...t };
    const r = upstreamTls(as, snap.tls);
    const wire: UpstreamProtocol = http2 ? "h2" : "https";
    target = "problem" in r ? { protocol: wire, tlsId: "", problem: r.problem } : { protocol: wire, tls: r.tls, tlsId: JSON.stringify(r.tls) };
  } else {
    target = { protocol: http2 ? "h2c" : "http", tlsId: "" };
  }
  cache.set(id, target);
  return target;
}

function hintsOf(x: Exchange, d: Decision | null): TargetHints {
  return { backendTLS: d?.backendTLS ?? null, routeKind: d?.route?.kind ?? null, grpc: x.request.grpc !== undefined };
}

/** Whether a request carries a body, and its length when known (read off the raw header list). */
function bodyOf(req: AnyRequest): { present: boolean; length: number | null } {
  let length: number | null = null;
  let chunked = false;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 14 && name.toLowerCase() === "content-length") {
      const v = raw[i + 1]!;
      length = /^\d+$/.test(v) ? Number(v) : null;
    } else if (name.length === 17 && name.toLowerCase() === "transfer-encoding") chunked = true;
  }
  if ((req as Http2ServerRequest).stream !== undefined) {
    const ended = (req as Http2ServerRequest).stream.endAfterHeaders;
    return { present: !ended && length !== 0, length };
  }
  if (chunked) return { present: true, length: null };
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
  if (sent !== undefined && sent.length >= forwardedHost.length) {
    // Same name (case aside), with or without `:port`.
    const name = sent.length === forwardedHost.length ? sent : /:\d+$/.test(sent) ? sent.slice(0, sent.lastIndexOf(":")) : sent;
    if (name.length === forwardedHost.length && name.toLowerCase() === forwardedHost.toLowerCase()) return sent;
  }
  return forwardedHost;
}

/** The decision's forwarded headers as the flat list the upstream sends, Host included. */
function upstreamHeaders(d: Decision, x: Exchange, req: AnyRequest, protocol: UpstreamProtocol): (string | string[])[] {
  const fwd = d.forwarded!;
  const out: (string | string[])[] = [];
  const headers = fwd.headers;
  for (const name in headers) {
    if (name === "host") continue;
    const value = headers[name]!;
    // A RequestHeaderModifier `add: cookie` makes a second Cookie field: one line upstream (RFC 9113 §8.2.3).
    out.push(name, name === "cookie" && Array.isArray(value) ? value.join("; ") : value);
  }
  const host = hostHeader(fwd.host, x.request.host);
  if (host) out.push("host", host);
  // `te: trailers` is the one TE an HTTP/2 hop carries, and gRPC servers expect it (RFC 9113 §8.2.2).
  if ((protocol === "h2c" || protocol === "h2") && /(?:^|,)\s*trailers\s*(?:,|$)/i.test(String(req.headers.te ?? ""))) out.push("te", "trailers");
  return out;
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

/** Lines already said for a configuration: a mirror problem repeats on every request, said once (per reload). */
const said = new WeakMap<Snapshot, Set<string>>();

function logOnce(ctx: HttpContext, snap: Snapshot, line: string): void {
  let lines = said.get(snap);
  if (!lines) said.set(snap, (lines = new Set()));
  if (lines.has(line)) return;
  lines.add(line);
  ctx.log(line);
}

function fireMirror(ctx: HttpContext, snap: Snapshot, backend: BackendId, method: string, path: string, headers: (string | string[])[], body: Buffer | Readable | null, x: Exchange): void {
  const key = backendKey(backend);
  const address = ctx.balancer.pick(key, addressesOf(snap.endpoints, backend));
  if (!address) {
    if (body && !Buffer.isBuffer(body)) body.destroy();
    logOnce(ctx, snap, `gwsim: mirror ${key}: no endpoints (copies not sent; counted in gwsim_mirror_failures_total)\n`);
    ctx.mirrorFailed?.(key, "no_endpoints");
    return;
  }
  x.mirrors++;
  ctx.mirrored?.(key);
  // A mirror has no BackendTLSPolicy in the decision: it goes out in cleartext (an XBackend
  // mirror carries its own spec.tls and uses it).
  const target = upstreamTarget(snap, backend, { ...hintsOf(x, x.decision), backendTLS: null });
  if (target.problem) {
    if (body && !Buffer.isBuffer(body)) body.destroy();
    logOnce(ctx, snap, `gwsim: mirror ${key}: ${target.problem}\n`);
    ctx.mirrorFailed?.(key, "error");
    return;
  }
  ctx.upstreams.get(address, target.protocol, target.tls, target.tlsId).dispatch({ method, path, headers, body }, new DiscardHandler(MIRROR_TIMEOUT_MS, (reason) => ctx.mirrorFailed?.(key, reason)));
}

function uncork(res: ServerResponse): void {
  res.uncork();
}

type Phase = "idle" | "waiting" | "relaying" | "discarding" | "done";

/** One forwarded request: its attempts, timers and the relay of the answer. */
class Flight implements ResponseHandler {
  private phase: Phase = "idle";
  private attempt = 0;
  private call: UpstreamCall | null = null;
  private attemptTimer: NodeJS.Timeout | null = null;
  private requestTimer: NodeJS.Timeout | null = null;
  private attemptTimedOut = false;
  /** Armed while the client's buffers are full (see onData). */
  private stallTimer: NodeJS.Timeout | null = null;
  private sentAt = 0;
  private body: Buffer | Readable | null = null;
  private replayable = true;
  private headers: (string | string[])[] = [];
  private readonly policy: RetryPolicy | null;
  private readonly backendMs: number | null;
  private readonly key: string;
  /** The rule's session persistence, when it has one. */
  private readonly session: SessionPlan | null;
  /** The backend's retry budget (XBackendTrafficPolicy retryConstraint, GEP-3388), when it has one. */
  private readonly budget: RetryBudget | null;

  constructor(
    private readonly ctx: HttpContext,
    private readonly snap: Snapshot,
    private readonly req: AnyRequest,
    private readonly res: AnyResponse,
    private readonly x: Exchange,
    private readonly d: Decision,
    private readonly addresses: readonly string[],
    private readonly target: UpstreamTarget,
  ) {
    this.key = x.backend!;
    this.policy = d.retry ? retryPolicy(d.retry) : null;
    this.backendMs = d.timeouts ? timeoutMs(d.timeouts.backendRequest) : null;
    this.session = d.session ? sessionOf(d, x.request.headers, addresses, Date.now(), x.request.scheme === "https") : null;
    this.budget = retryBudgetFor(ctx, snap.world, d.backend!);
  }

  start(): void {
    const d = this.d;
    const requestMs = d.timeouts ? timeoutMs(d.timeouts.request) : null;
    if (requestMs !== null) this.requestTimer = setTimeout(() => this.requestTimedOut(), requestMs);
    const mirrors = d.mirrors.length ? d.mirrors.filter((m, i) => mirrorFires(m, this.ctx.seed, this.x.index, i)) : d.mirrors;
    let mirrorBodies: (Buffer | Readable | null)[] = mirrors.map(() => null);
    const info = bodyOf(this.req);
    const fwd = d.forwarded!;
    this.headers = upstreamHeaders(d, this.x, this.req, this.target.protocol);
    const send = () => {
      mirrors.forEach((m, i) => fireMirror(this.ctx, this.snap, m.backend, fwd.method, fwd.path, this.headers, mirrorBodies[i] ?? null, this.x));
      this.send();
    };
    if (!info.present) return send();
    const policy = this.policy;
    if (policy && policy.retries > 0 && info.length !== null && info.length <= RETRY_BUFFER_LIMIT) {
      readAll(this.req, RETRY_BUFFER_LIMIT).then(
        (buffer) => {
          if (this.phase === "done") return;
          this.body = buffer;
          mirrorBodies = mirrors.map(() => buffer);
          send();
        },
        () => {
          this.x.reason ??= "client aborted";
        },
      );
      return;
    }
    this.replayable = false;
    if (mirrors.length) {
      const t = tee(this.req, mirrors.length);
      this.body = t.main;
      mirrorBodies = t.mirrors;
    } else this.body = this.req;
    send();
  }

  /** One attempt to an endpoint of the backend (round robin across attempts). */
  private send(): void {
    if (this.phase === "done") return;
    this.attempt++;
    // A session sticks to its endpoint; a retry falls back to the others (GEP-1619 at v1.6: data
    // planes MAY fall back to available backends), and the session moves to the one that served.
    const sticky = this.attempt === 1 ? (this.session?.endpoint ?? null) : null;
    let address = sticky ?? this.ctx.balancer.pick(this.key, this.addresses)!;
    // A retry goes to another endpoint than the one that just failed, when there is one
    // (as Envoy's previous_hosts retry predicate does).
    for (let i = 1; this.attempt > 1 && address === this.x.endpoint && i < this.addresses.length; i++) address = this.ctx.balancer.pick(this.key, this.addresses)!;
    this.x.endpoint = address;
    this.x.attempts = this.attempt;
    // Every first attempt counts toward the budget; retries were counted when the budget let them go.
    if (this.attempt === 1) this.budget?.request();
    this.attemptTimedOut = false;
    this.phase = "waiting";
    this.sentAt = performance.now();
    if (this.backendMs !== null) this.attemptTimer = setTimeout(() => this.backendTimedOut(), this.backendMs);
    const fwd = this.d.forwarded!;
    this.ctx.upstreams
      .get(address, this.target.protocol, this.target.tls, this.target.tlsId)
      .dispatch({ method: fwd.method, path: fwd.path, headers: this.headers, body: this.body }, this);
  }

  private get canRetry(): boolean {
    return this.policy !== null && this.attempt <= this.policy.retries && this.replayable;
  }

  onStart(call: UpstreamCall): void {
    this.call = call;
  }

  onHead(status: number, headers: string[], endStream = false): void {
    if (this.phase !== "waiting") return;
    this.x.upstreamMs = performance.now() - this.sentAt;
    if (this.canRetry && this.policy!.codes.has(status)) {
      // Read to the end (keeps the connection reusable), then try again.
      this.phase = "discarding";
      return;
    }
    this.phase = "relaying";
    const res = this.res;
    if (res.headersSent) return this.call?.abort(new Error("response already started"));
    this.x.status = status;
    if (endStream && this.req.httpVersion === "2.0") return this.headOnly(status, headers);
    try {
      res.writeHead(status, this.clientHead(headers) as unknown as Record<string, string>);
      // Head, first chunk and end usually arrive in one read from the backend: cork so they
      // leave in one write instead of one per piece.
      if (this.req.httpVersion !== "2.0") {
        (res as ServerResponse).cork();
        process.nextTick(uncork, res);
      }
    } catch (e) {
      this.phase = "done";
      this.call?.abort(new Error("invalid response head"));
      this.clearTimers();
      this.x.status = 0;
      answer(res, this.x, 502, `invalid response from backend: ${(e as Error).message}`);
    }
  }

  /** The backend's head as the client gets it: edits applied, and the session started, or moved when it did not stay put. */
  private clientHead(headers: string[]): string[] {
    const list = responseHeaderList(headers, this.d.responseHeaders);
    const session = this.session;
    if (session && (session.renew || session.endpoint !== this.x.endpoint)) list.push(...sessionField(session, this.d.backend!, this.x.endpoint!, Date.now()));
    return list;
  }

  /**
   * A head that ends the response (gRPC's Trailers-Only: status and message in the headers) stays
   * one: the headers are set now and go out with END_STREAM when `end()` follows in onComplete,
   * instead of as headers followed by an empty end the client would read as "no status".
   */
  private headOnly(status: number, headers: string[]): void {
    const res = this.res as Http2ServerResponse;
    try {
      res.statusCode = status;
      const list = this.clientHead(headers);
      for (let i = 0; i + 1 < list.length; i += 2) res.appendHeader(list[i]!, list[i + 1]!);
    } catch (e) {
      this.phase = "done";
      this.call?.abort(new Error("invalid response head"));
      this.clearTimers();
      this.x.status = 0;
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      answer(res, this.x, 502, `invalid response from backend: ${(e as Error).message}`);
    }
  }

  onData(chunk: Buffer): boolean {
    if (this.phase !== "relaying") return true;
    if ((this.res as { write(c: Buffer): boolean }).write(chunk)) return true;
    // The client reads slower than the backend sends: pause the backend until it catches up.
    // A client that reads nothing at all (alive, its window closed) would hold the backend
    // connection for good, one of the pool's per endpoint each: it gets clientStallMs.
    this.res.once("drain", this.drained);
    const stallMs = this.ctx.clientStallMs;
    if (stallMs !== undefined && stallMs > 0 && !this.stallTimer) this.stallTimer = setTimeout(this.stalled, stallMs);
    return false;
  }

  private readonly drained = (): void => {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.call?.resume();
  };

  private readonly stalled = (): void => {
    this.stallTimer = null;
    if (this.phase === "done") return;
    this.phase = "done";
    this.x.reason ??= "client stalled";
    this.stopUpstream(new Error("client stalled"));
    abortResponse(this.res);
  };

  onComplete(trailers: string[]): void {
    if (this.phase !== "discarding" && this.phase !== "relaying") return;
    if (this.attemptTimer) clearTimeout(this.attemptTimer);
    this.attemptTimer = null;
    if (this.phase === "discarding") return this.retryLater();
    this.phase = "done";
    this.clearTimers();
    if (trailers.length && this.req.httpVersion === "2.0") {
      const t = trailerRecord(trailers);
      if (t) (this.res as Http2ServerResponse).addTrailers(t);
    }
    this.res.end();
  }

  onError(error: Error): void {
    const phase = this.phase;
    if (phase === "done" || phase === "idle") return;
    if (this.attemptTimer) clearTimeout(this.attemptTimer);
    this.attemptTimer = null;
    if (phase === "relaying") {
      // The status line has gone out: the client sees a reset, never a truncated success.
      this.phase = "done";
      this.clearTimers();
      this.x.reason ??= this.attemptTimedOut ? "backend timeout" : "upstream reset during response";
      abortResponse(this.res);
      return;
    }
    if (this.canRetry) return this.retryLater();
    this.phase = "done";
    this.clearTimers();
    if (this.attemptTimedOut) return answer(this.res, this.x, 504, "backend timeout");
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const causeCode = (error as { cause?: NodeJS.ErrnoException }).cause?.code ?? "";
    // The code that says why the connect failed: an HTTP/2 stream's own (ERR_HTTP2_STREAM_CANCEL)
    // wraps the session's ECONNREFUSED as its cause.
    if (CONNECT_ERRORS.has(code) || CONNECT_ERRORS.has(causeCode)) return answer(this.res, this.x, 503, `connect error ${CONNECT_ERRORS.has(code) ? code : causeCode}`);
    // undici's parser error carries no code: without this, a backend answering with a bad field or
    // no HTTP at all was logged as "upstream reset".
    if (error.name === "HTTPParserError") return answer(this.res, this.x, 502, `invalid response from backend: ${error.message}`);
    // An HTTP/1.1-only backend answers the HTTP/2 preface with an HTTP/1.1 400, which the session
    // reads as a protocol error: say why the hop was HTTP/2, the usual cause being a gRPC call
    // routed to an HTTP backend, or an appProtocol the backend does not speak.
    const h2Hint = (this.target.protocol === "h2c" || this.target.protocol === "h2") && /^ERR_HTTP2_(?:ERROR|SESSION_ERROR|STREAM_ERROR)$/.test(code) ? H2_HINT : "";
    answer(this.res, this.x, 502, `upstream reset${code ? ` ${code}` : ""}${h2Hint}`);
  }

  private retryLater(): void {
    if (this.budget && !this.budget.tryRetry()) {
      // GEP-3388: a retry past the budget is not sent; the client gets 503.
      this.phase = "done";
      this.clearTimers();
      this.x.reason = "retry budget exceeded";
      return answer(this.res, this.x, 503, "retry budget exceeded");
    }
    this.phase = "idle";
    const timer = setTimeout(() => this.send(), backoffFor(this.policy!, this.attempt));
    this.attemptTimer = timer;
  }

  private backendTimedOut(): void {
    this.attemptTimer = null;
    this.attemptTimedOut = true;
    this.call?.abort(Object.assign(new Error("backend timeout"), { code: "UND_ERR_ABORTED" }));
  }

  private requestTimedOut(): void {
    this.requestTimer = null;
    if (this.phase === "done") return;
    this.phase = "done";
    this.x.reason = "request timeout";
    this.stopUpstream(new Error("request timeout"));
    if (!this.res.headersSent) answer(this.res, this.x, 504, "request timeout");
    else abortResponse(this.res);
  }

  /** The client's response closed: stop what is still going on for it. */
  closed(): void {
    if (this.phase === "done") return;
    this.phase = "done";
    if (!this.res.writableFinished) this.x.reason ??= "client aborted";
    this.stopUpstream(new Error("client aborted"));
  }

  private stopUpstream(error: Error): void {
    this.clearTimers();
    this.call?.abort(error);
  }

  private clearTimers(): void {
    if (this.attemptTimer) clearTimeout(this.attemptTimer);
    if (this.requestTimer) clearTimeout(this.requestTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.attemptTimer = null;
    this.requestTimer = null;
    this.stallTimer = null;
  }
}

/**
 * Forwards one request per the decision. Returns the flight (so the caller can tell it when the
 * client goes away), or null when the gateway answered itself.
 */
export function forward(ctx: HttpContext, snap: Snapshot, req: AnyRequest, res: AnyResponse, x: Exchange, d: Decision): { closed(): void } | null {
  const backend = d.backend;
  if (!backend || !d.forwarded) {
    answer(res, x, 500, "decision forwards to no backend");
    return null;
  }
  const key = backendKey(backend);
  x.backend = key;
  const addresses = addressesOf(snap.endpoints, backend);
  if (addresses.length === 0) {
    answer(res, x, 503, `no endpoints for ${key}`);
    return null;
  }
  const target = upstreamTarget(snap, backend, hintsOf(x, d));
  if (target.problem) {
    answer(res, x, 503, target.problem);
    return null;
  }
  const flight = new Flight(ctx, snap, req, res, x, d, addresses, target);
  flight.start();
  return flight;
}
