import type { LabelSelectorIn } from "./input.js";

/** The label the API server sets on every Namespace (Kubernetes 1.22+). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Labels of a namespace. A namespace with no Namespace object among the manifests is assumed to
 * exist with only the label the API server adds to every namespace.
 */
export function namespaceLabels(namespaces: ReadonlyMap<string, Record<string, string>>, name: string): Record<string, string> {
  return { ...(namespaces.get(name) ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

/**
 * metav1.LabelSelector semantics: every matchLabels pair and every matchExpression must hold.
 * An empty selector matches everything. An unknown operator matches nothing (it is invalid, and
 * an invalid selector must not widen access).
 */
export function selectorMatches(selector: LabelSelectorIn | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(labels[e.key] as string)) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[e.key] as string)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A short human form of a selector for messages: `env=prod, tier in (a,b)`. */
export function describeSelector(selector: LabelSelectorIn | undefined): string {
  if (!selector) return "<everything>";
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${vals})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator} (${vals})`);
  }
  return parts.length ? parts.join(", ") : "<everything>";
}
