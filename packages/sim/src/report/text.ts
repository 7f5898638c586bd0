/** The readable report: what `gwsim replay` and `gwsim whatif` print without --json. */
import type { BackendId } from "@gwsim/core";
import type { Report, RouteRow, SplitRow } from "../replay/types.js";
import type { WhatifReport } from "../replay/whatif.js";
import { int, num, pct, table } from "./table.js";

function name(b: BackendId): string {
  const kind = b.kind && b.kind !== "Service" ? `${b.kind}:` : "";
  return `${kind}${b.namespace}/${b.name}${b.port !== null && b.port !== undefined ? `:${b.port}` : ""}`;
}

function ruleText(r: Pick<RouteRow, "kind" | "namespace" | "name" | "rule" | "ruleName">): string {
  const rule = r.rule === null ? "" : ` rule ${r.rule}${r.ruleName ? ` (${r.ruleName})` : ""}`;
  return `${r.kind} ${r.namespace}/${r.name}${rule}`;
}

function pValue(p: number): string {
  return p < 0.0001 ? "< 0.0001" : p.toFixed(4);
}

function splitBlock(s: SplitRow, precision: Report["precision"]): string {
  const effective = precision !== "exact";
  const rows = s.backends.map((b) => [
    name(b) + (b.valid ? "" : " (invalid: 500)"),
    `weight ${b.weight}`,
    ...(effective ? [`→ ${b.effectiveWeight}`] : []),
    int(b.count),
    pct(b.share),
    `expected ${pct(b.expectedShare)}`,
  ]);
  const lines = [`  ${ruleText(s)}: ${int(s.count)} requests`, table(rows, ["l", "l", ...(effective ? ["l" as const] : []), "r", "r", "l"], "    ")];
  const notes: string[] = [];
  if (s.chiSquare) notes.push(`chi-square ${num(s.chiSquare.statistic, 2)} (df ${s.chiSquare.df}), p ${pValue(s.chiSquare.pValue)}`);
  if (s.users) notes.push(`${int(s.users)} users, ${int(s.usersMultiBackend)} saw more than one backend`);
  if (s.sessionPersistence) notes.push("sessionPersistence set");
  if (notes.length) lines.push(`    ${notes.join("; ")}`);
  return lines.join("\n");
}

