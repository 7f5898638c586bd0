import { z } from "zod";
import type { GatewayRequest } from "./request.js";
import { readRequestView } from "../decide/request.js";
import { normalizePath } from "../decide/normalize.js";

const headerValue = z.union([z.string(), z.array(z.string())]);
// A bare name is in namespace `default`, as decide reads it (decide/request.ts namespacedKey).
const nsName = z.string().regex(/^(?:[^/\s]+\/)?[^/\s]+$/, "must be namespace/name or a name in namespace default");

/** The CONTRACT request shape; unknown fields are kept (traces carry extras such as `observed`). */
export const GatewayRequestSchema = z
  .object({
    id: z.unknown().optional(),
    gateway: nsName.optional(),
    service: nsName.optional(),
    address: z.string().optional(),
    from: z.string().optional(),
    port: z.number().int().min(1).max(65535).optional(),
    scheme: z.enum(["http", "https", "tls", "tcp", "udp"]).optional(),
    protocol: z.enum(["HTTP/1.1", "HTTP/2", "h2c", "websocket"]).optional(),
    host: z.string().optional(),
    sni: z.string().optional(),
    clientCertificate: z.string().optional(),
    method: z.string().optional(),
    path: z.string().optional(),
    headers: z.record(z.string(), headerValue).optional(),
    grpc: z.object({ service: z.string(), method: z.string() }).optional(),
    user: z.string().optional(),
    time: z.union([z.string(), z.number()]).optional(),
  })
  .loose();

export type RequestCheck = { ok: true; request: GatewayRequest } | { ok: false; message: string };

/**
 * Checks one request value (e.g. a parsed JSON line) as `decide` reads it, whatever the world:
 * not ok exactly when decide would answer it without routing, for a malformed field (400
 * BadRequest), no entry point (NoEntryPoint), or an HTTP path the gateway answers 400 (one not
 * starting with `/`, a control character, a malformed escape). Reads with decide's own code
 * (readRequestView, normalizePath), so the two cannot disagree. Problems are returned, never thrown.
 */
export function checkRequest(value: unknown): RequestCheck {
  const view = readRequestView(value);
  if (!view.ok) return { ok: false, message: view.message };
  if (view.gateway === null && view.service === null && view.address === null) {
    return { ok: false, message: "request names no entry point (gateway, service or address)" };
  }
  // decide normalizes the target of every HTTP request it routes (decide/http.ts matchInputOf).
  if (view.scheme === "http" || view.scheme === "https") {
    const norm = normalizePath(view.target);
    if (!norm.ok) return { ok: false, message: `path ${JSON.stringify(view.target)} is not valid: ${norm.reason ?? "rejected"}` };
  }
  return { ok: true, request: value as GatewayRequest };
}
