/** The readable and JSON forms of a rollout replay: what `gwsim replay --rollout` prints. */
import { dec, int, pct, plural, table, wrap } from "../report/table.js";
import type { RolloutPlan } from "./types.js";
import type { RolloutReport } from "./replay-rollout.js";
import { formatDuration } from "./duration.js";


function holds(ms: number | null, hold: string): string {
  if (ms === null) return hold === "end" ? "to the end" : "open";
  return formatDuration(ms);
}

export interface RolloutTextOptions {
  /** Widest line (default 80). */
  width?: number;
}

/**
 * The steps of a plan, before any trace: a numbered list (step names are long) with what each
 * holds and sends to the new version, then the problems; laid out for `width` columns.
 */
export function renderRolloutPlanText(plan: RolloutPlan, options: RolloutTextOptions = {}): string {
  const width = options.width ?? 80;
  const out: string[] = [wrap(`${plan.kind ?? "Rollout"} ${plan.name ?? "?"}: ${plan.steps.length} steps${plan.ok ? "" : " (with errors)"}`, width)];
  plan.steps.forEach((s, i) => {
    out.push(
      wrap(`  ${i + 1}. ${s.name}`, width, "   "),
      wrap(`     holds ${holds(s.duration, s.hold)}, canary weight ${s.weight === null ? "-" : s.weight}; new version: ${s.canary.join(", ") || "-"}`, width, "  "),
    );
  });
  if (plan.problems.length) {
    out.push("", "Problems");
    for (const p of plan.problems) out.push(wrap(`  ${p.severity}: ${p.file}:${p.line}:${p.column}: ${p.message}`, width, "  "));
  }
  return `${out.join("\n")}\n`;
}

/** Whether any request of the step could reach either version (else its new-version share means nothing). */
function reachedEither(x: RolloutReport["steps"][number]["exposure"]): boolean {
  return x.expectedCanaryRequests + x.expectedStableRequests > 0 || x.canaryRequests + x.stableRequests > 0;
}

type Failed = RolloutReport["overall"]["exposure"]["failed"];

/** Whether the route rules' retries (or their budgets) changed anything: only then are their columns shown. */
export function retriesMatter(r: RolloutReport): boolean {
  const f = r.overall.exposure.failed;
  return f.expectedRetries + f.retries + f.expectedRetriesRefused + f.retriesRefused > 0;
}

/** `new 2.00% (503)`: each error rate with the code its failures answer. */
export function errorRatesText(r: RolloutReport): string {
  return Object.entries(r.errorRates)
    .map(([k, v]) => `${k} ${pct(v, 2)} (${r.errorCodes?.[k] ?? 503})`)
    .join(", ");
}

/** Whether a retry budget refused any retry (its column and line are shown only then). */
function refused(f: Failed): boolean {
  return f.expectedRetriesRefused + f.retriesRefused > 0;
}

/** The overall lines about retries: failures without them, the load they add, what budgets refused. */
export function retryLines(f: Failed): string[] {
  const out = [
    `failed requests without retries: ${dec(f.expectedWithoutRetries)} expected (${int(f.drawnWithoutRetries)} drawn)`,
    `retries sent (attempts beyond the first): ${dec(f.expectedRetries)} expected (${int(f.retries)} drawn)`,
  ];
  if (refused(f)) out.push(`retries refused by retry budgets (each answered 503): ${dec(f.expectedRetriesRefused)} expected (${int(f.retriesRefused)} drawn)`);
  return out;
}

/** Per step: failed after and without retries, retries sent (and refused): its own table, the main one is full. */
function retryTable(r: RolloutReport, width: number): string[] {
  const withRefused = refused(r.overall.exposure.failed);
  const heads = ["failed", "without retries", "retries sent", ...(withRefused ? ["refused"] : [])];
  const rows = r.steps.map(({ exposure: { failed: f } }) => [
    `${dec(f.expected)} (${int(f.drawn)})`,
    `${dec(f.expectedWithoutRetries)} (${int(f.drawnWithoutRetries)})`,
    `${dec(f.expectedRetries)} (${int(f.retries)})`,
    ...(withRefused ? [`${dec(f.expectedRetriesRefused)} (${int(f.retriesRefused)})`] : []),
  ]);
  const grid = table([["#", ...heads], ...rows.map((row, i) => [String(i + 1), ...row])], ["r", ...heads.map(() => "r" as const)]);
  const fits = grid.split("\n").every((line) => [...line].length <= width);
  return [
    "",
    wrap("Retries per step: failed requests after the route rules' retries and without them, retries sent (attempts beyond the first)", width, "  "),
    ...(fits ? [grid] : rows.map((row, i) => wrap(`  ${i + 1}. ${row.map((cell, j) => `${heads[j]} ${cell}`).join("; ")}`, width, "   "))),
  ];
}