export function renderText(report: Report): string {
  const out: string[] = [];
  out.push(`Replayed ${int(report.requests)} requests (seed ${report.seed}, split ${report.split}, precision ${report.precision})`);

  const backends = [...report.backends].sort((a, b) => b.count - a.count || b.expectedShare - a.expectedShare);
  if (backends.length) {
    out.push("", "Backends");
    out.push(
      table(
        [
          ["backend", "requests", "share", "95% CI", "expected", "users", "expected users"],
          ...backends.map((b) => [
            name(b) + (b.valid ? "" : " (invalid)"),
            int(b.count),
            pct(b.share),
            `[${pct(b.ci95[0])}, ${pct(b.ci95[1])}]`,
            pct(b.expectedShare),
            int(b.users),
            b.expectedUsers.toFixed(1),
          ]),
        ],
        ["l", "r", "r", "l", "r", "r", "r"],
      ),
    );
  }

  const splits = report.splits.filter((s) => s.backends.length > 1);
  if (splits.length) out.push("", "Weighted splits", ...splits.map((s) => splitBlock(s, report.precision)));

  if (report.routes.length) {
    out.push("", "Routes");
    out.push(table([...report.routes].sort((a, b) => b.count - a.count).map((r) => [ruleText(r), int(r.count)]), ["l", "r"]));
  }

  out.push("", "Outcomes");
  const outcomes = Object.entries(report.outcomes).map(([k, v]) => [k, int(v ?? 0), pct((v ?? 0) / (report.requests || 1))]);
  out.push(table(outcomes, ["l", "r", "r"]));
  const statuses = Object.entries(report.statuses);
  if (statuses.length) {
    out.push("", "Answered by the gateway");
    out.push(table(statuses.map(([k, v]) => [k, int(v), pct(v / (report.requests || 1))]), ["l", "r", "r"]));
  }

  if (report.failing.length) {
    out.push("", "Top request classes answered 404 or 500");
    out.push(table(report.failing.map((f) => [String(f.status), `${f.method} ${f.host}${f.path}`, int(f.count), `e.g. ${f.example}`]), ["l", "l", "r", "l"]));
  }

  if (report.mirrors.length) {
    out.push("", "Mirrored traffic");
    out.push(table(report.mirrors.map((m) => [name(m), int(m.count), `expected ${num(m.expected, 1)}`]), ["l", "r", "l"]));
  }

  if (report.observed) {
    const o = report.observed;
    out.push(
      "",
      `Observed vs simulated: ${pct(o.agreement, 1)} agree (${int(o.agree)} of ${int(o.compared)} comparable, ${int(o.records)} records with observations)`,
    );
    if (o.differences.length) {
      out.push(table([["observed", "simulated", "requests", "first"], ...o.differences.map((d) => [d.observed, d.simulated, int(d.count), d.example])], ["l", "l", "r", "l"]));
    }
  }

  const e = report.exposure;
  out.push(
    "",
    `Users: ${int(e.users)} distinct, ${int(e.anonymousRequests)} requests without a user; ${int(e.usersMultiBackend)} users reached more than one backend of a split`,
  );
  if (report.timeline) {
    const t = report.timeline;
    const first = t.buckets[0]!.start;
    const last = t.buckets[t.buckets.length - 1]!.start;
    out.push(`Time: ${first} to ${last} in ${t.buckets.length} buckets of ${t.bucketSeconds}s${t.untimed ? ` (${int(t.untimed)} untimed)` : ""}`);
  }

  if (report.warnings.length) out.push("", "Warnings", ...report.warnings.map((w) => `  - ${w}`));
  return `${out.join("\n")}\n`;
}

export function renderWhatifText(r: WhatifReport): string {
  const out: string[] = [];
  out.push(`What-if over ${int(r.requests)} requests (seed ${r.before.seed}, split ${r.before.split}, precision ${r.before.precision})`);
  out.push("", "Backends (expected share, then the seeded replay)");
  out.push(
    table(
      [
        ["backend", "before", "after", "change", "requests before", "requests after", "users before", "users after"],
        ...r.backends.map((b) => [
          name(b),
          pct(b.before.expectedShare),
          pct(b.after.expectedShare),
          `${b.delta >= 0 ? "+" : ""}${pct(b.delta)}`,
          int(b.before.count),
          int(b.after.count),
          int(b.before.users),
          int(b.after.users),
        ]),
      ],
      ["l", "r", "r", "r", "r", "r", "r", "r"],
    ),
  );
  out.push("", `Moved: ${num(r.moved.expected, 1)} requests expected, ${int(r.moved.count)} in the seeded replay`);
  if (r.moves.length) {
    out.push(table([["request class", "from", "to", "expected"], ...r.moves.map((m) => [`${m.method} ${m.host}${m.path}`, m.from, m.to, num(m.expected, 1)])], ["l", "l", "l", "r"]));
  }
  out.push("", `New 404: ${int(r.new404)}  New 500: ${int(r.new500)}  Fixed 404: ${int(r.fixed404)}  Fixed 500: ${int(r.fixed500)}`);
  if (r.newFailures.length) {
    out.push(table(r.newFailures.map((f) => [String(f.status), `${f.method} ${f.host}${f.path}`, int(f.count), `e.g. ${f.example}`]), ["l", "l", "r", "l"]));
  }
  const warnings = [...new Set([...r.before.warnings.map((w) => `before: ${w}`), ...r.after.warnings.map((w) => `after: ${w}`)])];
  if (warnings.length) out.push("", "Warnings", ...warnings.map((w) => `  - ${w}`));
  return `${out.join("\n")}\n`;
}
