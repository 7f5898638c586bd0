/**
 * The resolved graph: what a Gateway API controller knows after reading every object.
 * `resolve` produces it (with status); `compile` turns it into the route table `decide` uses.
 * Shapes follow the Gateway API field names after API-server defaulting.
 * Everything here is plain, immutable, JSON-serializable data.
 */
import type { XBackendTLS } from "../model/decision.js";
import type { SourcePosition } from "../model/diagnostic.js";
import type { ResolvedBackendTrafficPolicy } from "./backend-traffic.js";

export interface NamespacedName {
  namespace: string;
  name: string;
}

export interface ObjectRef extends NamespacedName {
  group: string;
  kind: string;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime?: string;
}

// ---------- listeners ----------

export type ListenerProtocol = "HTTP" | "HTTPS" | "TLS" | "TCP" | "UDP" | (string & {});

export interface ResolvedCertificate extends NamespacedName {
  /** PEM text of the certificate chain and key, when the Secret resolved. */
  certPem: string | null;
  keyPem: string | null;
  /** DNS names / CN of the certificate, lower-case, when it parsed. */
  dnsNames: string[];
  valid: boolean;
  reason: string | null;
}

export interface ResolvedListener {
  /** Stable id: `gateway/<ns>/<gw>/listener/<name>` or `listenerset/<ns>/<ls>/listener/<name>`. */
  id: string;
  gateway: NamespacedName;
  /** The ListenerSet the listener comes from, when not from the Gateway itself. */
  listenerSet: NamespacedName | null;
  name: string;
  port: number;
  protocol: ListenerProtocol;
  /** Listener hostname (may be a wildcard `*.example.com`); null matches every host. */
  hostname: string | null;
  tls: {
    mode: "Terminate" | "Passthrough";
    certificates: ResolvedCertificate[];
    /** Frontend client-certificate validation (Gateway spec.tls.frontend, per port). */
    frontendValidation: {
      caCertificates: { namespace: string; name: string; kind: string; pem: string | null }[];
      mode: "AllowValidOnly" | "AllowInsecureFallback";
    } | null;
    options: Record<string, string>;
  } | null;
  /** Route kinds this listener accepts after resolving allowedRoutes.kinds. */
  supportedKinds: { group: string; kind: string }[];
  /**
   * False when the listener is not programmed (conflicted, unsupported protocol, invalid
   * certificate refs, Gateway not accepted, ...). Such a listener takes no traffic.
   */
  ready: boolean;
  source?: SourcePosition;
}

// ---------- routes ----------

export type RouteKind = "HTTPRoute" | "GRPCRoute" | "TLSRoute" | "TCPRoute" | "UDPRoute";

export interface HTTPPathMatch {
  type: "Exact" | "PathPrefix" | "RegularExpression";
  value: string;
}
export interface HTTPHeaderMatch {
  type: "Exact" | "RegularExpression";
  name: string;
  value: string;
}
export interface HTTPRouteMatch {
  path: HTTPPathMatch | null;
  headers: HTTPHeaderMatch[];
  queryParams: HTTPHeaderMatch[];
  method: string | null;
}
export interface GRPCRouteMatch {
  method: { type: "Exact" | "RegularExpression"; service: string | null; method: string | null } | null;
  headers: HTTPHeaderMatch[];
}

export interface HeaderModifier {
  set: { name: string; value: string }[];
  add: { name: string; value: string }[];
  remove: string[];
}

