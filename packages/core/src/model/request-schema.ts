import { z } from "zod";
import type { GatewayRequest } from "./request.js";

const headerValue = z.union([z.string(), z.array(z.string())]);
const nsName = z.string().regex(/^[^/\s]+\/[^/\s]+$/, "must be namespace/name");

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

/** Checks one request value (e.g. a parsed JSON line); problems are returned, never thrown. */
export function checkRequest(value: unknown): RequestCheck {
  const r = GatewayRequestSchema.safeParse(value);
  if (r.success) return { ok: true, request: r.data as GatewayRequest };
  const issue = r.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
  return { ok: false, message: `${path ? `${path}: ` : ""}${issue.message}` };
}
