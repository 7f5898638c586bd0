/**
 * Answers the gateway gives itself (errors, redirects, gRPC statuses) and the reset of a
 * response that cannot be completed.
 */
import type { ServerResponse } from "node:http";
import { constants as h2, type Http2ServerResponse } from "node:http2";
import { GRPC_STATUS } from "@gwsim/core";
import { applyHeaderEdits, type HeaderRecord } from "./headers.js";
import type { AnyResponse } from "./proxy.js";
import type { Exchange } from "./types.js";

/** gRPC's HTTP-to-status mapping (grpc/doc/http-grpc-status-mapping.md) for the adapter's own failures: core's table. */
const GRPC_UNAVAILABLE = GRPC_STATUS.UNAVAILABLE;
const GATEWAY_FAILURES = new Set([502, 503, 504]);
const TEXT_PLAIN = "text/plain; charset=utf-8";

/**
 * The gateway answers itself: a short text body for errors, nothing for redirects and 2xx. A gRPC
 * call that fails in the adapter (no endpoints, connect error, reset, timeout) gets UNAVAILABLE
 * with the reason as grpc-message, which is what its client would make of the HTTP status.
 * The decision's response header edits apply to every such answer for a request a rule took
 * (redirect, CORS preflight, invalid backend 500, no endpoints 503, 502, 504): a
 * ResponseHeaderModifier edits "an HTTP response before it is sent to the client", and the
 * spec's 500 rules "MUST also apply" to the 503 (answerFields; WebSocket upgrades over HTTP/1.1
 * get the same through websocket.ts rawAnswer).
 */
export function answer(res: AnyResponse, x: Exchange, status: number, reason: string, headers: HeaderRecord = {}): void {
  if (x.request.grpc && GATEWAY_FAILURES.has(status) && !res.headersSent) return answerGrpc(res, x, GRPC_UNAVAILABLE, reason);
  x.status = status;
  x.reason ??= reason;
  if (res.headersSent) {
    abortResponse(res);
    return;
  }
  const body = answerBody(status, reason, x);
  try {
    res.writeHead(status, answerFields(x, headers, body) as Record<string, string | string[]>);
    res.end(body);
  } catch {
    abortResponse(res);
  }
}

/** The body of an answer the gateway gives itself: a short text for errors, nothing for redirects and 2xx. */
export function answerBody(status: number, reason: string, x?: Exchange): string {
  return status >= 400 ? `gwsim: ${clientReason(status, reason, x?.decision?.outcome)}\n` : "";
}

/**
 * What the client is told of a failure the gateway answers itself: why in a few words (no route,
 * no valid backend, no endpoints, connect refused, reset, timeout), never the Gateway, listener,
 * Service, namespace, rule or endpoint behind it, nor a library's error code (UND_ERR_SOCKET):
 * those stay in the access log's `reason`, for the operator. Answers about the request itself
 * (400 bad path, 431, ...) keep their reason: it names only what the client sent.
 */
export function clientReason(status: number, reason: string, outcome?: string | null): string {
  if (outcome === "notFound") return "no route matches this request";
  // The core's 421 names both listeners; the client needs only what to do (RFC 9110 §15.5.20).
  if (status === 421) return "misdirected request: the TLS server name (SNI) of this connection does not cover this Host; connect again with the Host as the server name";
  if (status < 500) return reason;
  if (outcome === "error") return "no valid backend for this request";
  for (const [pattern, text] of CLIENT_REASONS) {
    const m = pattern.exec(reason);
    if (m) return typeof text === "string" ? text : text(m);
  }
  return status === 504 ? "timeout" : status === 503 ? "backend unavailable" : status === 502 ? "bad answer from the backend" : "internal error";
}

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ETIMEDOUT: "connect timeout",
  UND_ERR_CONNECT_TIMEOUT: "connect timeout",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection reset",
};

/** Adapter reasons (forward.ts, websocket.ts) → the client's words; first match wins. */
const CLIENT_REASONS: readonly [RegExp, string | ((m: RegExpExecArray) => string)][] = [
  [/^(?:backend timeout|request timeout|handshake timeout|retry budget exceeded)$/, (m) => m[0]],
  [/^no endpoints for /, "no endpoints for the backend"],
  [/^connect error ?(\S*)/, (m) => `cannot connect to the backend${CONNECT_ERRORS[m[1]!] ? `: ${CONNECT_ERRORS[m[1]!]}` : ""}`],
  [/^(?:upstream\b|backend closed before)/, "the backend closed the connection before a complete response"],
  [/^(?:invalid response|malformed WebSocket handshake|backend WebSocket handshake)/, "invalid response from the backend"],
];

/**
 * The header fields of an answer the gateway gives itself, whatever writes it (a response object,
 * or a raw socket after an HTTP/1.1 upgrade): its own fields, then the decision's response header
 * edits (none when no rule took the request), `content-length` the adapter's.
 */
export function answerFields(x: Exchange, headers: HeaderRecord, body: string): HeaderRecord {
  const own: HeaderRecord = body ? { ...headers, "content-type": TEXT_PLAIN } : headers;
  return { ...applyHeaderEdits(own, x.decision?.responseHeaders), "content-length": String(Buffer.byteLength(body)) };
}

/** A gRPC call the gateway answers itself: HTTP 200 with the status in a trailers-only response. */
export function answerGrpc(res: AnyResponse, x: Exchange, grpcStatus: number, reason: string): void {
  x.status = 200;
  x.grpcStatus = grpcStatus;
  x.reason ??= `grpc-status ${grpcStatus} (${reason})`;
  if (res.headersSent) return abortResponse(res);
  // Headers set, then end() without writeHead: node's HTTP/2 response then sends them in one
  // HEADERS frame with END_STREAM, which is what makes them gRPC's Trailers-Only form.
  res.statusCode = 200;
  res.setHeader("content-type", "application/grpc");
  res.setHeader("grpc-status", String(grpcStatus));
  res.setHeader("grpc-message", encodeURIComponent(clientReason(status0(grpcStatus), reason, x.decision?.outcome)));
  res.end();
}

/** The HTTP status a gRPC status stands for here, to word its grpc-message as the answer's body would be. */
function status0(grpcStatus: number): number {
  return grpcStatus === GRPC_UNAVAILABLE ? 503 : 404;
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
