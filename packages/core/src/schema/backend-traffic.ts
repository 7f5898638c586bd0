/**
 * XBackendTrafficPolicy (gateway.networking.x-k8s.io/v1alpha1, experimental channel only):
 * apisx/v1alpha1/xbackendtrafficpolicy_types.go and the CRD's CEL rules at v1.6.1. A Direct
 * policy on backends: retry budgets (GEP-3388) and session persistence (GEP-1619).
 */
import { z } from "zod";
import { DurationSchema, durationMs, GroupSchema, KindSchema, listMap, ObjectNameSchema, SessionPersistenceSchema, type Channel } from "./common.js";
import { report } from "./issues.js";
import { metadataSchema, objectShape } from "./metadata.js";

export const BACKEND_TRAFFIC_POLICY_GROUP = "gateway.networking.x-k8s.io";

/** LocalPolicyTargetReference: no namespace, no sectionName (a Service port cannot be targeted). */
export const LocalPolicyTargetReferenceSchema = z.strictObject({ group: GroupSchema, kind: KindSchema, name: ObjectNameSchema });

const HOUR_MS = 3_600_000;

export const BudgetDetailsSchema = z.strictObject({
  percent: z.int().min(0).max(100).default(20),
  interval: DurationSchema.superRefine((d, ctx) => {
    const ms = durationMs(d);
    if (ms < 1000 || ms > HOUR_MS) report(ctx, [], "cel.retry-budget-interval", "interval cannot be greater than one hour or less than one second");
  }).default("10s"),
});

export const RequestRateSchema = z.strictObject({
  count: z.int().min(1).max(1_000_000).optional(),
  interval: DurationSchema.superRefine((d, ctx) => {
    const ms = durationMs(d);
    if (ms === 0 || ms > HOUR_MS) report(ctx, [], "cel.min-retry-rate-interval", "interval cannot be greater than one hour");
  }).optional(),
});

export const RetryConstraintSchema = z.strictObject({
  budget: BudgetDetailsSchema.default({ percent: 20, interval: "10s" }),
  minRetryRate: RequestRateSchema.default({ count: 10, interval: "1s" }),
});
export type RetryConstraint = z.infer<typeof RetryConstraintSchema>;

export const XBackendTrafficPolicySpecSchema = z.strictObject({
  targetRefs: listMap(LocalPolicyTargetReferenceSchema, ["group", "kind", "name"], 16).min(1),
  retryConstraint: RetryConstraintSchema.optional(),
  sessionPersistence: SessionPersistenceSchema.optional(),
});

export function xBackendTrafficPolicySchema(_channel: Channel) {
  return z.strictObject({ ...objectShape("XBackendTrafficPolicy"), metadata: metadataSchema("subdomain"), spec: XBackendTrafficPolicySpecSchema });
}
export const XBackendTrafficPolicySchema = xBackendTrafficPolicySchema("experimental");
export type XBackendTrafficPolicy = z.infer<typeof XBackendTrafficPolicySchema>;
