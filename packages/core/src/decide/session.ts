/**
 * Session persistence (GEP-1619) in the backend choice: a rule with `sessionPersistence` reads
 * the session token the request presents (a cookie, or a header, named by the rule). A valid
 * token names one of the rule's backends and pins it, even at weight 0: "a persistent session
 * takes precedence over traffic split weights when selecting a backend after route matching"
 * (GEP-1619, Traffic Splitting). Without a valid token the weighted draw picks the backend and a
 * new session starts. Route matching never looks at the session.
 *
 * The token format lives here so that `gwsim serve` (which issues tokens) and `decide` (which
 * reads them) agree: `g2.` + base64url of `issuedAtSeconds|group|kind|namespace|name|port|endpoint`,
 * each field with `%` and `|` escaped. The endpoint is optional ("" when the token names only
 * the backend). `g1.` tokens (earlier `gwsim serve`: `endpoint|issuedAtSeconds`) name no backend:
 * they decode with `backend: null` and never pin one. Tokens are not signed (as Envoy's stateful
 * session cookies are not): a client can only choose among the rule's own backends.
 */
import type { CompiledRoute, CompiledRule } from "../compile/table.js";
import type { BackendId, Decision, SessionDecision, SessionSource } from "../model/decision.js";
import { durationMs } from "../schema/common.js";
import { headerValues, type Headers } from "./normalize.js";
import type { RuleRuntime } from "./runtime.js";
import type { DecideContext } from "./index.js";

export const SESSION_TOKEN_PREFIX = "g2.";
const LEGACY_PREFIX = "g1.";

export interface SessionToken {
  /** The backend the session is pinned to; null for a `g1.` token, which names only an endpoint. */
  backend: BackendId | null;
  /** `host:port` of the endpoint within the backend, or null. */
  endpoint: string | null;
  /** When the session began, to the second. */
  issuedAtMs: number;
}

export interface SessionTokenInput {
  backend: BackendId;
  endpoint?: string | null;
  issuedAtMs: number;
}

export function encodeSessionToken(t: SessionTokenInput): string {
  const b = t.backend;
  const seconds = Math.max(0, Math.floor(t.issuedAtMs / 1000));
  const fields = [String(seconds), b.group, b.kind, b.namespace, b.name, b.port === null ? "" : String(b.port), t.endpoint ?? ""];
  return SESSION_TOKEN_PREFIX + base64url(utf8.encode(fields.map(escapeField).join("|")));
}

/** The token's content, or null when it is not a token gwsim issued (never throws). */
export function decodeSessionToken(token: string): SessionToken | null {
  if (token.startsWith(SESSION_TOKEN_PREFIX)) {
    const text = decodedText(token.slice(SESSION_TOKEN_PREFIX.length));
    if (text === null) return null;
    const f = text.split("|");
    if (f.length !== 7 || !SECONDS.test(f[0]!) || !(f[5] === "" || PORT.test(f[5]!))) return null;
    const [group, kind, namespace, name, , endpoint] = f.slice(1).map(unescapeField) as [string, string, string, string, string, string];
    if (!kind || !namespace || !name) return null;
    const port = f[5] === "" ? null : Number(f[5]);
    if (port !== null && port > 65535) return null;
    return { backend: { group, kind, namespace, name, port }, endpoint: endpoint || null, issuedAtMs: Number(f[0]) * 1000 };
  }
  if (token.startsWith(LEGACY_PREFIX)) {
    const text = decodedText(token.slice(LEGACY_PREFIX.length));
    if (text === null) return null;
    const bar = text.lastIndexOf("|");
    const seconds = text.slice(bar + 1);
    if (bar <= 0 || !SECONDS.test(seconds)) return null;
    return { backend: null, endpoint: text.slice(0, bar), issuedAtMs: Number(seconds) * 1000 };
  }
  return null;
}

const SECONDS = /^\d{1,15}$/;
const PORT = /^\d{1,5}$/;

function escapeField(s: string): string {
  return s.replace(/[%|]/g, (c) => (c === "%" ? "%25" : "%7C"));
}

function unescapeField(s: string): string {
  return s.replace(/%(25|7C)/g, (_, hex: string) => (hex === "25" ? "%" : "|"));
}

