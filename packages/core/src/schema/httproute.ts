/** HTTPRoute (apis/v1/httproute_types.go), served as v1 and v1beta1 with the same schema. */
import { z } from "zod";
import { compileRegex } from "../model/regex.js";
import {
  backendRefShape,
  DurationSchema,
  durationMs,
  headerValueSchema,
  HeaderNameSchema,
  HostnameSchema,
  listMap,
  listSet,
  parentRefsSchema,
  requireMatchBudget,
  requireServicePort,
  requireUniqueRuleNames,
  SectionNameSchema,
  SessionPersistenceSchema,
  type Channel,
} from "./common.js";
import { httpFiltersSchema } from "./filters.js";
import { report } from "./issues.js";
import { metadataSchema, objectShape } from "./metadata.js";
import * as P from "./patterns.js";

const PATH_TYPES = ["Exact", "PathPrefix", "RegularExpression"] as const;
const WHEN = "when type one of ['Exact', 'PathPrefix']";

/**
 * Ten of the eleven CEL rules on HTTPPathMatch, in the CRD's order, plus gwsim's regex dialect.
 * The eleventh ("type must be one of ['Exact', 'PathPrefix', 'RegularExpression']") can never be
 * reported: the type enum lists the same values, and its error keeps the API server from running
 * any CEL rule of the object (validate.ts).
 */
export const PathMatchSchema = z
  .strictObject({
    type: z.enum(PATH_TYPES).default("PathPrefix"),
    value: z.string().max(1024).default("/"),
  })
  .superRefine(({ type, value }, ctx) => {
    if (type === "Exact" || type === "PathPrefix") {
      const rules: [boolean, string, string][] = [
        [!value.startsWith("/"), "cel.path-match-absolute", `value must be an absolute path and start with '/' ${WHEN}`],
        [value.includes("//"), "cel.path-match-double-slash", `must not contain '//' ${WHEN}`],
        [value.includes("/./"), "cel.path-match-dot-segment", `must not contain '/./' ${WHEN}`],
        [value.includes("/../"), "cel.path-match-dot-segment", `must not contain '/../' ${WHEN}`],
        [value.includes("%2f"), "cel.path-match-encoded-slash", `must not contain '%2f' ${WHEN}`],
        [value.includes("%2F"), "cel.path-match-encoded-slash", `must not contain '%2F' ${WHEN}`],
        [value.includes("#"), "cel.path-match-fragment", `must not contain '#' ${WHEN}`],
        [value.endsWith("/.."), "cel.path-match-dot-segment", `must not end with '/..' ${WHEN}`],
        [value.endsWith("/."), "cel.path-match-dot-segment", `must not end with '/.' ${WHEN}`],
        [
          !P.HTTP_PATH.test(value),
          "cel.path-match-characters",
          `must only contain valid characters (matching ${P.HTTP_PATH.source}) for types ['Exact', 'PathPrefix']`,
        ],
      ];
      for (const [broken, code, message] of rules) if (broken) report(ctx, ["value"], code, message);
    } else {
      const re = compileRegex(value);
      if (!re.ok) report(ctx, ["value"], "schema.regex", re.message);
    }
  });

/** Exact or RegularExpression (gwsim's dialect) header and query matches. */
function valueMatch(name: z.ZodString, value: z.ZodString) {
  return z
    .strictObject({ type: z.enum(["Exact", "RegularExpression"]).default("Exact"), name, value })
    .superRefine((m, ctx) => {
      if (m.type !== "RegularExpression") return;
      const re = compileRegex(m.value);
      if (!re.ok) report(ctx, ["value"], "schema.regex", re.message);
    });
}

export function httpRouteMatchSchema(channel: Channel) {
  return z.strictObject({
    path: PathMatchSchema.prefault({}),
    headers: listMap(valueMatch(HeaderNameSchema, headerValueSchema(channel)), ["name"], 16).optional(),
    queryParams: listMap(valueMatch(HeaderNameSchema, z.string().min(1).max(1024)), ["name"], 16).optional(),
    method: z.enum(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]).optional(),
  });
}

function httpBackendRefSchema(channel: Channel) {
  return z.strictObject({ ...backendRefShape, filters: httpFiltersSchema(channel).optional() }).superRefine(requireServicePort);
}

export const HTTPRouteTimeoutsSchema = z
  .strictObject({ request: DurationSchema.optional(), backendRequest: DurationSchema.optional() })
  .superRefine((t, ctx) => {
    if (t.request === undefined || t.backendRequest === undefined) return;
    const request = durationMs(t.request);
    if (request !== 0 && durationMs(t.backendRequest) > request) {
      report(ctx, ["backendRequest"], "cel.timeouts-backend-request", "backendRequest timeout cannot be longer than request timeout");
    }
  });

export const HTTPRouteRetrySchema = z.strictObject({
  codes: listSet(z.int().min(400).max(599)).optional(),
  attempts: z.int().min(1).optional(),
  backoff: DurationSchema.optional(),
});