export interface PathModifier {
  type: "ReplaceFullPath" | "ReplacePrefixMatch";
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

/** A route or backendRef filter, as in the API (type plus the one matching field). */
export interface RouteFilter {
  type:
    | "RequestHeaderModifier"
    | "ResponseHeaderModifier"
    | "RequestRedirect"
    | "URLRewrite"
    | "RequestMirror"
    | "CORS"
    | "ExternalAuth"
    | "ExtensionRef"
    | (string & {});
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
  requestRedirect?: {
    scheme?: string;
    hostname?: string;
    path?: PathModifier;
    port?: number;
    statusCode?: number;
  };
  urlRewrite?: { hostname?: string; path?: PathModifier };
  requestMirror?: {
    backendRef: ResolvedBackend;
    percent?: number;
    fraction?: { numerator: number; denominator?: number };
  };
  cors?: {
    allowOrigins?: string[];
    allowCredentials?: boolean;
    allowMethods?: string[];
    allowHeaders?: string[];
    exposeHeaders?: string[];
    maxAge?: number;
  };
  extensionRef?: { group: string; kind: string; name: string };
  /** ExternalAuth (experimental): the API fields as written, with the backendRef resolved. */
  externalAuth?: { protocol: string; backendRef: ResolvedBackend; [field: string]: unknown };
  /** Set by resolve when the filter cannot be honoured: requests it would handle answer 500. */
  invalid?: { reason: string; message: string } | null;
}

export interface ResolvedBackend extends ObjectRef {
  port: number | null;
  weight: number;
  /** False when the ref cannot be used (not found, not permitted, unsupported kind, ...). */
  valid: boolean;
  /** A ResolvedRefs reason (BackendNotFound, RefNotPermitted, InvalidKind, UnsupportedProtocol). */
  reason: string | null;
  message: string | null;
  /** backendRef-level filters: apply only to requests sent to this backend. */
  filters: RouteFilter[];
  /** Service port appProtocol, when the Service declares one; an XBackend's spec.protocol. */
  appProtocol: string | null;
  /** Set when the ref names an XBackend that exists (valid is false while it is not Accepted). */
  xbackend?: ResolvedXBackendTarget | null;
}

/** Where and how the gateway connects for an XBackend (GEP-4894, type ExternalHostname). */
export interface ResolvedXBackendTarget {
  hostname: string;
  port: number;
  protocol: string | null;
  /** Null when spec.tls is absent or mode None (cleartext). */
  tls: XBackendTLS | null;
}

export interface ResolvedXBackend extends NamespacedName, ResolvedXBackendTarget {
  /** The Accepted condition: false when gwsim cannot connect as the object asks (then every ref to it answers 500). */
  accepted: boolean;
  reason: string;
  message: string;
}

export interface ResolvedRule {
  index: number;
  name: string | null;
  /** HTTPRoute/GRPCRoute matches after defaulting (HTTPRoute: no matches → PathPrefix "/"). */
  matches: (HTTPRouteMatch | GRPCRouteMatch)[];
  filters: RouteFilter[];
  backends: ResolvedBackend[];
  timeouts: { request?: string; backendRequest?: string } | null;
  retry: { attempts?: number; backoff?: string; codes?: number[] } | null;
  sessionPersistence: Record<string, unknown> | null;
  /**
   * Set by resolve when the rule cannot be programmed (unsupported match or filter value,
   * incompatible filters): the rule is dropped, compile must skip it. The index stays stable.
   */
  invalid?: { reason: string; message: string } | null;
}

export interface ResolvedRoute {
  kind: RouteKind;
  namespace: string;
  name: string;
  /** RFC 3339 or null: a route without one counts as newer than every route that has one. */
  creationTimestamp: string | null;
  generation: number;
  /** spec.hostnames as written (lower-case). Empty for TCP/UDP routes. */
  hostnames: string[];
  rules: ResolvedRule[];
  source?: SourcePosition;
}

/** One route attached to one listener through one of its parentRefs. */
export interface Attachment {
  /** Index into Graph.routes. */
  route: number;
  /** Id of the listener. */
  listener: string;
  parentRefIndex: number;
  /**
   * The hostnames the route serves on this listener: the intersection of the route's
   * hostnames with the listener's hostname (GEP-718). Empty means "any host the listener takes".
   */
  hostnames: string[];
}

/** A route attached to a Service (GAMMA mesh parentRef). */
export interface MeshAttachment {
  route: number;
  service: NamespacedName;
  /** parentRef.port, or null for every port of the Service. */
  port: number | null;
  parentRefIndex: number;
}

export interface ResolvedService extends NamespacedName {
  clusterIP: string | null;
  type: string;
  ports: { name: string | null; port: number; targetPort: number | string | null; protocol: string; appProtocol: string | null }[];
  externalName: string | null;
}

export interface ResolvedBackendTLSPolicy extends NamespacedName {
  targets: { group: string; kind: string; name: string; sectionName: string | null }[];
  hostname: string;
  caCertificateRefs: { group: string; kind: string; name: string }[];
  wellKnownCACertificates: string | null;
  subjectAltNames: unknown[];
  clientCertificate: string | null;
  /**
   * False when the policy's CA certificates do not resolve (Accepted=False, NoValidCACertificate,
   * or wellKnownCACertificates not supported): connections to its targets must fail with a 5xx.
   * Policies that lost a conflict to an older one are not in the graph at all.
   */
  valid?: boolean;
  reason?: string | null;
  message?: string | null;
  /** CA bundles (PEM) of the caCertificateRefs that resolved. */
  caCertificates?: { kind: string; name: string; pem: string }[];
}

/** A Gateway gwsim acts for. */
export interface ResolvedGateway extends NamespacedName {
  className: string;
  controllerName: string;
  accepted: boolean;
  programmed: boolean;
  /** status.addresses: an accepted Gateway's spec addresses of a supported type (gwsim assigns none of its own). */
  addresses: { type: string; value: string }[];
  /** spec.tls.backend.clientCertificateRef, resolved: the certificate shown to TLS backends. */
  backendClientCertificate: { namespace: string; name: string; certPem: string | null; keyPem: string | null; valid: boolean } | null;
  /** ListenerSets attached to this Gateway, in listener precedence order. */
  listenerSets: NamespacedName[];
}

export interface StatusItem {
  apiVersion: string;
  kind: string;
  metadata: { namespace?: string; name: string; generation?: number };
  status: Record<string, unknown>;
}

export interface Graph {
  /** Gateways gwsim acts for, sorted by namespace/name. */
  gateways?: ResolvedGateway[];
  listeners: ResolvedListener[];
  routes: ResolvedRoute[];
  attachments: Attachment[];
  meshAttachments: MeshAttachment[];
  services: ResolvedService[];
  backendTLSPolicies: ResolvedBackendTLSPolicy[];
  /** Accepted XBackendTrafficPolicies (conflict losers are not here); absent in hand-made graphs. */
  backendTrafficPolicies?: ResolvedBackendTrafficPolicy[];
  /** XBackends, sorted by namespace/name; absent in hand-made graphs. */
  xbackends?: ResolvedXBackend[];
  /** The `gwsim status --json` items, in a stable order. */
  status: StatusItem[];
}
