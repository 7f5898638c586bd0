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
