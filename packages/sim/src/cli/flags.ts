import { wrap } from "./render-decision.js";
import { parseArgs } from "node:util";
import { UsageError } from "./io.js";

export interface FlagSpec {
  name: string;
  short?: string;
  type: "string" | "boolean";
  multiple?: boolean;
  /** Placeholder for the value in help text, e.g. PATH. */
  value?: string;
  description: string;
  default?: string | boolean;
  /** `-` reads standard input: at most one such use per command line (parseFlags refuses two). */
  stdin?: boolean;
}

/** A command as data: the parser, the help text and the generated CLI reference all read it. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec[];
  /** Names of positional arguments, when the command takes any. */
  positionals?: { name: string; description: string; required?: boolean };
  description?: string;
  examples?: string[];
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export function parseFlags(spec: CommandSpec, argv: string[]): { values: FlagValues; positionals: string[] } {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const f of spec.flags) {
    options[f.name] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    for (const f of spec.flags) {
      if (values[f.name] === undefined && f.default !== undefined) (values as FlagValues)[f.name] = f.default;
    }
    if (!spec.positionals && positionals.length > 0) {
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    }
    if (spec.positionals?.required && positionals.length === 0) {
      throw new UsageError(`missing ${spec.positionals.name}`);
    }
    checkOneStdin(spec, values as FlagValues);
    return { values: values as FlagValues, positionals };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
}

/** Standard input is read once: a second flag reading it would get nothing (and exit 0 having done nothing). */
function checkOneStdin(spec: CommandSpec, values: FlagValues): void {
  const readers: string[] = [];
  for (const f of spec.flags) {
    if (!f.stdin) continue;
    const uses = listFlag(values, f.name).filter((v) => v === "-").length;
    // -f as every usage line spells it; other flags by their long names.
    for (let i = 0; i < uses; i++) readers.push(`${f.name === "file" && f.short ? `-${f.short}` : `--${f.name}`} -`);
  }
  if (readers.length > 1) throw new UsageError(`${readers.join(" and ")} would all read standard input, which can be read once; give files for all but one`);
}

export function intFlag(values: FlagValues, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== "string" || !/^-?\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} takes a whole number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function listFlag(values: FlagValues, name: string): string[] {
  const raw = values[name];
  return Array.isArray(raw) ? raw : typeof raw === "string" ? [raw] : [];
}

/** The column option descriptions start at. */
const OPTION_COLUMN = 35;

/**
 * Help in 80 columns, as the other text outputs: prose wrapped, option descriptions in a hanging
 * column, the usage line broken only between its top-level words (never inside `[--seed N]`).
 * Examples are kept whole so they can be copied.
 */
export function helpText(spec: CommandSpec): string {
  const lines = [...wrap(`gwsim ${spec.name}: ${spec.summary}`, "", "  "), "", ...wrapUsage(spec.usage), ""];
  if (spec.description) lines.push(...wrap(spec.description, "", ""), "");
  if (spec.flags.length) {
    lines.push("options:");
    for (const f of spec.flags) {
      const head = `  ${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.type === "string" ? ` ${f.value ?? "VALUE"}` : ""}`;
      const text = `${f.description}${f.multiple ? " (repeatable)" : ""}`;
      const indent = " ".repeat(OPTION_COLUMN);
      // A head too long for the column puts its description on the next line.
      if (head.length >= OPTION_COLUMN - 1) lines.push(head, ...wrap(text, indent, indent));
      else lines.push(...wrap(text, head.padEnd(OPTION_COLUMN), indent));
    }
  }
  if (spec.examples?.length) lines.push("", "examples:", ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join("\n")}\n`;
}

/** `usage: gwsim x ...` in lines of 80, broken at spaces outside brackets, continued under the command. */
export function wrapUsage(usage: string): string[] {
  const words: string[] = [];
  let depth = 0;
  let word = "";
  for (const ch of usage) {
    if (ch === " " && depth === 0) {
      words.push(word);
      word = "";
      continue;
    }
    if (ch === "[" || ch === "(") depth++;
    if (ch === "]" || ch === ")") depth = Math.max(0, depth - 1);
    word += ch;
  }
  words.push(word);
  const indent = " ".repeat("usage: gwsim ".length);
  const lines: string[] = [];
  let line = "usage:";
  for (const w of words) {
    if (line.length + 1 + w.length > 80 && line.trim() !== "usage:" && line !== indent.trimEnd()) {
      lines.push(line);
      line = indent + w;
    } else line += ` ${w}`;
  }
  lines.push(line);
  return lines;
}
