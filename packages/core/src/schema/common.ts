/**
 * Building blocks shared by the Gateway API schemas (apis/v1/shared_types.go,
 * object_reference_types.go): names, references, hostnames, durations, list rules.
 */
import { z } from "zod";
import { goMapKey, report, type PathSegment } from "./issues.js";
import * as P from "./patterns.js";

/** The Gateway API release channel whose CRDs a document is checked against. */
export type Channel = "standard" | "experimental";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

export const GroupSchema = z.string().max(253).regex(P.GROUP);
export const KindSchema = z.string().min(1).max(63).regex(P.KIND);
export const ObjectNameSchema = z.string().min(1).max(253);
export const NamespaceNameSchema = z.string().min(1).max(63).regex(P.NAMESPACE);
export const SectionNameSchema = z.string().min(1).max(253).regex(P.SECTION_NAME);
export const HostnameSchema = z.string().min(1).max(253).regex(P.HOSTNAME);
export const PreciseHostnameSchema = z.string().min(1).max(253).regex(P.PRECISE_HOSTNAME);
export const PortNumberSchema = z.int().min(1).max(65535);
export const HeaderNameSchema = z.string().min(1).max(256).regex(P.HEADER_NAME);
export const DurationSchema = z.string().regex(P.DURATION);
export const StringMapValueSchema = z.string().max(4096);

/** Header values: the experimental channel adds a visible-ASCII pattern the standard one lacks. */
export function headerValueSchema(channel: Channel) {
  const base = z.string().min(1).max(4096);
  return channel === "experimental" ? base.regex(P.HEADER_VALUE) : base;
}

/** A map with at most `max` entries (maxProperties). */
export function boundedMap<V extends z.ZodType>(value: V, max: number) {
  return z.record(z.string(), value).superRefine((m, ctx) => {
    const n = Object.keys(m).length;
    if (n > max) report(ctx, [], "schema.max-properties", `Too many: ${n}: must have at most ${max} items`);
  });
}

/** x-kubernetes-list-type: map. Items are unique by `keys`; the API server rejects duplicates. */
export function listMap<T extends z.ZodType>(item: T, keys: string[], max: number) {
  return z
    .array(item)
    .max(max)
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((it, i) => {
        const rec = it as Record<string, unknown>;
        const key = Object.fromEntries(keys.map((k) => [k, rec[k]]));
        const id = JSON.stringify(key);
        if (seen.has(id)) report(ctx, [i], "schema.duplicate", `Duplicate value: ${goMapKey(key)}`);
        seen.add(id);
      });
    });
}

/** x-kubernetes-list-type: set. */
export function listSet<T extends z.ZodType>(item: T, max?: number) {
  const arr = max === undefined ? z.array(item) : z.array(item).max(max);
  return arr.superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((it, i) => {
      const id = JSON.stringify(it);
      if (seen.has(id)) report(ctx, [i], "schema.duplicate", `Duplicate value: ${id}`);
      seen.add(id);
    });
  });
}

/** `self.all(x, self.exists_one(y, same(x, y)))`: reports the first later element equal to an earlier one. */
export function firstDuplicate<T>(items: readonly T[], same: (a: T, b: T) => boolean): number | undefined {
  for (let j = 1; j < items.length; j++) {
    for (let i = 0; i < j; i++) if (same(items[i]!, items[j]!)) return j;
  }
  return undefined;
}

// ---------- references ----------

/** ParentReference: defaults to a Gateway. */
export const ParentReferenceSchema = z.strictObject({
  group: GroupSchema.default(GATEWAY_GROUP),
  kind: KindSchema.default("Gateway"),
  namespace: NamespaceNameSchema.optional(),
  name: ObjectNameSchema,
  sectionName: SectionNameSchema.optional(),
  port: PortNumberSchema.optional(),
});
export type ParentReference = z.infer<typeof ParentReferenceSchema>;

const isEmpty = (s: string | undefined) => s === undefined || s === "";
const isUnset = (n: number | undefined) => n === undefined || n === 0;

function sameParent(a: ParentReference, b: ParentReference): boolean {
  return (
    a.group === b.group &&
    a.kind === b.kind &&
    a.name === b.name &&
    ((isEmpty(a.namespace) && isEmpty(b.namespace)) || (!isEmpty(a.namespace) && a.namespace === b.namespace))
  );
}

/**
 * Route spec.parentRefs with the channel's uniqueness rules. The standard channel keys a parent
 * by sectionName; the experimental channel by sectionName and port.
 */
