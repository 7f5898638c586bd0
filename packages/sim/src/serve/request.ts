/**
 * A request read off a socket, as the core's GatewayRequest. No routing happens here: the
 * request is described as sent (raw path, Host, headers) and `decide` normalizes and matches.
 */
import type { GatewayRequest } from "@gwsim/core";
import { requestHeaders, type HeaderRecord } from "./headers.js";

export interface SocketFacts {
  /** `namespace/name` of the Gateway whose listener took the connection. */
  gateway: string;
  /** The listener port (not the local port it is bound to). */
  port: number;
  scheme: "http" | "https";
  /** TLS server name the client asked for, when TLS. */
  sni?: string | null;
  /** PEM of the client's certificate, when it presented one. */
  clientCertificate?: string | null;
  /** Client address, for X-Forwarded-For. */
  remoteAddress?: string | undefined;
}

export interface IncomingLike {
  method?: string | undefined;
  url?: string | undefined;
  httpVersion: string;
  rawHeaders: string[];
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The GatewayRequest for one HTTP request. X-Forwarded-For gets the client address appended and
 * X-Forwarded-Proto is set to the scheme before the core sees the request, as Envoy does, so a
 * RequestHeaderModifier can still change or remove them and the decision's forwarded headers
 * are exactly what the backend receives.
 */
const WEBSOCKET_KEEP: ReadonlySet<string> = new Set(["upgrade", "connection"]);

export function toGatewayRequest(req: IncomingLike, facts: SocketFacts, options: { websocket?: boolean } = {}): GatewayRequest {
  const headers: HeaderRecord = requestHeaders(req.rawHeaders, options.websocket ? WEBSOCKET_KEEP : undefined);
  const h2 = req.httpVersion === "2.0";
  const absolute = h2 ? null : absoluteTarget(req.url);
  // HTTP/2 carries the authority as a pseudo-header; the core reads it as the Host. An HTTP/1.1
  // absolute-form target's authority overrides Host (RFC 9112 §3.2.2: the server MUST use it).
  const authority = h2 ? (req.headers[":authority"] as string | undefined) ?? (headers.host as string | undefined) : absolute?.authority;
  const host = authority ?? (Array.isArray(headers.host) ? headers.host[0] : headers.host);
  delete headers.host;
  // HTTP/2 clients split Cookie into crumbs, one field each; they MUST be joined with "; "
  // before an HTTP/1.1 hop (RFC 9113 §8.2.3), and the core should match the value the backend
  // gets. An HTTP/1.1 client must send one Cookie line (RFC 6265 §5.4): several join alike.
  const cookie = headers.cookie;
  if (Array.isArray(cookie)) headers.cookie = cookie.join("; ");
  if (facts.remoteAddress) {
    const prior = headers["x-forwarded-for"];
    const client = facts.remoteAddress.startsWith("::ffff:") ? facts.remoteAddress.slice(7) : facts.remoteAddress;
    headers["x-forwarded-for"] = prior === undefined ? client : `${Array.isArray(prior) ? prior.join(", ") : prior}, ${client}`;
  }
  headers["x-forwarded-proto"] = facts.scheme;
  const path = absolute?.path ?? req.url ?? "/";
  const request: GatewayRequest = {
    gateway: facts.gateway,
    port: facts.port,
    scheme: facts.scheme,
    protocol: options.websocket ? "websocket" : h2 ? "HTTP/2" : "HTTP/1.1",
    method: (req.method ?? "GET").toUpperCase(),
    path,
    headers,
  };
  if (host !== undefined) request.host = host;
  if (facts.sni) request.sni = facts.sni;
  if (facts.clientCertificate) request.clientCertificate = facts.clientCertificate;
  const grpc = grpcCall(headers, path, request.method!);
  if (grpc) request.grpc = grpc;
  return request;
}

/** A gRPC call is a POST with content-type application/grpc[+proto|...] to /package.Service/Method. */
function grpcCall(headers: HeaderRecord, path: string, method: string): { service: string; method: string } | null {
  if (method !== "POST") return null;
  const ct = headers["content-type"];
  const type = (Array.isArray(ct) ? ct[0] : ct) ?? "";
  if (method !== "POST" || !/^application\/grpc(?:[+;]|$)/i.test(type)) return null;
  const m = /^\/([^/?]+)\/([^/?]+)$/.exec(path.split("?")[0]!);
  return m ? { service: m[1]!, method: m[2]! } : null;
}

/**
 * An HTTP/1.1 request target in absolute-form (`http://host:port/path?query`, what a client sends
 * to a proxy, e.g. `curl -x`) as its authority and origin-form path. RFC 9112 §3.2.2: a server
 * MUST accept it, and routes by its authority, not the Host field. Null for any other form.
 */
export function absoluteTarget(url: string | undefined): { authority: string; path: string } | null {
  const m = url === undefined ? null : /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/s.exec(url);
  if (!m) return null;
  const rest = m[2]!;
  return { authority: m[1]!, path: rest.startsWith("/") ? rest : `/${rest}` };
}
