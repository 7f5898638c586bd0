/**
 * The GatewayClass `gwsim` and Gateway `edge` the live tests' YAML worlds start from.
 * `listeners` is the YAML after `listeners:`: a flow list, or a block list starting with a newline.
 */
export function edgeGateway(listeners: string, namespace = "app"): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gwsim}
spec: {controllerName: gwsim.dev/simulator}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ${namespace}}
spec:
  gatewayClassName: gwsim
  listeners:${listeners.startsWith("\n") ? "" : " "}${listeners}`;
}

/**
 * A ConfigMap `store-ca` holding `caPem` and a BackendTLSPolicy `<service>-tls` that validates
 * Service `service` (namespace app) against it with `hostname`: TLS to a live test backend.
 */
export function backendTLS(service: string, hostname: string, caPem: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: {name: store-ca, namespace: app}
data:
  ca.crt: |
${caPem.trim().split("\n").map((l) => `    ${l}`).join("\n")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: ${service}-tls, namespace: app}
spec:
  targetRefs: [{group: "", kind: Service, name: ${service}}]
  validation:
    caCertificateRefs: [{group: "", kind: ConfigMap, name: store-ca}]
    hostname: ${hostname}
`;
}