export function parentRefsSchema(channel: Channel) {
  return z
    .array(ParentReferenceSchema)
    .max(32)
    .superRefine((refs, ctx) => {
      const withPort = channel === "experimental";
      const shape = (p: ParentReference) =>
        withPort ? `${isEmpty(p.sectionName)}/${isUnset(p.port)}` : `${isEmpty(p.sectionName)}`;
      const mixed = refs.findIndex((p2, j) => refs.some((p1, i) => i < j && sameParent(p1, p2) && shape(p1) !== shape(p2)));
      if (mixed >= 0) {
        report(
          ctx,
          [mixed],
          withPort ? "cel.parentref-section-or-port-required" : "cel.parentref-section-name-required",
          withPort
            ? "sectionName or port must be specified when parentRefs includes 2 or more references to the same parent"
            : "sectionName must be specified when parentRefs includes 2 or more references to the same parent",
        );
      }
      const dup = firstDuplicate(
        refs,
        (a, b) =>
          sameParent(a, b) &&
          ((isEmpty(a.sectionName) && isEmpty(b.sectionName)) || (!isEmpty(a.sectionName) && a.sectionName === b.sectionName)) &&
          (!withPort || (isUnset(a.port) && isUnset(b.port)) || (!isUnset(a.port) && a.port === b.port)),
      );
      if (dup !== undefined) {
        report(
          ctx,
          [dup],
          withPort ? "cel.parentref-section-or-port-unique" : "cel.parentref-section-name-unique",
          withPort
            ? "sectionName or port must be unique when parentRefs includes 2 or more references to the same parent"
            : "sectionName must be unique when parentRefs includes 2 or more references to the same parent",
        );
      }
    });
}

const backendObjectShape = {
  group: GroupSchema.default(""),
  kind: KindSchema.default("Service"),
  name: ObjectNameSchema,
  namespace: NamespaceNameSchema.optional(),
  port: PortNumberSchema.optional(),
};

/** The CEL rule every BackendObjectReference carries. */
export function requireServicePort(ref: { group: string; kind: string; port?: number | undefined }, ctx: z.RefinementCtx): void {
  if (ref.group === "" && ref.kind === "Service" && ref.port === undefined) {
    report(ctx, ["port"], "cel.backendref-port-required", "Must have port for Service reference");
  }
}

/** BackendObjectReference: a core Service unless told otherwise; Services need a port. */
export const BackendObjectReferenceSchema = z.strictObject(backendObjectShape).superRefine(requireServicePort);
export type BackendObjectReference = z.infer<typeof BackendObjectReferenceSchema>;

export const backendRefShape = {
  ...backendObjectShape,
  weight: z.int().min(0).max(1_000_000).default(1),
};

/** BackendRef of TCP/TLS/UDP routes. */
export const BackendRefSchema = z.strictObject(backendRefShape).superRefine(requireServicePort);
export type BackendRef = z.infer<typeof BackendRefSchema>;

/** SecretObjectReference: a core Secret unless told otherwise. */
export const SecretObjectReferenceSchema = z.strictObject({
  group: GroupSchema.default(""),
  kind: KindSchema.default("Secret"),
  name: ObjectNameSchema,
  namespace: NamespaceNameSchema.optional(),
});
export type SecretObjectReference = z.infer<typeof SecretObjectReferenceSchema>;

/** LocalObjectReference: every field required, same namespace. */
export const LocalObjectReferenceSchema = z.strictObject({
  group: GroupSchema,
  kind: KindSchema,
  name: ObjectNameSchema,
});
export type LocalObjectReference = z.infer<typeof LocalObjectReferenceSchema>;

/** ObjectReference: every field but namespace required. */
export const ObjectReferenceSchema = z.strictObject({
  group: GroupSchema,
  kind: KindSchema,
  name: ObjectNameSchema,
  namespace: NamespaceNameSchema.optional(),
});
export type ObjectReference = z.infer<typeof ObjectReferenceSchema>;

export const LabelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.string(),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

// ---------- rules shared by routes ----------

/** Experimental channel: `Rule name must be unique within the route`. */
export function requireUniqueRuleNames(rules: readonly { name?: string | undefined }[], ctx: z.RefinementCtx): void {
  const dup = firstDuplicate(rules, (a, b) => a.name !== undefined && a.name === b.name);
  if (dup !== undefined) report(ctx, [dup, "name"], "cel.rule-name-unique", "Rule name must be unique within the route");
}

/** `While 16 rules and 64 matches per rule ...`: the total of matches over all rules is at most 128. */
export function requireMatchBudget(rules: readonly { matches?: readonly unknown[] | undefined }[], ctx: z.RefinementCtx): void {
  const total = rules.reduce((n, r) => n + (r.matches?.length ?? 0), 0);
  if (total > 128) {
    report(
      ctx,
      [],
      "cel.max-total-matches",
      "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128",
    );
  }
}

/** Go durations as GEP-2257 restricts them, in milliseconds. */
export function durationMs(d: string): number {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const m of d.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

export const SessionPersistenceSchema = z
  .strictObject({
    sessionName: z.string().max(128).optional(),
    absoluteTimeout: DurationSchema.optional(),
    type: z.enum(["Cookie", "Header"]).default("Cookie"),
    cookieConfig: z
      .strictObject({
        lifetimeType: z.enum(["Permanent", "Session"]).default("Session"),
      })
      .optional(),
  })
  .superRefine((sp, ctx) => {
    if (sp.cookieConfig && sp.cookieConfig.lifetimeType === "Permanent" && sp.absoluteTimeout === undefined) {
      report(ctx, ["absoluteTimeout"], "cel.session-persistence-absolute-timeout", "AbsoluteTimeout must be specified when cookie lifetimeType is Permanent");
    }
    if (sp.cookieConfig && sp.type !== "Cookie") {
      report(ctx, ["cookieConfig"], "cel.session-persistence-cookie-config", "cookieConfig can only be set with type Cookie");
    }
  });
export type SessionPersistence = z.infer<typeof SessionPersistenceSchema>;

/** A path inside the value a refinement sees. */
export type RelPath = PathSegment[];
