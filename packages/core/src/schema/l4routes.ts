/**
 * TLSRoute, TCPRoute and UDPRoute (apis/v1/tlsroute_types.go, tcproute_types.go, udproute_types.go).
 * v1 allows one rule; the experimental channel still serves v1alpha2 (up to 16 named rules) and,
 * for TLSRoute, v1alpha3. TLSRoute v1/v1alpha3 require hostnames.
 */
import { z } from "zod";
import {
  BackendRefSchema,
  HostnameSchema,
  parentRefsSchema,
  requireUniqueRuleNames,
  SectionNameSchema,
  type Channel,
} from "./common.js";
import { report } from "./issues.js";
import { metadataSchema, objectShape } from "./metadata.js";
import * as P from "./patterns.js";

export type L4Version = "v1" | "v1alpha2" | "v1alpha3";

const L4RuleSchema = z.strictObject({
  name: SectionNameSchema.optional(),
  backendRefs: z.array(BackendRefSchema).min(1).max(16),
});

function l4Rules(version: L4Version) {
  // v1 and v1alpha3 take a single rule; v1alpha2 took up to 16, whose names had to be unique.
  if (version === "v1alpha2") return z.array(L4RuleSchema).min(1).max(16).superRefine(requireUniqueRuleNames);
  return z.array(L4RuleSchema).min(1).max(1);
}

function l4Spec(channel: Channel, version: L4Version) {
  const shape = { parentRefs: parentRefsSchema(channel).optional(), rules: l4Rules(version) };
  const experimental = z.strictObject({ ...shape, useDefaultGateways: z.enum(["All", "None"]).optional() });
  if (channel === "experimental") return experimental;
  return z.strictObject(shape) as unknown as typeof experimental;
}

/** The three CEL rules on TLSRoute v1/v1alpha3 spec.hostnames. */
function checkTLSHostnames(hostnames: readonly string[], ctx: z.RefinementCtx): void {
  const ip = hostnames.findIndex((h) => P.isIP(h));
  if (ip >= 0) report(ctx, [ip], "cel.tlsroute-hostname-ip", "Hostnames cannot contain an IP");
  const plain = hostnames.findIndex((h) => !h.includes("*") && !P.PRECISE_HOSTNAME.test(h));
  if (plain >= 0) report(ctx, [plain], "cel.tlsroute-hostname", "Hostnames must be valid based on RFC-1123");
  const wild = hostnames.findIndex((h) => h.includes("*") && !(h.startsWith("*.") && P.PRECISE_HOSTNAME.test(h.slice(2))));
  if (wild >= 0) {
    report(ctx, [wild], "cel.tlsroute-hostname-wildcard", "Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123");
  }
}

function tlsHostnames(version: L4Version) {
  const list = z.array(HostnameSchema).max(1024);
  if (version === "v1alpha2") return list.optional();
  // Typed as optional so every version shares one TLSRoute type; required for v1/v1alpha3 below.
  return list.min(1).superRefine(checkTLSHostnames).optional();
}

export function tlsRouteSchema(channel: Channel, version: L4Version = "v1") {
  const base = l4Spec(channel, version);
  const spec = base.extend({ hostnames: tlsHostnames(version) }).superRefine((s, ctx) => {
    if (version !== "v1alpha2" && s.hostnames === undefined) report(ctx, ["hostnames"], "schema.required", "Required value");
  });
  return z.strictObject({ ...objectShape("TLSRoute"), metadata: metadataSchema("subdomain"), spec });
}

export function tcpRouteSchema(channel: Channel, version: L4Version = "v1") {
  return z.strictObject({ ...objectShape("TCPRoute"), metadata: metadataSchema("subdomain"), spec: l4Spec(channel, version) });
}

export function udpRouteSchema(channel: Channel, version: L4Version = "v1") {
  return z.strictObject({ ...objectShape("UDPRoute"), metadata: metadataSchema("subdomain"), spec: l4Spec(channel, version) });
}

export const TLSRouteSchema = tlsRouteSchema("experimental");
export type TLSRoute = z.infer<typeof TLSRouteSchema>;
export const TCPRouteSchema = tcpRouteSchema("experimental");
export type TCPRoute = z.infer<typeof TCPRouteSchema>;
export const UDPRouteSchema = udpRouteSchema("experimental");
export type UDPRoute = z.infer<typeof UDPRouteSchema>;
