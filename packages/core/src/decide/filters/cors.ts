/**
 * The CORS filter (GEP-1767; HTTPCORSFilter doc comment). The gateway answers a preflight
 * itself and never passes it upstream (GEP-1767: "any path containing a CORS filter MUST NOT
 * pass the request to the upstream"); for an actual cross-origin request it adds the CORS
 * response headers.
 */
import type { RouteFilter } from "../../resolve/graph.js";

export type CORSPolicy = NonNullable<RouteFilter["cors"]>;

/**
 * Status of the gateway's answer to a preflight. The spec allows 200 or 204 (and 403 for a
 * denied one); gwsim answers 200 either way, as Envoy's CORS filter does, so that a denied
 * preflight differs from an allowed one only by its missing headers, as GEP-1767 describes.
 */
export const PREFLIGHT_STATUS = 200;

/** `Access-Control-Max-Age` when `maxAge` is unset (the API default). */
export const DEFAULT_MAX_AGE = 5;

export type CORSOutcome =
  | { kind: "preflight"; allowed: boolean; headers: Record<string, string>; note: string }
  | { kind: "actual"; headers: Record<string, string>; note: string }
  | { kind: "none"; note: string | null };

/**
 * A preflight is OPTIONS with both `Origin` and `Access-Control-Request-Method` (Fetch
 * standard, CORS-preflight request). Header names in `headers` are lower-case.
 */
export function applyCORS(policy: CORSPolicy, method: string, headers: (name: string) => string | undefined): CORSOutcome {
  const origin = headers("origin");
  const requestMethod = headers("access-control-request-method");
  const preflight = method === "OPTIONS" && origin !== undefined && requestMethod !== undefined;
  if (origin === undefined) return { kind: "none", note: null };
  const allowed = originAllowed(policy.allowOrigins ?? [], origin);
  if (preflight) {
    if (!allowed) return { kind: "preflight", allowed: false, headers: {}, note: `CORS: preflight from ${origin} not allowed; answered ${PREFLIGHT_STATUS} without CORS headers` };
    const h = commonHeaders(policy, origin);
    const methods = allowMethodsValue(policy.allowMethods ?? [], requestMethod);
    if (methods !== null) h["access-control-allow-methods"] = methods;
    const allowHeaders = allowHeadersValue(policy.allowHeaders ?? [], headers("access-control-request-headers"));
    if (allowHeaders !== null) h["access-control-allow-headers"] = allowHeaders;
    h["access-control-max-age"] = String(policy.maxAge ?? DEFAULT_MAX_AGE);
    return { kind: "preflight", allowed: true, headers: h, note: `CORS: preflight from ${origin} for ${requestMethod} allowed; answered ${PREFLIGHT_STATUS}` };
  }
  if (!allowed) return { kind: "none", note: `CORS: origin ${origin} not allowed; no CORS headers added` };
  return { kind: "actual", headers: commonHeaders(policy, origin), note: `CORS: origin ${origin} allowed; CORS headers added to the response` };
}

/**
 * Headers on every allowed response. `Access-Control-Allow-Origin` always echoes the request's
 * Origin, even for `allowOrigins: ["*"]`: the spec allows `*` or the echo without credentials
 * and requires the echo with them, so echoing is right in both cases (Envoy does the same).
 */
function commonHeaders(policy: CORSPolicy, origin: string): Record<string, string> {
  const h: Record<string, string> = { "access-control-allow-origin": origin };
  if (policy.allowCredentials === true) h["access-control-allow-credentials"] = "true";
  const expose = policy.exposeHeaders ?? [];
  if (expose.length === 1 && expose[0] === "*") {
    // With credentials `*` would mean the literal header name "*", and the gateway cannot know
    // the response's header names in advance, so the header is left out.
    if (policy.allowCredentials !== true) h["access-control-expose-headers"] = "*";
  } else if (expose.length > 0) h["access-control-expose-headers"] = expose.join(", ");
  return h;
}

/** `*` is answered with the requested method, valid with and without credentials. */
function allowMethodsValue(allowMethods: string[], requestMethod: string): string | null {
  if (allowMethods.length === 0) return null;
  if (allowMethods.includes("*")) return requestMethod;
  return allowMethods.join(", ");
}

/** `*` is answered with the requested headers (omitted when none were requested). */
function allowHeadersValue(allowHeaders: string[], requested: string | undefined): string | null {
  if (allowHeaders.length === 0) return null;
  if (allowHeaders.includes("*")) {
    const names = (requested ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    return names.length ? names.join(", ") : null;
  }
  return allowHeaders.join(", ");
}

interface Origin {
  scheme: string;
  host: string;
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

function parseOrigin(s: string): Origin | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?$/i.exec(s.trim());
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  const port = m[3] !== undefined ? Number(m[3]) : DEFAULT_PORTS[scheme];
  if (port === undefined) return null;
  return { scheme, host: m[2]!.toLowerCase(), port };
}

/**
 * Origin matching per HTTPCORSFilter.allowOrigins: `*` alone allows every origin; otherwise
 * scheme, host and port must match, a missing port being 80 for http and 443 for https; `*`
 * in the host is a greedy match to the left over any number of labels, so `https://*.bar.com`
 * matches `https://www.bar.com` and `https://a.b.bar.com` but not `https://bar.com`.
 */
export function originAllowed(allowOrigins: string[], origin: string): boolean {
  if (allowOrigins.includes("*")) return true;
  const o = parseOrigin(origin);
  if (!o) return false;
  return allowOrigins.some((pattern) => {
    const p = parseOrigin(pattern);
    if (!p || p.scheme !== o.scheme || p.port !== o.port) return false;
    if (!p.host.includes("*")) return p.host === o.host;
    const re = new RegExp("^" + p.host.split("*").map(escapeRegExp).join(".+") + "$");
    return re.test(o.host);
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
