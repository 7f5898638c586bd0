/**
 * XBackend (gateway.networking.x-k8s.io/v1alpha1, experimental channel only): a backend that is
 * an external hostname (apisx/v1alpha1/xbackend_types.go, GEP-4894). Fields and CEL rules as the
 * v1.6.1 experimental CRD has them.
 */
import { z } from "zod";
import { PortNumberSchema, PreciseHostnameSchema, SecretObjectReferenceSchema, type Channel } from "./common.js";
import { report } from "./issues.js";
import { dns1123LabelProblems, metadataSchema, objectShape } from "./metadata.js";
import { BackendTLSPolicyValidationSchema } from "./policies.js";

export const XBACKEND_GROUP = "gateway.networking.x-k8s.io";

/** The CRD's enum (the Go type also names GRPC, which the CRD does not accept). */
export const XBackendProtocolSchema = z.enum(["TCP", "HTTP", "HTTP2", "HTTP11", "H2C", "MCP"]);

export const XBackendPortSchema = z
  .strictObject({
    name: z.string().max(63).optional(),
    port: PortNumberSchema,
  })
  .superRefine((p, ctx) => {
    // rule: size(self) == 0 || format.dns1123Label().validate(self) == null
    if (p.name !== undefined && p.name !== "" && dns1123LabelProblems(p.name).length > 0) {
      report(ctx, ["name"], "cel.xbackend-port-name", "Name must be a valid DNS label");
    }
  });

export const ExternalHostnameBackendSchema = z.strictObject({
  // The CRD checks only the suffix, though its message also names IP addresses (resolve refuses those).
  hostname: PreciseHostnameSchema.superRefine((h, ctx) => {
    if (h.endsWith(".cluster.local")) report(ctx, [], "cel.xbackend-hostname", "hostname must not be an IP address or end with .cluster.local");
  }),
});

export const XBackendTLSSchema = z
  .strictObject({
    mode: z.enum(["None", "ServerOnly", "ClientAndServer"]),
    clientCertificateRef: SecretObjectReferenceSchema.optional(),
    validation: BackendTLSPolicyValidationSchema.optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.mode === "ClientAndServer") !== (t.clientCertificateRef !== undefined)) {
      report(ctx, [], "cel.xbackend-client-certificate", "clientCertificateRef must be set if and only if mode is ClientAndServer");
    }
  });

export const XBackendSpecSchema = z
  .strictObject({
    type: z.enum(["ExternalHostname"]),
    port: XBackendPortSchema,
    externalHostname: ExternalHostnameBackendSchema.optional(),
    protocol: XBackendProtocolSchema.optional(),
    tls: XBackendTLSSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.type === "ExternalHostname") !== (s.externalHostname !== undefined)) {
      report(ctx, [], "cel.xbackend-external-hostname", "externalHostname must be set when type is ExternalHostname and must be unset otherwise");
    }
  });

export function xBackendSchema(_channel: Channel) {
  return z.strictObject({ ...objectShape("XBackend"), metadata: metadataSchema("subdomain"), spec: XBackendSpecSchema });
}
export const XBackendSchema = xBackendSchema("experimental");
export type XBackend = z.infer<typeof XBackendSchema>;
