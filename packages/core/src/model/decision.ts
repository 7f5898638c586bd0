/** The decision shape of CONTRACT.md. Fields may be added, never renamed or removed. */
export type Outcome = "forward" | "redirect" | "respond" | "notFound" | "error" | "reject";

export interface BackendId {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  port: number | null;
  /** XBackend only (GEP-4894): the external hostname the gateway connects to, at `port`. */
  hostname?: string;
  /** XBackend only: spec.protocol (`H2C`, `HTTP2`, ...), null when unset. */
  protocol?: string | null;
  /** XBackend only: its spec.tls as the connection uses it; null means cleartext. */
  tls?: XBackendTLS | null;
}

/**
 * The TLS an XBackend asks for (spec.tls, mode ServerOnly or ClientAndServer). `sni` is
 * validation.hostname when validation is set, else the external hostname; without validation the
 * system CAs verify the server (gwsim's choice, docs/decisions.md "XBackend").
 */
export interface XBackendTLS {
  mode: "ServerOnly" | "ClientAndServer";
  sni: string;
  /** `namespace/name` of each CA ConfigMap. */
  caCertificateRefs: string[];
  wellKnownCACertificates: string | null;
  subjectAltNames: unknown[];
  /** `namespace/name` of the client certificate Secret (mode ClientAndServer). */
  clientCertificate: string | null;
}

/**
 * The protocol the gateway speaks to the picked backend (GEP-1911): `http` HTTP/1.1 and `h2c`
 * HTTP/2 with prior knowledge, over cleartext; `https` HTTP/1.1 and `h2` HTTP/2 (ALPN), over TLS.
 * WebSocket upgrades travel over `http` (or `https`).
 */
export type BackendProtocol = "http" | "h2c" | "https" | "h2";

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

/**
 * Edits to the response the client gets (ResponseHeaderModifier, CORS), applied in the order
 * set, add, remove; names lower-case. `set` and `add` hold one string per name, the values of
 * every filter joined with "," (CONTRACT.md). `setAll` and `addAll` hold the same edits with
 * each value a field line of its own, in filter order: the exact form, needed where values must
 * not be folded into one line (Set-Cookie, RFC 6265 §3 and RFC 9110 §5.3), e.g. a rule-level and
 * a backendRef-level ResponseHeaderModifier that both add `set-cookie`. `decide` always fills
 * both, with the same names as `set` and `add` (`set[n] === setAll[n].join(",")`); they are
 * optional for edits built by hand or read from older records (then each `set`/`add` value
 * counts as one line).
 */
export interface HeaderEdits {
  set: Record<string, string>;
  add: Record<string, string>;
  remove: string[];
  /** Each name's set lines: the response's lines of that name become exactly these. */
  setAll?: Record<string, string[]>;
  /** Each name's added lines, appended after the response's own lines of that name. */
  addAll?: Record<string, string[]>;
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

/**
 * Where a decision's session persistence comes from: the route rule's own `sessionPersistence`,
 * or an XBackendTrafficPolicy on the rule's backends (GEP-1619 BackendLBPolicy). Present only
 * on decisions that have `session`.
 */
export interface SessionSource {
  from: "rule" | "policy";
  /** "namespace/name" of the XBackendTrafficPolicy (from: policy), else null. */
  policy: string | null;
  /** from: rule: XBackendTrafficPolicies on the rule's backends whose sessionPersistence the rule's overrides. */
  overrides: string[];
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
  /** Where the session persistence comes from, when the decision has `session`. */
  sessionSource?: SessionSource;
  backendTLS: BackendTLS | null;
  /**
   * How the gateway speaks to `backend` (decide/backend-protocol.ts): from the Service port's
   * appProtocol (an XBackend's spec.protocol), the route kind or a gRPC call, and `backendTLS`.
   * Set on forwarded HTTP and gRPC decisions; absent otherwise and in lean decisions.
   */
  backendProtocol?: BackendProtocol;
  /** Filled only when asked for (`explain: true`). */
  explain?: string[];
  [extra: string]: unknown;
}
