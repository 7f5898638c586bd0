/**
 * The route table: the compiled, frozen, JSON-serializable IR that `decide` reads.
 *
 * Everything a decision needs is precomputed here: listeners indexed by (gateway, port,
 * protocol) and hostname, and per listener hostname a candidate list already sorted by the
 * HTTPRoute precedence comparator, bucketed for fast rejection (exact-path map, path-prefix
 * map keyed by the prefix without its trailing `/`, and the few RegularExpression matches).
 * Lookup maps are plain objects so the table prints as JSON (`/config`); `decide` turns
 * them into Maps once per table (decide/runtime.ts).
 */
import type { CompiledBackendTrafficPolicy, CompiledPolicySession } from "./backend-traffic.js";
import type { SourcePosition } from "../model/diagnostic.js";
import type { GRPCRouteMatch, HTTPHeaderMatch, HTTPPathMatch, RouteFilter, ResolvedXBackendTarget } from "../resolve/graph.js";

export const ROUTE_TABLE_VERSION = 1;

/**
 * A hostname index: exact hostnames, wildcard suffixes (`*.example.com` is stored under
 * `.example.com`) and the catch-all. Values index into the owner's array (listeners of a
 * gateway port, or groups of a listener).
 */
export interface HostIndex {
  readonly exact: Readonly<Record<string, number>>;
  readonly wildcard: Readonly<Record<string, number>>;
  readonly any: number | null;
}

export interface CompiledGatewayPort {
  /** Listener protocol (HTTP, HTTPS, TLS, TCP, UDP) → index over that protocol's listeners. */
  readonly protocols: Readonly<Record<string, HostIndex>>;
  /** Every listener on the port (indices into RouteTable.listeners), programmed or not. */
  readonly listeners: readonly number[];
}

export interface CompiledGateway {
  /** `gateway/<ns>/<name>` */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** Port number (as a string key) → listeners on that port. */
  readonly ports: Readonly<Record<string, CompiledGatewayPort>>;
  readonly listeners: readonly number[];
  /**
   * `namespace/name` of the Secret in spec.tls.backend.clientCertificateRef, when it resolved:
   * the certificate the Gateway presents to backends it speaks TLS to (BackendTLSPolicy).
   */
  readonly backendClientCertificate?: string | null;
}

export interface CompiledCertificate {
  readonly ref: string;
  readonly dnsNames: readonly string[];
  readonly valid: boolean;
}

export interface CompiledListener {
  /** The graph's listener id: `gateway/<ns>/<gw>/listener/<name>` (or `listenerset/...`). */
  readonly id: string;
  /** "namespace/name" of the Gateway. */
  readonly gateway: string;
  /** "namespace/name" of the ListenerSet the listener comes from, else null. */
  readonly listenerSet: string | null;
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  /** null matches every host. */
  readonly hostname: string | null;
  readonly ready: boolean;
  readonly tls: {
    readonly mode: string;
    readonly certificates: readonly CompiledCertificate[];
    /** Client certificate validation (Gateway spec.tls.frontend), with the CA bundles' PEM. */
    readonly frontendValidation: {
      readonly mode: "AllowValidOnly" | "AllowInsecureFallback";
      readonly caCertificates: readonly { readonly ref: string; readonly pem: string | null }[];
    } | null;
  } | null;
  /** Route hostname groups on this listener, most specific first. */
  readonly groups: readonly CompiledGroup[];
  /** Request host → index into `groups`. */
  readonly hosts: HostIndex;
  /** Indices into RouteTable.routes of the HTTPRoutes attached here. */
  readonly routes: readonly number[];
  /** The GRPCRoutes attached here, by hostname (HTTP and HTTPS listeners). */
  readonly grpc: CompiledGrpcRoutes;
  /** The TLSRoutes (by SNI hostname), TCPRoutes or UDPRoutes attached here. */
  readonly streams: CompiledStreamRoutes;
  readonly source: SourcePosition | null;
}

/** GRPCRoutes that serve one set of hosts: hostname groups like `groups`, with their own index. */
export interface CompiledGrpcRoutes {
  readonly groups: readonly CompiledGrpcGroup[];
  readonly hosts: HostIndex;
  /** Indices into RouteTable.grpcRoutes. */
  readonly routes: readonly number[];
}

/** Every GRPCRoute match that serves one hostname, in GRPCRoute precedence order. */
export interface CompiledGrpcGroup {
  /** `<owner id>/grpc/host/<hostname>` */
  readonly id: string;
  readonly hostname: string;
  /** Indices into RouteTable.grpcMatches, in precedence order. */
  readonly order: readonly number[];
  /** Indices into RouteTable.grpcRoutes. */
  readonly routes: readonly number[];
}