/**
 * The cookie name when `sessionName` is unset: the spec asks for a generated unique name. This
 * one is derived from the route rule (kind/namespace/name/rule index), so it survives restarts
 * and reloads and differs per rule (GEP-1619: rules MUST NOT share sessions): `gwsim-session-`
 * + 12 hex digits of a 64-bit hash of that identity (nameHash).
 */
export function sessionCookieName(route: { kind: string; namespace: string; name: string; rule: number | null }): string {
  return `gwsim-session-${ruleHash(route)}`;
}

function ruleHash(route: { kind: string; namespace: string; name: string; rule: number | null }): string {
  return nameHash(`${route.kind}/${route.namespace}/${route.name}/${route.rule ?? ""}`).slice(0, 12);
}

type RuleSession = Pick<RuleRuntime, "sessionPersistence" | "sessionSource" | "sessionBackends">;

const NO_SESSION: RuleSession = { sessionPersistence: null, sessionSource: null, sessionBackends: null };

/**
 * A rule's session persistence as decide reads it, worked out once per rule: its own
 * `sessionPersistence`, which overrides the backends' XBackendTrafficPolicies (GEP-1619 "API
 * Attachment Points"), else the policies' (compile/backend-traffic.ts picked which and for
 * which backends). Streams (`policiesApply` false) take none from policies.
 *
 * A policy's `sessionName` is scoped to the rule (`<sessionName>-` + the 12 hex digits that
 * also name a rule's generated cookie): GEP-1619 "Route Rules Referencing to a Session
 * Persistent Enabled Service Must Not Share Sessions" (not the same cookie), even when the
 * policy names it. Without `sessionName`, a Cookie session gets the rule's generated name.
 */
export function sessionOfRule(r: CompiledRule, route: CompiledRoute | undefined, policiesApply: boolean): RuleSession {
  const ps = policiesApply ? r.policySession : undefined;
  if (r.sessionPersistence) {
    const overrides = ps ? [ps.policy, ...ps.ignored] : [];
    return { sessionPersistence: r.sessionPersistence, sessionSource: Object.freeze({ from: "rule", policy: null, overrides: Object.freeze(overrides) as string[] }), sessionBackends: null };
  }
  if (!ps) return NO_SESSION;
  const sp = { ...ps.sessionPersistence } as Record<string, unknown>;
  if (typeof sp.sessionName === "string" && sp.sessionName !== "") {
    sp.sessionName = `${sp.sessionName}-${ruleHash({ kind: route?.kind ?? "", namespace: route?.namespace ?? "", name: route?.name ?? "", rule: r.index })}`;
  }
  return {
    sessionPersistence: Object.freeze(sp),
    sessionSource: Object.freeze({ from: "policy", policy: ps.policy, overrides: Object.freeze([]) as unknown as string[] }),
    sessionBackends: ps.backends.every((b) => b) ? null : ps.backends,
  };
}

/** What a rule's `sessionPersistence` comes to, read once per rule. */
interface SessionRule {
  type: "Cookie" | "Header";
  name: string;
  /** The request header that carries the token, lower-case: `cookie`, or the session header. */
  carrier: string;
  /** Milliseconds; 0: no limit. */
  absoluteMs: number;
  /** Lean decisions' session when the request presents no token: built once, frozen. */
  fresh: Readonly<SessionDecision>;
}

const rules = new WeakMap<RuleRuntime, SessionRule | null>();

/**
 * The session of a rule's `sessionPersistence`, or null when it has none: a Header session
 * without `sessionName` (gwsim choice: a client cannot know which header to send back, so no
 * session is kept; the GEP's later revisions make the header name required).
 */
export function sessionRuleOf(r: RuleRuntime): SessionRule | null {
  let rule = rules.get(r);
  if (rule === undefined) {
    rule = readSessionRule(r);
    rules.set(r, rule);
  }
  return rule;
}

