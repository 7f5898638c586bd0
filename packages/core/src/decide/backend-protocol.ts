/**
 * The protocol the gateway speaks to the picked backend of a forwarded HTTP or gRPC request
 * (GEP-1911, backend protocol selection): the decision's `backendProtocol`, with the reason for
 * explain. The same reading as serve's upstream choice (packages/sim/src/serve/forward.ts).
 */
import type { CompiledBackend } from "../compile/table.js";
import type { BackendProtocol } from "../model/decision.js";

/**
 * Service port appProtocols that mean HTTP/2: KEP-3726's `kubernetes.io/h2c`, and the names
 * `h2c`, `http2`, `grpc` that resolve lets an HTTPRoute or GRPCRoute speak. Compared lower-case,
 * as resolve compares them.
 */
const HTTP2_APP_PROTOCOLS = new Set(["kubernetes.io/h2c", "h2c", "http2", "grpc"]);

/** Whether a Service port's appProtocol means HTTP/2 to the backend (serve reads it too). */
export function appProtocolMeansHttp2(appProtocol: string): boolean {
  return HTTP2_APP_PROTOCOLS.has(appProtocol.toLowerCase());
}

/** XBackend spec.protocol values that mean HTTP/2 (H2C in cleartext, HTTP2 over its TLS). */
const XBACKEND_HTTP2 = new Set(["HTTP2", "H2C"]);

const WIRE: Record<BackendProtocol, string> = {
  http: "HTTP/1.1 over cleartext",
  h2c: "HTTP/2 over cleartext, with prior knowledge",
  https: "HTTP/1.1 over TLS",
  h2: "HTTP/2 over TLS (ALPN h2)",
};

export interface BackendProtocolChoice {
  protocol: BackendProtocol;
  /** The explain line; null for the common case with nothing to explain (HTTP/1.1, nothing set). */
  note: string | null;
}

/**
 * HTTP/2 when the Service port's appProtocol says so; when it says nothing, HTTP/2 for a gRPC
 * call or a GRPCRoute's backend (GEP-1911: an implementation MAY infer the protocol from the
 * route type; gRPC cannot travel over HTTP/1.1), else HTTP/1.1. Any other appProtocol
 * (`http`, `kubernetes.io/ws`: WebSocket upgrades over HTTP/1.1) is HTTP/1.1. TLS when a
 * BackendTLSPolicy applies (an XBackend: its own spec.tls); an appProtocol that names TLS
 * (`https`, `kubernetes.io/wss`) without a policy gets no TLS, since nothing says which name
 * or CA to verify (lint's tls-backend-without-policy points it out). A WebSocket upgrade
 * (request protocol `websocket`) goes over HTTP/1.1 whatever the port says: KEP-3726's
 * `kubernetes.io/ws` names WebSocket over HTTP/1.1, and serve does not ask HTTP/2 backends for
 * RFC 8441 extended CONNECT.
 */
export function backendProtocolOf(b: CompiledBackend, routeKind: string, request: { grpc: boolean; websocket: boolean }, backendTLS: boolean): BackendProtocolChoice {
  const grpcCall = request.grpc;
  const grpcish = grpcCall || routeKind === "GRPCRoute";
  const inferred = grpcCall ? "a gRPC call" : "a GRPCRoute backend";
  let http2: boolean;
  let why: string;
  let tls: boolean;
  let said: boolean;
  if (b.xbackend) {
    // spec.protocol HTTP (or unset) leaves HTTP/1.1 or HTTP/2 to the route.
    const p = b.xbackend.protocol;
    const open = p === null || p === "HTTP";
    http2 = (p !== null && XBACKEND_HTTP2.has(p)) || (open && grpcish);
    tls = b.xbackend.tls !== null;
    said = p !== null;
    why = `XBackend ${b.namespace}/${b.name} ${p === null ? "sets no protocol" : `has protocol ${p}`}${open && grpcish ? `, HTTP/2 for ${inferred}` : ""}${tls ? ", and its spec.tls applies" : ""}`;
  } else {
    const a = b.appProtocol;
    http2 = a !== null ? appProtocolMeansHttp2(a) : grpcish;
    tls = backendTLS;
    said = a !== null;
    why = `${b.kind} port ${b.namespace}/${b.name}:${b.port} ${a === null ? "sets no appProtocol" : `has appProtocol ${a}`}${a === null && grpcish ? `, HTTP/2 for ${inferred}` : ""}${tls ? ", and a BackendTLSPolicy applies" : ""}`;
  }
  if (request.websocket && http2) {
    http2 = false;
    why += "; a WebSocket upgrade goes over HTTP/1.1";
  }
  const protocol: BackendProtocol = tls ? (http2 ? "h2" : "https") : http2 ? "h2c" : "http";
  return { protocol, note: protocol === "http" && !said ? null : `backend protocol ${protocol} (${WIRE[protocol]}): ${why}` };
}
