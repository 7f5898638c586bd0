import { createRequire } from "node:module";
import { buildWorld, lint, LINT_RULES, LINT_RULE_IDS, type Finding, type LintRuleId } from "@gwsim/core";
import { FILE_FLAG, requireFiles, buildOptionsFrom, WORLD_FLAGS } from "./common.js";
import { formatDiagnostics } from "./diagnostics.js";
import { listFlag, parseFlags, type CommandSpec } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { toSarif } from "./lint-sarif.js";
import { wrap } from "./render-decision.js";
import { loadManifests } from "../load/manifests.js";

export const lintSpec: CommandSpec = {
  name: "lint",
  summary: "find configuration that is valid but likely wrong, with where and how to fix it",
  usage: "gwsim lint -f MANIFESTS [--json | --sarif] [--disable RULE ...]",
  description:
    "Rules no request can reach (proven from the precedence order, not sampled), conflicts decided only by " +
    "creationTimestamp or name, routes and parentRefs that attach to nothing, route hostnames no listener takes, " +
    "listeners that take no traffic (conflicts, certificate refs), route hostnames a more specific listener takes, " +
    "an HTTPRoute and a GRPCRoute on one hostname of a listener, " +
    "weights that data planes round to zero, rules with no backend to send to (500), backendRefs to missing Service ports " +
    "(or to a Service name a typo away from one that exists), or " +
    "not permitted by a ReferenceGrant, ReferenceGrants that grant nothing, " +
    "regular expressions that shadow prefixes, Service ports that speak TLS reached in cleartext (no BackendTLSPolicy), " +
    "session names and regex paths the data plane refuses, https redirects bypassed, redirects that loop or lead to a 404, XBackend and backend-traffic " +
    "policies that do not apply. Text by default (a finding's first line is one file:line:col record; the lines " +
    "under it wrap to 80 columns); --json for the findings as data; --sarif for SARIF " +
    `2.1.0 (code scanning). Exit 1 when a finding of severity error exists. Rules: ${LINT_RULE_IDS.join(", ")}.`,
  flags: [
    FILE_FLAG,
    { name: "json", type: "boolean", description: "print the findings as JSON" },
    { name: "sarif", type: "boolean", description: "print SARIF 2.1.0 for code-scanning tools" },
    { name: "disable", type: "string", multiple: true, value: "RULE", description: "leave out a rule's findings" },
    ...WORLD_FLAGS,
  ],
  examples: ["gwsim lint -f manifests/", "gwsim lint -f manifests/ --sarif > gwsim.sarif", "gwsim lint -f manifests/ --json | jq '.findings[] | select(.severity==\"error\")'"],
};

export async function lintCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(lintSpec, argv);
  if (values.json && values.sarif) throw new UsageError("--json and --sarif cannot be combined");
  const disable = listFlag(values, "disable");
  const unknown = disable.filter((r) => !(LINT_RULE_IDS as readonly string[]).includes(r));
  if (unknown.length) throw new UsageError(`unknown rule ${unknown.join(", ")} (rules: ${LINT_RULE_IDS.join(", ")})`);
  const loaded = await loadManifests(requireFiles(listFlag(values, "file")), io);
  if (loaded.unreadable.length) {
    io.stderr(formatDiagnostics(loaded.unreadable));
    return 2;
  }
  const world = buildWorld(loaded.objects, buildOptionsFrom(values, loaded));
  // Invalid documents are validate's business: reported here, left out of the world, not findings.
  const problems = [...loaded.diagnostics, ...world.diagnostics].filter((d) => d.severity !== "info");
  if (problems.length) io.stderr(formatDiagnostics(problems));
  const findings = lint(world, { objects: loaded.objects, disable: disable as LintRuleId[] });
  const counts = countBySeverity(findings);
  if (values.sarif) io.stdout(`${JSON.stringify(toSarif(findings, { toolVersion: toolVersion(), rules: LINT_RULES, baseDirectory: io.cwd }), null, 2)}\n`);
  else if (values.json) io.stdout(`${JSON.stringify({ findings, counts }, null, 2)}\n`);
  else io.stdout(renderFindings(findings, loaded.objects.length));
  return counts.error > 0 ? 1 : 0;
}

function toolVersion(): string {
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

export function countBySeverity(findings: readonly Finding[]): { error: number; warning: number; info: number } {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

function where(f: { file: string | null; line: number | null; column: number | null }): string {
  return f.file === null ? "" : `${f.file}:${f.line ?? 1}:${f.column ?? 1}: `;
}

function objectText(f: Finding): string {
  return `${f.object.kind} ${f.object.namespace ? `${f.object.namespace}/` : ""}${f.object.name}${f.path ? ` ${f.path}` : ""}`;
}

/** One block per finding, compiler style, then a count. */
export function renderFindings(findings: readonly Finding[], objects: number): string {
  if (findings.length === 0) return `no findings (${objects} object(s) checked)\n`;
  const lines: string[] = [];
  for (const f of findings) {
    // The first line is one record (file:line:col: severity: message [rule]) for grep and editors'
    // quickfix lists, as compilers print; the lines under it wrap to 80 columns.
    lines.push(`${where(f)}${f.severity}: ${f.message} [${f.rule}]`);
    lines.push(...wrap(`in ${objectText(f)}`, "    ", "        "));
    lines.push(...wrap(`fix: ${f.fix}`, "    ", "        "));
    for (const r of f.related) lines.push(...wrap(`see ${where(r)}${r.message}`, "    ", "        "));
  }
  const c = countBySeverity(findings);
  lines.push("", `${findings.length} finding(s): ${c.error} error(s), ${c.warning} warning(s), ${c.info} info`);
  return `${lines.join("\n")}\n`;
}