function readSessionRule(r: RuleRuntime): SessionRule | null {
  const sp = r.sessionPersistence as { sessionName?: unknown; type?: unknown; absoluteTimeout?: unknown } | null;
  if (!sp || typeof sp !== "object") return null;
  const type = sp.type === "Header" ? "Header" : "Cookie";
  const given = typeof sp.sessionName === "string" ? sp.sessionName : "";
  const name = given || (type === "Cookie" ? sessionCookieName({ kind: r.kind, namespace: r.namespace, name: r.name, rule: r.index }) : "");
  if (!name) return null;
  const absoluteMs = typeof sp.absoluteTimeout === "string" ? durationMs(sp.absoluteTimeout) : 0;
  return { type, name, carrier: type === "Cookie" ? "cookie" : name.toLowerCase(), absoluteMs, fresh: Object.freeze({ type, name, presented: null, pinned: false, endpoint: null }) };
}

/**
 * The tokens a request presents for a session, in order: the values of the cookie `name` in
 * every `cookie` header (RFC 6265 §5.4 `a=1; b=2`, a quoted value unquoted), or the values of
 * the header `name` (comma-separated lists split: a token never holds a comma).
 */
export function presentedSessionTokens(session: { type: "Cookie" | "Header"; name: string }, headers: Headers): string[] {
  const lines = headerValues(headers, session.type === "Cookie" ? "cookie" : session.name);
  const out: string[] = [];
  for (const line of lines) {
    if (session.type === "Header") {
      for (const v of line.split(",")) if (v.trim()) out.push(v.trim());
      continue;
    }
    for (const pair of line.split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0 || pair.slice(0, eq).trim() !== session.name) continue;
      let value = pair.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      out.push(value);
    }
  }
  return out;
}

/**
 * Reads the session for the rule `r` (which has sessionPersistence) into `out.session`, and
 * answers the index of the backend a valid token pins, or -1 for the weighted draw.
 *
 * gwsim choices (docs/decisions.md, "Session persistence"):
 * - Several tokens (cookies of the same name from several paths or domains, header values):
 *   the first valid one in the order sent counts (RFC 6265 §5.4 sends the most specific path
 *   first); none valid → `expired` if one was, else `unknown`.
 * - Expiry needs the request's `time` (decide has no clock): without one, a token never
 *   expires. `absoluteTimeout: 0s` means no limit, as a zero timeout does for HTTPRoute
 *   timeouts. The session has expired once absoluteTimeout has elapsed since it began.
 * - A token names a backend, not a rule: it pins in any rule whose cookie (or header) it is
 *   presented as and that has the backend among its backendRefs (group, kind, namespace, name,
 *   port); the first such backendRef when the rule lists it twice. Distinct names keep rules'
 *   sessions apart (the generated names differ per rule).
 * - The token is read from the request as the client sent it, before any filter edits headers.
 */
export function readSession(ctx: DecideContext, headers: Headers, timeMs: number | null, r: RuleRuntime, out: Decision): number {
  const rule = sessionRuleOf(r);
  const notes = ctx.notes;
  const source = r.sessionSource;
  if (source) {
    out.sessionSource = ctx.lean ? source : { ...source, overrides: [...source.overrides] };
    if (notes) sourceNote(notes, r, source);
  }
  if (rule === null) {
    out.session = null;
    notes?.push("session persistence of type Header without sessionName: no session is kept (gwsim choice; the client could not know which header to send)");
    return -1;
  }
  const label = notes ? `session persistence (${rule.type} ${rule.name})` : "";
  // Most requests of a replay carry no session: answer those without parsing anything.
  const tokens = Object.hasOwn(headers, rule.carrier) ? presentedSessionTokens(rule, headers) : NONE;
  if (tokens.length === 0) {
    out.session = ctx.lean ? rule.fresh : { ...rule.fresh };
    notes?.push(`${label}: no session token presented; the weighted draw picks the backend and a new session starts`);
    return -1;
  }
  let state: "expired" | "unknown" = "unknown";
  for (const token of tokens) {
    const t = decodeSessionToken(token);
    if (t === null || t.backend === null) {
      notes?.push(`${label}: ${t === null ? "malformed token" : "a g1 token names no backend"} ignored`);
      continue;
    }
    const index = backendIndex(r.ids, t.backend);
    if (index < 0) {
      notes?.push(`${label}: token names ${label0(t.backend)}, not a backend of this rule: ignored`);
      continue;
    }
    if (r.sessionBackends !== null && !r.sessionBackends[index]) {
      notes?.push(`${label}: token names ${label0(t.backend)}, which has no session persistence in this rule: ignored`);
      continue;
    }
    if (timeMs !== null && rule.absoluteMs > 0 && timeMs - t.issuedAtMs >= rule.absoluteMs) {
      state = "expired";
      notes?.push(`${label}: token for ${label0(t.backend)} began ${iso(t.issuedAtMs)} and expired at ${iso(t.issuedAtMs + rule.absoluteMs)} (absoluteTimeout)`);
      continue;
    }
    out.session = { type: rule.type, name: rule.name, presented: "valid", pinned: true, endpoint: t.endpoint };
    notes?.push(
      `${label}: valid token pins backend ${label0(t.backend)}${t.endpoint ? ` (endpoint ${t.endpoint})` : ""}; the session takes precedence over the weights (GEP-1619)` +
        (timeMs === null && rule.absoluteMs > 0 ? "; absoluteTimeout not checked: the request has no time" : ""),
    );
    return index;
  }
  out.session = { type: rule.type, name: rule.name, presented: state, pinned: false, endpoint: null };
  notes?.push(`${label}: no valid session token; the weighted draw picks the backend and a new session starts`);
  return -1;
}

