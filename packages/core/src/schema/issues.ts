import type { z } from "zod";

/** One schema violation of one object. `path` is the field path (`spec.rules[0].matches[1].path.value`). */
export interface SchemaIssue {
  path: string;
  message: string;
  /** Stable: `schema.required`, `schema.enum`, `cel.unique-listener-names`, ... */
  code: string;
  /** Errors reject the object; warnings (unknown fields, which the API server prunes) do not. */
  severity: "error" | "warning";
}

export type PathSegment = string | number;

/**
 * Reports a violation from inside a refinement. `path` is relative to the refined value.
 * Messages reuse the CRD/CEL wording so they read as kubectl's do.
 */
export function report(ctx: z.RefinementCtx, path: PathSegment[], code: string, message: string): void {
  ctx.addIssue({ code: "custom", path, message, params: { code } });
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Go's `%#v`-ish rendering kubectl uses in "Duplicate value" messages for list-map keys. */
export function goMapKey(key: Record<string, unknown>): string {
  const body = Object.entries(key)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(", ");
  return `map[string]interface {}{${body}}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function kubeType(v: unknown): string {
  if (v === undefined || v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(kubeType(v));
}

const EXPECTED: Record<string, string> = {
  number: "integer", // every numeric field of these APIs is an integer
  int: "integer",
  int32: "integer",
  string: "string",
  boolean: "boolean",
  object: "object",
  record: "object",
  map: "object",
  array: "array",
};

/**
 * Turns zod issues into SchemaIssues with the API server's wording
 * (k8s.io/apiextensions-apiserver: "Required value", "Unsupported value", ...).
 * `input` is the object that was parsed: it gives the offending values for messages.
 */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix: readonly PropertyKey[] = []): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const iss of issues) {
    const fullPath = [...prefix, ...iss.path];
    const path = formatPath(fullPath);
    const value = valueAt(input, fullPath);
    const add = (code: string, message: string, severity: SchemaIssue["severity"] = "error") =>
      out.push({ path, code, message, severity });
    switch (iss.code) {
      case "invalid_type": {
        if (value === undefined) add("schema.required", "Required value");
        else add("schema.type", `Invalid value: ${show(value)}: must be of type ${EXPECTED[iss.expected] ?? iss.expected}`);
        break;
      }
      case "invalid_value": {
        const supported = iss.values.map((v) => JSON.stringify(v)).join(", ");
        add("schema.enum", `Unsupported value: ${show(value)}: supported values: ${supported}`);
        break;
      }
      case "invalid_format": {
        const pattern = iss.format === "regex" && "pattern" in iss ? String(iss.pattern).replace(/^\/|\/[a-z]*$/g, "") : undefined;
        if (pattern !== undefined) add("schema.pattern", `Invalid value: ${show(value)}: should match '${pattern}'`);
        else add("schema.format", `Invalid value: ${show(value)}: must be of format ${iss.format}`);
        break;
      }
      case "too_big": {
        const max = Number(iss.maximum);
        if (iss.origin === "string") add("schema.max-length", `Too long: may not be more than ${max} bytes`);
        else if (iss.origin === "array" || iss.origin === "set")
          add("schema.max-items", `Too many: ${Array.isArray(value) ? value.length : "?"}: must have at most ${max} items`);
        else add("schema.maximum", `Invalid value: ${show(value)}: should be less than or equal to ${max}`);
        break;
      }
      case "too_small": {
        const min = Number(iss.minimum);
        if (iss.origin === "string") add("schema.min-length", `Invalid value: ${show(value)}: should be at least ${min} chars long`);
        else if (iss.origin === "array" || iss.origin === "set")
          add("schema.min-items", `Invalid value: ${Array.isArray(value) ? value.length : 0}: should have at least ${min} items`);
        else add("schema.minimum", `Invalid value: ${show(value)}: should be greater than or equal to ${min}`);
        break;
      }
      case "unrecognized_keys": {
        for (const key of iss.keys) {
          const p = formatPath([...fullPath, key]);
          out.push({ path: p, code: "schema.unknown-field", message: `unknown field "${p}"`, severity: "warning" });
        }
        break;
      }
      case "custom": {
        const code = (iss.params as { code?: string } | undefined)?.code ?? "schema.invalid";
        add(code, iss.message);
        break;
      }
      case "invalid_union": {
        add("schema.invalid", `Invalid value: ${show(value)}: ${iss.message}`);
        break;
      }
      default:
        add("schema.invalid", `Invalid value: ${show(value)}: ${iss.message}`);
    }
  }
  return out;
}
