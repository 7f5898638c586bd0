/**
 * How explanations name a route's rule and match, the same way everywhere (explain lines, the
 * CLI summary, messages): `HTTPRoute ns/name rule 1 (name) match 0`.
 */

export function ruleLabel(kind: string, namespace: string, name: string, ruleIndex: number, ruleName: string | null): string {
  return `${kind} ${namespace}/${name} rule ${ruleIndex}${ruleName ? ` (${ruleName})` : ""}`;
}

export function matchLabel(kind: string, namespace: string, name: string, ruleIndex: number, ruleName: string | null, matchIndex: number | null): string {
  return `${ruleLabel(kind, namespace, name, ruleIndex, ruleName)}${matchIndex === null ? "" : ` match ${matchIndex}`}`;
}

/** A route hostname as explanations show it (`*`, no hostname, reads "any"). */
export const hostnameText = (h: string): string => (h === "*" ? "any" : h);
