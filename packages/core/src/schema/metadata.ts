/** ObjectMeta as the API server validates it (k8s.io/apimachinery validation). */
import { z } from "zod";
import { report } from "./issues.js";
import * as P from "./patterns.js";

/** Which Kubernetes name format `metadata.name` must have. */
export type NameRule = "subdomain" | "label" | "dns1035";

const NAME_RULES: Record<NameRule, { re: RegExp; max: number; text: string }> = {
  subdomain: {
    re: P.DNS1123_SUBDOMAIN,
    max: 253,
    text:
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  },
  label: {
    re: P.DNS1123_LABEL,
    max: 63,
    text:
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  },
  dns1035: {
    re: P.DNS1035_LABEL,
    max: 63,
    text:
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  },
};

/** What is wrong with a name under a rule, as apimachinery's bare texts ([] when valid). */
export function nameRuleTexts(name: string, rule: NameRule): string[] {
  const r = NAME_RULES[rule];
  const out: string[] = [];
  if (name.length > r.max) out.push(`must be no more than ${r.max} characters`);
  if (!r.re.test(name)) out.push(r.text);
  return out;
}

/** Problems of a name under a rule, as messages ([] when valid). */
export function nameProblems(name: string, rule: NameRule): string[] {
  return nameRuleTexts(name, rule).map((t) => `Invalid value: ${JSON.stringify(name)}: ${t}`);
}

/**
 * apimachinery IsDNS1123Label, which says "must not contain dots" for a valid subdomain that is
 * not a label (k8s.io/apimachinery/pkg/util/validation/validation.go IsDNS1123Label).
 */
export function dns1123LabelProblems(value: string): string[] {
  const texts = nameRuleTexts(value, "label");
  const dotted = !P.DNS1123_LABEL.test(value) && P.DNS1123_SUBDOMAIN.test(value);
  return texts.map((t) => `Invalid value: ${JSON.stringify(value)}: ${dotted && t === NAME_RULES.label.text ? "must not contain dots" : t}`);
}

export function nameSchema(rule: NameRule) {
  return z.string().superRefine((name, ctx) => {
    for (const m of nameProblems(name, rule)) report(ctx, [], "schema.name", m);
  });
}

const QUALIFIED_NAME_TEXT =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_TEXT =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Label and annotation keys: `[prefix/]name`, the prefix a DNS subdomain of at most 253 characters. */
export function qualifiedNameProblems(key: string): string[] {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const out: string[] = [];
  const shown = JSON.stringify(key);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !P.DNS1123_SUBDOMAIN.test(prefix)))
    out.push(`Invalid value: ${shown}: prefix part ${NAME_RULES.subdomain.text}`);
  if (name.length === 0) out.push(`Invalid value: ${shown}: name part must be non-empty`);
  else if (name.length > 63) out.push(`Invalid value: ${shown}: name part must be no more than 63 characters`);
  else if (!/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name)) out.push(`Invalid value: ${shown}: ${QUALIFIED_NAME_TEXT}`);
  return out;
}

export function labelValueProblems(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push(`Invalid value: ${JSON.stringify(value)}: must be no more than 63 characters`);
  if (!P.LABEL_VALUE.test(value)) out.push(`Invalid value: ${JSON.stringify(value)}: ${LABEL_VALUE_TEXT}`);
  return out;
}

const LabelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [k, v] of Object.entries(labels)) {
    for (const m of qualifiedNameProblems(k)) report(ctx, [k], "schema.label-key", m);
    for (const m of labelValueProblems(v)) report(ctx, [k], "schema.label-value", m);
  }
});

const AnnotationsSchema = z.record(z.string(), z.string()).superRefine((annotations, ctx) => {
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of qualifiedNameProblems(k)) report(ctx, [k], "schema.annotation-key", m);
    size += k.length + v.length;
  }
  if (size > 256 * 1024) report(ctx, [], "schema.annotations-too-long", `Too long: must have at most 262144 bytes`);
});

/**
 * metadata: the name per the kind's rule, namespace an RFC 1123 label (the loader already
 * defaulted it), generation 1 when absent as the API server sets it. Other ObjectMeta fields pass.
 */
export function metadataSchema(rule: NameRule) {
  return z.looseObject({
    name: nameSchema(rule),
    namespace: nameSchema("label").optional(),
    labels: LabelsSchema.optional(),
    annotations: AnnotationsSchema.optional(),
    creationTimestamp: z.string().optional(),
    generation: z.int().min(0).default(1),
  });
}
export type ObjectMeta = z.infer<ReturnType<typeof metadataSchema>>;

/** apiVersion/kind/status of a top-level object; the registry checks apiVersion against the kind. */
export function objectShape<K extends string>(kind: K) {
  return {
    apiVersion: z.string(),
    kind: z.literal(kind),
    status: z.unknown().optional(),
  };
}
