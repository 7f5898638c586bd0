/** The kinds gwsim reads; every other kind is skipped with a note. */
export const KNOWN_KINDS = new Set([
  "GatewayClass",
  "Gateway",
  "ListenerSet",
  "XListenerSet",
  "HTTPRoute",
  "GRPCRoute",
  "TLSRoute",
  "TCPRoute",
  "UDPRoute",
  "ReferenceGrant",
  "BackendTLSPolicy",
  "XBackend",
  "XBackendTrafficPolicy",
  "Namespace",
  "Service",
  "EndpointSlice",
  "Secret",
  "ConfigMap",
]);

/** Cluster-scoped kinds get no namespace; every other object defaults to `default`, as kubectl apply does. */
export const CLUSTER_SCOPED_KINDS = new Set(["GatewayClass", "Namespace"]);

export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return namespace === undefined ? `${kind}/${name}` : `${kind}/${namespace}/${name}`;
}

const GATEWAY_API_GROUPS = ["gateway.networking.k8s.io", "gateway.networking.x-k8s.io"];

/**
 * The API groups gwsim reads each kind from. Kubernetes tells objects apart by group, so an Istio
 * `networking.istio.io` Gateway is another kind than a Gateway API Gateway and is skipped like any
 * kind gwsim does not read. Gateway API's experimental group (x-k8s.io) is kept so that its objects
 * get the schema's "not served" error rather than silence. Kinds missing here (a caller's own
 * `kinds` option) are read from any group.
 */
export const KIND_GROUPS: Readonly<Record<string, readonly string[]>> = {
  GatewayClass: GATEWAY_API_GROUPS,
  Gateway: GATEWAY_API_GROUPS,
  ListenerSet: GATEWAY_API_GROUPS,
  XListenerSet: GATEWAY_API_GROUPS,
  HTTPRoute: GATEWAY_API_GROUPS,
  GRPCRoute: GATEWAY_API_GROUPS,
  TLSRoute: GATEWAY_API_GROUPS,
  TCPRoute: GATEWAY_API_GROUPS,
  UDPRoute: GATEWAY_API_GROUPS,
  ReferenceGrant: GATEWAY_API_GROUPS,
  BackendTLSPolicy: GATEWAY_API_GROUPS,
  XBackend: GATEWAY_API_GROUPS,
  XBackendTrafficPolicy: GATEWAY_API_GROUPS,
  Namespace: [""],
  Service: [""],
  EndpointSlice: ["discovery.k8s.io"],
  Secret: [""],
  ConfigMap: [""],
};

/** The API group of an apiVersion: `gateway.networking.k8s.io/v1` → `gateway.networking.k8s.io`, `v1` → `` (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf("/");
  return slash >= 0 ? apiVersion.slice(0, slash) : "";
}

/** Whether gwsim reads `kind` objects of this API group. */
export function readsGroup(kind: string, group: string): boolean {
  const groups = KIND_GROUPS[kind];
  return groups === undefined || groups.includes(group);
}

/** Kubernetes object identity: group, kind, namespace and name (the version is not part of it). */
export function identityKey(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return `${groupOf(apiVersion)}|${objectKey(kind, namespace, name)}`;
}
