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
