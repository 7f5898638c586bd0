/** GatewayClass, Gateway and ListenerSet (apis/v1/gatewayclass_types.go, gateway_types.go, listenerset_types.go). */
import { z } from "zod";
import {
  boundedMap,
  firstDuplicate,
  GATEWAY_GROUP,
  GroupSchema,
  HostnameSchema,
  KindSchema,
  LabelSelectorSchema,
  NamespaceNameSchema,
  ObjectNameSchema,
  ObjectReferenceSchema,
  PortNumberSchema,
  SecretObjectReferenceSchema,
  SectionNameSchema,
  StringMapValueSchema,
  type Channel,
} from "./common.js";
import { report } from "./issues.js";
import { metadataSchema, objectShape } from "./metadata.js";
import * as P from "./patterns.js";

// ---------- GatewayClass ----------

export const GatewayClassSpecSchema = z.strictObject({
  // The CRD also marks controllerName immutable (`self == oldSelf`): a rule about updates,
  // which has nothing to compare against in a set of manifests.
  controllerName: z.string().min(1).max(253).regex(P.CONTROLLER_NAME),
  parametersRef: z
    .strictObject({ group: GroupSchema, kind: KindSchema, name: ObjectNameSchema, namespace: NamespaceNameSchema.optional() })
    .optional(),
  description: z.string().max(64).optional(),
});

export function gatewayClassSchema(_channel: Channel) {
  return z.strictObject({ ...objectShape("GatewayClass"), metadata: metadataSchema("subdomain"), spec: GatewayClassSpecSchema });
}
export const GatewayClassSchema = gatewayClassSchema("experimental");
export type GatewayClass = z.infer<typeof GatewayClassSchema>;

// ---------- listeners (Gateway and ListenerSet) ----------

export const RouteGroupKindSchema = z.strictObject({
  group: GroupSchema.default(GATEWAY_GROUP),
  kind: KindSchema,
});

export const AllowedRoutesSchema = z.strictObject({
  namespaces: z
    .strictObject({
      from: z.enum(["All", "Selector", "Same"]).default("Same"),
      selector: LabelSelectorSchema.optional(),
    })
    .prefault({}),
  kinds: z.array(RouteGroupKindSchema).max(8).optional(),
});

export const ListenerTLSConfigSchema = z
  .strictObject({
    mode: z.enum(["Terminate", "Passthrough"]).default("Terminate"),
    certificateRefs: z.array(SecretObjectReferenceSchema).max(64).optional(),
    options: boundedMap(StringMapValueSchema, 16).optional(),
  })
  .superRefine((tls, ctx) => {
    const certs = tls.certificateRefs?.length ?? 0;
    const options = Object.keys(tls.options ?? {}).length;
    if (tls.mode === "Terminate" && certs === 0 && options === 0) {
      report(ctx, [], "cel.listener-tls-certificates", "certificateRefs or options must be specified when mode is Terminate");
    }
  });

export const ListenerSchema = z.strictObject({
  name: SectionNameSchema,
  hostname: HostnameSchema.optional(),
  port: PortNumberSchema,
  protocol: z.string().min(1).max(255).regex(P.PROTOCOL),
  tls: ListenerTLSConfigSchema.optional(),
  allowedRoutes: AllowedRoutesSchema.prefault({}),
});
export type Listener = z.infer<typeof ListenerSchema>;