/**
 * Laid out for `width` columns (default 80): the steps as a numbered list (their names are long),
 * then one table of figures per step number. Warnings first.
 */
export function renderRolloutText(r: RolloutReport, options: RolloutTextOptions = {}): string {
  const width = options.width ?? 80;
  const out: string[] = [];
  out.push(wrap(`${r.kind ?? "Rollout"} ${r.name ?? ""}: ${plural(r.requests, "request")} across ${plural(r.steps.length, "step")}`, width), `  seed ${r.seed}, split ${r.split}, precision ${r.precision}`);
  if (r.warnings.length) out.push("", "Warnings", ...r.warnings.map((w) => wrap(`  - ${w}`, width, "  ")));
  out.push("", "Steps");
  r.steps.forEach((s, i) => {
    const start = s.start ? s.start.slice(0, 19).replace("T", " ") : "-";
    out.push(wrap(`  ${i + 1}. ${s.name}`, width, "   "), wrap(`     from ${start}, holds ${holds(s.duration, s.hold)}, canary weight ${s.weight === null ? "-" : s.weight}`, width, "  "));
  });
  const retried = retriesMatter(r);
  const heads = ["requests", "on new version", "users exposed", "saw both", "failed"];
  const rows = r.steps.map((s) => [
    int(s.exposure.requests),
    reachedEither(s.exposure) ? `${pct(s.exposure.expectedNewVersionShare, 1)} (${int(s.exposure.canaryRequests)})` : "-",
    `${dec(s.exposure.expectedUsersExposed)} (${int(s.exposure.usersExposed)})`,
    `${dec(s.exposure.expectedUsersBoth)} (${int(s.exposure.usersBoth)})`,
    `${dec(s.exposure.failed.expected)} (${int(s.exposure.failed.drawn)})`,
  ]);
  const grid = table([["#", ...heads], ...rows.map((row, i) => [String(i + 1), ...row])], ["r", ...heads.map(() => "r" as const)]);
  // Too wide for the terminal (big counts, narrow width): one wrapped line per step instead.
  const fits = grid.split("\n").every((line) => [...line].length <= width);
  out.push(
    "",
    wrap("Per step: expected from the weights, the seeded replay in brackets", width, "  "),
    ...(fits ? [grid] : rows.map((row, i) => wrap(`  ${i + 1}. ${row.map((cell, j) => `${heads[j]} ${cell}`).join("; ")}`, width, "   "))),
    wrap("  on new version: share of the requests that reached either version", width, "  "),
    ...(retried ? retryTable(r, width) : []),
  );
  const e = r.overall.exposure;
  out.push(
    "",
    wrap(`Overall: ${r.requests ? pct(e.expectedCanaryShare) : "-"} of all requests on the new version (${int(e.canaryRequests)} drawn)`, width, "  "),
    wrap(`  users exposed to the new version: ${dec(e.expectedUsersExposed)} expected of ${int(e.users)} (${int(e.usersExposed)} drawn)`, width, "  "),
    wrap(`  users who saw both versions: ${dec(e.expectedUsersBoth)} expected (${int(e.usersBoth)} drawn)`, width, "  "),
    wrap(`  failed requests${retried ? " after retries" : ""}: ${dec(e.failed.expected)} expected (${int(e.failed.drawn)} drawn, ${int(e.failed.gateway)} answered 5xx by the gateway)`, width, "  "),
    ...(retried ? retryLines(e.failed).map((line) => wrap(`  ${line}`, width, "  ")) : []),
    wrap(versionsLine(e.canary, e.stable), width, "  "),
  );
  if (Object.keys(r.errorRates).length) out.push(wrap(`  error rates: ${errorRatesText(r)}`, width, "  "));
  return `${out.join("\n")}\n`;
}

/** One JSON object, two-space indented, ending in a newline; an endless step's end prints as null. */
export function renderRolloutJson(r: RolloutReport | RolloutPlan): string {
  return `${JSON.stringify(r, (_k, v) => (v === Infinity ? null : v), 2)}\n`;
}

/**
 * Which Services carried which version over the whole rollout. A Service in both lists (the stable
 * Service after an Argo promotion, Flagger's primary) is said once, as what it is: it served the
 * old version, then the new one; listing it under both read as a contradiction.
 */
export function versionsLine(canary: readonly string[], stable: readonly string[]): string {
  const both = canary.filter((c) => stable.includes(c));
  const only = (list: readonly string[]) => list.filter((x) => !both.includes(x));
  const parts = [`new version: ${only(canary).join(", ") || "-"}`];
  if (only(stable).length || !both.length) parts.push(`old version: ${only(stable).join(", ") || "-"}`);
  if (both.length) parts.push(`${both.join(", ")}: the old version, then the new one once promoted`);
  return `  ${parts.join("; ")}`;
}
