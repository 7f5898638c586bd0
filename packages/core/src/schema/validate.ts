import type { z } from "zod";
import { positionOf, sourceOf, withSource, type ManifestObject } from "../manifest/object.js";
import type { Diagnostic } from "../model/diagnostic.js";
import type { Channel } from "./common.js";
import { fromZodIssues, type SchemaIssue } from "./issues.js";
import { schemaFor } from "./registry.js";
import type { Resource } from "./resource.js";

export interface ValidateOptions {
  /**
   * The Gateway API channel whose CRDs apply. Default `experimental`, the superset gwsim
   * simulates; with `standard`, experimental-only fields are pruned with a warning and the
   * standard channel's variants of the CEL rules apply.
   */
  channel?: Channel;
}

export interface ValidateResult {
  /** The parsed, defaulted object (with the source of the input), or null when it is invalid. */
  resource: Resource | null;
  issues: SchemaIssue[];
}

/**
 * Checks one object against its CRD (OpenAPI schema and CEL rules) or, for core kinds, the API
 * server's validation, and applies the defaults the API server would. Never throws on bad input.
 */
export function validateObject(obj: ManifestObject, options: ValidateOptions = {}): ValidateResult {
  const channel = options.channel ?? "experimental";
  const lookup = schemaFor(obj.kind, obj.apiVersion, channel);
  if (!lookup.ok) {
    const path = lookup.code === "schema.unknown-kind" ? "kind" : "apiVersion";
    return { resource: null, issues: [{ path, code: lookup.code, message: lookup.message, severity: "error" }] };
  }
  const parsed = parseWith(lookup.schema, obj);
  const result = lookup.celRules ? withCelSkippedWhenBlocked(parsed) : parsed;
  if (!lookup.deprecation) return result;
  // A deprecated version is still served: warn, and accept or reject exactly as without the warning.
  const warning: SchemaIssue = { path: "apiVersion", code: "schema.deprecated-version", message: lookup.deprecation, severity: "warning" };
  return { resource: result.resource, issues: [warning, ...result.issues] };
}

/**
 * Schema errors after which the API server runs none of the object's CEL rules: Required,
 * NotSupported (enum), TooLong, TooMany and TypeInvalid (kubernetes/kubernetes
 * staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresource/strategy.go,
 * hasBlockingErr). Pattern, format, minimum, minLength and minItems errors are Invalid and do
 * not block; nor do Duplicate (list-map keys) or metadata name/label errors.
 */
const BLOCKING = new Set(["schema.required", "schema.enum", "schema.max-length", "schema.annotations-too-long", "schema.max-items", "schema.max-properties", "schema.type"]);

/**
 * The error the API server adds in their place: field.Invalid(nil, nil, ...) in the same file, so
 * no field (`<nil>`, here the object's path "") and a nil value, which Go renders as "null".
 * Only kinds whose CRD has CEL rules get it (strategy.go runs it only for a version with a CEL validator).
 */
const CEL_NOT_CHECKED =
  'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/** With a blocking schema error, the object's CEL errors give way to the one note. */
function withCelSkippedWhenBlocked(result: ValidateResult): ValidateResult {
  if (!result.issues.some((i) => i.severity === "error" && BLOCKING.has(i.code))) return result;
  const issues = result.issues.filter((i) => !i.code.startsWith("cel."));
  return { resource: null, issues: [...issues, { path: "", code: "schema.cel-not-checked", message: CEL_NOT_CHECKED, severity: "error" }] };
}

function parseWith(schema: z.ZodType, obj: ManifestObject): ValidateResult {
  const input = withoutNulls(obj);
  const first = schema.safeParse(input);
  if (first.success) return { resource: keepSource(first.data, obj), issues: [] };

  const issues = fromZodIssues(first.error.issues, input);
  if (issues.some((i) => i.severity === "error")) return { resource: null, issues };

  // Only unknown fields: the API server prunes them and keeps the object.
  const pruned = structuredClone(input);
  for (const iss of first.error.issues) {
    if (iss.code !== "unrecognized_keys") continue;
    const parent = iss.path.reduce<unknown>((v, seg) => (v as Record<PropertyKey, unknown>)[seg], pruned) as Record<string, unknown>;
    for (const key of iss.keys) delete parent[key];
  }
  const second = schema.safeParse(pruned);
  if (!second.success) return { resource: null, issues: [...issues, ...fromZodIssues(second.error.issues, pruned)] };
  return { resource: keepSource(second.data, obj), issues };
}

/** Validates every object; diagnostics carry file, line and column from each object's source. */
export function validateObjects(objects: readonly ManifestObject[], options: ValidateOptions = {}): { resources: Resource[]; diagnostics: Diagnostic[] } {
  const resources: Resource[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const obj of objects) {
    const { resource, issues } = validateObject(obj, options);
    if (resource) resources.push(resource);
    const src = sourceOf(obj);
    const ns = obj.metadata?.namespace;
    const object = ns ? `${obj.kind}/${ns}/${obj.metadata.name}` : `${obj.kind}/${obj.metadata?.name}`;
    for (const issue of issues) {
      const pos = positionOf(obj, issue.path);
      diagnostics.push({
        code: issue.code,
        severity: issue.severity,
        file: pos?.file ?? src?.file ?? "<input>",
        line: pos?.line ?? 1,
        column: pos?.column ?? 1,
        ...(src ? { doc: src.doc } : {}),
        path: issue.path,
        message: issue.message,
        object,
      });
    }
  }
  return { resources, diagnostics };
}

function keepSource(data: unknown, obj: ManifestObject): Resource {
  const src = sourceOf(obj);
  const resource = data as Resource;
  return src ? withSource(resource, src) : resource;
}

/** Kubernetes drops null-valued fields of an object before defaulting (`port:` means no port). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
  return out;
}
