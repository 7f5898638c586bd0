import type { GatewayRequest } from "@gwsim/core";
import type { TraceRecord } from "../trace/types.js";

/** The request as decide sees it: without the trace-only `observed` (`user` is part of the request shape). */
export function requestOf(record: TraceRecord): GatewayRequest {
  if (record.observed === undefined) return record;
  const { observed: _observed, ...request } = record;
  return request;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT = /^\d+$/;
const HEX = /^(?=.*\d)[0-9a-f]{8,}$/i;
// Long tokens mixing letters and digits are ids (base64, slugs with hashes), not route names.
const TOKEN = /^(?=.*\d)(?=.*[a-z])[A-Za-z0-9_-]{16,}$/i;

/** The path without its query, each id-like segment replaced by a placeholder. */
export function templatePath(path: string | undefined): string {
  const bare = (path ?? "/").split(/[?#]/)[0] || "/";
  return bare
    .split("/")
    .map((seg) => (seg === "" ? seg : INT.test(seg) ? "{n}" : UUID.test(seg) ? "{uuid}" : HEX.test(seg) ? "{hex}" : TOKEN.test(seg) ? "{id}" : seg))
    .join("/");
}

export function methodOf(r: GatewayRequest): string {
  return (r.method ?? (r.grpc ? "POST" : "GET")).toUpperCase();
}

/** Host without port, lower-case; mesh requests show their Service or address. */
export function hostOf(r: GatewayRequest): string {
  if (r.host) return r.host.toLowerCase().replace(/:\d+$/, "");
  if (r.service) return `service:${r.service}`;
  if (r.address) return `address:${r.address}`;
  return "-";
}

export interface RequestClass {
  method: string;
  host: string;
  path: string;
}

export function classOf(r: GatewayRequest): RequestClass {
  const path = r.grpc && !r.path ? `/${r.grpc.service}/${r.grpc.method}` : templatePath(r.path);
  return { method: methodOf(r), host: hostOf(r), path };
}

export function classKey(c: RequestClass): string {
  return `${c.method} ${c.host}${c.path}`;
}

/** The request as sent, on one line, cut to a readable length. */
export function exampleOf(r: GatewayRequest): string {
  const path = r.path ?? (r.grpc ? `/${r.grpc.service}/${r.grpc.method}` : "/");
  const text = `${methodOf(r)} ${hostOf(r)}${path}`;
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