/** Stream routes (no matches) by hostname: TLSRoutes by SNI; TCP and UDP routes all under `*`. */
export interface CompiledStreamRoutes {
  readonly groups: readonly CompiledStreamGroup[];
  readonly hosts: HostIndex;
  /** Indices into RouteTable.streamRoutes. */
  readonly routes: readonly number[];
  /**
   * TLS listeners (Terminate): the TCPRoutes attached, in stream precedence order (not in
   * `groups`). They take the connections whose SNI no TLSRoute hostname matches. Absent when none.
   */
  readonly tcpRoutes?: readonly number[];
}

export interface CompiledStreamGroup {
  readonly id: string;
  readonly hostname: string;
  /** Indices into RouteTable.streamRoutes, in precedence order: the first one takes the traffic. */
  readonly routes: readonly number[];
}

export interface CompiledGrpcMatch {
  /** `grpcroute/<ns>/<name>/rule/<i>/match/<j>` */
  readonly id: string;
  /** Index into RouteTable.grpcRoutes. */
  readonly route: number;
  /** Index into RouteTable.grpcRules. */
  readonly rule: number;
  readonly ruleIndex: number;
  readonly matchIndex: number;
  /** null matches every service and method. */
  readonly method: NonNullable<GRPCRouteMatch["method"]> | null;
  /** Header matches after dropping repeated names; names lower-case. */
  readonly headers: readonly HTTPHeaderMatch[];
  readonly never: string | null;
}

/**
 * All matches of the routes that serve one hostname on one listener, sorted by precedence.
 * `order` is the full sorted list; the buckets hold the same entries, each bucket sorted.
 */
export interface CompiledGroup {
  /** `<listener id>/host/<hostname>` */
  readonly id: string;
  /** The (intersected) hostname: exact, `*.suffix`, or `*` for every host. */
  readonly hostname: string;
  /** Indices into RouteTable.matches, in precedence order. */
  readonly order: readonly number[];
  /** Exact path → matches (Exact type). */
  readonly exactPaths: Readonly<Record<string, readonly number[]>>;
  /** Prefix without trailing `/` ("" for `/`) → PathPrefix matches. */
  readonly prefixes: Readonly<Record<string, readonly number[]>>;
  /** RegularExpression path matches. */
  readonly regexes: readonly number[];
  /** Route indices present in this group (for explanations). */
  readonly routes: readonly number[];
}

export interface CompiledRoute {
  /** `httproute/<ns>/<name>` */
  readonly id: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp: string | null;
  /** creationTimestamp in epoch ms; null when absent or unparseable (newer than all). */
  readonly createdMs: number | null;
  readonly hostnames: readonly string[];
  readonly rules: readonly number[];
  readonly source: SourcePosition | null;
}

export interface CompiledBackend {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly port: number | null;
  readonly weight: number;
  /** weight / total weight of the rule (0 when the total is 0). */
  readonly probability: number;
  readonly valid: boolean;
  readonly reason: string | null;
  readonly message: string | null;
  readonly filters: readonly RouteFilter[];
  readonly appProtocol: string | null;
  /** XBackend backends: the external hostname, port, protocol and TLS (absent for Services). */
  readonly xbackend?: ResolvedXBackendTarget | null;
}

export interface CompiledRule {
  /** `httproute/<ns>/<name>/rule/<i>` */
  readonly id: string;
  readonly route: number;
  readonly index: number;
  readonly name: string | null;
  /** Indices into RouteTable.matches, in list order. */
  readonly matches: readonly number[];
  readonly filters: readonly RouteFilter[];
  readonly backends: readonly CompiledBackend[];
  readonly totalWeight: number;
  readonly timeouts: { request?: string; backendRequest?: string } | null;
  readonly retry: { attempts?: number; backoff?: string; codes?: number[] } | null;
  readonly sessionPersistence: Readonly<Record<string, unknown>> | null;
  /** Session persistence from the backends' XBackendTrafficPolicies (compile/backend-traffic.ts); absent when none has any. */
  readonly policySession?: CompiledPolicySession;
  /**
   * Set when resolve dropped the rule (it cannot be programmed): its matches never match and a
   * stream route passes over it. The rule keeps its index.
   */
  readonly dropped: string | null;
}

