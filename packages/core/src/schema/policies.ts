/** ReferenceGrant and BackendTLSPolicy (apis/v1/referencegrant_types.go, backendtlspolicy_types.go). */
import { z } from "zod";
import {
  boundedMap,
  firstDuplicate,
  GroupSchema,
  HostnameSchema,
  KindSchema,
  LocalObjectReferenceSchema,
  NamespaceNameSchema,
  ObjectNameSchema,
  PreciseHostnameSchema,
  SectionNameSchema,
  StringMapValueSchema,
  type Channel,
} from "./common.js";
import { report } from "./issues.js";
import { metadataSchema, objectShape } from "./metadata.js";
import * as P from "./patterns.js";

// ---------- ReferenceGrant ----------

export const ReferenceGrantSpecSchema = z.strictObject({
  from: z.array(z.strictObject({ group: GroupSchema, kind: KindSchema, namespace: NamespaceNameSchema })).min(1).max(16),
  to: z.array(z.strictObject({ group: GroupSchema, kind: KindSchema, name: ObjectNameSchema.optional() })).min(1).max(16),
});

export function referenceGrantSchema(_channel: Channel) {
  return z.strictObject({ ...objectShape("ReferenceGrant"), metadata: metadataSchema("subdomain"), spec: ReferenceGrantSpecSchema });
}
export const ReferenceGrantSchema = referenceGrantSchema("experimental");
export type ReferenceGrant = z.infer<typeof ReferenceGrantSchema>;

// ---------- BackendTLSPolicy ----------

export const PolicyTargetSchema = z.strictObject({
  group: GroupSchema,
  kind: KindSchema,
  name: ObjectNameSchema,
  sectionName: SectionNameSchema.optional(),
});
type PolicyTarget = z.infer<typeof PolicyTargetSchema>;

const noSection = (t: PolicyTarget) => t.sectionName === undefined || t.sectionName === "";

const targetRefsSchema = z
  .array(PolicyTargetSchema)
  .min(1)
  .max(16)
  .superRefine((refs, ctx) => {
    const same = (a: PolicyTarget, b: PolicyTarget) => a.group === b.group && a.kind === b.kind && a.name === b.name;
    const mixed = refs.findIndex((b, j) => refs.some((a, i) => i < j && same(a, b) && noSection(a) !== noSection(b)));
    if (mixed >= 0) {
      report(ctx, [mixed], "cel.target-section-name-required", "sectionName must be specified when targetRefs includes 2 or more references to the same target");
    }
    const dup = firstDuplicate(refs, (a, b) => same(a, b) && ((noSection(a) && noSection(b)) || (!noSection(a) && a.sectionName === b.sectionName)));
    if (dup !== undefined) {
      report(ctx, [dup], "cel.target-section-name-unique", "sectionName must be unique when targetRefs includes 2 or more references to the same target");
    }
  });

export const SubjectAltNameSchema = z
  .strictObject({
    type: z.enum(["Hostname", "URI"]),
    hostname: HostnameSchema.optional(),
    uri: z.string().min(1).max(253).regex(P.SAN_URI).optional(),
  })
  .superRefine((san, ctx) => {
    const has = (v: string | undefined) => v !== undefined && v !== "";
    if (san.type === "Hostname" && !has(san.hostname))
      report(ctx, ["hostname"], "cel.san-hostname", "SubjectAltName element must contain Hostname, if Type is set to Hostname");
    if (san.type !== "Hostname" && has(san.hostname))
      report(ctx, ["hostname"], "cel.san-hostname", "SubjectAltName element must not contain Hostname, if Type is not set to Hostname");
    if (san.type === "URI" && !has(san.uri)) report(ctx, ["uri"], "cel.san-uri", "SubjectAltName element must contain URI, if Type is set to URI");
    if (san.type !== "URI" && has(san.uri)) report(ctx, ["uri"], "cel.san-uri", "SubjectAltName element must not contain URI, if Type is not set to URI");
  });

export const BackendTLSPolicyValidationSchema = z
  .strictObject({
    caCertificateRefs: z.array(LocalObjectReferenceSchema).max(8).optional(),
    wellKnownCACertificates: z.string().min(1).max(253).regex(P.WELL_KNOWN_CA).optional(),
    hostname: PreciseHostnameSchema,
    subjectAltNames: z.array(SubjectAltNameSchema).max(5).optional(),
  })
  .superRefine((v, ctx) => {
    const refs = (v.caCertificateRefs?.length ?? 0) > 0;
    const wellKnown = v.wellKnownCACertificates !== undefined && v.wellKnownCACertificates !== "";
    if (refs && wellKnown) report(ctx, ["wellKnownCACertificates"], "cel.btls-ca-exclusive", "must not contain both CACertificateRefs and WellKnownCACertificates");
    if (!refs && !wellKnown) report(ctx, [], "cel.btls-ca-required", "must specify either CACertificateRefs or WellKnownCACertificates");
  });

export const BackendTLSPolicySpecSchema = z.strictObject({
  targetRefs: targetRefsSchema,
  validation: BackendTLSPolicyValidationSchema,
  options: boundedMap(StringMapValueSchema, 16).optional(),
});

export function backendTLSPolicySchema(_channel: Channel) {
  return z.strictObject({ ...objectShape("BackendTLSPolicy"), metadata: metadataSchema("subdomain"), spec: BackendTLSPolicySpecSchema });
}
export const BackendTLSPolicySchema = backendTLSPolicySchema("experimental");
export type BackendTLSPolicy = z.infer<typeof BackendTLSPolicySchema>;
