/**
 * Session persistence (GEP-1619) as far as a data plane carries it: the rule's
 * `sessionPersistence` (from the decision) names a cookie or header; the gateway initiates the
 * session by sending a token that names the endpoint that served the request, and a later
 * request presenting the token goes to that endpoint again, as long as it is still an endpoint
 * of the backend the core picked for the request.
 *
 * Which backend (Service) serves a request stays the core's weighted draw: with a split across
 * several backends, keeping a session on one of them needs the core to read the token
 * (docs/decisions.md, "Session persistence"). Here only the endpoint within the picked backend
 * is kept, the one choice the core leaves to the data plane.
 */
import { createHash } from "node:crypto";
import type { Decision } from "@gwsim/core";
import { parseDuration } from "./duration.js";
import type { HeaderRecord } from "./headers.js";

/** The token format's version prefix: lets a later format tell old tokens apart. */
const TOKEN_PREFIX = "g1.";

export interface SessionPlan {
  kind: "cookie" | "header";
  /** Cookie or header name. */
  name: string;
  /** The endpoint a valid presented token names, when it is an endpoint of the picked backend. */
  endpoint: string | null;
  /** Seconds for Max-Age (Permanent cookies), else null (a session cookie). */
  maxAgeSeconds: number | null;
  /** Cookie attribute Secure: the client reached the gateway over TLS. */
  secure: boolean;
}

interface SessionConfig {
  sessionName?: string;
  type?: string;
  absoluteTimeout?: string;
  cookieConfig?: { lifetimeType?: string };
}

/** The token: the endpoint address and when the session began, base64url; opaque to clients. */
export function encodeToken(endpoint: string, issuedAtMs: number): string {
  return TOKEN_PREFIX + Buffer.from(`${endpoint}|${Math.floor(issuedAtMs / 1000)}`, "utf8").toString("base64url");
}

export function decodeToken(token: string): { endpoint: string; issuedAtMs: number } | null {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const text = Buffer.from(token.slice(TOKEN_PREFIX.length), "base64url").toString("utf8");
  const bar = text.lastIndexOf("|");
  const seconds = Number(text.slice(bar + 1));
  if (bar <= 0 || !Number.isSafeInteger(seconds)) return null;
  return { endpoint: text.slice(0, bar), issuedAtMs: seconds * 1000 };
}

/**
 * The cookie name when `sessionName` is unset: the spec asks for a generated unique name; this
 * one is derived from the route rule, so it is the same across restarts and reloads.
 */
export function generatedName(d: Pick<Decision, "route">): string {
  const r = d.route;
  const id = r ? `${r.kind}/${r.namespace}/${r.name}/${r.rule}` : "";
  return `gwsim-session-${createHash("sha256").update(id).digest("hex").slice(0, 12)}`;
}

/** Values of one cookie in a `cookie` request header (RFC 6265 §5.4: `name=value; name2=value2`). */
function cookieValues(header: string | string[] | undefined, name: string): string[] {
  const out: string[] = [];
  for (const line of Array.isArray(header) ? header : header === undefined ? [] : [header]) {
    for (const pair of line.split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
      out.push(pair.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1"));
    }
  }
  return out;
}

/**
 * The session of a forwarded request, or null when its rule has none. A presented token counts
 * when it is well formed, within `absoluteTimeout` (for both lifetimes: Permanent cookies carry
 * it as Max-Age too, Session cookies only through the token) and names an endpoint of the
 * backend the core picked; the adapter never follows a token anywhere else.
 */
export function sessionOf(d: Decision, headers: HeaderRecord | undefined, addresses: readonly string[], nowMs: number, secure: boolean): SessionPlan | null {
  const sp = d.sessionPersistence as SessionConfig | null;
  if (!sp || typeof sp !== "object") return null;
  const kind = sp.type === "Header" ? "header" : "cookie";
  const name = sp.sessionName || (kind === "header" ? "" : generatedName(d));
  // A header session needs a name the client knows; without sessionName there is none to use.
  if (!name) return null;
  const absoluteMs = sp.absoluteTimeout ? parseDuration(sp.absoluteTimeout) : null;
  const presented = kind === "cookie" ? cookieValues(headers?.cookie, name) : valuesOf(headers?.[name.toLowerCase()]);
  let endpoint: string | null = null;
  for (const token of presented) {
    const t = decodeToken(token);
    if (!t || !addresses.includes(t.endpoint)) continue;
    if (absoluteMs !== null && absoluteMs > 0 && nowMs - t.issuedAtMs > absoluteMs) continue;
    endpoint = t.endpoint;
    break;
  }
  const permanent = kind === "cookie" && sp.cookieConfig?.lifetimeType === "Permanent" && absoluteMs !== null;
  return { kind, name, endpoint, maxAgeSeconds: permanent ? Math.floor(absoluteMs! / 1000) : null, secure };
}

function valuesOf(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",").map((x) => x.trim()));
}

/**
 * The response field that starts (or moves) a session: `set-cookie` with Path=/ (the matched
 * route path is not in the decision; "/" is what later versions of the GEP make the default),
 * HttpOnly and SameSite=Strict (the GEP's security-by-default), Secure over TLS, Max-Age for a
 * Permanent cookie; or the session header itself.
 */
export function sessionField(plan: SessionPlan, endpoint: string, nowMs: number): [string, string] {
  const token = encodeToken(endpoint, nowMs);
  if (plan.kind === "header") return [plan.name.toLowerCase(), token];
  let cookie = `${plan.name}=${token}; Path=/; HttpOnly; SameSite=Strict`;
  if (plan.secure) cookie += "; Secure";
  if (plan.maxAgeSeconds !== null) cookie += `; Max-Age=${plan.maxAgeSeconds}`;
  return ["set-cookie", cookie];
}
