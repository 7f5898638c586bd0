/**
 * session-name-invalid: sessionPersistence.sessionName is free text in the CRD (MaxLength 128, no
 * pattern), yet a cookie or header can carry only a token as its name (RFC 6265 cookie-name,
 * RFC 9110 field-name). A session under any other name cannot be sent back: none persists.
 */
import type { LintContext } from "./context.js";
import type { Finding, LintObjectRef } from "./finding.js";
import type { SourcePosition } from "../model/diagnostic.js";
import { refOf } from "./shadowing.js";

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why a sessionName cannot name a cookie or header, or null when it can (or is unset). */
function nameProblem(config: Record<string, unknown> | null | undefined): string | null {
  const name = config?.sessionName;
  if (typeof name !== "string" || TOKEN.test(name)) return null;
  const what = config?.type === "Header" ? "header field name (RFC 9110)" : "cookie name (RFC 6265)";
  const bad = [...new Set([...name].filter((c) => !TOKEN.test(c)))].map((c) => (c === " " ? "a space" : JSON.stringify(c))).join(", ");
  return `sessionName ${JSON.stringify(name)} is not a ${what}: it holds ${bad || "nothing"}`;
}

/** `set sessionName: shop-session`: the name with each run of characters a token cannot hold made a `-`. */
function fixFor(config: Record<string, unknown> | null | undefined): string {
  const name = String(config?.sessionName ?? "");
  const suggested = name.replace(/[^!#$%&'*+.^_`|~0-9A-Za-z-]+/g, "-").replace(/^-+|-+$/g, "") || "session";
  return `set sessionName: ${suggested} (letters, digits and - _ . are safe)`;
}
const EFFECT = "clients cannot send the session back, so no session persists (gwsim serve keeps none for it)";

export function sessionFindings(ctx: LintContext): Finding[] {
  const { graph } = ctx.world;
  const findings: Finding[] = [];
  const check = (config: Record<string, unknown> | null, object: LintObjectRef, path: string, owner: string, fallback: SourcePosition | null = null): void => {
    const problem = nameProblem(config);
    if (problem) findings.push(ctx.finding({ rule: "session-name-invalid", severity: "error", object, path, fallback, message: `${owner}: ${problem}; ${EFFECT}`, fix: fixFor(config) }));
  };
  for (const route of graph.routes) {
    for (const rule of route.rules) {
      const owner = `rule ${rule.index}${rule.name ? ` (${rule.name})` : ""} of ${route.kind} ${route.namespace}/${route.name}`;
      check(rule.sessionPersistence, refOf(route), `spec.rules[${rule.index}].sessionPersistence.sessionName`, owner, route.source);
    }
  }
  for (const p of graph.backendTrafficPolicies ?? []) {
    check(p.sessionPersistence, { kind: "XBackendTrafficPolicy", namespace: p.namespace, name: p.name }, "spec.sessionPersistence.sessionName", `XBackendTrafficPolicy ${p.namespace}/${p.name}`);
  }
  return findings;
}
