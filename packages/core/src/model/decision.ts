/** The decision shape of CONTRACT.md. Fields may be added, never renamed or removed. */
export type Outcome = "forward" | "redirect" | "respond" | "notFound" | "error" | "reject";

export interface BackendId {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  port: number | null;
}

export interface BackendShare extends BackendId {
  weight: number;
  probability: number;
  valid: boolean;
  /** Why the backend is invalid (a ResolvedRefs reason such as BackendNotFound), else null. */
  reason: string | null;
}

export interface ListenerRef {
  gateway: string;
  name: string;
  port: number;
  /** Set when the listener comes from a ListenerSet ("namespace/name"). */
  listenerSet?: string | null;
}

export interface RouteRef {
  kind: string;
  namespace: string;
  name: string;
  rule: number | null;
  ruleName: string | null;
  match: number | null;
}

export interface ForwardedRequest {
  method: string;
  scheme: string;
  host: string;
  path: string;
  headers: Record<string, string | string[]>;
}

export interface HeaderEdits {
  set: Record<string, string>;
  add: Record<string, string>;
  remove: string[];
}

export interface Mirror {
  backend: BackendId;
  percent: number;
  valid?: boolean;
  reason?: string | null;
}

export interface BackendTLS {
  policy: string;
  sni: string;
  caCertificateRefs: string[];
  wellKnownCACertificates: string | null;
  subjectAltNames: unknown[];
  clientCertificate: string | null;
}

/**
 * The session of a rule with `sessionPersistence` (GEP-1619), as `decide` read it from the
 * request (decide/session.ts). Present only on decisions whose matched rule has one.
 */
export interface SessionDecision {
  type: "Cookie" | "Header";
  /** The cookie or header that carries the session token. */
  name: string;
  /**
   * What the request presented: a `valid` token (it pins the backend), an `expired` one (past
   * absoluteTimeout), an `unknown` one (malformed, or naming no backend of this rule), or null
   * (no token).
   */
  presented: "valid" | "expired" | "unknown" | null;
  /** The token chose the backend (the weighted draw was skipped); false: a new session starts. */
  pinned: boolean;
  /** The endpoint the valid token names, which the data plane keeps while it still serves; else null. */
  endpoint: string | null;
}

export interface Decision {
  id?: unknown;
  outcome: Outcome;
  status: number | null;
  grpcStatus?: number | null;
  listener: ListenerRef | null;
  route: RouteRef | null;
  backend: BackendId | null;
  backends: BackendShare[];
  forwarded: ForwardedRequest | null;
  redirect: { status: number; location: string } | null;
  responseHeaders: HeaderEdits | null;
  mirrors: Mirror[];
  timeouts: { request?: string; backendRequest?: string } | null;
  retry: { attempts?: number; backoff?: string; codes?: number[] } | null;
  sessionPersistence: unknown | null;
  /** The session read from the request, when the rule has `sessionPersistence` (absent otherwise). */
  session?: SessionDecision | null;
  backendTLS: BackendTLS | null;
  /** Filled only when asked for (`explain: true`). */
  explain?: string[];
  [extra: string]: unknown;
}