const NONE: readonly string[] = [];

function sourceNote(notes: string[], r: RuleRuntime, source: Readonly<SessionSource>): void {
  if (source.from === "rule") {
    if (source.overrides.length) notes.push(`session persistence of the rule overrides that of XBackendTrafficPolicy ${source.overrides.join(", ")} on its backends (GEP-1619)`);
    return;
  }
  const carriers = r.ids.filter((_, i) => r.sessionBackends === null || r.sessionBackends[i]).map(label0);
  notes.push(
    `session persistence from XBackendTrafficPolicy ${source.policy} on backend ${[...new Set(carriers)].join(", ")}; its session is this rule's alone (GEP-1619: rules do not share sessions)` +
      (r.sessionBackends !== null ? "; the other backends keep no session (gwsim: only backends with the policy persist)" : ""),
  );
}

/**
 * After the weighted draw, for a rule whose policy session covers only some backends: a backend
 * without it starts no session (compile/backend-traffic.ts, partial split).
 */
export function sessionAfterDraw(ctx: DecideContext, r: RuleRuntime, index: number, out: Decision): void {
  if (r.sessionBackends === null || r.sessionBackends[index] || !out.session) return;
  out.session = null;
  ctx.notes?.push(`backend ${label0(r.ids[index]!)} has no session persistence in this rule: no session starts`);
}

/** An instant for an explanation; one past what Date represents (a forged token, an odd `time`) as epoch ms. */
function iso(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms after the epoch`;
}

function backendIndex(ids: readonly BackendId[], b: BackendId): number {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id.name === b.name && id.namespace === b.namespace && id.port === b.port && id.kind === b.kind && id.group === b.group) return i;
  }
  return -1;
}

function label0(b: BackendId): string {
  const kind = b.group === "" && b.kind === "Service" ? "" : `${b.kind}${b.group ? `.${b.group}` : ""} `;
  return `${kind}${b.namespace}/${b.name}${b.port !== null ? `:${b.port}` : ""}`;
}

// ---------- encoding ----------

const utf8 = new TextEncoder();
// Invalid UTF-8 becomes U+FFFD: such a token then names nothing, without an exception.
const utf8Decoder = new TextDecoder("utf-8");

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** base64url without padding (RFC 4648 §5). */
function base64url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** The bytes of unpadded base64url text, or null when it is not that. */
function fromBase64url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? VALUES[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

function decodedText(body: string): string | null {
  if (body === "") return null;
  const bytes = fromBase64url(body);
  return bytes === null ? null : utf8Decoder.decode(bytes);
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/**
 * FNV-1a, 64 bits, of the UTF-8 bytes, then MurmurHash3's fmix64 (FNV alone changes few bits
 * for names that differ in the last character: rule 1 and rule 2 would look alike), as 16 hex
 * digits.
 */
function nameHash(text: string): string {
  let h = FNV_OFFSET;
  for (const byte of utf8.encode(text)) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK64;
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & MASK64;
  h ^= h >> 33n;
  h = (h * 0xc4ceb9fe1a85ec53n) & MASK64;
  h ^= h >> 33n;
  return h.toString(16).padStart(16, "0");
}
