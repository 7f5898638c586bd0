/**
 * Answers the gateway gives itself (errors, redirects, gRPC statuses) and the reset of a
 * response that cannot be completed.
 */
import type { ServerResponse } from "node:http";
import { constants as h2, type Http2ServerResponse } from "node:http2";
import type { HeaderRecord } from "./headers.js";
import type { AnyResponse } from "./proxy.js";
import type { Exchange } from "./types.js";

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
export function answerGrpc(res: AnyResponse, x: Exchange, grpcStatus: number, reason: string): void {
  x.status = 200;
  x.reason ??= `grpc-status ${grpcStatus} (${reason})`;
  if (res.headersSent) return abortResponse(res);
  // Headers set, then end() without writeHead: node's HTTP/2 response then sends them in one
  // HEADERS frame with END_STREAM, which is what makes them gRPC's Trailers-Only form.
  res.statusCode = 200;
  res.setHeader("content-type", "application/grpc");
  res.setHeader("grpc-status", String(grpcStatus));
  res.setHeader("grpc-message", encodeURIComponent(reason));
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