export interface CompiledMatch {
  /** `httproute/<ns>/<name>/rule/<i>/match/<j>` */
  readonly id: string;
  readonly route: number;
  /** Index into RouteTable.rules. */
  readonly rule: number;
  readonly ruleIndex: number;
  readonly matchIndex: number;
  readonly path: HTTPPathMatch;
  /** Upper-case method, or null for any. */
  readonly method: string | null;
  /** Header matches after dropping repeated names (spec: only the first counts); names lower-case. */
  readonly headers: readonly HTTPHeaderMatch[];
  /** Query param matches after dropping repeated names; names exact. */
  readonly queryParams: readonly HTTPHeaderMatch[];
  /** Set when the match can never match (e.g. a regex gwsim cannot compile). */
  readonly never: string | null;
}

export interface CompiledBackendTLSPolicy {
  /** "namespace/name" */
  readonly policy: string;
  readonly namespace: string;
  /** Service name targeted. */
  readonly service: string;
  /** Service port name, or null for every port. */
  readonly sectionName: string | null;
  readonly sni: string;
  readonly caCertificateRefs: readonly string[];
  readonly wellKnownCACertificates: string | null;
  readonly subjectAltNames: readonly unknown[];
  readonly clientCertificate: string | null;
  /**
   * False when its CA certificates do not resolve (Accepted=False): connections that use it
   * fail, and an HTTP client gets a 5xx (BackendTLSPolicyValidation CACertificateRefs doc).
   */
  readonly valid: boolean;
  readonly reason: string | null;
  readonly message: string | null;
}

export interface CompiledService {
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly { name: string | null; port: number }[];
}

/** A Service as a mesh frontend (GAMMA, GEP-1294): the routes that apply per port and caller. */
export interface CompiledMeshService {
  /** `service/<ns>/<name>` */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly clusterIP: string | null;
  readonly ports: readonly { name: string | null; port: number; protocol: string; appProtocol: string | null }[];
  /** Service port (as a string key) → the route sets bound to it. */
  readonly bindings: Readonly<Record<string, CompiledMeshPort>>;
}

export interface CompiledMeshPort {
  /** Routes in the Service's own namespace: they apply to every caller without consumer routes. */
  readonly producer: CompiledMeshRoutes | null;
  /** Caller namespace → the routes of that namespace bound to this Service port. */
  readonly consumers: Readonly<Record<string, CompiledMeshRoutes>>;
}

/**
 * One set of mesh routes (producer, or one namespace's consumers) for one Service port. Only
 * one route kind applies to a Service port (GEP-1294 "Route types": GRPCRoute, then HTTPRoute,
 * TLSRoute, TCPRoute); routes of the other kinds are listed in `ignored`.
 */
export interface CompiledMeshRoutes {
  readonly id: string;
  readonly kind: "GRPCRoute" | "HTTPRoute" | "TLSRoute" | "TCPRoute";
  readonly ignored: readonly { kind: string; namespace: string; name: string }[];
  /** HTTPRoute matches (into RouteTable.matches), hostnames ignored (GEP-1294). */
  readonly http: CompiledGroup | null;
  readonly grpc: CompiledGrpcGroup | null;
  /** Indices into RouteTable.streamRoutes, in precedence order. */
  readonly streams: readonly number[];
}

export interface CompiledMesh {
  /** "namespace/name" → Service. */
  readonly services: Readonly<Record<string, CompiledMeshService>>;
  /** clusterIP → "namespace/name". */
  readonly addresses: Readonly<Record<string, string>>;
}

export interface RouteTable {
  readonly kind: "RouteTable";
  readonly version: typeof ROUTE_TABLE_VERSION;
  /** "namespace/name" → gateway. */
  readonly gateways: Readonly<Record<string, CompiledGateway>>;
  readonly listeners: readonly CompiledListener[];
  readonly routes: readonly CompiledRoute[];
  readonly rules: readonly CompiledRule[];
  readonly matches: readonly CompiledMatch[];
  readonly backendTLSPolicies: readonly CompiledBackendTLSPolicy[];
  /** "namespace/name" → Service (for port names that BackendTLSPolicy sectionNames refer to). */
  readonly services: Readonly<Record<string, CompiledService>>;
  /** GRPCRoutes, their rules and matches (the HTTP arrays above hold HTTPRoutes only). */
  readonly grpcRoutes: readonly CompiledRoute[];
  readonly grpcRules: readonly CompiledRule[];
  readonly grpcMatches: readonly CompiledGrpcMatch[];
  /** TLSRoutes, TCPRoutes and UDPRoutes and their rules (no matches). */
  readonly streamRoutes: readonly CompiledRoute[];
  readonly streamRules: readonly CompiledRule[];
  /** East-west (GAMMA) routing by Service. */
  readonly mesh: CompiledMesh;
  /** XBackendTrafficPolicies, one entry per backend each applies to; absent when there are none. */
  readonly backendTrafficPolicies?: readonly CompiledBackendTrafficPolicy[];
}
