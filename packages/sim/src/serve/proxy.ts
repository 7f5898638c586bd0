/**
 * One HTTP request on real sockets: described to the core as sent, decided, then carried out
 * (forwarded by ./forward.ts, or answered as the decision says). No routing happens here.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { TLSSocket } from "node:tls";
import type { Decision, GatewayRequest } from "@gwsim/core";
import { backendKey, type RoundRobin } from "./endpoints.js";
import { forward } from "./forward.js";
import type { HeaderRecord } from "./headers.js";
import { toGatewayRequest, type SocketFacts } from "./request.js";
import { answer, answerGrpc } from "./respond.js";
import { derToPem } from "./tls.js";
import type { DecideFn, Exchange, Snapshot } from "./types.js";
import type { Upstreams } from "./upstream.js";

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
  /** A request (or relayed connection) with its index drawn: `--record` writes lines in index order. */
  began(exchange: Exchange): void;
  upstreams: Upstreams;
  balancer: RoundRobin;
  /** Called once per request when its response is complete or abandoned. */
  done(exchange: Exchange): void;
  /** How long a response waits for a client that reads none of it (Limits.clientStallTimeoutMs). */
  clientStallMs?: number;
  /** Counts requests in flight (drain on SIGTERM waits for zero). */
  track(delta: 1 | -1): void;
  log(text: string): void;
  /** A copy of a request went to a mirror backend. */
  mirrored?(backend: string): void;
  /** A mirrored copy that got no complete answer, or could not be sent. */
  mirrorFailed?(backend: string, reason: string): void;
}

const certCache = new WeakMap<object, string | null>();

/** What the socket tells about a request: the frontend, TLS server name and client certificate, client address. */
export function socketFacts(fe: FrontendInfo, req: AnyRequest): SocketFacts {
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
  // The core checks time-bound state (a session's absoluteTimeout, certificate validity) at the
  // request's time: a live request is decided at the clock's.
  request.time = x.started;
  ctx.began(x);
  ctx.track(1);
  let finished = false;
  let flight: { closed(): void } | null = null;
  res.once("close", () => {
    if (finished) return;
    finished = true;
    flight?.closed();
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
  try {
    flight = carryOut(ctx, snap, req, res, x, decision);
  } catch (e) {
    ctx.log(`gwsim: request ${index}: ${(e as Error)?.message ?? String(e)}\n`);
    answer(res, x, 502, "proxy error");
  }
}

function carryOut(ctx: HttpContext, snap: Snapshot, req: AnyRequest, res: AnyResponse, x: Exchange, d: Decision): { closed(): void } | null {
  if (x.request.grpc && d.outcome !== "forward" && typeof d.grpcStatus === "number") {
    answerGrpc(res, x, d.grpcStatus, d.outcome === "notFound" ? "no route" : d.outcome);
    return null;
  }
  switch (d.outcome) {
    case "forward":
      return forward(ctx, snap, req, res, x, d);
    case "redirect": {
      const status = d.redirect?.status ?? d.status ?? 302;
      const headers: HeaderRecord = d.redirect ? { location: d.redirect.location } : {};
      // answer() applies the decision's response header edits.
      answer(res, x, status, "redirect", headers);
      return null;
    }
    case "respond": {
      const respond = d.respond as { status?: number; headers?: Record<string, string> } | null | undefined;
      const status = d.status ?? respond?.status ?? 200;
      answer(res, x, status, "answered by the gateway", { ...(respond?.headers ?? {}) });
      return null;
    }
    case "notFound":
      answer(res, x, d.status ?? 404, errorReason(d) === "error" ? "no route" : errorReason(d));
      return null;
    case "error":
      answer(res, x, d.status ?? 500, errorReason(d));
      return null;
    case "reject":
      if (d.status) answer(res, x, d.status, "rejected");
      else {
        x.reason = "rejected";
        req.socket.destroy();
      }
      return null;
    default:
      answer(res, x, 500, `unknown outcome ${String(d.outcome)}`);
      return null;
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

export type { GatewayRequest };
