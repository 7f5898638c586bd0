/**
 * A RegularExpression path match that no request path can satisfy: gwsim matches the pattern
 * against the whole path (docs/decisions.md), every path starts with `/`, and a pattern whose
 * first character is a literal other than `/` (`api/v[0-9]+/.*`, `^orders`) can match only
 * strings starting with that character. Decided from the pattern's start alone, so it is sound
 * and incomplete: a pattern with `|` anywhere, or a class, group or escape first, is left alone.
 */
import type { HTTPRouteMatch } from "../resolve/graph.js";
import type { LintContext } from "./context.js";
import type { Finding } from "./finding.js";
import { refOf } from "./shadowing.js";

/** The literal a path regex must start with when it is not `/`, else null (it may match). */
export function nonSlashStart(pattern: string): string | null {
  if (pattern.includes("|")) return null;
  const body = pattern.startsWith("^") ? pattern.slice(1) : pattern;
  const first = body[0];
  if (first === undefined || first === "/" || !/[A-Za-z0-9_~%!$&',;=:@-]/.test(first)) return null;
  // `a?`, `a*`, `a{0,1}` may take no `a`: then the pattern may still start with `/`.
  if (/^[?*{]/.test(body.slice(1))) return null;
  return first;
}

export function regexPathFindings(ctx: LintContext): Finding[] {
  const findings: Finding[] = [];
  for (const route of ctx.world.graph.routes) {
    if (route.kind !== "HTTPRoute") continue;
    for (const rule of route.rules) {
      if (rule.invalid) continue;
      const dead = rule.matches.map((m, j) => ({ j, start: regexStart(m as HTTPRouteMatch), value: (m as HTTPRouteMatch).path?.value ?? "" })).filter((d) => d.start !== null);
      if (dead.length === 0) continue;
      const whole = dead.length === rule.matches.length;
      for (const d of dead) {
        findings.push(
          ctx.finding({
            rule: whole ? "unreachable-rule" : "unreachable-match",
            severity: whole ? "error" : "warning",
            object: refOf(route),
            path: `spec.rules[${rule.index}].matches[${d.j}].path.value`,
            fallback: route.source,
            message:
              `${whole ? `rule ${rule.index}${rule.name ? ` (${rule.name})` : ""}` : `match ${d.j} of rule ${rule.index}${rule.name ? ` (${rule.name})` : ""}`} of HTTPRoute ${route.namespace}/${route.name} can never be reached: ` +
              `path RegularExpression "${d.value}" must match the whole path and starts with ${JSON.stringify(d.start)}, but every request path starts with /`,
            fix: `start the pattern with / ("/${d.value.replace(/^\^/, "")}")`,
          }),
        );
      }
    }
  }
  return findings;
}

function regexStart(m: HTTPRouteMatch): string | null {
  return m.path?.type === "RegularExpression" ? nonSlashStart(m.path.value) : null;
}
