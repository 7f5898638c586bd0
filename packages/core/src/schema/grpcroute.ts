/** GRPCRoute (apis/v1/grpcroute_types.go), served as v1. */
import { z } from "zod";
import { compileRegex } from "../model/regex.js";
import {
  backendRefShape,
  headerValueSchema,
  HeaderNameSchema,
  HostnameSchema,
  listMap,
  parentRefsSchema,
  requireMatchBudget,
  requireServicePort,
  requireUniqueRuleNames,
  SectionNameSchema,
  SessionPersistenceSchema,
  type Channel,
} from "./common.js";
import { grpcFiltersSchema } from "./filters.js";
import { report } from "./issues.js";
import { metadataSchema, objectShape } from "./metadata.js";
import * as P from "./patterns.js";

/** GRPCMethodMatch with its three CEL rules; RegularExpression values must compile in gwsim's dialect. */
export const GRPCMethodMatchSchema = z
  .strictObject({
    type: z.enum(["Exact", "RegularExpression"]).default("Exact"),
    service: z.string().max(1024).optional(),
    method: z.string().max(1024).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.service === undefined && m.method === undefined) {
      report(ctx, [], "cel.grpc-method-required", "One or both of 'service' or 'method' must be specified");
    }
    if (m.type === "Exact") {
      if (m.service !== undefined && !P.GRPC_SERVICE.test(m.service)) {
        report(ctx, ["service"], "cel.grpc-method-service", "service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)");
      }
      if (m.method !== undefined && !P.GRPC_METHOD.test(m.method)) {
        report(ctx, ["method"], "cel.grpc-method-name", "method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)");
      }
    } else {
      for (const field of ["service", "method"] as const) {
        const value = m[field];
        if (value === undefined) continue;
        const re = compileRegex(value);
        if (!re.ok) report(ctx, [field], "schema.regex", re.message);
      }
    }
  });

export function grpcHeaderMatchSchema(channel: Channel) {
  // GRPCHeaderMatch values carry no pattern in either channel.
  void channel;
  return z
    .strictObject({
      type: z.enum(["Exact", "RegularExpression"]).default("Exact"),
      name: HeaderNameSchema,
      value: z.string().min(1).max(4096),
    })
    .superRefine((h, ctx) => {
      if (h.type !== "RegularExpression") return;
      const re = compileRegex(h.value);
      if (!re.ok) report(ctx, ["value"], "schema.regex", re.message);
    });
}

export function grpcRouteMatchSchema(channel: Channel) {
  return z.strictObject({
    method: GRPCMethodMatchSchema.optional(),
    headers: listMap(grpcHeaderMatchSchema(channel), ["name"], 16).optional(),
  });
}

export function grpcRouteRuleSchema(channel: Channel) {
  const shape = {
    name: SectionNameSchema.optional(),
    matches: z.array(grpcRouteMatchSchema(channel)).max(64).optional(),
    filters: grpcFiltersSchema(channel).optional(),
    backendRefs: z
      .array(z.strictObject({ ...backendRefShape, filters: grpcFiltersSchema(channel).optional() }).superRefine(requireServicePort))
      .max(16)
      .optional(),
  };
  const experimental = z.strictObject({ ...shape, sessionPersistence: SessionPersistenceSchema.optional() });
  if (channel === "experimental") return experimental;
  return z.strictObject(shape) as unknown as typeof experimental;
}

export function grpcRouteSpecSchema(channel: Channel) {
  const shape = {
    parentRefs: parentRefsSchema(channel).optional(),
    hostnames: z.array(HostnameSchema).max(16).optional(),
    rules: z
      .array(grpcRouteRuleSchema(channel))
      .max(16)
      .superRefine(requireMatchBudget)
      .superRefine((r, ctx) => {
        if (channel === "experimental") requireUniqueRuleNames(r, ctx);
      })
      .optional(),
  };
  const experimental = z.strictObject({ ...shape, useDefaultGateways: z.enum(["All", "None"]).optional() });
  if (channel === "experimental") return experimental;
  return z.strictObject(shape) as unknown as typeof experimental;
}

export function grpcRouteSchema(channel: Channel) {
  return z.strictObject({ ...objectShape("GRPCRoute"), metadata: metadataSchema("subdomain"), spec: grpcRouteSpecSchema(channel) });
}
export const GRPCRouteSchema = grpcRouteSchema("experimental");
export type GRPCRoute = z.infer<typeof GRPCRouteSchema>;
export type GRPCRouteRule = NonNullable<GRPCRoute["spec"]["rules"]>[number];
