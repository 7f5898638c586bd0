import type { ConfigMap, EndpointSlice, Namespace, Secret, Service } from "./core-kinds.js";
import type { Gateway, GatewayClass, ListenerSet } from "./gateway.js";
import type { GRPCRoute } from "./grpcroute.js";
import type { HTTPRoute } from "./httproute.js";
import type { TCPRoute, TLSRoute, UDPRoute } from "./l4routes.js";
import type { BackendTLSPolicy, ReferenceGrant } from "./policies.js";
import type { XBackend } from "./xbackend.js";
import type { XBackendTrafficPolicy } from "./backend-traffic.js";

/** A validated, defaulted object, discriminated by `kind`. */
export type Resource =
  | GatewayClass
  | Gateway
  | ListenerSet
  | HTTPRoute
  | GRPCRoute
  | TLSRoute
  | TCPRoute
  | UDPRoute
  | ReferenceGrant
  | BackendTLSPolicy
  | XBackend
  | XBackendTrafficPolicy
  | Namespace
  | Service
  | EndpointSlice
  | Secret
  | ConfigMap;

export type ResourceKind = Resource["kind"];
export type ResourceOf<K extends ResourceKind> = Extract<Resource, { kind: K }>;

export function isKind<K extends ResourceKind>(r: Resource, kind: K): r is ResourceOf<K> {
  return r.kind === kind;
}
