/**
 * lint: findings about a configuration that is valid but likely wrong. Pure: the world (and,
 * for field positions and ReferenceGrants, the objects it was built from) in, findings out,
 * sorted by file, line, column and rule.
 */
import type { ManifestObject } from "../manifest/object.js";
import type { World } from "../world.js";
import { attachmentFindings } from "./attachment.js";
import { backendFindings } from "./backends.js";
import { backendTLSFindings } from "./backend-tls.js";
import { lintContext } from "./context.js";
import type { Finding, LintRuleId } from "./finding.js";
import { grantFindings } from "./grants.js";
import { kindClashFindings } from "./kind-clash.js";
import { hostnameTakenFindings, listenerFindings } from "./listeners.js";
import { precedenceFindings } from "./shadowing.js";
import { redirectBypassFindings } from "./redirect-bypass.js";
import { redirectLoopFindings } from "./redirect-loop.js";
import { regexPathFindings } from "./regex-paths.js";
import { sessionFindings } from "./sessions.js";
import { xbackendFindings } from "./xbackends.js";

export type { Finding, LintObjectRef, LintRuleId, LintRuleInfo, RelatedLocation } from "./finding.js";
export { LINT_RULES, LINT_RULE_IDS } from "./finding.js";

export interface LintOptions {
  /**
   * The objects the world was built from. They give findings field-level positions and let
   * lint check ReferenceGrants (the graph keeps none). Defaults to `world.objects` when the
   * world carries them.
   */
  objects?: readonly ManifestObject[];
  /** Rules to leave out. */
  disable?: readonly LintRuleId[];
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function lint(world: World, options: LintOptions = {}): Finding[] {
  const objects = options.objects ?? (world as World & { objects?: readonly ManifestObject[] }).objects ?? null;
  const ctx = lintContext(world, objects);
  const disabled = new Set(options.disable ?? []);
  const all = [...precedenceFindings(ctx), ...attachmentFindings(ctx), ...listenerFindings(ctx), ...hostnameTakenFindings(ctx), ...kindClashFindings(ctx), ...backendFindings(ctx), ...xbackendFindings(ctx), ...backendTLSFindings(ctx), ...sessionFindings(ctx), ...regexPathFindings(ctx), ...redirectBypassFindings(ctx), ...redirectLoopFindings(ctx), ...grantFindings(ctx)];
  return all.filter((f) => !disabled.has(f.rule)).sort(compareFindings);
}

/** By file (findings without one last), line, column, severity, rule, then message. */
export function compareFindings(a: Finding, b: Finding): number {
  const fa = a.file ?? "\uffff";
  const fb = b.file ?? "\uffff";
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}