/** The six CEL rules on a listener list (Gateway and ListenerSet word them the same way). */
function checkListeners(listeners: readonly Listener[], ctx: z.RefinementCtx): void {
  const first = (pred: (l: Listener) => boolean) => listeners.findIndex(pred);
  let i = first((l) => ["HTTP", "TCP", "UDP"].includes(l.protocol) && l.tls !== undefined);
  if (i >= 0) report(ctx, [i, "tls"], "cel.listener-tls-forbidden", "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
  i = first((l) => l.protocol === "HTTPS" && l.tls !== undefined && l.tls.mode !== "Terminate");
  if (i >= 0) report(ctx, [i, "tls", "mode"], "cel.listener-https-terminate", "tls mode must be Terminate for protocol HTTPS");
  i = first((l) => l.protocol === "TLS" && l.tls === undefined);
  if (i >= 0) report(ctx, [i], "cel.listener-tls-mode-required", "tls mode must be set for protocol TLS");
  i = first((l) => ["TCP", "UDP"].includes(l.protocol) && l.hostname !== undefined && l.hostname !== "");
  if (i >= 0) report(ctx, [i, "hostname"], "cel.listener-hostname-forbidden", "hostname must not be specified for protocols ['TCP', 'UDP']");
  const dupName = firstDuplicate(listeners, (a, b) => a.name === b.name);
  if (dupName !== undefined) report(ctx, [dupName, "name"], "cel.unique-listener-names", "Listener name must be unique within the Gateway");
  const dupAddr = firstDuplicate(listeners, (a, b) => a.port === b.port && a.protocol === b.protocol && a.hostname === b.hostname);
  if (dupAddr !== undefined) {
    report(ctx, [dupAddr], "cel.unique-listener-port-protocol-hostname", "Combination of port, protocol and hostname must be unique for each listener");
  }
}

function listenersSchema() {
  // list-type map keyed by name; the CEL name rule reports the duplicate with the CRD's message.
  return z.array(ListenerSchema).min(1).max(64).superRefine(checkListeners);
}

// ---------- Gateway ----------

const FrontendValidationSchema = z.strictObject({
  caCertificateRefs: z.array(ObjectReferenceSchema).min(1).max(16),
  mode: z.enum(["AllowValidOnly", "AllowInsecureFallback"]).default("AllowValidOnly"),
});

export const GatewayTLSConfigSchema = z.strictObject({
  backend: z.strictObject({ clientCertificateRef: SecretObjectReferenceSchema.optional() }).optional(),
  frontend: z
    .strictObject({
      default: z.strictObject({ validation: FrontendValidationSchema.optional() }),
      // list-type map keyed by port; the CEL rule reports duplicates with the CRD's message.
      perPort: z
        .array(z.strictObject({ port: PortNumberSchema, tls: z.strictObject({ validation: FrontendValidationSchema.optional() }) }))
        .max(64)
        .superRefine((perPort, ctx) => {
          const dup = firstDuplicate(perPort, (a, b) => a.port === b.port);
          if (dup !== undefined) report(ctx, [dup, "port"], "cel.unique-frontend-tls-port", "Port for TLS configuration must be unique within the Gateway");
        })
        .optional(),
    })
    .optional(),
});

const HOSTNAME_ADDRESS_TEXT =
  "Hostname value must be empty or contain only valid characters (matching ^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)";

export const GatewayAddressSchema = z
  .strictObject({
    type: z.string().min(1).max(253).regex(P.ADDRESS_TYPE).default("IPAddress"),
    value: z.string().max(253).optional(),
  })
  .superRefine((a, ctx) => {
    // oneOf: an IPAddress value must be an IPv4 or IPv6 address.
    if (a.type === "IPAddress" && a.value !== undefined && !P.isIP(a.value)) {
      report(ctx, ["value"], "schema.format", `Invalid value: ${JSON.stringify(a.value)}: must be of format ipv4 or ipv6`);
    }
    if (a.type === "Hostname" && a.value !== undefined && !P.HOSTNAME.test(a.value)) {
      report(ctx, ["value"], "cel.address-hostname", HOSTNAME_ADDRESS_TEXT);
    }
  });

const addressesSchema = z
  .array(GatewayAddressSchema)
  .max(16)
  .superRefine((addrs, ctx) => {
    for (const [type, message] of [
      ["IPAddress", "IPAddress values must be unique"],
      ["Hostname", "Hostname values must be unique"],
    ] as const) {
      const dup = firstDuplicate(addrs, (a, b) => a.type === type && b.type === type && a.value !== undefined && a.value === b.value);
      if (dup !== undefined) report(ctx, [dup, "value"], "cel.unique-addresses", message);
    }
  });

/** Infrastructure labels/annotations keys: the two CEL rules of the CRD. */
function infrastructureKeys(what: "Label" | "Annotation", code: string) {
  const lower = what.toLowerCase();
  return (m: Record<string, string>, ctx: z.RefinementCtx) => {
    const bad = Object.keys(m).find((k) => !P.QUALIFIED_NAME.test(k));
    if (bad !== undefined) {
      report(ctx, [bad], code, `${what} keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.`);
    }
    const long = Object.keys(m).find((k) => k.split("/")[0]!.length >= 253);
    if (long !== undefined) {
      report(ctx, [long], code, `If specified, the ${lower} key's prefix must be a DNS subdomain not longer than 253 characters in total.`);
    }
  };
}

export const GatewayInfrastructureSchema = z.strictObject({
  labels: boundedMap(z.string().max(63).regex(P.LABEL_VALUE), 8).superRefine(infrastructureKeys("Label", "cel.infrastructure-label-key")).optional(),
  annotations: boundedMap(StringMapValueSchema, 16).superRefine(infrastructureKeys("Annotation", "cel.infrastructure-annotation-key")).optional(),
  parametersRef: z.strictObject({ group: GroupSchema, kind: KindSchema, name: ObjectNameSchema }).optional(),
});

export const AllowedListenersSchema = z.strictObject({
  namespaces: z
    .strictObject({
      from: z.enum(["All", "Selector", "Same", "None"]).default("None"),
      selector: LabelSelectorSchema.optional(),
    })
    .prefault({}),
});

export function gatewaySpecSchema(channel: Channel) {
  const shape = {
    gatewayClassName: z.string().min(1).max(253),
    listeners: listenersSchema(),
    addresses: addressesSchema.optional(),
    infrastructure: GatewayInfrastructureSchema.optional(),
    allowedListeners: AllowedListenersSchema.optional(),
    tls: GatewayTLSConfigSchema.optional(),
  };
  const experimental = z.strictObject({ ...shape, defaultScope: z.enum(["All", "None"]).optional() });
  if (channel === "experimental") return experimental;
  // Standard output is the experimental one without defaultScope.
  return z.strictObject(shape) as unknown as typeof experimental;
}

export function gatewaySchema(channel: Channel) {
  return z.strictObject({ ...objectShape("Gateway"), metadata: metadataSchema("subdomain"), spec: gatewaySpecSchema(channel) });
}
export const GatewaySchema = gatewaySchema("experimental");
export type Gateway = z.infer<typeof GatewaySchema>;

// ---------- ListenerSet ----------

export const ListenerSetSpecSchema = z.strictObject({
  parentRef: z.strictObject({
    group: GroupSchema.default(GATEWAY_GROUP),
    kind: KindSchema.default("Gateway"),
    name: ObjectNameSchema,
    namespace: NamespaceNameSchema.optional(),
  }),
  listeners: listenersSchema(),
});

export function listenerSetSchema(_channel: Channel) {
  return z.strictObject({ ...objectShape("ListenerSet"), metadata: metadataSchema("subdomain"), spec: ListenerSetSpecSchema });
}
export const ListenerSetSchema = listenerSetSchema("experimental");
export type ListenerSet = z.infer<typeof ListenerSetSchema>;