interface FilterLike {
  type: string;
  requestRedirect?: { path?: { type: string; replacePrefixMatch?: string | undefined } | undefined } | undefined;
  urlRewrite?: { path?: { type: string; replacePrefixMatch?: string | undefined } | undefined } | undefined;
}
interface RuleLike {
  matches: { path: { type: string } }[];
  filters?: FilterLike[] | undefined;
  backendRefs?: { filters?: FilterLike[] | undefined }[] | undefined;
}

/** The five CEL rules on HTTPRouteRule. */
function checkRule(rule: RuleLike, ctx: z.RefinementCtx): void {
  const filters = rule.filters ?? [];
  const backendRefs = rule.backendRefs ?? [];
  if (backendRefs.length > 0) {
    const redirect = filters.findIndex((f) => f.requestRedirect !== undefined);
    if (redirect >= 0) report(ctx, ["filters", redirect], "cel.redirect-with-backendrefs", "RequestRedirect filter must not be used together with backendRefs");
  }
  const onePrefixMatch = rule.matches.length === 1 && rule.matches[0]!.path.type === "PathPrefix";
  const prefixFilter = (f: FilterLike, field: "requestRedirect" | "urlRewrite") =>
    f[field]?.path?.type === "ReplacePrefixMatch" && f[field]?.path?.replacePrefixMatch !== undefined;
  // CEL's exists_one: the rule applies when exactly one filter (or backendRef) qualifies.
  const exactlyOne = <T>(items: readonly T[], pred: (t: T) => boolean) => items.filter(pred).length === 1;
  const cases = [
    ["requestRedirect", "cel.redirect-replace-prefix-match", "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"],
    ["urlRewrite", "cel.rewrite-replace-prefix-match", "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"],
  ] as const;
  for (const [field, code, message] of cases) {
    if (!onePrefixMatch && exactlyOne(filters, (f) => prefixFilter(f, field))) {
      report(ctx, ["filters", filters.findIndex((f) => prefixFilter(f, field)), field, "path"], code, message);
    }
  }
  const backendCases = [
    ["requestRedirect", "cel.redirect-replace-prefix-match", "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"],
    ["urlRewrite", "cel.rewrite-replace-prefix-match", "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"],
  ] as const;
  for (const [field, code, message] of backendCases) {
    const qualifies = (b: { filters?: FilterLike[] | undefined }) => exactlyOne(b.filters ?? [], (f) => prefixFilter(f, field));
    if (!onePrefixMatch && exactlyOne(backendRefs, qualifies)) {
      const b = backendRefs.findIndex(qualifies);
      const f = (backendRefs[b]!.filters ?? []).findIndex((x) => prefixFilter(x, field));
      report(ctx, ["backendRefs", b, "filters", f, field, "path"], code, message);
    }
  }
}

export function httpRouteRuleSchema(channel: Channel) {
  const shape = {
    name: SectionNameSchema.optional(),
    matches: z
      .array(httpRouteMatchSchema(channel))
      .max(64)
      .default(() => [{ path: { type: "PathPrefix" as const, value: "/" } }]),
    filters: httpFiltersSchema(channel).optional(),
    backendRefs: z.array(httpBackendRefSchema(channel)).max(16).optional(),
    timeouts: HTTPRouteTimeoutsSchema.optional(),
  };
  const experimental = z
    .strictObject({ ...shape, retry: HTTPRouteRetrySchema.optional(), sessionPersistence: SessionPersistenceSchema.optional() })
    .superRefine(checkRule);
  if (channel === "experimental") return experimental;
  // Standard output is a subset of the experimental one (no retry, no sessionPersistence).
  return z.strictObject(shape).superRefine(checkRule) as unknown as typeof experimental;
}

export function httpRouteSpecSchema(channel: Channel) {
  const rules = z
    .array(httpRouteRuleSchema(channel))
    .min(1)
    .max(16)
    .superRefine(requireMatchBudget)
    .superRefine((r, ctx) => {
      if (channel === "experimental") requireUniqueRuleNames(r, ctx);
    })
    .prefault(() => [{}]);
  const shape = {
    parentRefs: parentRefsSchema(channel).optional(),
    hostnames: z.array(HostnameSchema).max(16).optional(),
    rules,
  };
  const experimental = z.strictObject({ ...shape, useDefaultGateways: z.enum(["All", "None"]).optional() });
  if (channel === "experimental") return experimental;
  return z.strictObject(shape) as unknown as typeof experimental;
}

export function httpRouteSchema(channel: Channel) {
  return z.strictObject({ ...objectShape("HTTPRoute"), metadata: metadataSchema("subdomain"), spec: httpRouteSpecSchema(channel) });
}

export const HTTPRouteSchema = httpRouteSchema("experimental");
export type HTTPRoute = z.infer<typeof HTTPRouteSchema>;
export type HTTPRouteRule = HTTPRoute["spec"]["rules"][number];
export type HTTPBackendRef = NonNullable<HTTPRouteRule["backendRefs"]>[number];
