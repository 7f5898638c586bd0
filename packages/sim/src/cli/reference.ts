import type { Command } from "./main.js";
import { failIfVocabulary, type FailIfMode } from "../replay/fail-if.js";

/** The CLI reference in Markdown, generated from the command definitions so it cannot drift. */
export function cliReference(commands: readonly Command[]): string {
  const out = [
    "# gwsim command reference",
    "",
    "<!-- Generated from packages/sim/src/cli by `pnpm docs:cli`; a test fails when it is out of date. -->",
    "",
    "Exit codes: 0 success, 1 the command ran and found problems it was asked to check, 2 bad usage or unreadable input.",
    "Every command that takes manifests accepts `-f PATH` (repeatable): a file, a directory read recursively, or `-` for stdin.",
    "",
  ];
  for (const { spec } of commands) {
    out.push(`## gwsim ${spec.name}`, "", spec.summary.charAt(0).toUpperCase() + spec.summary.slice(1) + ".", "", "```", spec.usage, "```", "");
    if (spec.description) out.push(spec.description, "");
    if (spec.positionals) out.push(`Argument \`${spec.positionals.name}\`: ${spec.positionals.description}.`, "");
    if (spec.flags.length) {
      out.push("| option | meaning |", "| --- | --- |");
      for (const f of spec.flags) {
        const name = `${f.short ? `-${f.short}, ` : ""}--${f.name}${f.type === "string" ? ` ${f.value ?? "VALUE"}` : ""}`;
        out.push(`| \`${name.replace(/\|/g, "\\|")}\` | ${f.description.replace(/\|/g, "\\|")}${f.multiple ? " (repeatable)" : ""}${f.default !== undefined ? ` (default: ${String(f.default)})` : ""} |`);
      }
      out.push("");
    }
    if (spec.examples?.length) out.push("Examples:", "", "```sh", ...spec.examples, "```", "");
  }
  out.push(...failIfReference());
  return out.join("\n");
}

const FAIL_IF_MODES: [FailIfMode, string][] = [
  ["replay", "`gwsim replay`"],
  ["whatif", "`gwsim whatif` with `--proposed` or `--set-weight` (after the change unless the name ends in Before)"],
  ["rollout", "`gwsim whatif --rollout` (over the whole trace; steps numbered as the report lists them)"],
];

/** The --fail-if vocabulary of each command, from the tables the parser reads. */
function failIfReference(): string[] {
  const out = [
    "## --fail-if expressions",
    "",
    "Numbers (`15%` is 0.15), names and functions below, `+ - * /`, comparisons `> >= < <= == !=`, `!`, `&&`, `||` and parentheses.",
    "REF is a backend: `name`, `namespace/name` or `namespace/name:port` (several backends add up). ROUTE is `name`, `namespace/name`",
    "or `namespace/name/rule` (rule by index or name). A REF or ROUTE the manifests lack is a usage error (exit 2): such a gate could never fire.",
    "",
  ];
  for (const [mode, title] of FAIL_IF_MODES) {
    out.push(`### ${title}`, "", "| name | meaning |", "| --- | --- |");
    for (const v of failIfVocabulary(mode)) out.push(`| \`${v.name}\` | ${v.meaning} |`);
    out.push("");
  }
  return out;
}
