/**
 * Route filters (HTTPRouteFilter, GRPCRouteFilter) with the CRD's CEL rules: each filter type
 * carries exactly its own field, some types may appear once, redirect and rewrite exclude each other.
 */
import { z } from "zod";
import {
  BackendObjectReferenceSchema,
  headerValueSchema,
  HeaderNameSchema,
  listMap,
  listSet,
  LocalObjectReferenceSchema,
  PortNumberSchema,
  PreciseHostnameSchema,
  requireServicePort,
  type Channel,
  GroupSchema,
  KindSchema,
  ObjectNameSchema,
  NamespaceNameSchema,
} from "./common.js";
import { report } from "./issues.js";
import * as P from "./patterns.js";

export function headerFilterSchema(channel: Channel) {
  const header = z.strictObject({ name: HeaderNameSchema, value: headerValueSchema(channel) });
  return z.strictObject({
    set: listMap(header, ["name"], 16).optional(),
    add: listMap(header, ["name"], 16).optional(),
    remove: listSet(z.string(), 16).optional(),
  });
}

export const MirrorFilterSchema = z
  .strictObject({
    backendRef: BackendObjectReferenceSchema,
    percent: z.int().min(0).max(100).optional(),
    fraction: z
      .strictObject({
        numerator: z.int32().min(0),
        denominator: z.int32().min(1).default(100),
      })
      .superRefine((f, ctx) => {
        if (f.numerator > f.denominator) report(ctx, [], "cel.mirror-fraction", "numerator must be less than or equal to denominator");
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    if (m.percent !== undefined && m.fraction !== undefined) {
      report(ctx, ["fraction"], "cel.mirror-percent-or-fraction", "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter");
    }
  });

/** HTTPPathModifier: the field named by `type` and only that one. */
export const PathModifierSchema = z
  .strictObject({
    type: z.enum(["ReplaceFullPath", "ReplacePrefixMatch"]),
    replaceFullPath: z.string().max(1024).optional(),
    replacePrefixMatch: z.string().max(1024).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === "ReplaceFullPath" && p.replaceFullPath === undefined)
      report(ctx, ["replaceFullPath"], "cel.path-modifier-required", "replaceFullPath must be specified when type is set to 'ReplaceFullPath'");
    if (p.replaceFullPath !== undefined && p.type !== "ReplaceFullPath")
      report(ctx, ["replaceFullPath"], "cel.path-modifier-type", "type must be 'ReplaceFullPath' when replaceFullPath is set");
    if (p.type === "ReplacePrefixMatch" && p.replacePrefixMatch === undefined)
      report(ctx, ["replacePrefixMatch"], "cel.path-modifier-required", "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'");
    if (p.replacePrefixMatch !== undefined && p.type !== "ReplacePrefixMatch")
      report(ctx, ["replacePrefixMatch"], "cel.path-modifier-type", "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set");
  });
export type HTTPPathModifier = z.infer<typeof PathModifierSchema>;

export const RedirectFilterSchema = z.strictObject({
  scheme: z.enum(["http", "https"]).optional(),
  hostname: PreciseHostnameSchema.optional(),
  path: PathModifierSchema.optional(),
  port: PortNumberSchema.optional(),
  statusCode: z.literal([301, 302, 303, 307, 308]).default(302),
});

export const RewriteFilterSchema = z.strictObject({
  hostname: PreciseHostnameSchema.optional(),
  path: PathModifierSchema.optional(),
});

/** `'*'` must stand alone in a CORS list. */
function wildcardAlone(message: string) {
  return (list: readonly string[], ctx: z.RefinementCtx) => {
    if (list.includes("*") && list.length > 1) report(ctx, [], "cel.cors-wildcard", message);
  };
}

const CorsHeaderSchema = z.string().min(1).max(256).regex(P.HEADER_NAME);

export const CorsFilterSchema = z.strictObject({
  allowOrigins: listSet(z.string().min(1).max(253).regex(P.CORS_ORIGIN), 64)
    .superRefine(wildcardAlone("AllowOrigins cannot contain '*' alongside other origins"))
    .optional(),
  allowCredentials: z.boolean().optional(),
  allowMethods: listSet(z.enum(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"]), 9)
    .superRefine(wildcardAlone("AllowMethods cannot contain '*' alongside other methods"))
    .optional(),
  allowHeaders: listSet(CorsHeaderSchema, 64)
    // The CRD's message says "methods" here too; kept verbatim so it matches kubectl.
    .superRefine(wildcardAlone("AllowHeaders cannot contain '*' alongside other methods"))
    .optional(),
  exposeHeaders: listSet(CorsHeaderSchema, 64).optional(),
  maxAge: z.int32().min(1).default(5),
});

export const ExternalAuthFilterSchema = z
  .strictObject({
    protocol: z.enum(["HTTP", "GRPC"]),
    backendRef: z
      .strictObject({
        group: GroupSchema.default(""),
        kind: KindSchema.default("Service"),
        name: ObjectNameSchema,
        namespace: NamespaceNameSchema.optional(),
        port: PortNumberSchema.optional(),
      })
      .superRefine(requireServicePort),
    grpc: z.strictObject({ allowedHeaders: listSet(z.string(), 64).optional() }).optional(),
    http: z
      .strictObject({
        path: z.string().max(1024).regex(P.HTTP_PATH).optional(),
        allowedHeaders: listSet(z.string(), 64).optional(),
        allowedResponseHeaders: listSet(z.string(), 64).optional(),
      })
      .optional(),
    forwardBody: z.strictObject({ maxSize: z.int().optional() }).optional(),
  })
  .superRefine((a, ctx) => {
    if (a.protocol === "GRPC" && !a.grpc) report(ctx, ["grpc"], "cel.external-auth-protocol", "grpc must be specified when protocol is set to 'GRPC'");
    if (a.grpc && a.protocol !== "GRPC") report(ctx, ["protocol"], "cel.external-auth-protocol", "protocol must be 'GRPC' when grpc is set");
    if (a.protocol === "HTTP" && !a.http) report(ctx, ["http"], "cel.external-auth-protocol", "http must be specified when protocol is set to 'HTTP'");
    if (a.http && a.protocol !== "HTTP") report(ctx, ["protocol"], "cel.external-auth-protocol", "protocol must be 'HTTP' when http is set");
  });

/** Filter type → the field it carries, in the CRD's rule order. */
const HTTP_FILTER_FIELDS = {
  CORS: "cors",
  RequestHeaderModifier: "requestHeaderModifier",
  ResponseHeaderModifier: "responseHeaderModifier",
  RequestMirror: "requestMirror",
  RequestRedirect: "requestRedirect",
  URLRewrite: "urlRewrite",
  ExtensionRef: "extensionRef",
  ExternalAuth: "externalAuth",
} as const;

const GRPC_FILTER_FIELDS = {
  RequestHeaderModifier: "requestHeaderModifier",
  ResponseHeaderModifier: "responseHeaderModifier",
  RequestMirror: "requestMirror",
  ExtensionRef: "extensionRef",
} as const;

function requireFieldForType(fields: Record<string, string>) {
  return (f: Record<string, unknown> & { type: string }, ctx: z.RefinementCtx) => {
    for (const [type, field] of Object.entries(fields)) {
      if (f[field] !== undefined && f.type !== type)
        report(ctx, [field], "cel.filter-field-forbidden", `filter.${field} must be nil if the filter.type is not ${type}`);
      if (f[field] === undefined && f.type === type)
        report(ctx, [], "cel.filter-field-required", `filter.${field} must be specified for ${type} filter.type`);
    }
  };
}

export function httpFilterSchema(channel: Channel) {
  const header = headerFilterSchema(channel);
  const types = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS"] as const;
  const base = {
    requestHeaderModifier: header.optional(),
    responseHeaderModifier: header.optional(),
    requestMirror: MirrorFilterSchema.optional(),
    requestRedirect: RedirectFilterSchema.optional(),
    urlRewrite: RewriteFilterSchema.optional(),
    cors: CorsFilterSchema.optional(),
    extensionRef: LocalObjectReferenceSchema.optional(),
  };
  const experimental = z
    .strictObject({ type: z.enum([...types, "ExternalAuth"]), ...base, externalAuth: ExternalAuthFilterSchema.optional() })
    .superRefine(requireFieldForType(HTTP_FILTER_FIELDS));
  if (channel === "experimental") return experimental;
  const { ExternalAuth: _, ...standardFields } = HTTP_FILTER_FIELDS;
  // The standard channel's output is a subset of the experimental one (no ExternalAuth), so it
  // shares the experimental type; only the validation differs.
  return z.strictObject({ type: z.enum(types), ...base }).superRefine(requireFieldForType(standardFields)) as unknown as typeof experimental;
}

export function grpcFilterSchema(channel: Channel) {
  const header = headerFilterSchema(channel);
  return z
    .strictObject({
      type: z.enum(["ResponseHeaderModifier", "RequestHeaderModifier", "RequestMirror", "ExtensionRef"]),
      requestHeaderModifier: header.optional(),
      responseHeaderModifier: header.optional(),
      requestMirror: MirrorFilterSchema.optional(),
      extensionRef: LocalObjectReferenceSchema.optional(),
    })
    .superRefine(requireFieldForType(GRPC_FILTER_FIELDS));
}

/** `<Type> filter cannot be repeated`, reported on the second occurrence. */
function noRepeats(types: readonly string[]) {
  return (filters: readonly { type: string }[], ctx: z.RefinementCtx) => {
    for (const t of types) {
      const second = filters.findIndex((f, i) => f.type === t && filters.slice(0, i).some((g) => g.type === t));
      if (second >= 0) report(ctx, [second], "cel.filter-repeated", `${t} filter cannot be repeated`);
    }
  };
}

export function httpFiltersSchema(channel: Channel) {
  return z
    .array(httpFilterSchema(channel))
    .max(16)
    .superRefine((filters, ctx) => {
      const rewrite = filters.findIndex((f) => f.type === "URLRewrite");
      const redirect = filters.findIndex((f) => f.type === "RequestRedirect");
      if (rewrite >= 0 && redirect >= 0) {
        report(
          ctx,
          [Math.max(rewrite, redirect)],
          "cel.filter-redirect-and-rewrite",
          "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
        );
      }
    })
    .superRefine(noRepeats(["CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"]));
}

export function grpcFiltersSchema(channel: Channel) {
  return z.array(grpcFilterSchema(channel)).max(16).superRefine(noRepeats(["RequestHeaderModifier", "ResponseHeaderModifier"]));
}

export type HTTPRouteFilter = z.infer<ReturnType<typeof httpFilterSchema>>;
export type GRPCRouteFilter = z.infer<ReturnType<typeof grpcFilterSchema>>;
