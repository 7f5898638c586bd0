/**
 * `--fail-if` on the commands that take it (replay, whatif, whatif --rollout): parsing each
 * expression for the command's names, refusing refs the manifests do not have (a gate on a
 * misspelt backend would never fire), and telling which conditions held and what they saw.
 */
import type { World } from "@gwsim/core";
import { failIfRouteRefs, failIfUses, parseFailIf, unknownFailIfRefs, unknownFailIfRouteRefs, type FailIfExpr, type FailIfMode, type KnownRoute } from "../replay/fail-if.js";
import { listFlag, type FlagSpec, type FlagValues } from "./flags.js";
import { UsageError, type Io } from "./io.js";

export const FAIL_IF_FLAG: FlagSpec = { name: "fail-if", type: "string", multiple: true, value: "EXPR", description: "exit 1 when this expression holds" };

export interface Condition {
  text: string;
  expr: FailIfExpr;
}

/** The --fail-if expressions, parsed for `mode`; a usage error names the column of the first problem. */
export function parseConditions(values: FlagValues, mode: FailIfMode): Condition[] {
  return listFlag(values, "fail-if").map((text) => {
    const parsed = parseFailIf(text, mode);
    if (!parsed.ok) throw new UsageError(`--fail-if ${JSON.stringify(text)}: column ${parsed.column}: ${parsed.message}`);
    return { text, expr: parsed.expr };
  });
}

/** What a --fail-if REF may name: route backends and Services (mesh requests reach them without a route). */
function knownBackends(worlds: readonly World[]): { namespace: string; name: string; port: number | null }[] {
  const out: { namespace: string; name: string; port: number | null }[] = [];
  for (const w of worlds) {
    for (const r of w.graph.routes) for (const rule of r.rules) out.push(...rule.backends);
    for (const svc of w.graph.services) for (const p of svc.ports) out.push({ namespace: svc.namespace, name: svc.name, port: p.port });
  }
  return out;
}

function knownRoutes(worlds: readonly World[]): KnownRoute[] {
  return worlds.flatMap((w) => w.graph.routes.map((r) => ({ namespace: r.namespace, name: r.name, ruleNames: r.rules.map((rule) => rule.name ?? null) })));
}

const listed = (names: string[]): string => {
  const sorted = [...new Set(names)].sort();
  return (sorted.length > 12 ? `${sorted.slice(0, 12).join(", ")}, ... (${sorted.length})` : sorted.join(", ")) || "none";
};

/**
 * One message per backend or route ref that none of `worlds` has: `where` says which manifests
 * were looked at ("the manifests", "the current or the proposed manifests").
 */
export function unknownRefLines(conditions: readonly Condition[], worlds: readonly World[], where: string, zeroIn: string): string[] {
  if (conditions.length === 0) return [];
  const backends = knownBackends(worlds);
  const routes = knownRoutes(worlds);
  return conditions.flatMap((c) => [
    ...unknownFailIfRefs(c.expr, backends).map(
      (ref) => `--fail-if ${JSON.stringify(c.text)}: no backend ${ref} in ${where}, so it would be 0 ${zeroIn} (backends: ${listed(backends.map((b) => `${b.namespace}/${b.name}`))})`,
    ),
    ...unknownFailIfRouteRefs(c.expr, routes).map(
      (ref) => `--fail-if ${JSON.stringify(c.text)}: no route ${ref} in ${where}, so its hits would be 0 ${zeroIn} (routes: ${listed(routes.map((r) => `${r.namespace}/${r.name}`))})`,
    ),
  ]);
}

/** Route refs of the conditions (for commands that check them elsewhere). */
export function conditionRouteRefs(conditions: readonly Condition[]): string[] {
  return conditions.flatMap((c) => failIfRouteRefs(c.expr));
}

/** The conditions that read `name` (e.g. agreement, which a trace without observations has not). */
export function conditionsUsing(conditions: readonly Condition[], name: string): Condition[] {
  return conditions.filter((c) => failIfUses(c.expr, name));
}

const fmt = (v: number | boolean) => (typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v));

/** The measured side of each comparison, so a failed gate says what it saw: ` (expectedShare(x) = 0.0524)`. */
export function valuesOf(expr: FailIfExpr, valueOf: (e: FailIfExpr) => number | boolean): string {
  const seen: string[] = [];
  const walk = (e: FailIfExpr): void => {
    if (e.type === "binary" && (e.op === "&&" || e.op === "||")) return void (walk(e.left), walk(e.right));
    if (e.type === "binary") {
      for (const side of [e.left, e.right]) {
        if (side.type === "call") seen.push(`${side.name}(${side.arg}) = ${fmt(valueOf(side))}`);
        if (side.type === "name") seen.push(`${side.name} = ${fmt(valueOf(side))}`);
      }
    }
    if (e.type === "not") walk(e.expr);
  };
  walk(expr);
  return seen.length ? ` (${seen.join(", ")})` : "";
}

/** Tells each condition that holds on stderr, with what it saw; the number that held. */
export function reportHeld(conditions: readonly Condition[], holds: (e: FailIfExpr) => boolean, valueOf: (e: FailIfExpr) => number | boolean, io: Io): number {
  const held = conditions.filter((c) => holds(c.expr));
  for (const c of held) io.stderr(`gwsim: --fail-if holds: ${c.text}${valuesOf(c.expr, valueOf)}\n`);
  return held.length;
}
