/**
 * session-name-invalid: sessionPersistence.sessionName is free text in the CRD (MaxLength 128, no
 * pattern), yet a cookie or header can carry only a token as its name (RFC 6265 cookie-name,
 * RFC 9110 field-name). A session under any other name cannot be sent back: none persists.
 */
import type { LintContext } from "./context.js";
import type { Finding } from "./finding.js";
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
  for (const route of graph.routes) {
    for (const rule of route.rules) {
      const problem = nameProblem(rule.sessionPersistence);
      if (!problem) continue;
      findings.push(
        ctx.finding({
          rule: "session-name-invalid",
          severity: "error",
          object: refOf(route),
          path: `spec.rules[${rule.index}].sessionPersistence.sessionName`,
          fallback: route.source,
          message: `rule ${rule.index}${rule.name ? ` (${rule.name})` : ""} of ${route.kind} ${route.namespace}/${route.name}: ${problem}; ${EFFECT}`,
          fix: fixFor(rule.sessionPersistence),
        }),
      );
    }
  }
  for (const p of graph.backendTrafficPolicies ?? []) {
    const problem = nameProblem(p.sessionPersistence);
    if (!problem) continue;
    findings.push(
      ctx.finding({
        rule: "session-name-invalid",
        severity: "error",
        object: { kind: "XBackendTrafficPolicy", namespace: p.namespace, name: p.name },
        path: "spec.sessionPersistence.sessionName",
        message: `XBackendTrafficPolicy ${p.namespace}/${p.name}: ${problem}; ${EFFECT}`,
        fix: fixFor(p.sessionPersistence),
      }),
    );
  }
  return findings;
}
