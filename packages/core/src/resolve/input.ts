/**
 * The shapes resolve reads: Kubernetes objects as the API server returns them. Every field is
 * optional here so that resolve applies the API's defaults itself and never trusts that a
 * default was filled in upstream (validation fills them too; doing it twice is harmless).
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  generation?: number;
}

export interface InputObject {
  apiVersion?: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  data?: unknown;
  stringData?: unknown;
  type?: unknown;
}

export interface LabelSelectorIn {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface RouteGroupKindIn {
  group?: string;
  kind: string;
}

export interface AllowedRoutesIn {
  namespaces?: { from?: string; selector?: LabelSelectorIn };
  kinds?: RouteGroupKindIn[];
}

export interface SecretRefIn {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface ObjectRefIn {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface ListenerIn {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  tls?: { mode?: string; certificateRefs?: SecretRefIn[]; options?: Record<string, string> };
  allowedRoutes?: AllowedRoutesIn;
}

export interface FrontendValidationIn {
  caCertificateRefs?: ObjectRefIn[];
  mode?: string;
}

export interface GatewaySpecIn {
  gatewayClassName: string;
  listeners?: ListenerIn[];
  addresses?: { type?: string; value?: string }[];
  infrastructure?: { parametersRef?: { group?: string; kind: string; name: string } };
  allowedListeners?: { namespaces?: { from?: string; selector?: LabelSelectorIn } };
  tls?: {
    backend?: { clientCertificateRef?: SecretRefIn };
    frontend?: {
      default?: { validation?: FrontendValidationIn };
      perPort?: { port: number; tls?: { validation?: FrontendValidationIn } }[];
    };
  };
}

export interface GatewayClassSpecIn {
  controllerName: string;
  parametersRef?: { group?: string; kind: string; name: string; namespace?: string };
}

export interface ListenerSetSpecIn {
  parentRef?: { group?: string; kind?: string; name: string; namespace?: string };
  listeners?: ListenerIn[];
}

export interface ParentRefIn {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface BackendRefIn {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: FilterIn[];
}

export interface HeaderModifierIn {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}

export interface FilterIn {
  type: string;
  requestHeaderModifier?: HeaderModifierIn;
  responseHeaderModifier?: HeaderModifierIn;
  requestRedirect?: Record<string, unknown>;
  urlRewrite?: Record<string, unknown>;
  requestMirror?: { backendRef?: BackendRefIn; percent?: number; fraction?: { numerator: number; denominator?: number } };
  cors?: Record<string, unknown>;
  externalAuth?: { protocol?: string; backendRef?: BackendRefIn; [k: string]: unknown };
  extensionRef?: { group?: string; kind: string; name: string };
}

export interface HTTPMatchIn {
  path?: { type?: string; value?: string };
  headers?: { type?: string; name: string; value: string }[];
  queryParams?: { type?: string; name: string; value: string }[];
  method?: string;
}

export interface GRPCMatchIn {
  method?: { type?: string; service?: string; method?: string };
  headers?: { type?: string; name: string; value: string }[];
}

export interface RouteRuleIn {
  name?: string;
  /** HTTPMatchIn for HTTPRoute, GRPCMatchIn for GRPCRoute. */
  matches?: (HTTPMatchIn | GRPCMatchIn)[];
  filters?: FilterIn[];
  backendRefs?: BackendRefIn[];
  timeouts?: { request?: string; backendRequest?: string };
  retry?: { attempts?: number; backoff?: string; codes?: number[] };
  sessionPersistence?: Record<string, unknown>;
}

export interface RouteSpecIn {
  parentRefs?: ParentRefIn[];
  hostnames?: string[];
  rules?: RouteRuleIn[];
}

export interface ServicePortIn {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface ServiceSpecIn {
  type?: string;
  clusterIP?: string;
  externalName?: string;
  ports?: ServicePortIn[];
}

export interface ReferenceGrantSpecIn {
  from?: { group?: string; kind: string; namespace: string }[];
  to?: { group?: string; kind: string; name?: string }[];
}

export interface BackendTLSPolicySpecIn {
  targetRefs?: { group?: string; kind: string; name: string; sectionName?: string }[];
  validation?: {
    caCertificateRefs?: { group?: string; kind: string; name: string }[];
    wellKnownCACertificates?: string;
    hostname?: string;
    subjectAltNames?: unknown[];
  };
  options?: Record<string, string>;
}

/** The namespace of an object, as kubectl apply would default it. Cluster-scoped kinds get "". */
export function namespaceOf(obj: InputObject): string {
  if (obj.kind === "GatewayClass" || obj.kind === "Namespace") return "";
  return obj.metadata.namespace || "default";
}

export function generationOf(obj: InputObject): number {
  const g = obj.metadata.generation;
  return typeof g === "number" && Number.isFinite(g) ? g : 1;
}

export function specOf<T>(obj: InputObject): Partial<T> {
  return (obj.spec && typeof obj.spec === "object" ? obj.spec : {}) as Partial<T>;
}

export function arr<T>(v: readonly T[] | undefined | null): readonly T[] {
  return Array.isArray(v) ? v : [];
}

/** `ns/name`, or just `name` for cluster-scoped objects. */
export function nn(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** A deep copy of JSON-like data, so the graph never shares (and freezes) the caller's objects. */
export function plain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(plain) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out as T;
  }
  return value;
}
