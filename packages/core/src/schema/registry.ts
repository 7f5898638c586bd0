/**
 * Which apiVersions Gateway API v1.6 serves for each kind, per channel, and the schema for each.
 * From config/crd/{standard,experimental} of kubernetes-sigs/gateway-api v1.6.1 (`served: true`).
 */
import type { z } from "zod";
import type { Channel } from "./common.js";
import { ConfigMapSchema, EndpointSliceSchema, NamespaceSchema, SecretSchema, ServiceSchema } from "./core-kinds.js";
import { gatewayClassSchema, gatewaySchema, listenerSetSchema } from "./gateway.js";
import { grpcRouteSchema } from "./grpcroute.js";
import { httpRouteSchema } from "./httproute.js";
import { tcpRouteSchema, tlsRouteSchema, udpRouteSchema, type L4Version } from "./l4routes.js";
import { backendTLSPolicySchema, referenceGrantSchema } from "./policies.js";
import { XBACKEND_GROUP, xBackendSchema } from "./xbackend.js";
import { BACKEND_TRAFFIC_POLICY_GROUP, xBackendTrafficPolicySchema } from "./backend-traffic.js";

const GW = "gateway.networking.k8s.io";

interface KindEntry {
  group: string;
  /** version → the channels that serve it. */
  versions: Record<string, readonly Channel[]>;
  schema: (channel: Channel, version: string) => z.ZodType;
  /** Versions the CRDs mark `deprecated: true`, with the version to move to. */
  deprecated?: Record<string, string>;
  /**
   * The CRD has x-kubernetes-validations (CEL) rules. At v1.6.1 every served version in both
   * channels of every Gateway API kind has some, except ReferenceGrant, which has none.
   */
  celRules?: true;
}

const BOTH: readonly Channel[] = ["standard", "experimental"];
const EXPERIMENTAL: readonly Channel[] = ["experimental"];
const same = (schema: z.ZodType) => () => schema;

export const KINDS: Record<string, KindEntry> = {
  GatewayClass: { group: GW, versions: { v1: BOTH, v1beta1: BOTH }, schema: (c) => gatewayClassSchema(c), celRules: true },
  Gateway: { group: GW, versions: { v1: BOTH, v1beta1: BOTH }, schema: (c) => gatewaySchema(c), celRules: true },
  ListenerSet: { group: GW, versions: { v1: BOTH }, schema: (c) => listenerSetSchema(c), celRules: true },
  HTTPRoute: { group: GW, versions: { v1: BOTH, v1beta1: BOTH }, schema: (c) => httpRouteSchema(c), celRules: true },
  GRPCRoute: { group: GW, versions: { v1: BOTH }, schema: (c) => grpcRouteSchema(c), celRules: true },
  TLSRoute: {
    group: GW,
    versions: { v1: BOTH, v1alpha2: EXPERIMENTAL, v1alpha3: EXPERIMENTAL },
    schema: (c, v) => tlsRouteSchema(c, v as L4Version),
    deprecated: { v1alpha2: "v1", v1alpha3: "v1" },
    celRules: true,
  },
  TCPRoute: {
    group: GW,
    versions: { v1: BOTH, v1alpha2: EXPERIMENTAL },
    schema: (c, v) => tcpRouteSchema(c, v as L4Version),
    deprecated: { v1alpha2: "v1" },
    celRules: true,
  },
  UDPRoute: {
    group: GW,
    versions: { v1: BOTH, v1alpha2: EXPERIMENTAL },
    schema: (c, v) => udpRouteSchema(c, v as L4Version),
    deprecated: { v1alpha2: "v1" },
    celRules: true,
  },
  ReferenceGrant: { group: GW, versions: { v1: BOTH, v1beta1: BOTH }, schema: (c) => referenceGrantSchema(c) },
  BackendTLSPolicy: {
    group: GW,
    versions: { v1: BOTH, v1alpha3: EXPERIMENTAL },
    schema: (c) => backendTLSPolicySchema(c),
    deprecated: { v1alpha3: "v1" },
    celRules: true,
  },
  XBackendTrafficPolicy: { group: BACKEND_TRAFFIC_POLICY_GROUP, versions: { v1alpha1: EXPERIMENTAL }, schema: (c) => xBackendTrafficPolicySchema(c), celRules: true },
  XBackend: { group: XBACKEND_GROUP, versions: { v1alpha1: EXPERIMENTAL }, schema: (c) => xBackendSchema(c), celRules: true },
  Namespace: { group: "", versions: { v1: BOTH }, schema: same(NamespaceSchema) },
  Service: { group: "", versions: { v1: BOTH }, schema: same(ServiceSchema) },
  EndpointSlice: { group: "discovery.k8s.io", versions: { v1: BOTH }, schema: same(EndpointSliceSchema) },
  Secret: { group: "", versions: { v1: BOTH }, schema: same(SecretSchema) },
  ConfigMap: { group: "", versions: { v1: BOTH }, schema: same(ConfigMapSchema) },
};

/** Kinds that older releases served under another name or group, with what replaced them. */
const RETIRED: Record<string, string> = {
  XListenerSet: `XListenerSet (gateway.networking.x-k8s.io/v1alpha1) is not served by Gateway API v1.6; it became ListenerSet ${GW}/v1`,
};

const cache = new Map<string, z.ZodType>();

/**
 * `celRules`: the kind's CRD has CEL rules at this version and channel (core kinds: false).
 * `deprecation`: the warning the API server gives for a version its CRD marks deprecated.
 */
export type SchemaLookup =
  | { ok: true; schema: z.ZodType; celRules: boolean; deprecation?: string }
  | { ok: false; code: string; message: string };

/** The schema for a kind at an apiVersion in a channel, or why there is none. */
export function schemaFor(kind: string, apiVersion: string, channel: Channel): SchemaLookup {
  const retired = RETIRED[kind];
  if (retired) return { ok: false, code: "schema.unsupported-api-version", message: retired };
  const entry = KINDS[kind];
  if (!entry) return { ok: false, code: "schema.unknown-kind", message: `gwsim does not read ${kind} objects` };
  const slash = apiVersion.lastIndexOf("/");
  const group = slash >= 0 ? apiVersion.slice(0, slash) : "";
  const version = apiVersion.slice(slash + 1);
  const channels = group === entry.group ? entry.versions[version] : undefined;
  if (!channels || !channels.includes(channel)) {
    const served = Object.entries(entry.versions)
      .filter(([, cs]) => cs.includes(channel))
      .map(([v]) => (entry.group ? `${entry.group}/${v}` : v))
      .join(", ");
    const onlyExperimental = channels && !channels.includes(channel) ? " (served by the experimental channel only)" : "";
    return {
      ok: false,
      code: "schema.unsupported-api-version",
      message: `${kind} ${apiVersion} is not served${onlyExperimental}; ${channel} channel v1.6 serves ${kind} as ${served}`,
    };
  }
  const key = `${channel}/${kind}/${version}`;
  let schema = cache.get(key);
  if (!schema) {
    schema = entry.schema(channel, version);
    cache.set(key, schema);
  }
  const successor = entry.deprecated?.[version];
  // The wording of the CRDs' deprecationWarning (config/crd/experimental at v1.6.1), which kubectl prints.
  const deprecation = successor
    ? `The ${version} version of ${kind} has been deprecated and will be removed in a future release of the API. Please upgrade to ${successor}.`
    : undefined;
  return { ok: true, schema, celRules: entry.celRules === true, ...(deprecation ? { deprecation } : {}) };
}
