/**
 * Session persistence (GEP-1619) on the wire. The core reads the presented token and pins the
 * backend it names (decision.session; packages/core/src/decide/session.ts); here the endpoint
 * within that backend is kept, and the gateway initiates or moves the session by sending a token
 * that names the backend and the endpoint that served the request.
 *
 * Tokens from an earlier gwsim (`g1.`: an endpoint only) still keep their endpoint when the
 * draw lands on a backend that has it; the answer then carries a `g2.` token.
 */
import { decodeSessionToken, encodeSessionToken, presentedSessionTokens, type BackendId, type Decision } from "@gwsim/core";
import { parseDuration } from "./duration.js";
import type { HeaderRecord } from "./headers.js";

export interface SessionPlan {
  kind: "cookie" | "header";
  /** Cookie or header name. */
  name: string;
  /** The endpoint the presented token names, when it is an endpoint of the backend. */
  endpoint: string | null;
  /** The core did not pin the backend: a new session starts, so the answer carries a token even if the endpoint stays. */
  renew: boolean;
  /** Seconds for Max-Age (Permanent cookies), else null (a session cookie). */
  maxAgeSeconds: number | null;
  /** Cookie attribute Secure: the client reached the gateway over TLS. */
  secure: boolean;
  /**
   * The session comes from an XBackendTrafficPolicy: no Path attribute (GEP-1619 "Path": with the
   * policy on a service "the Path attribute MUST be left unset"). Absent for a rule's own session.
   */
  pathless?: true;
  /**
   * When the pinned session began (from the presented token): a token sent because the session
   * moved to another endpoint keeps it, so absoluteTimeout still counts from the session's start.
   */
  startedAtMs?: number;
}

interface SessionConfig {
  absoluteTimeout?: string;
  cookieConfig?: { lifetimeType?: string };
}

const SESSION_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The session of a forwarded request, or null when its rule keeps none. The core has decided
 * whether the presented token is valid (well formed, within absoluteTimeout at the request's
 * time, naming one of the rule's backends); its endpoint is followed only while it is one of
 * the backend's endpoints.
 */
export function sessionOf(d: Decision, headers: HeaderRecord | undefined, addresses: readonly string[], nowMs: number, secure: boolean): SessionPlan | null {
  const s = d.session;
  // A name no cookie or header can carry (the CRD allows any text; lint: session-name-invalid)
  // keeps no session rather than fail the response.
  if (!s || !d.backend || !SESSION_NAME.test(s.name)) return null;
  const sp = (d.sessionPersistence ?? {}) as SessionConfig;
  const absoluteMs = parseDuration(sp.absoluteTimeout);
  let endpoint: string | null = null;
  if (s.pinned) endpoint = s.endpoint !== null && addresses.includes(s.endpoint) ? s.endpoint : null;
  else if (s.presented === "unknown") endpoint = legacyEndpoint(s, headers ?? {}, addresses, nowMs, absoluteMs);
  // Max-Age in whole seconds, rounded up: Max-Age=0 would delete the cookie at once (the token's
  // issue time still ends the session at absoluteTimeout). 0s is no limit, as decide reads it.
  const permanent = s.type === "Cookie" && sp.cookieConfig?.lifetimeType === "Permanent" && absoluteMs !== null && absoluteMs > 0;
  const startedAtMs = s.pinned ? pinnedStart(s, d.backend, headers ?? {}, nowMs, absoluteMs) : null;
  // A moved session's cookie lives for what is left of absoluteTimeout (at least a second).
  const lifetimeMs = permanent ? (startedAtMs !== null ? Math.max(1, startedAtMs + absoluteMs! - nowMs) : absoluteMs!) : 0;
  const plan: SessionPlan = { kind: s.type === "Header" ? "header" : "cookie", name: s.name, endpoint, renew: !s.pinned, maxAgeSeconds: permanent ? Math.ceil(lifetimeMs / 1000) : null, secure };
  if (startedAtMs !== null) plan.startedAtMs = startedAtMs;
  if (d.sessionSource?.from === "policy") plan.pathless = true;
  return plan;
}

/** When the session the core pinned began: the first presented token that names the pinned backend and has not expired (as the core read it). */
function pinnedStart(s: NonNullable<Decision["session"]>, backend: BackendId, headers: HeaderRecord, nowMs: number, absoluteMs: number | null): number | null {
  for (const token of presentedSessionTokens(s, headers)) {
    const t = decodeSessionToken(token);
    const b = t?.backend;
    if (!b || b.group !== backend.group || b.kind !== backend.kind || b.namespace !== backend.namespace || b.name !== backend.name || b.port !== backend.port) continue;
    if ((t.endpoint ?? null) !== s.endpoint) continue;
    if (absoluteMs !== null && absoluteMs > 0 && nowMs - t.issuedAtMs >= absoluteMs) continue;
    return t.issuedAtMs;
  }
  return null;
}

/** The endpoint of a presented `g1.` token that is an endpoint of the backend and within absoluteTimeout. */
function legacyEndpoint(s: NonNullable<Decision["session"]>, headers: HeaderRecord, addresses: readonly string[], nowMs: number, absoluteMs: number | null): string | null {
  for (const token of presentedSessionTokens(s, headers)) {
    const t = decodeSessionToken(token);
    if (!t || t.backend !== null || t.endpoint === null || !addresses.includes(t.endpoint)) continue;
    if (absoluteMs !== null && absoluteMs > 0 && nowMs - t.issuedAtMs >= absoluteMs) continue;
    return t.endpoint;
  }
  return null;
}

/**
 * The response field that starts (or moves) a session: `set-cookie` with Path=/ for a rule's own
 * session (GEP-1619: "for an xRoute that matches all paths, the Path should be set to /") and
 * none for an XBackendTrafficPolicy's, HttpOnly and SameSite=Strict (the GEP's security-by-default), Secure over
 * TLS, Max-Age for a Permanent cookie; or the session header itself. The token names the
 * backend and the endpoint that served the request.
 */
export function sessionField(plan: SessionPlan, backend: BackendId, endpoint: string, nowMs: number): [string, string] {
  const token = encodeSessionToken({ backend, endpoint, issuedAtMs: plan.startedAtMs ?? nowMs });
  if (plan.kind === "header") return [plan.name.toLowerCase(), token];
  let cookie = `${plan.name}=${token}${plan.pathless ? "" : "; Path=/"}; HttpOnly; SameSite=Strict`;
  if (plan.secure) cookie += "; Secure";
  if (plan.maxAgeSeconds !== null) cookie += `; Max-Age=${plan.maxAgeSeconds}`;
  return ["set-cookie", cookie];
}
