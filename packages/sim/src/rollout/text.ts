/** The readable and JSON forms of a rollout replay: what `gwsim replay --rollout` prints. */
import { dec, int, pct, plural, table, wrap } from "../report/table.js";
import type { RolloutPlan } from "./types.js";
import type { RolloutReport } from "./replay-rollout.js";
import { formatDuration } from "./duration.js";


function holds(ms: number | null, hold: string): string {
  if (ms === null) return hold === "end" ? "to the end" : "open";
  return formatDuration(ms);
}

/** The steps of a plan, before any trace: one line each, then the problems. */
export function renderRolloutPlanText(plan: RolloutPlan): string {
  const out: string[] = [`${plan.kind ?? "Rollout"} ${plan.name ?? "?"}: ${plan.steps.length} steps${plan.ok ? "" : " (with errors)"}`];
  out.push(
    table(
      [["#", "step", "weight", "holds", "new version"], ...plan.steps.map((s, i) => [String(i + 1), s.name, s.weight === null ? "-" : String(s.weight), holds(s.duration, s.hold), s.canary.join(", ")])],
      ["r", "l", "r", "l", "l"],
    ),
  );
  if (plan.problems.length) {
    out.push("", "Problems");
    for (const p of plan.problems) out.push(`  ${p.severity}: ${p.file}:${p.line}:${p.column}: ${p.message}`);
  }
  return `${out.join("\n")}\n`;
}

/** Whether any request of the step could reach either version (else its new-version share means nothing). */
function reachedEither(x: RolloutReport["steps"][number]["exposure"]): boolean {
  return x.expectedCanaryRequests + x.expectedStableRequests > 0 || x.canaryRequests + x.stableRequests > 0;
}

/**
 * Laid out for 80 columns: the steps as a numbered list (their names are long), then one table
 * of figures per step number. Warnings first.
 */
export function renderRolloutText(r: RolloutReport): string {
  const out: string[] = [];
  out.push(`${r.kind ?? "Rollout"} ${r.name ?? ""}: ${plural(r.requests, "request")} across ${plural(r.steps.length, "step")}`, `  seed ${r.seed}, split ${r.split}, precision ${r.precision}`);
  if (r.warnings.length) out.push("", "Warnings", ...r.warnings.map((w) => wrap(`  - ${w}`, 80, "  ")));
  out.push("", "Steps");
  r.steps.forEach((s, i) => {
    const start = s.start ? s.start.slice(0, 19).replace("T", " ") : "-";
    out.push(`  ${i + 1}. ${s.name}`, `     from ${start}, holds ${holds(s.duration, s.hold)}, canary weight ${s.weight === null ? "-" : s.weight}`);
  });
  out.push(
    "",
    "Per step: expected from the weights, the seeded replay in brackets",
    table(
      [
        ["#", "requests", "on new version", "users exposed", "saw both", "failed"],
        ...r.steps.map((s, i) => [
          String(i + 1),
          int(s.exposure.requests),
          reachedEither(s.exposure) ? `${pct(s.exposure.expectedNewVersionShare, 1)} (${int(s.exposure.canaryRequests)})` : "-",
          `${dec(s.exposure.expectedUsersExposed)} (${int(s.exposure.usersExposed)})`,
          `${dec(s.exposure.expectedUsersBoth)} (${int(s.exposure.usersBoth)})`,
          `${dec(s.exposure.failed.expected)} (${int(s.exposure.failed.drawn)})`,
        ]),
      ],
      ["r", "r", "r", "r", "r", "r"],
    ),
    "  on new version: share of the requests that reached either version",
  );
  const e = r.overall.exposure;
  out.push(
    "",
    `Overall: ${r.requests ? pct(e.expectedCanaryShare) : "-"} of all requests on the new version (${int(e.canaryRequests)} drawn)`,
    `  users exposed to the new version: ${dec(e.expectedUsersExposed)} expected of ${int(e.users)} (${int(e.usersExposed)} drawn)`,
    `  users who saw both versions: ${dec(e.expectedUsersBoth)} expected (${int(e.usersBoth)} drawn)`,
    `  failed requests: ${dec(e.failed.expected)} expected (${int(e.failed.drawn)} drawn, ${int(e.failed.gateway)} answered 5xx by the gateway)`,
    `  new version: ${e.canary.join(", ") || "-"}; old version: ${e.stable.join(", ") || "-"}`,
  );
  if (Object.keys(r.errorRates).length) out.push(`  error rates: ${Object.entries(r.errorRates).map(([k, v]) => `${k} ${pct(v, 2)}`).join(", ")}`);
  return `${out.join("\n")}\n`;
}

/** One JSON object, two-space indented, ending in a newline; an endless step's end prints as null. */
export function renderRolloutJson(r: RolloutReport | RolloutPlan): string {
  return `${JSON.stringify(r, (_k, v) => (v === Infinity ? null : v), 2)}\n`;
}
