/**
 * Compile-time proof that the validated schema types fit the shapes resolve reads (input.ts):
 * if a field is renamed or retyped in schema/, this file stops compiling (each `true` below
 * must be assignable to its check, and a failed check is `never`).
 */
import type { BackendTLSPolicy, Gateway, GatewayClass, GRPCRoute, HTTPRoute, ListenerSet, ReferenceGrant, Resource, Service, TCPRoute, TLSRoute, UDPRoute } from "../schema/index.js";
import type {
  BackendTLSPolicySpecIn,
  GatewayClassSpecIn,
  GatewaySpecIn,
  InputObject,
  ListenerSetSpecIn,
  ReferenceGrantSpecIn,
  RouteSpecIn,
  ServiceSpecIn,
} from "./input.js";
import type { XBackend } from "../schema/index.js";
import type { XBackendSpecIn } from "./xbackends.js";

type Fits<A, B> = [A] extends [B] ? true : never;

export const INPUT_COMPAT: [
  Fits<Resource, InputObject>,
  Fits<GatewayClass["spec"], GatewayClassSpecIn>,
  Fits<Gateway["spec"], GatewaySpecIn>,
  Fits<ListenerSet["spec"], ListenerSetSpecIn>,
  Fits<HTTPRoute["spec"], RouteSpecIn>,
  Fits<GRPCRoute["spec"], RouteSpecIn>,
  Fits<TLSRoute["spec"], RouteSpecIn>,
  Fits<TCPRoute["spec"], RouteSpecIn>,
  Fits<UDPRoute["spec"], RouteSpecIn>,
  Fits<ReferenceGrant["spec"], ReferenceGrantSpecIn>,
  Fits<BackendTLSPolicy["spec"], BackendTLSPolicySpecIn>,
  Fits<Service["spec"], ServiceSpecIn>,
  Fits<XBackend["spec"], XBackendSpecIn>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true];
